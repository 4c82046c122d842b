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
//   NameGrams character 4-grams of the query's words against the candidate's name: names
//           appear in titles truncated, glued or inflected ("Cance" / "CANCEDDA", "Video
//           Type" / "Videotype", "falegname" / "FALEGNAMERIA"); BM25 over the grams, bounded;
//   BestPhrase  word pairs (stop words kept, numbers as their shape) of the query against each
//           single offer, the best offer counting: one earlier contract written like this
//           one (same template, same phrase) says more than scattered words; bounded;
//   Context how much more the candidate's supply text reads like the asker's own texts (a
//           buyer's other needs) than like any other asker's: a multinomial model per asker,
//           Dirichlet-smoothed, average log-likelihood per word, minus the best other asker's.
//           Its words are the matching terms plus word pairs as in BestPhrase, which carry the
//           buyer's way of writing. Suppliers are local and are described in their buyers'
//           words; this finds them.
// Each component comes dense (one score per candidate) or sparse (the candidates a query
// reaches, or the posting lists to walk), so callers combine components and take the top k
// exactly; nothing is quadratic in memory.
//
// Thread-safety: immutable after construction; every const function may be called from any
// number of threads. Each thread keeps memory of its own across calls: its stemmers, what it
// learnt of a query word's grams (bounded), and for Contexts::Scores a vector the size of the
// context vocabulary; it holds it until it works with another Scorer or ends.
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
  double name_weight = 2.0, description_weight = 1.0, offers_weight = 1.0, seeks_weight = 1.0;
  double offers_b = 0.65;     // length normalisation of the offers field
  double label_weight = 0.5;  // CPV label words, when labels are given
  double context_smoothing = 100000;  // Dirichlet prior mass of the background language model
  // Name grams and word pairs in more than this share of their documents are left out of a
  // query: "serv" or "servizio di" say nothing about one supplier, and their long posting
  // lists would make every query touch most candidates.
  double common_share = 0.005;
  // Words in more than this share of the candidates do not bring a candidate into a need's
  // ranking by themselves ("servizio", "fornitura"); they still add to its score.
  double common_word_share = 0.05;
  // A query word weighs x (its adaptation / the mean adaptation)^this, where its adaptation is
  // the chance that a candidate with the word in one offer has it in another too (Church's
  // adaptation: "pianoforte" recurs in a piano dealer's offers, "giugno" or "aggiudicata"
  // name one contract and do not). 0 turns it off.
  double adaptation = 0.5;
  int threads = 2;
};

// A query, analysed: weighted terms and parsed codes.
struct Query {
  // Distinct; weight = occurrences, times the term's adaptation weight when made by Analyze.
  std::vector<std::pair<std::string, float>> terms;
  std::vector<CpvCode> cpv;
  std::unordered_map<std::string, std::string> words;  // term -> the first word it came from
  // Set by Analyze, aligned with `terms`: each term's id in the candidates' supply index, -1
  // where it has none. Empty otherwise, and then the terms are looked up by their text. Valid
  // only for the Scorer that made the query, and only while `terms` keep their order and
  // number (weights may change): clear it before adding, removing or reordering terms.
  std::vector<int> term_ids;
  // The name grams and word pairs (BestPhrase) as (id in their index, occurrences): only those
  // the index has and in no more than `common_share` of its documents.
  std::vector<std::pair<int, float>> grams, phrases;
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
  // Each term's id in the candidates' supply index (as Query::term_ids), -1 where it has none.
  std::vector<int> SupplyIds(const std::vector<std::string>& terms) const;

  // Dense scores: fill out[0, size()).
  void Text(Side side, const Query& query, float* out) const;
  // Text accumulated sparsely: out must be zeros where the query reaches; each candidate it
  // reaches gets its score added and is appended to *touched (once per call).
  void Text(Side side, const Query& query, float* out, std::vector<int>* touched) const;
  void Cpv(Side side, const Query& query, float* out) const;

  // Sparse scores, for ranking at scale, where a query must not cost a pass over every
  // candidate: the candidates a query reaches, each once, with its score (> 0), in no order.
  using Reached = std::vector<std::pair<int, float>>;
  void Cpv(Side side, const Query& query, Reached* reached) const;
  // Supply side only, in [0, 1) (see the top of this file).
  void BestPhrase(const Query& query, Reached* reached) const;
  // Text's supply side and NameGrams as posting lists, for rankers that accumulate them into
  // their own layout: summed over a query's
  // lists, scale x weight per candidate is its Text (specific and common words together) or
  // NameGrams score. Specific words are in at most `common_word_share` of the candidates (or
  // 100), common ones in more. The lists point into the Scorer and live as long as it.
  struct TermList {
    const int* candidates = nullptr;  // ascending
    const float* weights = nullptr;
    int size = 0;
    float scale = 0;
  };
  std::vector<TermList> WordLists(const Query& query, bool common) const;
  std::vector<TermList> GramLists(const Query& query) const;
  // Pseudo-relevance feedback: what some candidates (a query's best, say) supply, as posting
  // lists over all. A word weighs its share of each candidate's own texts (offers and
  // description, as the context reads them) times the candidate's weight, times its idf; the
  // n heaviest count, the query's own left out, among the words that tell a supplier: in at
  // most `common_share` of the candidates (or 100), as name grams and word pairs, and in two
  // at least (a word of one candidate alone moves nobody else). Each candidate offers its 32
  // heaviest. `from` is (candidate, weight > 0). Summed over the lists, scale x weight per
  // candidate is in [0, 1). The lists point into the Scorer and live as long as it.
  std::vector<TermList> FeedbackLists(const Query& query,
                                      const std::vector<std::pair<int, float>>& from,
                                      size_t n) const;
  // The candidates a query's own text names, ascending: their name has identifying words
  // (each in the texts of at most `common_share` of the candidates, or of one alone: not "srl",
  // not "manutenzione") and the text has them all. A code's label words name nobody.
  void Named(const Query& query, std::vector<int>* out) const;

  // For each candidate (distinct), the words of the query terms that weigh most in its side,
  // most first (ties in the query's term order), at most n each.
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
  // What a context model reads of some texts (one need of an asker, say): their matching
  // terms in order, repeats kept, and their word pairs. Analysed once, a need's ContextText
  // serves its asker's model and the asker's usual words alike.
  struct ContextText {
    std::vector<std::string> terms, pairs;
  };
  ContextText AnalyzeContext(const std::vector<std::string>& texts) const;
  // The same as BuildContexts(asker_texts), each asker given by the ContextTexts of its texts
  // (pointers valid for the call): asker a's words are those of all of askers[a].
  Contexts BuildContexts(const std::vector<std::vector<const ContextText*>>& askers) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace incontra::scoring
