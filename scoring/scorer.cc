#include "scoring/scorer.h"

#include <Eigen/SparseCore>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "scoring/bm25.h"
#include "scoring/internal/vocabulary.h"
#include "scoring/parallel.h"
#include "scoring/text.h"

namespace incontra::scoring {
namespace {

// A text's matching terms. Numbers in procurement texts are years, amounts, protocol and
// tender ids: they name one contract, never a kind of supply, so they only add noise to
// matching. With `surface`, the word of each term is appended to it. With `plain`, it
// receives the text's plain tokens, Tokenize(Fold(text, true)), which name grams and word
// pairs read: for ASCII text those are the analyzer's own tokens, not made a second time.
std::vector<std::string> MatchTerms(Analyzer& analyzer, const std::string& text,
                                    std::vector<std::string>* surface = nullptr,
                                    std::vector<std::string>* plain = nullptr) {
  std::vector<std::string> words, tokens;
  std::vector<std::string> terms =
      analyzer.Terms(text, std::nullopt, surface ? &words : nullptr, plain ? &tokens : nullptr);
  size_t kept = 0;
  for (size_t k = 0; k < terms.size(); ++k) {
    if (HasDigit(terms[k])) continue;
    if (kept != k) terms[kept] = std::move(terms[k]);
    if (surface) surface->push_back(std::move(words[k]));
    ++kept;
  }
  terms.resize(kept);
  if (plain) *plain = IsAscii(text) ? std::move(tokens) : Tokenize(Fold(text, true));
  return terms;
}

bool IsStop(const std::string& token) {
  return IsStopWord(token, Language::kItalian) || IsStopWord(token, Language::kEnglish);
}

// Character 4-grams of a word (folded, accents stripped, not stemmed), marked at both ends;
// none for words under three letters and stop words. Each gram is given to `take` as a view,
// valid for the call.
template <typename Take>
void ForEachWordGram(const std::string& word, Take take) {
  constexpr size_t kGram = 4;
  if (word.size() < 3 || IsStop(word)) return;
  const std::string marked = "_" + word + "_";
  const std::string_view m(marked);
  if (m.size() <= kGram) {
    take(m);
    return;
  }
  for (size_t k = 0; k + kGram <= m.size(); ++k) take(m.substr(k, kGram));
}

// The name grams of a text: those of its plain tokens (see MatchTerms).
template <typename Take>
void ForEachNameGram(const std::vector<std::string>& plain, Take take) {
  for (const std::string& w : plain) ForEachWordGram(w, take);
}

std::vector<std::string> NameGramTerms(const std::vector<std::string>& plain) {
  std::vector<std::string> out;
  ForEachNameGram(plain, [&](std::string_view g) { out.emplace_back(g); });
  return out;
}

// Adjacent word pairs of a text's plain tokens (stop words kept, but not a pair of two), a
// number standing for its shape ("n.5300008" -> "n #ddddddd"): how a text is written, not
// only what it names. Each pair is given to `take` as a view, valid for the call.
template <typename Take>
void ForEachPhrase(std::vector<std::string> plain, Take take) {
  for (std::string& w : plain) {
    if (!HasDigit(w)) continue;
    std::string shape = "#";
    for (char c : w) shape.push_back(c >= '0' && c <= '9' ? 'd' : 'a');
    w = std::move(shape);
  }
  // A pair of function words ("per la", "of the") names nothing anyone supplies. In a small
  // event no document frequency is high enough to call it common, and it matched texts with
  // nothing else in common ("arredi per la scuola", "pulizie per la casa").
  std::string pair;
  for (size_t k = 0; k + 1 < plain.size(); ++k) {
    if (IsStop(plain[k]) && IsStop(plain[k + 1])) continue;
    pair.assign(plain[k]).append(" ").append(plain[k + 1]);
    take(std::string_view(pair));
  }
}

void AppendPhrases(std::vector<std::string> plain, std::vector<std::string>* out) {
  ForEachPhrase(std::move(plain), [&](std::string_view p) { out->emplace_back(p); });
}

// Word pairs in one buffer: most pairs are longer than a std::string holds inline, and a text
// has dozens, each to be allocated and freed.
class Pairs {
 public:
  // Appends the word pairs of a text's plain tokens (ForEachPhrase).
  void Add(std::vector<std::string> plain) {
    ForEachPhrase(std::move(plain), [&](std::string_view p) {
      chars_.append(p);
      ends_.push_back(chars_.size());
    });
  }
  // Every pair added, as views valid while the Pairs lives unchanged.
  std::vector<std::string_view> All() const {
    std::vector<std::string_view> out;
    out.reserve(ends_.size());
    for (size_t k = 0; k < ends_.size(); ++k) {
      const size_t start = k ? ends_[k - 1] : 0;
      out.push_back(std::string_view(chars_).substr(start, ends_[k] - start));
    }
    return out;
  }
  void Clear() {
    chars_.clear();
    ends_.clear();
  }

 private:
  std::string chars_;
  std::vector<size_t> ends_;  // pair k is chars_[ends_[k - 1], ends_[k]), from 0
};

// The matching terms of some texts in order; with `words`, each term's first word; with
// `phrases`, their word pairs appended.
std::vector<std::string> Concat(Analyzer& analyzer, const std::vector<std::string>& texts,
                                std::unordered_map<std::string, std::string>* words = nullptr,
                                std::vector<std::string>* phrases = nullptr) {
  std::vector<std::string> out, surface, plain;
  for (const std::string& t : texts) {
    surface.clear();
    std::vector<std::string> terms =
        MatchTerms(analyzer, t, words ? &surface : nullptr, phrases ? &plain : nullptr);
    for (size_t k = 0; k < terms.size(); ++k) {
      if (words) words->emplace(terms[k], surface[k]);
      out.push_back(std::move(terms[k]));
    }
    if (phrases) AppendPhrases(std::move(plain), phrases);
  }
  return out;
}

// A worker's own numbering of the terms and word pairs it analysed: candidates keep these small
// ids instead of strings, and each index turns them into its ids through a Translation.
struct Numbering {
  internal::Vocabulary terms, pairs;
};

// One index's ids for the ids of every worker's Numbering: a string is looked up in the index
// the first time a worker's id comes, and from then on the id is a table entry. `intern` gives
// the index's id of a string, adding it when new, so an index numbers its terms in the order
// it first meets them, as if it had been given the strings.
class Translation {
 public:
  explicit Translation(size_t workers) : to_(workers) {}
  template <typename Intern>
  void Append(const internal::Vocabulary& from, size_t worker, std::span<const int> ids,
              Intern intern, std::vector<int>* out) {
    std::vector<int>& to = to_[worker];
    const auto words = static_cast<size_t>(from.size());
    if (to.size() < words) to.resize(words, -1);
    for (const int id : ids) {
      int& mine = to[static_cast<size_t>(id)];
      if (mine < 0) mine = intern(from.word(id));
      out->push_back(mine);
    }
  }

 private:
  std::vector<std::vector<int>> to_;  // per worker: its id -> the index's, -1 before the first
};

// A term is common when in more than this many documents; in a small event nothing is.
double CommonLimit(const Bm25Index& index, double share) {
  constexpr double kMinCommon = 100;
  return std::max(kMinCommon, share * index.documents());
}

// The id in `index` of terms[k], -1 when it has none: ids[k] when `ids` are aligned with the
// terms (Query::term_ids, for the supply index only), else looked up.
int IdAt(const Bm25Index& index, const std::vector<std::pair<std::string, float>>& terms,
         const std::vector<int>& ids, size_t k) {
  return ids.size() == terms.size() ? ids[k] : index.TermId(terms[k].first);
}

// The terms an index has, as (id, weight) in their order (ids as IdAt takes them).
using Known = std::vector<std::pair<int, float>>;
Known KnownTerms(const Bm25Index& index, const std::vector<std::pair<std::string, float>>& terms,
                 const std::vector<int>& ids = {}) {
  Known out;
  out.reserve(terms.size());
  for (size_t k = 0; k < terms.size(); ++k) {
    if (const int id = IdAt(index, terms, ids, k); id >= 0) out.emplace_back(id, terms[k].second);
  }
  return out;
}

// The ids to give KnownTerms for a query's terms against a side's index.
const std::vector<int>& IdsFor(Side side, const Query& query) {
  static const std::vector<int> none;
  return side == Side::kSupply ? query.term_ids : none;
}

// The known terms in more (common) or no more (specific) than `share` of the index's documents.
Known ByFrequency(const Bm25Index& index, const Known& terms, double share, bool common) {
  const double limit = CommonLimit(index, share);
  Known out;
  for (const auto& t : terms) {
    if ((index.DocumentFrequency(t.first) > limit) == common) out.push_back(t);
  }
  return out;
}

std::vector<CpvCode> ParseCodes(const std::vector<std::string>& codes) {
  std::vector<CpvCode> out;
  for (const std::string& c : codes) {
    if (auto code = ParseCpv(c); code.ok()) out.push_back(*code);
  }
  return out;
}

// How many of its words tell what a candidate supplies, for feedback: enough for the few
// that a query's best candidates share, few enough to keep for every candidate.
constexpr size_t kTellingWords = 32;

// Heavier first, ties to the lower id: a choice that does not depend on the order of a list.
bool Heavier(const std::pair<int, float>& a, const std::pair<int, float>& b) {
  return a.second != b.second ? a.second > b.second : a.first < b.first;
}

// Prior mass (in occurrences) of the mean adaptation in a word's estimate: a word in a few
// offers says little about how it recurs.
constexpr double kAdaptationPrior = 20;

// Distinct items (terms or ids) in order, each with its number of occurrences.
template <typename T>
std::vector<std::pair<T, float>> Counted(std::vector<T> items) {
  std::sort(items.begin(), items.end());
  std::vector<std::pair<T, float>> out;
  for (T& t : items) {
    if (!out.empty() && out.back().first == t) {
      out.back().second += 1.0f;
    } else {
      out.emplace_back(std::move(t), 1.0f);
    }
  }
  return out;
}

// Church's adaptation of the supply words, counted candidate by candidate as they are
// indexed: over the candidates with two distinct offers or more (an offer repeated word for
// word would make every word recur; one without terms says nothing), for each offer with a
// word, the share of the candidate's other offers that have it too.
class Adaptation {
 public:
  // One candidate's offers, offer_terms[o] terms each, as their supply ids in order.
  void Count(const int* ids, const std::vector<int>& offer_terms) {
    if (offer_terms.size() < 2) return;
    distinct_.clear();
    for (int size : offer_terms) {
      std::vector<int> offer(ids, ids + size);
      ids += size;
      std::sort(offer.begin(), offer.end());
      offer.erase(std::unique(offer.begin(), offer.end()), offer.end());
      if (!offer.empty()) distinct_.push_back(std::move(offer));
    }
    std::sort(distinct_.begin(), distinct_.end());
    distinct_.erase(std::unique(distinct_.begin(), distinct_.end()), distinct_.end());
    const size_t offers = distinct_.size();
    if (offers < 2) return;
    for (const std::vector<int>& offer : distinct_) {
      for (int id : offer) {
        const auto t = static_cast<size_t>(id);
        if (t >= in_offers_.size()) {
          in_offers_.resize(t + 1, 0);
          seen_.resize(t + 1, 0);
          again_.resize(t + 1, 0);
        }
        if (in_offers_[t]++ == 0) used_.push_back(id);
      }
    }
    for (int id : used_) {
      const auto t = static_cast<size_t>(id);
      const double k = in_offers_[t];
      seen_[t] += k;
      again_[t] += k * (k - 1) / static_cast<double>(offers - 1);
      in_offers_[t] = 0;
    }
    used_.clear();
  }

  // Per term id in [0, terms): x (p / mean)^power, p the word's adaptation drawn towards the
  // mean over all words by kAdaptationPrior occurrences; all 1 when no word ever recurs.
  std::vector<float> Weights(size_t terms, double power) const {
    std::vector<float> out(terms, 1.0f);
    double all_again = 0, all_seen = 0;
    for (size_t t = 0; t < seen_.size(); ++t) all_again += again_[t], all_seen += seen_[t];
    if (all_again <= 0) return out;
    const double mean = all_again / all_seen;
    for (size_t t = 0; t < terms; ++t) {
      const double again = t < again_.size() ? again_[t] : 0;
      const double seen = t < seen_.size() ? seen_[t] : 0;
      const double p = (again + kAdaptationPrior * mean) / (seen + kAdaptationPrior);
      out[t] = static_cast<float>(std::pow(p / mean, power));
    }
    return out;
  }

 private:
  std::vector<double> again_, seen_;  // per term id
  std::vector<int> in_offers_, used_;
  std::vector<std::vector<int>> distinct_;  // a candidate's offers as sorted term ids
};

// Per side: each candidate's codes, and postings by division for the codes' similarity.
struct CodeSide {
  std::vector<std::vector<CpvCode>> codes;
  std::unordered_map<std::string, std::vector<std::pair<int, int>>> by_division;
};

}  // namespace

struct Scorer::Impl {
  ScorerOptions options;
  const CpvLabels* labels = nullptr;
  size_t n = 0;
  Bm25Index supply, demand;
  Bm25Index names;                   // per candidate: its name's character grams
  Bm25Index offers;                  // per single offer: its word pairs
  std::vector<int> offer_candidate;  // offer document -> candidate
  CodeSide supply_codes, demand_codes;
  std::vector<bool> supply_text, demand_text;  // whether a side has any term
  // Context: candidates x supply words, each row the word frequencies divided by the row's
  // length, in compressed row-major arrays kept as they were built (an Eigen matrix would copy
  // them) and seen as a matrix through Frequencies(); the background probability of each word
  // (one per context word: the matrix's columns).
  std::vector<int> row_start{0}, row_words;
  std::vector<float> row_values;
  std::vector<double> background;
  internal::Vocabulary context_words;
  // Per candidate, the words that tell what it supplies (FeedbackLists): its own words, in
  // two candidates at least and at most `common_share` of them, each as (supply id, its share
  // of the candidate's context words x its idf), the kTellingWords heaviest; compressed,
  // candidate i's are telling[telling_start[i], telling_start[i + 1]).
  std::vector<int> telling_start{0};
  std::vector<std::pair<int, float>> telling;
  // Names' distinctive words: per candidate how many its name has; per supply term id, the
  // candidates whose name has it (compressed: named_start[id] to named_start[id + 1]).
  std::vector<int> name_words, named_start, named;
  // Per supply term id: the query weight from its adaptation (all 1 when off).
  std::vector<float> adaptation;

  Impl(const ScorerOptions& o)
      : options(o),
        supply({{"name", o.name_weight, 0.5},
                {"description", o.description_weight, 0.75},
                {"offers", o.offers_weight, o.offers_b},
                {"labels", o.label_weight, 0.75}},
               o.k1),
        demand({{"seeks", o.seeks_weight, 0.75}, {"labels", o.label_weight, 0.75}}, o.k1),
        names({{"grams", 1.0, 0.5}}, o.k1),
        offers({{"phrases", 1.0, 0.75}}, o.k1) {}

  const Bm25Index& Index(Side side) const { return side == Side::kSupply ? supply : demand; }
  Eigen::Map<const Eigen::SparseMatrix<float, Eigen::RowMajor, int>> Frequencies() const {
    return {static_cast<Eigen::Index>(n),
            static_cast<Eigen::Index>(background.size()),
            static_cast<Eigen::Index>(row_words.size()),
            row_start.data(),
            row_words.data(),
            row_values.data()};
  }

  // Unique per Scorer built, for what threads remember about one (KnownGrams).
  const uint64_t generation = [] {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1);
  }();

  // The ids of a word's name grams in `names` (ForEachWordGram), those it has in no more than
  // `common_share` of the names (the only ones a query keeps, Query::grams). Queries repeat
  // their words: each thread remembers a word's grams for this Scorer, up to a bound, and
  // looks them up in the large gram index once. It remembers for one Scorer at a time: a
  // thread that switches between Scorers (a server's events) starts afresh at each switch,
  // and keeps what it remembered (at most kMaxWords words) until then.
  const std::vector<int>& KnownGrams(const std::string& word) const {
    struct Memory {
      uint64_t generation = 0;
      internal::Vocabulary words;
      std::vector<std::vector<int>> grams;  // per word id
    };
    constexpr int kMaxWords = 1 << 18;
    thread_local Memory memory;
    if (memory.generation != generation || memory.words.size() >= kMaxWords) {
      memory = Memory{};
      memory.generation = generation;
    }
    const auto [id, fresh] = memory.words.Add(word);
    if (fresh) {
      std::vector<int>& known = memory.grams.emplace_back();
      const double limit = CommonLimit(names, options.common_share);
      ForEachWordGram(word, [&](std::string_view g) {
        const int gram = names.TermId(g);
        if (gram >= 0 && names.DocumentFrequency(gram) <= limit) known.push_back(gram);
      });
    }
    return memory.grams[static_cast<size_t>(id)];
  }
  const CodeSide& Codes(Side side) const {
    return side == Side::kSupply ? supply_codes : demand_codes;
  }

  // The terms of the codes' labels; with `surface`, the word of each term is appended to it.
  std::vector<std::string> LabelTerms(Analyzer& analyzer, const std::vector<std::string>& codes,
                                      std::vector<std::string>* surface = nullptr) {
    std::vector<std::string> out;
    if (!labels) return out;
    for (const std::string& c : codes) {
      auto terms = MatchTerms(analyzer, labels->LabelText(c), surface);
      out.insert(out.end(), terms.begin(), terms.end());
    }
    return out;
  }
};

struct Scorer::Contexts::Impl {
  const Scorer::Impl* scorer = nullptr;
  // Per asker, its model's weights over the context words it uses, (word, weight) by word:
  // an asker uses a few thousand of the words, and a dense vector each (every word, most of
  // them 0) cost askers x words floats.
  std::vector<std::vector<std::pair<int, float>>> weights;
  std::vector<float> constant;  // per asker: log(mu / (N + mu))
  std::vector<float> best;      // per candidate: best log-likelihood over askers

  // This thread's vector over the context words, all zeros between uses (each use leaves it
  // so): asker weights are counted and spread in it. Made afresh for a vocabulary of another
  // size.
  static Eigen::VectorXf& Dense(size_t words) {
    thread_local Eigen::VectorXf dense;
    if (dense.size() != static_cast<Eigen::Index>(words)) {
      dense = Eigen::VectorXf::Zero(static_cast<Eigen::Index>(words));
    }
    return dense;
  }

  // Every candidate's log-likelihood (without the constant) under a model with these weights,
  // into ll: the candidates' frequencies times the weights spread into this thread's Dense(),
  // which is left all zeros.
  void LogLikelihood(const std::vector<std::pair<int, float>>& w, Eigen::VectorXf* ll) const {
    Eigen::VectorXf& dense = Dense(scorer->background.size());
    struct Clear {  // on every way out, exceptions included
      const std::vector<std::pair<int, float>>& w;
      Eigen::VectorXf& dense;
      ~Clear() {
        for (const auto& [word, weight] : w) dense[word] = 0.0f;
      }
    } clear{w, dense};
    for (const auto& [word, weight] : w) dense[word] = weight;
    *ll = scorer->Frequencies() * dense;
  }
};

Scorer::Scorer(const std::vector<Profile>& candidates, const CpvLabels* labels,
               ScorerOptions options)
    : impl_(std::make_unique<Impl>(options)) {
  Impl& x = *impl_;
  x.labels = labels;
  x.n = candidates.size();
  // Analysis is independent per candidate: spread it over threads, each with its own
  // stemmers and its own Numbering of the terms and word pairs it meets. Indexing below runs
  // as a few independent tasks, each turning those numbers into its index's ids (Translation):
  // a string is looked up in an index once per thread, not once per occurrence.
  struct Analysed {
    size_t worker = 0;  // whose Numbering the ids below are in
    std::vector<int> name, description, offers, supply_labels, seeks, demand_labels;  // terms
    std::vector<std::string> grams;
    std::vector<int> pairs;         // word pairs: a group per offer, then the description's
    std::vector<size_t> pair_ends;  // group g is pairs[pair_ends[g - 1], pair_ends[g]), from 0
    std::vector<int> offer_terms;   // per offer, its number of terms in `offers`
  };
  std::vector<Analysed> analysed(x.n);
  const size_t workers = static_cast<size_t>(std::max(1, options.threads));
  std::vector<std::unique_ptr<Analyzer>> analyzers;
  for (size_t t = 0; t < workers; ++t) analyzers.push_back(std::make_unique<Analyzer>());
  std::vector<Numbering> numbering(workers);
  // Profiles differ in length (a few offers or hundreds): threads take 256 at a time.
  ParallelChunks(x.n, options.threads, 256, [&](size_t i, size_t worker) {
    Analyzer& a = *analyzers[worker];
    Numbering& number = numbering[worker];
    const Profile& p = candidates[i];
    Analysed& out = analysed[i];
    out.worker = worker;
    auto terms_to = [&](const std::vector<std::string>& terms, std::vector<int>* ids) {
      const size_t from = ids->size();
      ids->resize(from + terms.size());
      number.terms.AddAll(terms, ids->data() + from);
    };
    thread_local Pairs text_pairs;  // one text's, numbered all at once
    auto pairs_of = [&](std::vector<std::string> plain) {
      text_pairs.Clear();
      text_pairs.Add(std::move(plain));
      const std::vector<std::string_view> views = text_pairs.All();
      const size_t from = out.pairs.size();
      out.pairs.resize(from + views.size());
      number.pairs.AddAll(views, out.pairs.data() + from);
      out.pair_ends.push_back(out.pairs.size());
    };
    std::vector<std::string> plain;
    terms_to(MatchTerms(a, p.name, nullptr, &plain), &out.name);
    out.grams = NameGramTerms(plain);
    for (const std::string& o : p.offers) {
      const std::vector<std::string> terms = MatchTerms(a, o, nullptr, &plain);
      out.offer_terms.push_back(static_cast<int>(terms.size()));
      terms_to(terms, &out.offers);
      pairs_of(std::move(plain));
    }
    terms_to(MatchTerms(a, p.description, nullptr, &plain), &out.description);
    pairs_of(std::move(plain));
    terms_to(x.LabelTerms(a, p.supply_cpv), &out.supply_labels);
    terms_to(Concat(a, p.seeks), &out.seeks);
    terms_to(x.LabelTerms(a, p.demand_cpv), &out.demand_labels);
  });
  // Indexing: four independent tasks (word indexes and codes, name grams, offers' word pairs,
  // the context model) shared by the threads; each structure is written by one task only.
  auto words_and_codes = [&] {
    // The supply ids of each candidate's name words, and the adaptation counts of its offers,
    // from the ids its document is added with.
    Adaptation adaptation;
    std::vector<std::vector<int>> name_ids(x.n);
    Translation to_supply(workers), to_demand(workers);
    auto supply_id = [&](std::string_view t) { return x.supply.Intern(t); };
    auto demand_id = [&](std::string_view t) { return x.demand.Intern(t); };
    std::vector<int> ids;
    // Each field's ids appended to `ids` through `to`; its span in `fields`.
    auto add_fields = [&](Translation& to, const internal::Vocabulary& from, size_t worker,
                          auto intern, std::initializer_list<const std::vector<int>*> parts,
                          std::vector<std::span<const int>>* fields) {
      ids.clear();
      std::vector<size_t> ends;
      for (const std::vector<int>* part : parts) {
        to.Append(from, worker, *part, intern, &ids);
        ends.push_back(ids.size());
      }
      fields->clear();
      for (size_t f = 0; f < ends.size(); ++f) {
        const size_t begin = f ? ends[f - 1] : 0;
        fields->push_back(std::span<const int>(ids).subspan(begin, ends[f] - begin));
      }
    };
    std::vector<std::span<const int>> fields;
    for (size_t i = 0; i < x.n; ++i) {
      const Analysed& a = analysed[i];
      const internal::Vocabulary& terms = numbering[a.worker].terms;
      add_fields(to_supply, terms, a.worker, supply_id,
                 {&a.name, &a.description, &a.offers, &a.supply_labels}, &fields);
      x.supply.AddIds(fields);
      name_ids[i].assign(ids.begin(), ids.begin() + static_cast<long>(a.name.size()));
      if (options.adaptation > 0) {
        adaptation.Count(ids.data() + a.name.size() + a.description.size(), a.offer_terms);
      }
      add_fields(to_demand, terms, a.worker, demand_id, {&a.seeks, &a.demand_labels}, &fields);
      x.demand.AddIds(fields);
      x.supply_text.push_back(!a.name.empty() || !a.description.empty() || !a.offers.empty() ||
                              !a.supply_labels.empty());
      x.demand_text.push_back(!a.seeks.empty() || !a.demand_labels.empty());
      for (Side side : {Side::kSupply, Side::kDemand}) {
        CodeSide& cs = side == Side::kSupply ? x.supply_codes : x.demand_codes;
        cs.codes.push_back(ParseCodes(side == Side::kSupply ? candidates[i].supply_cpv
                                                            : candidates[i].demand_cpv));
        for (size_t c = 0; c < cs.codes.back().size(); ++c) {
          cs.by_division[cs.codes.back()[c].digits.substr(0, 2)].emplace_back(static_cast<int>(i),
                                                                              static_cast<int>(c));
        }
      }
    }
    x.supply.Finish();
    x.demand.Finish();
    x.adaptation = adaptation.Weights(static_cast<size_t>(x.supply.terms()), options.adaptation);
    // A name's identifying words: those in the texts of at most `common_share` of the
    // candidates (and of one alone in a small event). "Manutenzioni srl" has none: a need about
    // maintenance does not name it.
    const double limit = std::max(1.0, options.common_share * static_cast<double>(x.n));
    std::vector<std::pair<int, int>> by_word;  // (term id, candidate)
    x.name_words.assign(x.n, 0);
    for (size_t i = 0; i < x.n; ++i) {
      std::vector<int>& ids = name_ids[i];
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      for (int id : ids) {
        if (x.supply.DocumentFrequency(id) > limit) continue;
        by_word.emplace_back(id, static_cast<int>(i));
        ++x.name_words[i];
      }
    }
    std::sort(by_word.begin(), by_word.end());
    x.named_start.assign(static_cast<size_t>(x.supply.terms()) + 1, 0);
    for (const auto& [id, candidate] : by_word) {
      ++x.named_start[static_cast<size_t>(id) + 1];
      x.named.push_back(candidate);
    }
    for (size_t t = 1; t < x.named_start.size(); ++t) x.named_start[t] += x.named_start[t - 1];
  };
  // The context model reads what a candidate's own texts say it supplies (ContextTerms of
  // its offers and description, from the parts already analysed): one row of frequencies
  // per candidate, built directly as compressed row-major arrays.
  std::vector<double> word_totals;
  double total = 0;
  std::vector<int> context_terms;  // the context ids of words, not pairs
  std::vector<int>& row_start = x.row_start;
  std::vector<int>& row_words = x.row_words;
  std::vector<float>& row_values = x.row_values;
  auto context = [&] {
    Translation to_words(workers), to_pairs(workers);
    auto context_id = [&](std::string_view t) { return x.context_words.Add(t).first; };
    auto context_word_id = [&](std::string_view t) {
      const auto [id, fresh] = x.context_words.Add(t);
      if (fresh) context_terms.push_back(id);
      return id;
    };
    std::vector<int> ids;
    for (size_t i = 0; i < x.n; ++i) {
      const Analysed& a = analysed[i];
      const Numbering& number = numbering[a.worker];
      ids.clear();
      to_words.Append(number.terms, a.worker, a.offers, context_word_id, &ids);
      to_words.Append(number.terms, a.worker, a.description, context_word_id, &ids);
      to_pairs.Append(number.pairs, a.worker, a.pairs, context_id, &ids);
      word_totals.resize(static_cast<size_t>(x.context_words.size()), 0);
      for (const int id : ids) word_totals[static_cast<size_t>(id)] += 1;
      total += static_cast<double>(ids.size());
      if (ids.empty()) {  // no text of its own: an empty row
        row_start.push_back(static_cast<int>(row_words.size()));
        continue;
      }
      const float share = static_cast<float>(1.0 / static_cast<double>(ids.size()));
      std::sort(ids.begin(), ids.end());
      for (size_t k = 0; k < ids.size();) {
        float frequency = 0;  // summed share by share, as a sum of duplicate entries would be
        const int word = ids[k];
        for (; k < ids.size() && ids[k] == word; ++k) frequency += share;
        row_words.push_back(word);
        row_values.push_back(frequency);
      }
      row_start.push_back(static_cast<int>(row_words.size()));
    }
  };
  auto pairs = [&] {
    Translation to_offers(workers);
    auto offers_id = [&](std::string_view t) { return x.offers.Intern(t); };
    std::vector<int> ids;
    for (size_t i = 0; i < x.n; ++i) {
      const Analysed& a = analysed[i];
      for (size_t g = 0; g + 1 < a.pair_ends.size(); ++g) {  // the last group: the description's
        const size_t begin = g ? a.pair_ends[g - 1] : 0;
        ids.clear();
        to_offers.Append(numbering[a.worker].pairs, a.worker,
                         std::span<const int>(a.pairs).subspan(begin, a.pair_ends[g] - begin),
                         offers_id, &ids);
        const std::span<const int> field[] = {ids};
        x.offers.AddIds(field);
        x.offer_candidate.push_back(static_cast<int>(i));
      }
    }
    x.offers.Finish();
  };
  auto grams = [&] {
    for (size_t i = 0; i < x.n; ++i) x.names.Add({analysed[i].grams});
    x.names.Finish();
  };
  // Costliest first, so that the last task to start is a short one.
  const std::function<void()> tasks[] = {context, pairs, words_and_codes, grams};
  ParallelQueue(std::size(tasks), options.threads, [&](size_t t, size_t) { tasks[t](); });
  // Millions of small blocks: freed on every thread.
  ParallelFor(x.n, options.threads, [&](size_t i, size_t) { analysed[i] = Analysed{}; });
  analysed.clear();
  analysed.shrink_to_fit();
  numbering.clear();
  // Each candidate's telling words, from its context row (its own words, counted) by supply
  // id; the pairs, most of the context words, have none.
  {
    std::vector<std::string_view> views(context_terms.size());
    for (size_t k = 0; k < context_terms.size(); ++k) {
      views[k] = x.context_words.word(context_terms[k]);
    }
    std::vector<int> ids(context_terms.size());
    x.supply.TermIds(views, ids.data());
    std::vector<int> supply_id(static_cast<size_t>(x.context_words.size()), -1);
    for (size_t k = 0; k < context_terms.size(); ++k) {
      supply_id[static_cast<size_t>(context_terms[k])] = ids[k];
    }
    const double limit = CommonLimit(x.supply, options.common_share);
    std::vector<std::vector<std::pair<int, float>>> words(x.n);
    ParallelChunks(x.n, options.threads, 256, [&](size_t i, size_t) {
      std::vector<std::pair<int, float>>& mine = words[i];
      for (int k = x.row_start[i]; k < x.row_start[i + 1]; ++k) {
        const int id = supply_id[static_cast<size_t>(x.row_words[static_cast<size_t>(k)])];
        if (id < 0) continue;
        const int df = x.supply.DocumentFrequency(id);
        if (df < 2 || df > limit) continue;
        mine.emplace_back(id, x.row_values[static_cast<size_t>(k)] * x.supply.Idf(id));
      }
      if (mine.size() > kTellingWords) {
        std::nth_element(mine.begin(), mine.begin() + static_cast<long>(kTellingWords), mine.end(),
                         Heavier);
        mine.resize(kTellingWords);
      }
    });
    for (const auto& mine : words) {
      x.telling.insert(x.telling.end(), mine.begin(), mine.end());
      x.telling_start.push_back(static_cast<int>(x.telling.size()));
    }
  }
  x.background.resize(word_totals.size());
  for (size_t w = 0; w < word_totals.size(); ++w) x.background[w] = word_totals[w] / total;
}

Scorer::~Scorer() = default;
Scorer::Scorer(Scorer&&) noexcept = default;

size_t Scorer::size() const { return impl_->n; }

Query Scorer::Analyze(const std::vector<std::string>& texts,
                      const std::vector<std::string>& cpv) const {
  thread_local Analyzer analyzer;
  Query q;
  // Grams come from what the thread remembers of its words (KnownGrams); pairs and terms are
  // looked up all at once, so their memory waits overlap. Only the known ones are counted,
  // by id.
  thread_local std::vector<int> grams, phrases;
  thread_local Pairs pairs;
  grams.clear();
  pairs.Clear();
  std::vector<std::string> terms, surface, plain;
  for (const std::string& t : texts) {
    surface.clear();
    std::vector<std::string> text_terms = MatchTerms(analyzer, t, &surface, &plain);
    for (size_t k = 0; k < text_terms.size(); ++k) {
      q.words.emplace(text_terms[k], surface[k]);
      terms.push_back(std::move(text_terms[k]));
    }
    for (const std::string& w : plain) {
      const std::vector<int>& known = impl_->KnownGrams(w);
      grams.insert(grams.end(), known.begin(), known.end());
    }
    pairs.Add(std::move(plain));
  }
  {
    const std::vector<std::string_view> views = pairs.All();
    phrases.resize(views.size());
    impl_->offers.TermIds(views, phrases.data());
    phrases.erase(std::remove(phrases.begin(), phrases.end(), -1), phrases.end());
  }
  // A label's words are shown as the label writes them, where the text has not given the
  // term a word of its own.
  surface.clear();
  std::vector<std::string> labels = impl_->LabelTerms(analyzer, cpv, &surface);
  for (size_t k = 0; k < labels.size(); ++k) {
    q.words.emplace(labels[k], std::move(surface[k]));
    terms.push_back(std::move(labels[k]));
  }
  q.terms = Counted(std::move(terms));
  {
    std::vector<std::string_view> views;
    views.reserve(q.terms.size());
    for (const auto& t : q.terms) views.push_back(t.first);
    q.term_ids.resize(q.terms.size());
    impl_->supply.TermIds(views, q.term_ids.data());
  }
  for (size_t k = 0; k < q.terms.size(); ++k) {
    if (const int id = q.term_ids[k]; id >= 0) {
      q.terms[k].second *= impl_->adaptation[static_cast<size_t>(id)];
    }
  }
  q.grams = Counted(grams);  // KnownGrams left the common ones out
  q.phrases = ByFrequency(impl_->offers, Counted(phrases), impl_->options.common_share, false);
  q.cpv = ParseCodes(cpv);
  return q;
}

std::vector<int> Scorer::SupplyIds(const std::vector<std::string>& terms) const {
  const std::vector<std::string_view> views(terms.begin(), terms.end());
  std::vector<int> ids(terms.size());
  impl_->supply.TermIds(views, ids.data());
  return ids;
}

bool Scorer::HasSide(size_t i, Side side) const {
  const auto& has_text = side == Side::kSupply ? impl_->supply_text : impl_->demand_text;
  return has_text[i] || !impl_->Codes(side).codes[i].empty();
}

namespace {

// A thread's dense scratch for sparse scores: all zeros between calls. Every write to `value`
// is listed in `reached` first, so a call cut short by an exception leaves nothing behind
// that the next Reset does not clear.
struct Sparse {
  std::vector<float> value;
  std::vector<int> reached;  // where value may be non-zero, possibly more than once

  float* Reset(size_t n) {
    for (int i : reached) value[static_cast<size_t>(i)] = 0.0f;
    reached.clear();
    value.resize(n, 0.0f);
    return value.data();
  }
  // Lists each candidate with a non-zero value once, and zeroes the scratch again.
  void Emit(Scorer::Reached* out) {
    out->clear();
    for (int i : reached) {
      float& v = value[static_cast<size_t>(i)];
      if (v == 0.0f) continue;  // a repeat, already listed
      out->emplace_back(i, v);
      v = 0.0f;
    }
  }
};

// Per query code, the candidates' best similarity among their codes, averaged over the
// query's codes; added into out, each candidate that was 0 appended to *touched if given.
void CpvInto(const CodeSide& cs, const std::vector<CpvCode>& query, float* out,
             std::vector<int>* touched) {
  if (query.empty()) return;
  const float share = 1.0f / static_cast<float>(query.size());
  for (const CpvCode& q : query) {
    auto it = cs.by_division.find(q.digits.substr(0, 2));
    if (it == cs.by_division.end()) continue;
    const auto& list = it->second;  // a candidate's codes are adjacent: it was added at once
    for (size_t k = 0; k < list.size();) {
      const int candidate = list[k].first;
      float best = 0.0f;
      for (; k < list.size() && list[k].first == candidate; ++k) {
        const auto& codes = cs.codes[static_cast<size_t>(candidate)];
        best = std::max(best, static_cast<float>(
                                  CpvSimilarity(q, codes[static_cast<size_t>(list[k].second)])));
      }
      if (best <= 0.0f) continue;
      float& o = out[candidate];
      if (touched && o == 0.0f) touched->push_back(candidate);
      o = std::min(o + best * share, 1.0f);  // an average: float sums of many shares pass 1
    }
  }
}

}  // namespace

void Scorer::Text(Side side, const Query& query, float* out) const {
  Text(side, query, out, nullptr);
}

// With touched == nullptr, Bm25Index::Scores fills every candidate: the dense form.
void Scorer::Text(Side side, const Query& query, float* out, std::vector<int>* touched) const {
  const Bm25Index& index = impl_->Index(side);
  const Known known = KnownTerms(index, query.terms, IdsFor(side, query));
  const double bound = index.UpperBound(known);
  if (bound <= 0) {
    if (!touched) std::fill(out, out + impl_->n, 0.0f);
    return;
  }
  index.Scores(known, static_cast<float>(1.0 / bound), out, touched);
}

namespace {

std::vector<Scorer::TermList> Lists(const Bm25Index& index, const Known& terms, double bound) {
  std::vector<Scorer::TermList> out;
  if (bound <= 0) return out;
  for (const auto& [id, weight] : terms) {
    const Bm25Index::Postings p = index.Posting(id);
    const float scale = weight * static_cast<float>(1.0 / bound);  // as Bm25Index::Scores
    out.push_back({p.documents, p.weights, p.size, scale});
  }
  return out;
}

}  // namespace

std::vector<Scorer::TermList> Scorer::WordLists(const Query& query, bool common) const {
  const Bm25Index& supply = impl_->supply;
  const Known known = KnownTerms(supply, query.terms, query.term_ids);
  return Lists(supply, ByFrequency(supply, known, impl_->options.common_word_share, common),
               supply.UpperBound(known));
}

void Scorer::Named(const Query& query, std::vector<int>* out) const {
  const Impl& x = *impl_;
  out->clear();
  for (size_t k = 0; k < query.terms.size(); ++k) {
    if (!query.words.count(query.terms[k].first)) continue;  // a code's label words name nobody
    const int id = IdAt(x.supply, query.terms, query.term_ids, k);
    if (id < 0) continue;
    const auto begin = x.named.begin() + x.named_start[static_cast<size_t>(id)];
    out->insert(out->end(), begin, x.named.begin() + x.named_start[static_cast<size_t>(id) + 1]);
  }
  // A query's terms are distinct: a candidate appears once per word of its name found.
  std::sort(out->begin(), out->end());
  size_t kept = 0;
  for (size_t k = 0; k < out->size();) {
    const int candidate = (*out)[k];
    size_t end = k;
    while (end < out->size() && (*out)[end] == candidate) ++end;
    if (static_cast<int>(end - k) == x.name_words[static_cast<size_t>(candidate)]) {
      (*out)[kept++] = candidate;
    }
    k = end;
  }
  out->resize(kept);
}

std::vector<Scorer::TermList> Scorer::FeedbackLists(const Query& query,
                                                    const std::vector<std::pair<int, float>>& from,
                                                    size_t n) const {
  const Impl& x = *impl_;
  thread_local Sparse sum;  // per supply term
  float* weight = sum.Reset(static_cast<size_t>(x.supply.terms()));
  for (const auto& [candidate, w] : from) {
    const auto i = static_cast<size_t>(candidate);
    for (int k = x.telling_start[i]; k < x.telling_start[i + 1]; ++k) {
      const auto [id, value] = x.telling[static_cast<size_t>(k)];
      sum.reached.push_back(id);
      weight[id] += w * value;
    }
  }
  thread_local Reached words;
  sum.Emit(&words);
  const Known asked = KnownTerms(x.supply, query.terms, query.term_ids);
  std::erase_if(words, [&](const std::pair<int, float>& word) {
    return std::any_of(asked.begin(), asked.end(),
                       [&](const std::pair<int, float>& t) { return t.first == word.first; });
  });
  if (words.size() > n) {
    std::nth_element(words.begin(), words.begin() + static_cast<long>(n), words.end(), Heavier);
    words.resize(n);
  }
  std::sort(words.begin(), words.end(), Heavier);
  return Lists(x.supply, words, x.supply.UpperBound(words));
}

std::vector<Scorer::TermList> Scorer::GramLists(const Query& query) const {
  return Lists(impl_->names, query.grams, impl_->names.UpperBound(query.grams));
}

void Scorer::BestPhrase(const Query& query, Reached* reached) const {
  const Impl& x = *impl_;
  reached->clear();
  const double bound = x.offers.UpperBound(query.phrases);
  if (bound <= 0) return;
  thread_local Sparse per_offer, best;
  x.offers.Scores(query.phrases, static_cast<float>(1.0 / bound),
                  per_offer.Reset(x.offer_candidate.size()), &per_offer.reached);
  float* out = best.Reset(x.n);
  for (int d : per_offer.reached) {
    const int candidate = x.offer_candidate[static_cast<size_t>(d)];
    if (out[candidate] == 0.0f) best.reached.push_back(candidate);
    float& offer = per_offer.value[static_cast<size_t>(d)];
    out[candidate] = std::max(out[candidate], offer);
    offer = 0.0f;
  }
  best.Emit(reached);
}

void Scorer::Cpv(Side side, const Query& query, float* out) const {
  std::fill(out, out + impl_->n, 0.0f);
  CpvInto(impl_->Codes(side), query.cpv, out, nullptr);
}

void Scorer::Cpv(Side side, const Query& query, Reached* reached) const {
  thread_local Sparse scratch;
  CpvInto(impl_->Codes(side), query.cpv, scratch.Reset(impl_->n), &scratch.reached);
  scratch.Emit(reached);
}

std::vector<std::vector<std::string>> Scorer::DrivingTerms(Side side, const Query& query,
                                                           const std::vector<size_t>& candidates,
                                                           size_t n) const {
  const Bm25Index& index = impl_->Index(side);
  // The query's terms the index knows, each with the word it shows (its first surface word).
  struct Shown {
    int id;
    float weight;
    const std::string* word;
  };
  std::vector<Shown> known;
  const std::vector<int>& ids = IdsFor(side, query);
  for (size_t k = 0; k < query.terms.size(); ++k) {
    const auto& [term, weight] = query.terms[k];
    const int id = IdAt(index, query.terms, ids, k);
    if (id < 0) continue;
    auto word = query.words.find(term);
    known.push_back({id, weight, word == query.words.end() ? &term : &word->second});
  }
  // (candidate's place, weight x query weight, place in `known`) of the query terms each
  // candidate has, in one list.
  struct Found {
    int k;
    float w;
    int t;
  };
  thread_local std::vector<Found> found, by_candidate;
  found.clear();
  thread_local std::vector<int> slot;  // candidate -> its place + 1; all 0 between calls
  slot.resize(impl_->n, 0);
  struct Clear {  // on every way out, exceptions included
    const std::vector<size_t>& candidates;
    ~Clear() {
      for (size_t i : candidates) slot[i] = 0;
    }
  } clear{candidates};
  for (size_t k = 0; k < candidates.size(); ++k) slot[candidates[k]] = static_cast<int>(k) + 1;
  // Per term, the cheaper way: a walk over its posting list, or for a long list (a common
  // word) a binary search in it per candidate, which costs about as much as walking this many.
  constexpr size_t kSearchCost = 16;
  for (size_t t = 0; t < known.size(); ++t) {
    const Bm25Index::Postings p = index.Posting(known[t].id);
    // A field weighted 0 stores zeros: they drive nothing.
    if (static_cast<size_t>(p.size) > kSearchCost * candidates.size()) {
      for (size_t k = 0; k < candidates.size(); ++k) {
        const float w =
            index.Weight(static_cast<int>(candidates[k]), known[t].id) * known[t].weight;
        if (w > 0) found.push_back({static_cast<int>(k), w, static_cast<int>(t)});
      }
      continue;
    }
    for (int j = 0; j < p.size; ++j) {
      const int k = slot[static_cast<size_t>(p.documents[j])];
      if (const float w = p.weights[j] * known[t].weight; k > 0 && w > 0) {
        found.push_back({k - 1, w, static_cast<int>(t)});
      }
    }
  }
  // By candidate (counted into place), then each candidate's heaviest first, ties in the
  // query's term order.
  std::vector<size_t> start(candidates.size() + 1, 0);
  for (const Found& f : found) ++start[static_cast<size_t>(f.k) + 1];
  for (size_t k = 1; k < start.size(); ++k) start[k] += start[k - 1];
  by_candidate.resize(found.size());
  {
    std::vector<size_t> at(start.begin(), start.end() - 1);
    for (const Found& f : found) by_candidate[at[static_cast<size_t>(f.k)]++] = f;
  }
  for (size_t k = 0; k < candidates.size(); ++k) {
    std::sort(by_candidate.begin() + static_cast<long>(start[k]),
              by_candidate.begin() + static_cast<long>(start[k + 1]),
              [](const Found& a, const Found& b) { return a.w != b.w ? a.w > b.w : a.t < b.t; });
  }
  std::vector<std::vector<std::string>> out(candidates.size());
  for (size_t k = 0; k < candidates.size(); ++k) {
    std::vector<std::string>& words = out[k];
    words.reserve(std::min(n, start[k + 1] - start[k]));
    for (size_t f = start[k]; f < start[k + 1] && words.size() < n; ++f) {
      const std::string& w = *known[static_cast<size_t>(by_candidate[f].t)].word;
      if (std::find(words.begin(), words.end(), w) == words.end()) words.push_back(w);
    }
  }
  return out;
}

std::vector<Scorer::CodeMatch> Scorer::DrivingCodes(Side side, const Query& query, size_t i,
                                                    size_t n) const {
  std::vector<CodeMatch> out;
  for (const CpvCode& q : query.cpv) {
    const CpvCode* best = nullptr;
    double best_s = 0;
    for (const CpvCode& c : impl_->Codes(side).codes[i]) {
      double s = CpvSimilarity(q, c);
      if (s > best_s) best_s = s, best = &c;
    }
    if (best) out.push_back({q.digits, best->digits, best_s});
  }
  std::stable_sort(out.begin(), out.end(), [](const CodeMatch& a, const CodeMatch& b) {
    return a.similarity > b.similarity;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

Scorer::ContextText Scorer::AnalyzeContext(const std::vector<std::string>& texts) const {
  thread_local Analyzer analyzer;
  ContextText out;
  out.terms = Concat(analyzer, texts, nullptr, &out.pairs);
  return out;
}

Scorer::Contexts Scorer::BuildContexts(
    const std::vector<std::vector<std::string>>& asker_texts) const {
  std::vector<ContextText> texts(asker_texts.size());
  ParallelQueue(asker_texts.size(), impl_->options.threads,
                [&](size_t a, size_t) { texts[a] = AnalyzeContext(asker_texts[a]); });
  std::vector<std::vector<const ContextText*>> askers;
  for (const ContextText& t : texts) askers.push_back({&t});
  return BuildContexts(askers);
}

Scorer::Contexts Scorer::BuildContexts(
    const std::vector<std::vector<const ContextText*>>& askers) const {
  const Impl& x = *impl_;
  auto impl = std::make_shared<Contexts::Impl>();
  impl->scorer = impl_.get();
  const double mu = x.options.context_smoothing;
  const size_t vocabulary = x.background.size();
  // Per asker, on every thread, the askers with the most words first (so the last to start is
  // a small one): its model's weights over the context words, then its likelihoods, one sparse
  // product; each thread keeps the best over the askers it did.
  impl->weights.resize(askers.size());
  impl->constant.resize(askers.size());
  std::vector<size_t> size(askers.size(), 0), order(askers.size());
  for (size_t a = 0; a < askers.size(); ++a) {
    for (const ContextText* t : askers[a]) size[a] += t->terms.size() + t->pairs.size();
  }
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return size[a] > size[b]; });
  const size_t workers = static_cast<size_t>(std::max(1, x.options.threads));
  std::vector<std::vector<float>> best(
      workers, std::vector<float>(x.n, -std::numeric_limits<float>::infinity()));
  ParallelQueue(askers.size(), x.options.threads, [&](size_t k, size_t worker) {
    const size_t a = order[k];
    // The asker's words that candidates also use; a word no candidate uses changes every
    // candidate's likelihood alike, through the constant. Counted in the thread's vector.
    Eigen::VectorXf& w = Contexts::Impl::Dense(vocabulary);
    std::vector<int> used;
    auto count = [&](const std::vector<std::string>& words) {
      for (const std::string& t : words) {
        if (const int id = x.context_words.Find(t); id >= 0) {
          if (w[id] == 0.0f) used.push_back(id);
          w[id] += 1.0f;
        }
      }
    };
    for (const ContextText* t : askers[a]) {
      count(t->terms);
      count(t->pairs);
    }
    std::sort(used.begin(), used.end());
    std::vector<std::pair<int, float>>& weights = impl->weights[a];
    weights.reserve(used.size());
    for (int v : used) {
      weights.emplace_back(
          v, static_cast<float>(std::log1p(w[v] / (mu * x.background[static_cast<size_t>(v)]))));
      w[v] = 0.0f;
    }
    impl->constant[a] = static_cast<float>(std::log(mu / (static_cast<double>(size[a]) + mu)));
    Eigen::VectorXf ll;
    impl->LogLikelihood(weights, &ll);
    std::vector<float>& b = best[worker];
    for (size_t i = 0; i < x.n; ++i) {
      b[i] = std::max(b[i], ll[static_cast<Eigen::Index>(i)] + impl->constant[a]);
    }
  });
  impl->best = std::move(best[0]);
  for (size_t w = 1; w < workers; ++w) {
    for (size_t i = 0; i < x.n; ++i) impl->best[i] = std::max(impl->best[i], best[w][i]);
  }
  Contexts contexts;
  contexts.impl_ = std::move(impl);
  return contexts;
}

size_t Scorer::Contexts::askers() const { return impl_ ? impl_->weights.size() : 0; }

void Scorer::Contexts::Scores(size_t asker, float* out) const {
  const Scorer::Impl& x = *impl_->scorer;
  Eigen::VectorXf ll;
  impl_->LogLikelihood(impl_->weights[asker], &ll);
  for (size_t i = 0; i < x.n; ++i) {
    // A candidate with no text of its own reads like nobody: no context.
    bool has_text = x.row_start[i + 1] > x.row_start[i];
    out[i] = has_text ? ll[static_cast<Eigen::Index>(i)] + impl_->constant[asker] - impl_->best[i]
                      : 0.0f;
  }
}

}  // namespace incontra::scoring
