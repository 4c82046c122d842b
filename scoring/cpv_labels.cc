#include "scoring/cpv_labels.h"

#include <algorithm>
#include <unordered_map>

#include "scoring/bm25.h"
#include "scoring/cpv.h"
#include "scoring/text.h"

namespace incontra::scoring {

struct CpvLabels::Impl {
  std::vector<Entry> entries;
  std::unordered_map<std::string, size_t> by_code8;
  // Fields: Italian label, English label, ancestors' labels (both languages).
  Bm25Index index{{{"label_it", 1.0, 0.5}, {"label_en", 1.0, 0.5}, {"ancestors", 0.3, 0.75}},
                  1.2};
};

CpvLabels::CpvLabels() : impl_(std::make_unique<Impl>()) {}
CpvLabels::CpvLabels(CpvLabels&&) noexcept = default;
CpvLabels& CpvLabels::operator=(CpvLabels&&) noexcept = default;
CpvLabels::~CpvLabels() = default;

namespace {

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> cells;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    cells.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return cells;
    start = tab + 1;
  }
}

}  // namespace

Result<CpvLabels> CpvLabels::Parse(std::string_view tsv) {
  auto malformed = [](size_t line, const std::string& rule) {
    return Status::InvalidArgument("cpv_labels.malformed",
                                   "line " + std::to_string(line) + ": " + rule);
  };
  CpvLabels labels;
  Impl& x = *labels.impl_;
  size_t line_number = 0, start = 0;
  int col_code = -1, col_code8 = -1, col_en = -1, col_it = -1;
  size_t columns = 0;
  while (start < tsv.size()) {
    size_t end = tsv.find('\n', start);
    if (end == std::string_view::npos) end = tsv.size();
    std::string_view line = tsv.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> cells = SplitTabs(line);
    if (columns == 0) {  // the header names the columns
      for (size_t c = 0; c < cells.size(); ++c) {
        if (cells[c] == "code") col_code = static_cast<int>(c);
        if (cells[c] == "code8") col_code8 = static_cast<int>(c);
        if (cells[c] == "label_en") col_en = static_cast<int>(c);
        if (cells[c] == "label_it") col_it = static_cast<int>(c);
      }
      if (col_code8 < 0 || col_en < 0 || col_it < 0) {
        return malformed(line_number, "the header must name the columns code8, label_en, label_it");
      }
      columns = cells.size();
      continue;
    }
    if (cells.size() != columns) {
      return malformed(line_number, "expected " + std::to_string(columns) +
                                        " tab-separated columns, got " +
                                        std::to_string(cells.size()));
    }
    auto code = ParseCpv(cells[static_cast<size_t>(col_code8)]);
    if (!code.ok()) return malformed(line_number, code.status().message());
    Entry e;
    e.code8 = code->digits;
    e.code = col_code >= 0 ? std::string(cells[static_cast<size_t>(col_code)]) : e.code8;
    e.label_en = std::string(cells[static_cast<size_t>(col_en)]);
    e.label_it = std::string(cells[static_cast<size_t>(col_it)]);
    if (!x.by_code8.emplace(e.code8, x.entries.size()).second) {
      return malformed(line_number, "code " + e.code8 + " appears twice");
    }
    x.entries.push_back(std::move(e));
  }
  if (x.entries.empty()) {
    return Status::InvalidArgument("cpv_labels.malformed", "the list has no codes");
  }
  Analyzer analyzer;
  for (const Entry& e : x.entries) {
    std::vector<std::string> ancestors;
    auto code = ParseCpv(e.code8);
    for (int level = 1; level < code->level; ++level) {
      std::string prefix = e.code8.substr(0, static_cast<size_t>(level) + 1);
      const Entry* parent = labels.Find(prefix + std::string(8 - prefix.size(), '0'));
      if (!parent) continue;
      for (auto lang : {Language::kItalian, Language::kEnglish}) {
        auto terms = analyzer.Terms(lang == Language::kItalian ? parent->label_it
                                                               : parent->label_en,
                                    lang);
        ancestors.insert(ancestors.end(), terms.begin(), terms.end());
      }
    }
    x.index.Add({analyzer.Terms(e.label_it, Language::kItalian),
                 analyzer.Terms(e.label_en, Language::kEnglish), ancestors});
  }
  x.index.Finish();
  return labels;
}

size_t CpvLabels::size() const { return impl_->entries.size(); }

const CpvLabels::Entry* CpvLabels::Find(std::string_view code8) const {
  auto it = impl_->by_code8.find(std::string(code8));
  return it == impl_->by_code8.end() ? nullptr : &impl_->entries[it->second];
}

std::string CpvLabels::LabelText(std::string_view code8) const {
  const Entry* e = Find(code8);
  return e ? e->label_it + " " + e->label_en : "";
}

std::vector<CpvLabels::Suggestion> CpvLabels::Suggest(std::string_view text, int k) const {
  Analyzer analyzer;  // one per call: Analyzer is not thread-safe, and building one is cheap
  std::vector<std::pair<std::string, float>> query;
  for (std::string& term : analyzer.Terms(text)) query.emplace_back(std::move(term), 1.0f);
  std::sort(query.begin(), query.end());
  query.erase(std::unique(query.begin(), query.end()), query.end());
  const double bound = impl_->index.UpperBound(query);
  std::vector<Suggestion> out;
  if (bound <= 0) return out;
  for (auto [doc, score] : impl_->index.TopKWeighted(query, k)) {
    out.push_back({impl_->entries[static_cast<size_t>(doc)].code8, score / bound});
  }
  return out;
}

}  // namespace incontra::scoring
