// The matching scorer: how well what one profile looks for fits what another offers, from
// text, CPV codes and the asker's context, for every candidate at once.
//
// Candidates are indexed once, each with two sides:
//   supply: name, description, offers, the labels of its supply codes (what it can deliver);
//   demand: seeks, the labels of its demand codes (what it looks for).
// A query is analysed once (Analyze) and scored against one side of every candidate:
//   Text    BM25F (k1, field weights, length normalisation) divided by the query's upper
//           bound, so a score is in [0, 1) and comparable across queries;
//   Cpv     for each query code the best CpvSimilarity with the candidate's codes, averaged;
//   Context how much more the candidate's supply text reads like the asker's own texts (a
//           buyer's other needs) than like any other asker's: a multinomial model per asker,
//           Dirichlet-smoothed, average log-likelihood per word, minus the best other asker's.
//           Suppliers are local and are described in their buyers' words; this finds them.
// Every function fills a dense vector with one score per candidate, so callers combine
// components and take the top k exactly; nothing is quadratic in memory.
//
// Thread-safety: immutable after construction; every const function may be called from any
// number of threads (each thread analyses with its own stemmers).
//
// Usage:
//   Scorer scorer(candidates, /*labels=*/nullptr);
//   auto query = scorer.Analyze({"manutenzione del verde"}, {"77310000"});
//   std::vector<float> text(scorer.size());
//   scorer.Text(Side::kSupply, query, text.data());
#pragma once

#include <memory>
#include <unordered_map>
#include <string>
#include <vector>

#include "scoring/cpv.h"
#include "scoring/cpv_labels.h"

namespace incontra::scoring {

struct Profile {
  std::string name, description;
  std::vector<std::string> offers, seeks;
  std::vector<std::string> supply_cpv, demand_cpv;  // 8-digit codes
};

enum class Side { kSupply, kDemand };

struct ScorerOptions {
  double k1 = 0.8;
  double name_weight = 1.0, description_weight = 1.0, offers_weight = 1.0, seeks_weight = 1.0;
  double label_weight = 0.5;  // CPV label words, when labels are given
  double context_smoothing = 8000;  // Dirichlet prior mass of the background language model
  int threads = 2;
};

// A query, analysed: weighted terms and parsed codes.
struct Query {
  std::vector<std::pair<std::string, float>> terms;  // distinct, weight = occurrences
  std::vector<CpvCode> cpv;
  std::unordered_map<std::string, std::string> words;  // term -> the first word it came from
};

class Scorer {
 public:
  // `labels` may be null; when given it must outlive the Scorer.
  Scorer(const std::vector<Profile>& candidates, const CpvLabels* labels,
         ScorerOptions options = {});
  ~Scorer();
  Scorer(Scorer&&) noexcept;

  size_t size() const;

  // Texts and codes to a query; invalid codes are skipped (codecs reject them earlier).
  Query Analyze(const std::vector<std::string>& texts, const std::vector<std::string>& cpv) const;
  bool HasSide(size_t i, Side side) const;  // any text or code on that side

  // Fill out[0, size()).
  void Text(Side side, const Query& query, float* out) const;
  void Cpv(Side side, const Query& query, float* out) const;

  // For each candidate, the words of the query terms that weigh most in its side, most first,
  // at most n each.
  std::vector<std::vector<std::string>> DrivingTerms(Side side, const Query& query,
                                                     const std::vector<size_t>& candidates,
                                                     size_t n) const;
  // Shared codes, best first: (query code, candidate code, similarity), at most n.
  struct CodeMatch {
    std::string query_code, candidate_code;
    double similarity;
  };
  std::vector<CodeMatch> DrivingCodes(Side side, const Query& query, size_t i, size_t n) const;

  // Context models for a set of askers (each given by its texts). Scores for asker a are the
  // log-likelihood per word of a candidate's supply text under a's model minus the best over
  // all askers: 0 for the asker it reads most like, negative otherwise; with one asker, all
  // zero. The Contexts refer to this Scorer and must not outlive it.
  class Contexts {
   public:
    size_t askers() const;
    void Scores(size_t asker, float* out) const;

   private:
    friend class Scorer;
    struct Impl;
    std::shared_ptr<const Impl> impl_;
  };
  Contexts BuildContexts(const std::vector<std::vector<std::string>>& asker_texts) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace incontra::scoring
