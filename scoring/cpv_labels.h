// The official CPV 2008 list with Italian and English labels, and code suggestions for a free
// text ("PA users rarely know their codes").
//
// The list is optional: matching works without it. With it, a profile's codes add their label
// words to its text, and Suggest ranks codes for a text by BM25F over the labels (a code's own
// labels, plus its ancestors' at a lower weight, so "verde pubblico" reaches the services
// under 77300000 "Servizi di orticoltura").
//
// Input: the TSV of ../shared/data/cpv (header `code code8 parent level type label_en label_it`,
// tab-separated, UTF-8). Parsing needs only the columns code8, label_en and label_it, found by
// name in the header.
//
// Thread-safety: immutable after Parse; Suggest may be called from any number of threads.
//
// Usage:
//   auto labels = CpvLabels::Parse(tsv_text);
//   for (const auto& s : labels->Suggest("manutenzione del verde pubblico", 5))
//     std::cout << s.code << " " << labels->Find(s.code)->label_it << "\n";
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/status.h"

namespace incontra::scoring {

class CpvLabels {
 public:
  struct Entry {
    std::string code;   // as in the list, with check digit: "77310000-6"
    std::string code8;  // 8 digits
    std::string label_en, label_it;
  };
  struct Suggestion {
    std::string code8;
    double score = 0;  // in (0, 1]: the share of the best possible BM25F score
  };

  // Error code cpv_labels.malformed: "line 7: expected 7 tab-separated columns, got 3".
  static Result<CpvLabels> Parse(std::string_view tsv);

  CpvLabels(CpvLabels&&) noexcept;
  CpvLabels& operator=(CpvLabels&&) noexcept;
  ~CpvLabels();

  size_t size() const;
  // The entry of an 8-digit code; nullptr when the list does not have it. Valid while *this is.
  const Entry* Find(std::string_view code8) const;
  // Both labels of a code, for adding to a profile's text; "" when unknown.
  std::string LabelText(std::string_view code8) const;
  // The k best codes for a text, best first; empty when no label word occurs in it.
  std::vector<Suggestion> Suggest(std::string_view text, int k) const;

 private:
  CpvLabels();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace incontra::scoring
