#include "scoring/bm25.h"

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace incontra::scoring {

struct Bm25Index::Impl {
  std::vector<FieldSpec> fields;
  double k1;
  std::unordered_map<std::string, int> term_ids;
  // While building: per document, per field, (term, count) and the field's length.
  struct Pending {
    std::vector<std::vector<std::pair<int, int>>> counts;
    std::vector<int> lengths;
  };
  std::vector<Pending> pending;
  // After Finish: documents x terms, column-major, so a column is a term's posting list.
  Eigen::SparseMatrix<float, Eigen::ColMajor, int> weights;
  std::vector<float> idf;  // per term
  bool finished = false;
};

Bm25Index::Bm25Index(std::vector<FieldSpec> fields, double k1) : impl_(std::make_unique<Impl>()) {
  impl_->fields = std::move(fields);
  impl_->k1 = k1;
}
Bm25Index::~Bm25Index() = default;
Bm25Index::Bm25Index(Bm25Index&&) noexcept = default;
Bm25Index& Bm25Index::operator=(Bm25Index&&) noexcept = default;

int Bm25Index::Add(const std::vector<std::vector<std::string>>& fields) {
  Impl::Pending doc;
  doc.counts.resize(impl_->fields.size());
  doc.lengths.assign(impl_->fields.size(), 0);
  for (size_t f = 0; f < impl_->fields.size() && f < fields.size(); ++f) {
    std::unordered_map<int, int> counts;
    for (const std::string& term : fields[f]) {
      auto [it, fresh] = impl_->term_ids.emplace(term, static_cast<int>(impl_->term_ids.size()));
      ++counts[it->second];
    }
    doc.lengths[f] = static_cast<int>(fields[f].size());
    doc.counts[f].assign(counts.begin(), counts.end());
  }
  impl_->pending.push_back(std::move(doc));
  return static_cast<int>(impl_->pending.size()) - 1;
}

void Bm25Index::Finish() {
  Impl& x = *impl_;
  const size_t n = x.pending.size(), nf = x.fields.size();
  std::vector<double> average(nf, 0.0);
  for (const auto& doc : x.pending) {
    for (size_t f = 0; f < nf; ++f) average[f] += doc.lengths[f];
  }
  for (double& a : average) a = n ? std::max(a / static_cast<double>(n), 1e-9) : 1.0;
  // Document frequency per term, then BM25F weights per (document, term).
  std::vector<int> df(x.term_ids.size(), 0);
  std::vector<Eigen::Triplet<float, int>> triplets;
  std::unordered_map<int, double> tf;
  for (size_t d = 0; d < n; ++d) {
    tf.clear();
    const auto& doc = x.pending[d];
    for (size_t f = 0; f < nf; ++f) {
      const FieldSpec& spec = x.fields[f];
      double norm = 1.0 - spec.b + spec.b * doc.lengths[f] / average[f];
      for (auto [term, count] : doc.counts[f]) tf[term] += spec.weight * count / norm;
    }
    for (auto [term, value] : tf) {
      ++df[term];
      triplets.emplace_back(static_cast<int>(d), term,
                            static_cast<float>(value * (x.k1 + 1.0) / (value + x.k1)));
    }
  }
  x.idf.resize(df.size());
  for (size_t t = 0; t < df.size(); ++t) {
    x.idf[t] = static_cast<float>(std::log(1.0 + (n - df[t] + 0.5) / (df[t] + 0.5)));
  }
  for (auto& t : triplets) {
    t = Eigen::Triplet<float, int>(t.row(), t.col(), t.value() * x.idf[static_cast<size_t>(t.col())]);
  }
  x.weights.resize(static_cast<int>(n), static_cast<int>(x.term_ids.size()));
  x.weights.setFromTriplets(triplets.begin(), triplets.end());
  x.weights.makeCompressed();
  x.pending.clear();
  x.pending.shrink_to_fit();
  x.finished = true;
}

float Bm25Index::Weight(int doc, int term_id) const {
  return impl_->weights.coeff(doc, term_id);
}

int Bm25Index::documents() const { return static_cast<int>(impl_->weights.rows()); }

float Bm25Index::Weight(int doc, const std::string& term) const {
  auto it = impl_->term_ids.find(term);
  if (it == impl_->term_ids.end()) return 0.0f;
  return impl_->weights.coeff(doc, it->second);
}

std::vector<float> Bm25Index::Scores(
    const std::vector<std::pair<std::string, float>>& query) const {
  std::vector<float> scores(static_cast<size_t>(impl_->weights.rows()));
  Scores(query, 1.0f, scores.data());
  return scores;
}

void Bm25Index::Scores(const std::vector<std::pair<std::string, float>>& query, float scale,
                       float* out, std::vector<int>* touched, const char* only) const {
  const Impl& x = *impl_;
  if (!touched && !only) std::fill(out, out + x.weights.rows(), 0.0f);
  for (const auto& [term, weight] : query) {
    auto it = x.term_ids.find(term);
    if (it == x.term_ids.end()) continue;
    const float w = weight * scale;
    for (Eigen::SparseMatrix<float, Eigen::ColMajor, int>::InnerIterator p(x.weights, it->second);
         p; ++p) {
      if (only && !only[p.row()]) continue;
      float& o = out[p.row()];
      if (touched && !only && o == 0.0f) touched->push_back(p.row());
      o += w * p.value();
    }
  }
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
  double bound = 0;
  for (const auto& [term, weight] : query) {
    if (int id = TermId(term); id >= 0) {
      bound += weight * impl_->idf[static_cast<size_t>(id)] * (impl_->k1 + 1.0);
    }
  }
  return bound;
}

int Bm25Index::TermId(const std::string& term) const {
  auto it = impl_->term_ids.find(term);
  return it == impl_->term_ids.end() ? -1 : it->second;
}

int Bm25Index::DocumentFrequency(const std::string& term) const {
  const int id = TermId(term);
  if (id < 0) return 0;
  return impl_->weights.outerIndexPtr()[id + 1] - impl_->weights.outerIndexPtr()[id];
}

Bm25Index::Postings Bm25Index::Posting(int term_id) const {
  const Impl& x = *impl_;
  const int begin = x.weights.outerIndexPtr()[term_id], end = x.weights.outerIndexPtr()[term_id + 1];
  return {x.weights.innerIndexPtr() + begin, x.weights.valuePtr() + begin, end - begin};
}

int Bm25Index::terms() const { return static_cast<int>(impl_->term_ids.size()); }

}  // namespace incontra::scoring
