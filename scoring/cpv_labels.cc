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
  // One index per language (kItalian, kEnglish), each over the labels in that language:
  // fields the code's own label and its ancestors' labels. A query is stemmed both ways and
  // each way meets only the labels of its language: an Italian stem of an English word would
  // otherwise hit the few labels left untranslated in the Italian column, rare enough to win.
  Bm25Index index[2] = {Bm25Index({{"label", 1.0, 0.5}, {"ancestors", 0.3, 0.75}}, 1.2),
                        Bm25Index({{"label", 1.0, 0.5}, {"ancestors", 0.3, 0.75}}, 1.2)};
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
  if (tsv.substr(0, 3) == "\xEF\xBB\xBF") start = 3;  // a byte order mark some editors write
  while (start < tsv.size()) {
    size_t end = tsv.find('\n', start);
    if (end == std::string_view::npos) end = tsv.size();
    std::string_view line = tsv.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    // Labels are shown and written as JSON: bytes that are no UTF-8 would break that later.
    if (ValidUtf8(line) != line) return malformed(line_number, "not valid UTF-8");
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
    auto code = ParseCpv(e.code8);
    for (auto lang : {Language::kItalian, Language::kEnglish}) {
      auto label = [&](const Entry& of) {
        return lang == Language::kItalian ? of.label_it : of.label_en;
      };
      std::vector<std::string> ancestors;
      for (int level = 1; level < code->level; ++level) {
        std::string prefix = e.code8.substr(0, static_cast<size_t>(level) + 1);
        const Entry* parent = labels.Find(prefix + std::string(8 - prefix.size(), '0'));
        if (!parent) continue;
        auto terms = analyzer.Terms(label(*parent), lang);
        ancestors.insert(ancestors.end(), terms.begin(), terms.end());
      }
      x.index[static_cast<int>(lang)].Add({analyzer.Terms(label(e), lang), ancestors});
    }
  }
  for (Bm25Index& index : x.index) index.Finish();
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
  // A short query says little about its language ("cleaning services" has no stop word): it
  // is read both ways, each against its language's labels, and a code keeps its better share.
  std::unordered_map<int, double> best;
  for (auto lang : {Language::kItalian, Language::kEnglish}) {
    std::vector<std::pair<std::string, float>> query;
    for (std::string& term : analyzer.Terms(text, lang)) query.emplace_back(std::move(term), 1.0f);
    std::sort(query.begin(), query.end());
    query.erase(std::unique(query.begin(), query.end()), query.end());
    const Bm25Index& index = impl_->index[static_cast<int>(lang)];
    const double bound = index.UpperBound(query);
    if (bound <= 0) continue;
    for (auto [doc, score] : index.TopKWeighted(query, k)) {
      double& share = best[doc];
      share = std::max(share, score / bound);
    }
  }
  std::vector<std::pair<int, double>> ranked(best.begin(), best.end());
  // Best first; on a tie the code first in the list, as TopKWeighted orders them.
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::vector<Suggestion> out;
  for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < k; ++i) {
    out.push_back({impl_->entries[static_cast<size_t>(ranked[i].first)].code8, ranked[i].second});
  }
  return out;
}

}  // namespace incontra::scoring
