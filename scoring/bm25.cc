#include "scoring/bm25.h"

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "scoring/internal/vocabulary.h"

namespace incontra::scoring {

struct Bm25Index::Impl {
  std::vector<FieldSpec> fields;
  double k1;
  internal::Vocabulary term_ids;
  // While building: every document's terms per field, counted, and its fields' lengths.
  struct Entry {
    int term, field, count;
  };
  std::vector<Entry> entries;
  std::vector<size_t> doc_start{0};  // document d's entries are [doc_start[d], doc_start[d + 1])
  std::vector<int> lengths;          // document x field
  std::vector<int> ids;              // Add's scratch
  // After Finish: documents x terms, column-major, so a column is a term's posting list.
  Eigen::SparseMatrix<float, Eigen::ColMajor, int> weights;
  std::vector<float> idf;  // per term
};

Bm25Index::Bm25Index(std::vector<FieldSpec> fields, double k1) : impl_(std::make_unique<Impl>()) {
  impl_->fields = std::move(fields);
  impl_->k1 = k1;
}
Bm25Index::~Bm25Index() = default;
Bm25Index::Bm25Index(Bm25Index&&) noexcept = default;
Bm25Index& Bm25Index::operator=(Bm25Index&&) noexcept = default;

// A document whose field f's term ids resolve(f, &ids) gives: each field's ids counted.
template <typename Resolve>
int Bm25Index::AddDocument(Resolve resolve) {
  Impl& x = *impl_;
  for (size_t f = 0; f < x.fields.size(); ++f) {
    resolve(f, &x.ids);
    std::sort(x.ids.begin(), x.ids.end());
    for (size_t k = 0; k < x.ids.size();) {
      size_t end = k;
      while (end < x.ids.size() && x.ids[end] == x.ids[k]) ++end;
      x.entries.push_back({x.ids[k], static_cast<int>(f), static_cast<int>(end - k)});
      k = end;
    }
    x.lengths.push_back(static_cast<int>(x.ids.size()));
  }
  x.doc_start.push_back(x.entries.size());
  return static_cast<int>(x.doc_start.size()) - 2;
}

int Bm25Index::Add(const std::vector<std::vector<std::string>>& fields) {
  return AddDocument([&](size_t f, std::vector<int>* out) {
    const auto field = f < fields.size() ? std::span<const std::string>(fields[f])
                                         : std::span<const std::string>();
    out->resize(field.size());
    impl_->term_ids.AddAll(field, out->data());
  });
}

int Bm25Index::Intern(std::string_view term) { return impl_->term_ids.Add(term).first; }

int Bm25Index::AddIds(std::span<const std::span<const int>> fields) {
  return AddDocument([&](size_t f, std::vector<int>* out) {
    if (f < fields.size()) {
      out->assign(fields[f].begin(), fields[f].end());
    } else {
      out->clear();
    }
  });
}

void Bm25Index::Finish() {
  Impl& x = *impl_;
  const size_t n = x.doc_start.size() - 1, nf = x.fields.size();
  std::vector<double> average(nf, 0.0);
  for (size_t d = 0; d < n; ++d) {
    for (size_t f = 0; f < nf; ++f) average[f] += x.lengths[d * nf + f];
  }
  for (double& a : average) a = n ? std::max(a / static_cast<double>(n), 1e-9) : 1.0;
  // Per document, each term's BM25F frequency (fields weighted and length-normalised, summed
  // in field order) saturated by k1; the document frequency per term.
  std::vector<int> df(static_cast<size_t>(x.term_ids.size()), 0);
  std::vector<std::pair<int, float>> saturated;
  saturated.reserve(x.entries.size());
  std::vector<size_t> start(n + 1, 0);
  std::vector<std::pair<int, double>> tf;
  for (size_t d = 0; d < n; ++d) {
    tf.clear();
    for (size_t e = x.doc_start[d]; e < x.doc_start[d + 1]; ++e) {
      const Impl::Entry& entry = x.entries[e];
      const FieldSpec& spec = x.fields[static_cast<size_t>(entry.field)];
      const double norm = 1.0 - spec.b + spec.b * x.lengths[d * nf + static_cast<size_t>(entry.field)] /
                                             average[static_cast<size_t>(entry.field)];
      tf.emplace_back(entry.term, spec.weight * entry.count / norm);
    }
    std::stable_sort(tf.begin(), tf.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < tf.size();) {
      double value = tf[k].second;
      size_t end = k + 1;
      for (; end < tf.size() && tf[end].first == tf[k].first; ++end) value += tf[end].second;
      ++df[static_cast<size_t>(tf[k].first)];
      saturated.emplace_back(tf[k].first, static_cast<float>(value * (x.k1 + 1.0) / (value + x.k1)));
      k = end;
    }
    start[d + 1] = saturated.size();
  }
  x.idf.resize(df.size());
  for (size_t t = 0; t < df.size(); ++t) {
    x.idf[t] = static_cast<float>(std::log(1.0 + (n - df[t] + 0.5) / (df[t] + 0.5)));
  }
  // The compressed column-major arrays written in place (columns sized by document frequency,
  // each filled in document order): built beside the matrix and copied in, they cost the
  // postings' memory twice over. resizeNonZeros is Eigen's internal storage API (3.4), the one
  // way to fill a compressed matrix column by column out of order; check it on an upgrade.
  x.entries = {};
  x.weights.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(df.size()));
  x.weights.resizeNonZeros(static_cast<Eigen::Index>(saturated.size()));
  int* const outer = x.weights.outerIndexPtr();
  int* const rows = x.weights.innerIndexPtr();
  float* const values = x.weights.valuePtr();
  outer[0] = 0;
  for (size_t t = 0; t < df.size(); ++t) outer[t + 1] = outer[t] + df[t];
  std::vector<int> next(outer, outer + df.size());
  for (size_t d = 0; d < n; ++d) {
    for (size_t k = start[d]; k < start[d + 1]; ++k) {
      const auto [term, value] = saturated[k];
      const auto at = static_cast<size_t>(next[static_cast<size_t>(term)]++);
      rows[at] = static_cast<int>(d);
      values[at] = value * x.idf[static_cast<size_t>(term)];
    }
  }
  x.doc_start = {0};
  x.lengths = {};
}

float Bm25Index::Weight(int doc, int term_id) const {
  return impl_->weights.coeff(doc, term_id);
}

int Bm25Index::documents() const { return static_cast<int>(impl_->weights.rows()); }

float Bm25Index::Weight(int doc, const std::string& term) const {
  const int id = impl_->term_ids.Find(term);
  return id < 0 ? 0.0f : impl_->weights.coeff(doc, id);
}

std::vector<float> Bm25Index::Scores(
    const std::vector<std::pair<std::string, float>>& query) const {
  std::vector<float> scores(static_cast<size_t>(impl_->weights.rows()));
  Scores(query, 1.0f, scores.data());
  return scores;
}

void Bm25Index::Scores(const std::vector<std::pair<std::string, float>>& query, float scale,
                       float* out, std::vector<int>* touched) const {
  std::vector<std::pair<int, float>> known;
  for (const auto& [term, weight] : query) {
    if (int id = TermId(term); id >= 0) known.emplace_back(id, weight);
  }
  Scores(known, scale, out, touched);
}

void Bm25Index::Scores(const std::vector<std::pair<int, float>>& query, float scale, float* out,
                       std::vector<int>* touched) const {
  const Impl& x = *impl_;
  if (!touched) {
    std::fill(out, out + x.weights.rows(), 0.0f);
    for (const auto& [id, weight] : query) {
      const float w = weight * scale;
      const Postings p = Posting(id);
      for (int k = 0; k < p.size; ++k) out[p.documents[k]] += w * p.weights[k];
    }
    return;
  }
  // Branch-free listing: whether a document was reached before is as good as random, so its
  // slot is written every time and kept only when its score was still 0, as a branch would.
  size_t postings = 0;
  for (const auto& q : query) postings += static_cast<size_t>(Posting(q.first).size);
  size_t at = touched->size();
  touched->resize(at + postings);
  int* list = touched->data();
  for (const auto& [id, weight] : query) {
    const float w = weight * scale;
    const Postings p = Posting(id);
    for (int k = 0; k < p.size; ++k) {
      const int d = p.documents[k];
      float& o = out[d];
      list[at] = d;
      at += o == 0.0f;
      o += w * p.weights[k];
    }
  }
  touched->resize(at);
}

namespace {

std::vector<std::pair<int, float>> Best(const std::vector<float>& scores, int k) {
  std::vector<std::pair<int, float>> hits;
  for (size_t d = 0; d < scores.size(); ++d) {
    if (scores[d] > 0.0f) hits.emplace_back(static_cast<int>(d), scores[d]);
  }
  auto better = [](const std::pair<int, float>& a, const std::pair<int, float>& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  size_t keep = std::min(hits.size(), static_cast<size_t>(std::max(k, 0)));
  std::partial_sort(hits.begin(), hits.begin() + static_cast<long>(keep), hits.end(), better);
  hits.resize(keep);
  return hits;
}

}  // namespace

std::vector<std::pair<int, float>> Bm25Index::TopK(const std::vector<std::string>& query,
                                                   int k) const {
  std::vector<std::pair<std::string, float>> weighted;
  std::unordered_set<std::string> seen;
  for (const std::string& term : query) {
    if (seen.insert(term).second) weighted.emplace_back(term, 1.0f);
  }
  return Best(Scores(weighted), k);
}

std::vector<std::pair<int, float>> Bm25Index::TopKWeighted(
    const std::vector<std::pair<std::string, float>>& query, int k) const {
  return Best(Scores(query), k);
}

double Bm25Index::UpperBound(const std::vector<std::pair<std::string, float>>& query) const {
  std::vector<std::pair<int, float>> known;
  for (const auto& [term, weight] : query) {
    if (int id = TermId(term); id >= 0) known.emplace_back(id, weight);
  }
  return UpperBound(known);
}

double Bm25Index::UpperBound(const std::vector<std::pair<int, float>>& query) const {
  double bound = 0;
  for (const auto& [id, weight] : query) {
    bound += weight * impl_->idf[static_cast<size_t>(id)] * (impl_->k1 + 1.0);
  }
  return bound;
}

void Bm25Index::TermIds(std::span<const std::string_view> terms, int* ids) const {
  impl_->term_ids.FindAll(terms, ids);
}

int Bm25Index::TermId(std::string_view term) const {
  return impl_->term_ids.Find(term);
}

int Bm25Index::DocumentFrequency(const std::string& term) const {
  const int id = TermId(term);
  return id < 0 ? 0 : DocumentFrequency(id);
}

int Bm25Index::DocumentFrequency(int term_id) const {
  return impl_->weights.outerIndexPtr()[term_id + 1] - impl_->weights.outerIndexPtr()[term_id];
}

float Bm25Index::Idf(int term_id) const { return impl_->idf[static_cast<size_t>(term_id)]; }

Bm25Index::Postings Bm25Index::Posting(int term_id) const {
  const Impl& x = *impl_;
  const int begin = x.weights.outerIndexPtr()[term_id], end = x.weights.outerIndexPtr()[term_id + 1];
  return {x.weights.innerIndexPtr() + begin, x.weights.valuePtr() + begin, end - begin};
}

int Bm25Index::terms() const { return impl_->term_ids.size(); }

}  // namespace incontra::scoring
