#include "engine/matching.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "engine/internal/decimal.h"
#include "scoring/parallel.h"
#include "scoring/scorer.h"

namespace incontra::engine {

using scoring::Query;
using scoring::Scorer;
using scoring::Side;

namespace {

constexpr size_t kWhyTerms = 8;
constexpr size_t kWhyCodes = 5;
// A match only one side can vouch for (the other states nothing it seeks) counts as if the
// silent side's direction were half as good: the geometric mean of x and x/2. So a match
// that fits both ways ranks above an equally good one-way match.
const double kOneWay = std::sqrt(0.5);
// Fewer needs than this say too little about an owner's usual words.
constexpr size_t kMinOwnerNeeds = 20;
// Prior mass (in needs) of the owner's share of all needs, in the estimate of how local a
// word is: a word in one or two other needs says little.
constexpr double kLocalPrior = 5;

std::vector<std::string> Join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A functor rather than a function, so the selection algorithms inline it.
struct Better {
  bool operator()(const std::pair<double, size_t>& a, const std::pair<double, size_t>& b) const {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  }
};

// The k best of the candidates offered (score, then lower index). Offers are collected, and
// cut back to the k best whenever 4k + 64 have gathered: one selection now and then costs less
// than keeping a heap in order all along, and after a cut no offer below the k-th score is
// kept, which for a small k against thousands of candidates is most of them.
class BestK {
 public:
  void Reset(int k) {
    k_ = static_cast<size_t>(std::max(k, 0));
    all_.clear();
    floor_ = k_ > 0 ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  void Offer(double score, size_t i) {
    if (score < floor_) return;  // equal to the floor may still win on a lower index
    all_.emplace_back(score, i);
    if (all_.size() >= 4 * k_ + 64) Cut();
  }
  // The k best as (score, index), in no order; valid until the next Reset or Offer.
  const std::vector<std::pair<double, size_t>>& Kept() {
    Cut();
    return all_;
  }
  // Best first, as matches without a why yet.
  std::vector<Match> Take() {
    Cut();
    std::sort(all_.begin(), all_.end(), Better{});
    std::vector<Match> out(all_.size());
    for (size_t k = 0; k < all_.size(); ++k) {
      out[k].score = all_[k].first;
      out[k].participant = all_[k].second;
    }
    return out;
  }

 private:
  // Keeps the k best; the floor is then the k-th score.
  void Cut() {
    if (all_.size() <= k_) return;
    std::nth_element(all_.begin(), all_.begin() + static_cast<long>(k_), all_.end(), Better{});
    all_.resize(k_);
    floor_ = std::min_element(all_.begin(), all_.end(), [](const auto& a, const auto& b) {
               return a.first < b.first;
             })->first;
  }

  size_t k_ = 0;
  std::vector<std::pair<double, size_t>> all_;
  double floor_ = 0;  // no offer below it can be among the k best any more
};

// The candidates a need's feedback model is made of, as (index, score), best first, from the
// first pass's `kept` (its `capacity` best; m + 1 or more): the m best, and every candidate
// tied with the m-th when the tie is known to end within `kept` (a worse score follows, or
// every candidate with a score was kept), else only those better than the m-th. The model's
// candidates get no feedback of their own, so taking the m first of a tie by index made equal
// candidates score apart by their order in the input (regression).
std::vector<std::pair<int, float>> FeedbackModel(std::vector<std::pair<double, size_t>> kept,
                                                 size_t capacity, size_t m) {
  std::sort(kept.begin(), kept.end(), Better{});
  size_t end = std::min(m, kept.size());
  if (end > 0 && end < kept.size()) {
    const double kth = kept[end - 1].first;
    while (end < kept.size() && kept[end].first == kth) ++end;
    if (end == kept.size() && kept.size() >= capacity) {  // the tie may go on past `kept`
      while (end > 0 && kept[end - 1].first == kth) --end;
    }
  }
  std::vector<std::pair<int, float>> from;
  for (size_t k = 0; k < end; ++k) {
    from.emplace_back(static_cast<int>(kept[k].second), static_cast<float>(kept[k].first));
  }
  return from;
}

}  // namespace

struct Matcher::Impl {
  std::vector<Participant> participants;
  std::vector<Need> needs;
  ScoreWeights weights;
  std::unique_ptr<Scorer> scorer;
  std::unordered_map<std::string, size_t> participant_index;
  // Needs by owner id, for a PA's demand side; the owners with needs, for the contexts.
  std::unordered_map<std::string, std::vector<size_t>> needs_of;
  std::unordered_map<std::string, size_t> asker_of_owner;
  Scorer::Contexts contexts;
  // Per owner (with at least kMinOwnerNeeds needs when only the boilerplate needs it): per term
  // (by its supply id: a term the candidates never use weighs nothing anyway), in how many of
  // its needs it occurs.
  std::unordered_map<std::string, std::unordered_map<int, int>> owner_terms;
  // Over all needs with an owner: per term, in how many it occurs; and how many there are.
  std::unordered_map<int, int> all_owner_terms;
  size_t owned_needs = 0;

  // What the participant looks for: seeks, and for the owner of needs, the needs.
  std::pair<std::vector<std::string>, std::vector<std::string>> Demand(const Participant& p) const {
    std::vector<std::string> texts = p.seeks;
    std::vector<std::string> codes = p.kind == Kind::kPa ? p.cpv : std::vector<std::string>{};
    if (auto it = needs_of.find(p.id); it != needs_of.end()) {
      for (size_t n : it->second) {
        texts.push_back(needs[n].title);
        if (!needs[n].description.empty()) texts.push_back(needs[n].description);
        codes = Join(std::move(codes), needs[n].cpv);
      }
    }
    return {texts, codes};
  }
  // What it offers. The name is left out of a query: it names, it does not describe.
  std::pair<std::vector<std::string>, std::vector<std::string>> Supply(const Participant& p) const {
    std::vector<std::string> texts = p.offers;
    if (!p.description.empty()) texts.push_back(p.description);
    return {texts, p.kind == Kind::kPa ? std::vector<std::string>{} : p.cpv};
  }

  // One direction's score: text, blended with codes when both sides have some.
  double Blend(float text, float cpv, bool codes) const {
    return codes ? (1.0 - weights.cpv) * text + weights.cpv * cpv : text;
  }

  std::vector<size_t> owner_index;  // per need: its owner's participant index, or npos
  std::vector<char> has_codes;         // per participant: any supply code
  std::vector<char> has_demand_codes;  // per participant: any code it looks for
  std::vector<Kind> kinds;           // per participant, packed for the ranking loops
  std::vector<char> has_supply, has_demand;  // per participant: Scorer::HasSide, packed

  // A need's components for one candidate, together: ranking at scale is bound by memory
  // latency, and one cache line then serves every component of a candidate.
  struct Cell {
    float words = 0, grams = 0, phrases = 0, cpv = 0;
  };
  struct Scratch {  // per thread, reused across queries of one kind (needs or participants)
    std::vector<float> parts;  // participant ranking: its five component arrays in one buffer
    std::vector<int> touched;          // participant ranking: the candidates reached
    // Need ranking: components per candidate; the candidates some component reached, marked
    // and listed once (room for every candidate and one more); context and gate (see
    // RankNeed) for the last owner.
    std::vector<Cell> cells;
    std::vector<int> listed;
    std::vector<char> mark;
    std::vector<float> context, gate;
    std::optional<std::string> gate_owner;  // a Scratch serves one call: its options are fixed
    std::vector<int> named;  // the candidates the need names (Scorer::Named)
    scoring::Scorer::Reached reached;
    BestK best;
    BestK model;  // need ranking with a kind filter: the feedback model's candidates
    // Need ranking's feedback per candidate, apart from the cells (most get none, and a fifth
    // float would make cells straddle cache lines): all zeros but for `raised`, the
    // candidates it raised (and the best, cleared).
    std::vector<float> feedback;
    std::vector<int> raised;
    std::vector<std::pair<double, size_t>> kept;  // the k best before feedback
  };

  std::vector<Match> RankNeed(size_t n, const MatchOptions& options, Scratch& s) const;
  std::vector<Match> RankParticipant(size_t self, const MatchOptions& options, Scratch& s) const;
};

Matcher::Matcher() : impl_(std::make_unique<Impl>()) {}
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher::~Matcher() = default;

const std::vector<Participant>& Matcher::participants() const { return impl_->participants; }
const std::vector<Need>& Matcher::needs() const { return impl_->needs; }

Result<Matcher> Matcher::Create(std::vector<Participant> participants, std::vector<Need> needs,
                                const scoring::CpvLabels* labels, ScoreWeights weights,
                                int threads) {
  Matcher m;
  Impl& x = *m.impl_;
  x.participants = std::move(participants);
  x.needs = std::move(needs);
  x.weights = weights;
  for (size_t i = 0; i < x.participants.size(); ++i) {
    if (!x.participant_index.emplace(x.participants[i].id, i).second) {
      return Status::InvalidArgument("match.duplicate_id",
                                     "participants: id '" + x.participants[i].id + "' twice");
    }
  }
  std::unordered_set<std::string> need_ids;
  std::vector<std::vector<size_t>> asker_needs;
  for (size_t n = 0; n < x.needs.size(); ++n) {
    const Need& need = x.needs[n];
    if (!need_ids.insert(need.id).second) {
      return Status::InvalidArgument("match.duplicate_id", "needs: id '" + need.id + "' twice");
    }
    if (need.owner.empty()) continue;
    x.needs_of[need.owner].push_back(n);
    auto [it, fresh] = x.asker_of_owner.emplace(need.owner, asker_needs.size());
    if (fresh) asker_needs.emplace_back();
    asker_needs[it->second].push_back(n);
  }
  std::vector<scoring::Profile> profiles;
  profiles.reserve(x.participants.size());
  for (const Participant& p : x.participants) {
    auto [demand, demand_cpv] = x.Demand(p);
    x.has_codes.push_back(p.kind != Kind::kPa && !p.cpv.empty());
    x.has_demand_codes.push_back(!demand_cpv.empty());
    x.kinds.push_back(p.kind);
    profiles.push_back({p.name, p.description, p.offers, std::move(demand),
                        p.kind == Kind::kPa ? std::vector<std::string>{} : p.cpv,
                        std::move(demand_cpv)});
  }
  for (const Need& need : x.needs) {
    auto it = x.participant_index.find(need.owner);
    x.owner_index.push_back(it == x.participant_index.end() ? static_cast<size_t>(-1) : it->second);
  }
  scoring::ScorerOptions options = weights.scorer;
  options.threads = threads;
  x.scorer = std::make_unique<Scorer>(profiles, labels, options);
  for (size_t i = 0; i < x.participants.size(); ++i) {
    // A name alone says who, not what: without offers, description or codes a participant
    // states no supply, so no direction of a reciprocal match runs towards it (its name still
    // counts in the scores when it does).
    const Participant& p = x.participants[i];
    const bool states_supply = !p.offers.empty() || !p.description.empty() || x.has_codes[i];
    x.has_supply.push_back(states_supply && x.scorer->HasSide(i, Side::kSupply));
    x.has_demand.push_back(x.scorer->HasSide(i, Side::kDemand));
  }
  // Each owned need's text analysed once, on every thread, for its owner's context model and
  // the owner's usual words.
  std::vector<Scorer::ContextText> texts(x.needs.size());
  scoring::ParallelChunks(x.needs.size(), threads, 64, [&](size_t n, size_t) {
    const Need& need = x.needs[n];
    if (!need.owner.empty()) texts[n] = x.scorer->AnalyzeContext({need.title, need.description});
  });
  if (asker_needs.size() >= 2) {
    std::vector<std::vector<const Scorer::ContextText*>> askers(asker_needs.size());
    for (size_t a = 0; a < asker_needs.size(); ++a) {
      for (size_t n : asker_needs[a]) askers[a].push_back(&texts[n]);
    }
    x.contexts = x.scorer->BuildContexts(askers);
  }
  // Per owner, in how many of its needs each term occurs; owners spread over the threads,
  // each filling its own owners' maps.
  std::vector<std::pair<const std::vector<size_t>*, std::unordered_map<int, int>*>> work;
  const bool local = weights.owner_local > 0;
  for (const auto& [owner, list] : x.needs_of) {
    if (!local && (list.size() < kMinOwnerNeeds || weights.owner_boilerplate <= 0)) continue;
    work.emplace_back(&list, &x.owner_terms[owner]);
  }
  scoring::ParallelQueue(work.size(), threads, [&](size_t w, size_t) {
    for (size_t n : *work[w].first) {
      std::vector<int> distinct = x.scorer->SupplyIds(texts[n].terms);
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      for (const int id : distinct) {
        if (id >= 0) ++(*work[w].second)[id];
      }
    }
  });
  if (local) {
    for (const auto& [owner, list] : x.needs_of) {
      x.owned_needs += list.size();
      for (const auto& [id, count] : x.owner_terms[owner]) x.all_owner_terms[id] += count;
    }
  }
  return m;
}

namespace {


std::vector<std::string> CodeWords(const std::vector<Scorer::CodeMatch>& codes) {
  std::vector<std::string> out;
  for (const auto& c : codes) {
    out.push_back(c.query_code == c.candidate_code ? c.query_code
                                                   : c.query_code + " ~ " + c.candidate_code);
  }
  return out;
}

}  // namespace

std::vector<Match> Matcher::Impl::RankNeed(size_t n, const MatchOptions& options,
                                           Scratch& s) const {
  const Need& need = needs[n];
  const size_t size = participants.size();
  Query q = scorer->Analyze({need.title, need.description}, need.cpv);
  if (auto it = owner_terms.find(need.owner); it != owner_terms.end()) {
    const size_t needs_of_owner = needs_of.at(need.owner).size();
    const double others = static_cast<double>(needs_of_owner - 1);
    const bool boilerplate = needs_of_owner >= kMinOwnerNeeds && weights.owner_boilerplate > 0;
    // The owner's share of all needs, and of the other needs with a word (this need is among
    // them: one less each), the latter drawn towards the former by kLocalPrior needs.
    const double share = owned_needs > 0 ? static_cast<double>(needs_of_owner) /
                                                static_cast<double>(owned_needs)
                                          : 1.0;
    for (size_t k = 0; k < q.terms.size(); ++k) {
      const int id = q.term_ids[k];
      float& weight = q.terms[k].second;
      auto count = id < 0 ? it->second.end() : it->second.find(id);
      if (count == it->second.end()) continue;
      if (boilerplate) {
        weight *= static_cast<float>(
            std::exp(-weights.owner_boilerplate * (count->second - 1) / others));
      }
      if (weights.owner_local > 0 && share < 1) {
        const double with_word = all_owner_terms.at(id) - 1;
        const double owner_share = (count->second - 1 + kLocalPrior * share) /
                                   (with_word + kLocalPrior);
        const double excess = std::max(0.0, owner_share - share) / (1 - share);
        weight *= static_cast<float>(std::exp(-weights.owner_local * excess));
      }
    }
  }
  const size_t owner = owner_index[n];
  const bool any_codes = !q.cpv.empty();
  const double words = 1.0 - weights.name_grams - weights.phrases;
  const bool with_context = contexts.askers() > 0 && asker_of_owner.count(need.owner);
  // Whether this need may rank candidate i at all, and whether it is shown: `options.kind`
  // only filters what is shown, so the scores (the feedback model among them) are those of
  // the unfiltered ranking.
  auto ranked = [&](size_t i) { return kinds[i] != Kind::kPa && i != owner; };
  auto shown = [&](size_t i) { return !options.kind || kinds[i] == *options.kind; };
  // Per candidate, what this owner's needs multiply its score by: 0 when they may not rank it
  // (a PA, the owner itself), else the owner's context as a factor (1 without one), times
  // other_buyer for a candidate that reads more like another buyer. The context is a per-word
  // log-likelihood ratio, so exp() maps it to (0, 1]: the score stays a share. Needs come
  // grouped by owner: made once per owner.
  if (s.gate_owner != need.owner) {
    if (with_context) {
      s.context.resize(size);
      contexts.Scores(asker_of_owner.at(need.owner), s.context.data());
    }
    s.gate.resize(size);
    for (size_t i = 0; i < size; ++i) {
      if (!ranked(i) || !with_context) {
        s.gate[i] = ranked(i) ? 1.0f : 0.0f;
        continue;
      }
      const double other = s.context[i] < 0 ? weights.other_buyer : 1.0;
      s.gate[i] = static_cast<float>(std::exp(weights.context * s.context[i]) * other);
    }
    s.gate_owner = need.owner;
  }
  auto is_named = [&](size_t i) {
    return std::binary_search(s.named.begin(), s.named.end(), static_cast<int>(i));
  };
  // A candidate's own text score from its components, its text (with feedback) and score.
  auto own_of = [&](const Cell& c) {
    return words < 1.0 ? static_cast<float>(words * c.words + weights.name_grams * c.grams +
                                            weights.phrases * c.phrases)
                       : c.words;
  };
  auto text_of = [&](float own, float feedback) {
    return static_cast<float>((1.0 - weights.feedback) * own + weights.feedback * feedback);
  };
  auto score_of = [&](size_t i, float text) {
    const bool codes = any_codes && has_codes[i];
    const double score = Blend(text, codes ? s.cells[i].cpv : 0.0f, codes);
    // A need that names the candidate has said who supplies it: its context is moot.
    // (The gate cannot tell it whether the candidate may be ranked: a context factor can
    // underflow to 0 too.)
    if (with_context && is_named(i)) return ranked(i) ? score : 0.0;
    return score * s.gate[i];
  };
  if (with_context) scorer->Named(q, &s.named);
  // Sparse accumulation: only candidates some component reaches are touched (marked and
  // listed once: listed[0, reached)), then zeroed. Listing is branch-free: whether a
  // candidate was reached before is as good as random, and a mispredicted branch per posting
  // cost more than writing the list slot every time.
  s.cells.resize(size);
  s.mark.resize(size, 0);
  s.listed.resize(size + 1);  // a slot is written before its candidate is known to be new
  size_t reached = 0;
  auto touch = [&](size_t i) {
    s.listed[reached] = static_cast<int>(i);
    reached += !s.mark[i];
    s.mark[i] = 1;
    return &s.cells[i];
  };
  if (words < 1.0) {
    scorer->BestPhrase(q, &s.reached);
    for (auto [i, v] : s.reached) touch(static_cast<size_t>(i))->phrases = v;
    for (const Scorer::TermList& l : scorer->GramLists(q)) {
      for (int p = 0; p < l.size; ++p) {
        touch(static_cast<size_t>(l.candidates[p]))->grams += l.scale * l.weights[p];
      }
    }
  }
  if (any_codes) {
    scorer->Cpv(Side::kSupply, q, &s.reached);
    for (auto [i, v] : s.reached) touch(static_cast<size_t>(i))->cpv = v;
  }
  const std::vector<Scorer::TermList> common = scorer->WordLists(q, /*common=*/true);
  for (const Scorer::TermList& l : scorer->WordLists(q, /*common=*/false)) {
    for (int p = 0; p < l.size; ++p) {
      touch(static_cast<size_t>(l.candidates[p]))->words += l.scale * l.weights[p];
    }
  }
  // The common words add to the candidates something specific reached; when nothing did (a
  // need in everyday words only), they decide alone.
  const bool reached_by_common = reached == 0;
  for (const Scorer::TermList& l : common) {
    if (reached_by_common) {
      for (int p = 0; p < l.size; ++p) {
        touch(static_cast<size_t>(l.candidates[p]))->words += l.scale * l.weights[p];
      }
      continue;
    }
    // A common word's list is long and most of its candidates were not reached: each adds its
    // weight times 0 or 1 (a candidate not reached keeps 0), which costs less than a branch
    // the processor cannot predict.
    for (int p = 0; p < l.size; ++p) {
      const size_t i = static_cast<size_t>(l.candidates[p]);
      s.cells[i].words += l.scale * l.weights[p] * static_cast<float>(s.mark[i]);
    }
  }
  const std::span<const int> touched(s.listed.data(), reached);
  // Score every candidate reached into (score, index); Match objects only for the best. The
  // text components are blended in place (`words` becomes the candidate's own text score),
  // for feedback and `why` afterwards.
  const bool feedback =
      weights.feedback > 0 && weights.feedback_candidates > 0 && weights.feedback_words > 0;
  // With feedback, the first pass also keeps the model's candidates (and one more, to see
  // where a tie ends): in `best` with what is shown when nothing is filtered, else apart.
  const bool filtered = options.kind.has_value();
  const int pool = weights.feedback_candidates + 1;
  s.best.Reset(feedback && !filtered ? std::max(options.top, pool) : options.top);
  s.model.Reset(feedback && filtered ? pool : 0);
  for (int t : touched) {
    const size_t i = static_cast<size_t>(t);
    Cell& c = s.cells[i];
    c.words = own_of(c);
    if (double score = score_of(i, text_of(c.words, 0.0f)); score > 0) {
      if (shown(i)) s.best.Offer(score, i);
      if (filtered) s.model.Offer(score, i);
    }
  }
  if (feedback) {
    // What the best candidates supply, weighted by their scores, adds to the others reached.
    // It brings in no new candidate: one that shares nothing with the need is not made a match
    // by resembling its best matches (letting it in measured the same, at more cost). Feedback
    // only raises a score, so the k best are among the k best before it and those it raised.
    s.kept = s.best.Kept();
    std::vector<std::pair<int, float>> from =
        FeedbackModel(filtered ? s.model.Kept() : s.kept,
                      static_cast<size_t>(filtered ? pool : std::max(options.top, pool)),
                      static_cast<size_t>(weights.feedback_candidates));
    s.feedback.resize(size, 0.0f);
    const auto wanted = static_cast<size_t>(weights.feedback_words);
    // Branch-free, as the common words above: a candidate not reached adds 0 and is not
    // listed; one reached is listed the first time.
    size_t raised = 0;
    for (const Scorer::TermList& l : scorer->FeedbackLists(q, from, wanted)) {
      s.raised.resize(raised + static_cast<size_t>(l.size));
      for (int p = 0; p < l.size; ++p) {
        const size_t i = static_cast<size_t>(l.candidates[p]);
        float& f = s.feedback[i];
        s.raised[raised] = static_cast<int>(i);
        raised += s.mark[i] & (f == 0.0f);
        f += l.scale * l.weights[p] * static_cast<float>(s.mark[i]);
      }
    }
    s.raised.resize(raised);
    for (const auto& [i, score] : from) s.feedback[static_cast<size_t>(i)] = 0.0f;
    s.best.Reset(options.top);
    for (const auto& [score, i] : s.kept) {
      if (s.feedback[i] == 0.0f) s.best.Offer(score, i);
    }
    for (int t : s.raised) {
      const size_t i = static_cast<size_t>(t);
      const float f = s.feedback[i];
      if (f == 0.0f || !shown(i)) continue;  // one of the best, or filtered out
      if (double score = score_of(i, text_of(s.cells[i].words, f)); score > 0) {
        s.best.Offer(score, i);
      }
    }
  }
  std::vector<Match> matches = s.best.Take();
  std::vector<size_t> chosen;
  for (const Match& m : matches) chosen.push_back(m.participant);
  std::vector<std::vector<std::string>> terms =
      scorer->DrivingTerms(Side::kSupply, q, chosen, kWhyTerms);
  for (size_t k = 0; k < matches.size(); ++k) {
    Match& m = matches[k];
    const size_t i = m.participant;
    m.why.terms = std::move(terms[k]);
    m.why.text = text_of(s.cells[i].words, feedback ? s.feedback[i] : 0.0f);
    if (any_codes && has_codes[i]) m.why.cpv = s.cells[i].cpv;
    // Only a context that was applied is shown (a need naming its supplier skips it), as
    // applied: other_buyer included, so the score is the text's x exp(weight x context).
    if (with_context && !is_named(i)) {
      const double gap = s.context[i];
      const bool other = gap < 0 && weights.context > 0;
      m.why.context = other ? gap + std::log(weights.other_buyer) / weights.context : gap;
    }
    m.why.codes = CodeWords(scorer->DrivingCodes(Side::kSupply, q, i, kWhyCodes));
  }
  for (int t : touched) {
    const size_t i = static_cast<size_t>(t);
    s.cells[i] = Cell{};
    s.mark[i] = 0;
  }
  for (int t : s.raised) s.feedback[static_cast<size_t>(t)] = 0.0f;
  s.raised.clear();
  return matches;
}

std::vector<Match> Matcher::Impl::RankParticipant(size_t self, const MatchOptions& options,
                                                  Scratch& s) const {
  const Participant& me = participants[self];
  const size_t size = participants.size();
  auto [demand_texts, demand_codes] = Demand(me);
  auto [supply_texts, supply_codes] = Supply(me);
  Query seeks = scorer->Analyze(demand_texts, demand_codes);
  Query offers = scorer->Analyze(supply_texts, supply_codes);
  const bool i_seek = !seeks.terms.empty() || !seeks.cpv.empty();
  const bool i_offer = !offers.terms.empty() || !offers.cpv.empty();
  // Sparse, as for needs: a candidate no component reaches scores 0 and is never looked at.
  // a, b: my seeks against their offers (text, codes); c, d: my offers against their seeks;
  // e: how alike our offers are, for when neither side seeks anything. They share one buffer,
  // each starting 64 bytes further into a 4 KB page than the one before: arrays that start at
  // the same place compete for the same cache sets, and a candidate's five values are read and
  // cleared together.
  const size_t stride = (size + 1023) / 1024 * 1024 + 16;
  if (s.parts.size() != 5 * stride) s.parts.assign(5 * stride, 0.0f);
  float* const a = s.parts.data();
  float* const b = a + stride;
  float* const c = b + stride;
  float* const d = c + stride;
  float* const e = d + stride;
  s.mark.resize(size, 0);
  s.touched.clear();
  auto codes = [&](Side side, const Query& q, float* out) {
    scorer->Cpv(side, q, &s.reached);
    for (auto [i, v] : s.reached) {
      out[static_cast<size_t>(i)] = v;
      s.touched.push_back(i);
    }
  };
  if (i_seek) {
    scorer->Text(Side::kSupply, seeks, a, &s.touched);
    codes(Side::kSupply, seeks, b);
  }
  if (i_offer) {
    scorer->Text(Side::kDemand, offers, c, &s.touched);
    codes(Side::kDemand, offers, d);
    // Only a candidate I seek nothing from can need it (see below).
    if (!i_seek) scorer->Text(Side::kSupply, offers, e, &s.touched);
  }
  size_t unique = 0;
  for (int t : s.touched) {
    const size_t i = static_cast<size_t>(t);
    if (s.mark[i]) continue;
    s.mark[i] = 1;
    s.touched[unique++] = t;
  }
  s.touched.resize(unique);
  // Candidate i's score and component scores (score 0 when it may not be ranked): plain
  // numbers, since it runs for every candidate reached; a Match only for the k best.
  struct Parts {
    double score = 0, text = 0;
    std::optional<double> seeks_offers, offers_seeks;
    std::optional<double> cpv;  // the code part of the directions that blended codes in
  };
  auto evaluate = [&](size_t i) {
    Parts m;
    const Kind kind = kinds[i];
    if (i == self || !KindsMayMeet(me.kind, kind)) return m;
    if (options.kind && kind != *options.kind) return m;
    const bool forward = i_seek && has_supply[i];
    const bool backward = i_offer && has_demand[i];
    std::optional<double> forward_codes, backward_codes;
    if (forward) {
      bool codes = !seeks.cpv.empty() && has_codes[i];
      m.seeks_offers = Blend(a[i], b[i], codes);
      if (codes) forward_codes = b[i];
    }
    if (backward) {
      bool codes = !offers.cpv.empty() && has_demand_codes[i];
      m.offers_seeks = Blend(c[i], d[i], codes);
      if (codes) backward_codes = d[i];
    }
    // Combined as the text is: both directions' by their geometric mean.
    if (forward_codes && backward_codes) {
      m.cpv = std::sqrt(*forward_codes * *backward_codes);
    } else {
      m.cpv = forward_codes ? forward_codes : backward_codes;
    }
    if (forward && backward) {
      m.score = std::sqrt(*m.seeks_offers * *m.offers_seeks);
      m.text = std::sqrt(static_cast<double>(a[i]) * c[i]);
    } else if (forward) {
      m.score = *m.seeks_offers * kOneWay;
      m.text = a[i];
    } else if (backward) {
      m.score = *m.offers_seeks * kOneWay;
      m.text = c[i];
    } else if (i_offer && has_supply[i]) {
      // Neither side seeks anything: how alike the two profiles are, weaker evidence still,
      // as if both directions were half as good.
      m.text = e[i];
      m.score = 0.5 * e[i];
    }
    return m;
  };
  // Every candidate offered to the k best; Match objects are kept for those only
  // (a vector of every candidate's Match, cut to k, kept its capacity: for a whole event's
  // participants that was memory quadratic in their number).
  s.best.Reset(options.top);
  for (int t : s.touched) {
    if (const double score = evaluate(static_cast<size_t>(t)).score; score > 0) {
      s.best.Offer(score, static_cast<size_t>(t));
    }
  }
  std::vector<Match> matches = s.best.Take();
  for (Match& m : matches) {
    const Parts parts = evaluate(m.participant);
    m.score = parts.score;
    m.why.text = parts.text;
    m.why.seeks_offers = parts.seeks_offers;
    m.why.offers_seeks = parts.offers_seeks;
    m.why.cpv = parts.cpv;
  }
  for (int t : s.touched) {
    const size_t i = static_cast<size_t>(t);
    a[i] = b[i] = c[i] = d[i] = e[i] = 0.0f;
    s.mark[i] = 0;
  }
  // Explain with what this participant looks for when it does, else with what it offers:
  // three kinds of match (by seeks; by offers against their seeks; by offers against their
  // offers), each kind's driving terms found for all its matches at once.
  auto explained_by = [&](const Match& m) {
    const bool by_seeks = m.why.seeks_offers.has_value();
    const Side side = by_seeks || !m.why.offers_seeks ? Side::kSupply : Side::kDemand;
    return std::pair<const Query*, Side>(by_seeks ? &seeks : &offers, side);
  };
  for (const auto& [q, side] : {std::pair<const Query*, Side>(&seeks, Side::kSupply),
                                std::pair<const Query*, Side>(&offers, Side::kDemand),
                                std::pair<const Query*, Side>(&offers, Side::kSupply)}) {
    std::vector<size_t> chosen, at;
    for (size_t k = 0; k < matches.size(); ++k) {
      if (explained_by(matches[k]) == std::pair(q, side)) {
        chosen.push_back(matches[k].participant);
        at.push_back(k);
      }
    }
    if (chosen.empty()) continue;
    std::vector<std::vector<std::string>> terms =
        scorer->DrivingTerms(side, *q, chosen, kWhyTerms);
    for (size_t k = 0; k < at.size(); ++k) matches[at[k]].why.terms = std::move(terms[k]);
  }
  for (Match& m : matches) {
    const auto [query, side] = explained_by(m);
    const Query& q = *query;
    m.why.codes = CodeWords(scorer->DrivingCodes(side, q, m.participant, kWhyCodes));
  }
  return matches;
}

std::vector<Match> Matcher::ForNeed(size_t need, const MatchOptions& options) const {
  Impl::Scratch s;
  return impl_->RankNeed(need, options, s);
}

std::vector<Match> Matcher::ForParticipant(size_t participant, const MatchOptions& options) const {
  Impl::Scratch s;
  return impl_->RankParticipant(participant, options, s);
}

namespace {

// Runs rank(i, scratch) for every i in `order` on `threads` threads, each with its own scratch,
// and hands each result to sink(i, matches) on the thread that made it. Work goes out a group
// at a time (`starts`: where each group begins in `order`): needs are grouped by owner, so a
// thread computes an owner's context once.
template <typename Scratch, typename Rank>
void RankAll(const std::vector<size_t>& order, const std::vector<size_t>& starts, int threads,
             Rank rank, const Matcher::Sink& sink) {
  std::vector<Scratch> scratch(std::max(1, threads));
  scoring::ParallelQueue(starts.size(), threads, [&](size_t g, size_t worker) {
    const size_t end = g + 1 < starts.size() ? starts[g + 1] : order.size();
    for (size_t k = starts[g]; k < end; ++k) sink(order[k], rank(order[k], scratch[worker]));
  });
}

// A sink that keeps every result at its place.
Matcher::Sink Collect(std::vector<std::vector<Match>>* out) {
  return [out](size_t i, std::vector<Match> matches) { (*out)[i] = std::move(matches); };
}

}  // namespace

std::vector<std::vector<Match>> Matcher::ForAllNeeds(const MatchOptions& options) const {
  std::vector<std::vector<Match>> out(impl_->needs.size());
  ForAllNeeds(options, Collect(&out));
  return out;
}

std::vector<std::vector<Match>> Matcher::ForAllParticipants(const MatchOptions& options) const {
  std::vector<std::vector<Match>> out(impl_->participants.size());
  ForAllParticipants(options, Collect(&out));
  return out;
}

void Matcher::ForAllNeeds(const MatchOptions& options, const Sink& sink) const {
  std::vector<size_t> order(impl_->needs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return impl_->needs[a].owner < impl_->needs[b].owner;
  });
  // One group per owner, cut into pieces small enough to keep every thread busy.
  const size_t piece = std::max<size_t>(32, order.size() / (8 * std::max(1, options.threads)));
  std::vector<size_t> starts;
  for (size_t k = 0; k < order.size(); ++k) {
    if (k == 0 || impl_->needs[order[k]].owner != impl_->needs[order[k - 1]].owner ||
        k - starts.back() >= piece) {
      starts.push_back(k);
    }
  }
  // Biggest groups first, so the last group to finish is a small one.
  std::vector<size_t> sizes(starts.size());
  std::vector<size_t> regrouped, new_starts, ids(starts.size());
  for (size_t g = 0; g < starts.size(); ++g) {
    sizes[g] = (g + 1 < starts.size() ? starts[g + 1] : order.size()) - starts[g];
  }
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  for (size_t g : ids) {
    new_starts.push_back(regrouped.size());
    regrouped.insert(regrouped.end(), order.begin() + static_cast<long>(starts[g]),
                     order.begin() + static_cast<long>(starts[g] + sizes[g]));
  }
  RankAll<Impl::Scratch>(
      regrouped, new_starts, options.threads,
      [&](size_t n, Impl::Scratch& s) { return impl_->RankNeed(n, options, s); }, sink);
}

void Matcher::ForAllParticipants(const MatchOptions& options, const Sink& sink) const {
  std::vector<size_t> order(impl_->participants.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<size_t> starts;
  for (size_t k = 0; k < order.size(); k += 32) starts.push_back(k);
  RankAll<Impl::Scratch>(
      order, starts, options.threads,
      [&](size_t p, Impl::Scratch& s) { return impl_->RankParticipant(p, options, s); }, sink);
}

namespace {

// The line is written through a raw cursor into a buffer known to be large enough (see
// LineBound): a batch writes hundreds of thousands of matches, and a capacity check and a
// call per piece cost more than ranking them.
char* Put(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

// s as a JSON string; at most 6 x s.size() + 2 characters.
char* PutString(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && c != '"' && c != '\\') {
      *p++ = c;
    } else if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = c;
    } else {
      p = Put(p, "\\u00");
      *p++ = kHex[u >> 4];
      *p++ = kHex[u & 15];
    }
  }
  *p++ = '"';
  return p;  // ids and words are valid UTF-8
}

char* PutField(char* p, std::string_view key_part, double v) {
  return internal::PutDecimal(Put(p, key_part), v);
}

char* PutList(char* p, const std::vector<std::string>& items) {
  *p++ = '[';
  for (size_t k = 0; k < items.size(); ++k) {
    if (k) *p++ = ',';
    p = PutString(p, items[k]);
  }
  *p++ = ']';
  return p;
}

size_t StringBound(std::string_view s) { return 6 * s.size() + 2; }

// What MatchesJsonLine writes at most: the literals with room to spare, each string escaped
// at its longest, each number at its longest.
size_t LineBound(std::string_view key, std::string_view id, const std::vector<Match>& matches,
                 const std::vector<Participant>& participants) {
  size_t n = 64 + key.size() + StringBound(id);
  for (const Match& m : matches) {
    n += 160 + StringBound(participants[m.participant].id) + internal::DecimalBound(m.score) +
         internal::DecimalBound(m.why.text);
    for (const auto& v : {m.why.cpv, m.why.context, m.why.seeks_offers, m.why.offers_seeks}) {
      if (v) n += internal::DecimalBound(*v);
    }
    for (const std::string& t : m.why.terms) n += StringBound(t) + 1;
    for (const std::string& c : m.why.codes) n += StringBound(c) + 1;
  }
  return n;
}

}  // namespace

std::string MatchesJsonLine(const char* key, const std::string& id,
                            const std::vector<Match>& matches,
                            const std::vector<Participant>& participants, bool newline) {
  thread_local std::vector<char> buffer;
  const size_t bound = LineBound(key, id, matches, participants);
  buffer.resize(std::max(buffer.size(), bound));
  char* const begin = buffer.data();
  char* p = Put(begin, "{\"");
  p = Put(p, key);
  p = Put(p, "\":");
  p = PutString(p, id);
  p = Put(p, ",\"matches\":[");
  for (size_t k = 0; k < matches.size(); ++k) {
    const Match& m = matches[k];
    if (k) *p++ = ',';
    p = Put(p, "{\"participant\":");
    p = PutString(p, participants[m.participant].id);
    p = PutField(p, ",\"score\":", m.score);
    p = PutField(p, ",\"why\":{\"text\":", m.why.text);
    if (m.why.cpv) p = PutField(p, ",\"cpv\":", *m.why.cpv);
    if (m.why.context) p = PutField(p, ",\"context\":", *m.why.context);
    if (m.why.seeks_offers) p = PutField(p, ",\"seeks_offers\":", *m.why.seeks_offers);
    if (m.why.offers_seeks) p = PutField(p, ",\"offers_seeks\":", *m.why.offers_seeks);
    p = PutList(Put(p, ",\"terms\":"), m.why.terms);
    if (!m.why.codes.empty()) p = PutList(Put(p, ",\"codes\":"), m.why.codes);
    p = Put(p, "}}");
  }
  p = Put(p, newline ? "]}\n" : "]}");
  // Past the bound would have been past the buffer: a bug in LineBound, never to pass silently.
  if (static_cast<size_t>(p - begin) > bound) throw std::logic_error("MatchesJsonLine: over bound");
  return std::string(begin, p);
}

nlohmann::json MatchesToJson(const char* key, const std::string& id,
                             const std::vector<Match>& matches,
                             const std::vector<Participant>& participants) {
  return nlohmann::json::parse(MatchesJsonLine(key, id, matches, participants));
}

}  // namespace incontra::engine
