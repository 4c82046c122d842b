// A BM25F index over documents with weighted fields, and exact top-k retrieval.
//
// Each document is a set of fields (for a participant: name, description, offers, seeks),
// each a list of analysed terms (text.h). A term's weight in a document is BM25F's: field term
// frequencies normalised by field length and weighted, summed, saturated by k1 and scaled by
// the term's inverse document frequency. Weights live in an Eigen sparse matrix with one column
// per term (its posting list), so a query touches only its terms' postings: nothing quadratic.
//
// Thread-safety: build on one thread; after Finish, TopK may be called from any number.
//
// Usage:
//   Bm25Index index({{"name", 0.5, 0.5}, {"offers", 1.0, 0.75}});
//   index.Add({{"acme"}, {"manutenzion", "verd"}});
//   index.Finish();
//   auto best = index.TopK({"verd"}, 10);  // (document, score), best first
#pragma once

#include <memory>
#include <string>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace incontra::scoring {

struct FieldSpec {
  std::string name;
  double weight = 1.0;  // how much a term in this field counts
  double b = 0.75;      // length normalisation, 0 (none) to 1 (full)
};

class Bm25Index {
 public:
  explicit Bm25Index(std::vector<FieldSpec> fields, double k1 = 1.2);
  ~Bm25Index();
  Bm25Index(Bm25Index&&) noexcept;
  Bm25Index& operator=(Bm25Index&&) noexcept;

  // Adds a document: one term list per field, in the order of the specs. Returns its number.
  int Add(const std::vector<std::vector<std::string>>& fields);
  // The id of a term, added when new, for AddIds: a caller that numbers its terms itself
  // interns each once and then adds documents by id, without a lookup per occurrence.
  int Intern(std::string_view term);
  // Adds a document whose fields hold ids from Intern. Returns its number.
  int AddIds(std::span<const std::span<const int>> fields);
  // Computes the weights; Add may not be called afterwards.
  void Finish();

  int documents() const;
  // The weight of `term` in document `doc` (0 when absent), for explanations.
  float Weight(int doc, const std::string& term) const;
  float Weight(int doc, int term_id) const;
  // The k best documents for the query terms (repeats count once), highest score first; ties
  // go to the lower document number. Documents scoring 0 are left out.
  std::vector<std::pair<int, float>> TopK(const std::vector<std::string>& query, int k) const;
  // The same for a weighted query (term, weight); repeated terms add up.
  std::vector<std::pair<int, float>> TopKWeighted(
      const std::vector<std::pair<std::string, float>>& query, int k) const;
  // A bound no document's score reaches: the sum over the query's known terms of
  // weight x idf x (k1 + 1). Scores divided by it fall in [0, 1).
  double UpperBound(const std::vector<std::pair<std::string, float>>& query) const;
  // The same for terms already resolved to ids (term_id, weight), each a valid id.
  double UpperBound(const std::vector<std::pair<int, float>>& query) const;
  // The id of a term, -1 when the index does not have it; ids run from 0 to terms() - 1.
  int TermId(std::string_view term) const;
  // TermId of each term, ids[k] for terms[k]: faster for many at once (their memory waits
  // overlap).
  void TermIds(std::span<const std::string_view> terms, int* ids) const;
  // In how many documents a term occurs (0 when the index does not have it).
  int DocumentFrequency(const std::string& term) const;
  int DocumentFrequency(int term_id) const;  // term_id must be valid
  float Idf(int term_id) const;              // term_id must be valid
  int terms() const;
  // A term's posting list: the documents holding it, ascending, with its weight in each.
  // The pointers stay valid as long as the index.
  struct Postings {
    const int* documents = nullptr;
    const float* weights = nullptr;
    int size = 0;
  };
  Postings Posting(int term_id) const;
  // Every document's score for a weighted query (term, weight): the weighted sum of the
  // terms' weights in the document. Terms not in the index are ignored.
  std::vector<float> Scores(const std::vector<std::pair<std::string, float>>& query) const;
  // The same into out[0, documents()), scaled by `scale`, without allocating. With `touched`,
  // out must be all zeros on entry and is not cleared: only the query's postings are added,
  // and each document that was 0 before is appended to *touched (sparse accumulation).
  void Scores(const std::vector<std::pair<std::string, float>>& query, float scale, float* out,
              std::vector<int>* touched = nullptr) const;
  // The same for terms already resolved to ids (term_id, weight), each a valid id.
  void Scores(const std::vector<std::pair<int, float>>& query, float scale, float* out,
              std::vector<int>* touched = nullptr) const;

 private:
  struct Impl;
  template <typename Resolve>
  int AddDocument(Resolve resolve);  // resolve(f, &ids): field f's ids
  std::unique_ptr<Impl> impl_;
};

}  // namespace incontra::scoring
