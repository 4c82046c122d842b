// Who should meet whom: ranks participants for a PA need, or counterparts for a participant,
// reciprocal and explained. The scores come from scoring::Scorer; this file adds the domain:
// which kinds may meet, which side seeks and which offers, and what a person reads in `why`.
//
// For a need: the need's title, description and codes against each participant's supply
// (name, description, offers, codes), times the owner's context: suppliers whose texts read
// like this buyer's own needs (local firms, the buyer's kind of work) rank higher; a share of
// the text comes from how much a candidate's texts read like the need's best matches'
// (pseudo-relevance feedback).
// For a participant A and a counterpart B, two directions: A's seeks (for a PA, also its
// needs) against B's offers, and B's seeks against A's offers. When both exist the score is
// their geometric mean, so a match must make sense for both sides; when only one exists (the
// other side states nothing it seeks), that one times 1/sqrt(2), as if the silent side's
// direction were half as good; when neither, half the profiles' similarity.
// Rules: never a participant with itself, never two PAs (KindsMayMeet), a need never to its
// owner nor to a PA; only candidates with some text or code in common are ranked.
//
// Thread-safety: immutable after Create; every const function may be called from any thread.
//
// Usage:
//   auto matcher = Matcher::Create(participants, needs, /*labels=*/nullptr);
//   auto ranking = matcher->ForAllNeeds({.top = 10});
//   std::cout << MatchesToJson("need", needs[0].id, ranking[0], matcher->participants());
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/profile.h"
#include "scoring/cpv_labels.h"
#include "scoring/scorer.h"
#include "scoring/status.h"

namespace incontra::engine {

struct MatchOptions {
  int top = 20;
  std::optional<Kind> kind;  // only counterparts of this kind
  int threads = 2;           // for the ForAll functions
};

struct ScoreWeights {
  double cpv = 0.3;      // share of the codes in a direction's score when both sides have codes
  double context = 2.5;  // how strongly the owner's context scales a need's ranking
  // A candidate that reads more like another buyer than like the need's owner (its context
  // < 0) is more likely that buyer's supplier: its score is also x this. Which buyer a
  // candidate reads most like is telling even when the per-word gap is small, as it mostly is
  // with the context models' heavy smoothing (on the dev set the median such candidate in a
  // top 100 had a gap worth x 0.96).
  double other_buyer = 0.85;
  // A need's text score: words (BM25F) x (1 - name_grams - phrases) + name_grams x the name's
  // character grams + phrases x the best single offer's word pairs (scoring/scorer.h).
  double name_grams = 0.34, phrases = 0.15;
  // A need's words that are the owner's boilerplate (in many of its other needs) weigh less:
  // x exp(-owner_boilerplate x the share of its other needs with the word), for owners with
  // enough needs to tell (kMinOwnerNeeds). The context still reads them.
  double owner_boilerplate = 10;
  // A need's words that are local to its owner (most other needs using them are this owner's,
  // far above its share of all needs) weigh x exp(-owner_local x that excess). They are its
  // streets, buildings and projects, but also what it alone buys often: either way the owner's
  // context already rewards a supplier who writes them, and counting them again in the text
  // counts the owner twice.
  double owner_local = 1;
  // Pseudo-relevance feedback: what a need's `feedback_candidates` best candidates supply
  // (`feedback_words` words that tell it, not the need's own) counts for the other candidates
  // it reached, as this share of their text. A title is a dozen words, and a supplier words
  // its trade its own way: one whose texts read like the best matches' ("posta ibrida" beside
  // a need's "postalizzazione") is likely in the trade. The best candidates themselves get
  // none: a model made of their own texts would score them against themselves.
  double feedback = 0.1;
  int feedback_candidates = 5;
  int feedback_words = 10;
  scoring::ScorerOptions scorer;  // text weighting; its `threads` is replaced by Create's
};

struct Why {
  double text = 0;                // text similarity in [0, 1)
  // Code similarity in [0, 1], the part blended into the score, when both sides have codes
  // (participant queries: per direction, and for both the geometric mean, as the text).
  std::optional<double> cpv;
  // Need queries: the owner's context as applied, <= 0: the score is the text's (and codes')
  // x exp(ScoreWeights::context x this), other_buyer included.
  std::optional<double> context;
  // Participant queries: A's seeks vs B's offers, and A's offers vs B's seeks, when they exist.
  std::optional<double> seeks_offers, offers_seeks;
  std::vector<std::string> terms;  // the query's words that drove the match
  std::vector<std::string> codes;  // "query code ~ candidate code"
};

struct Match {
  size_t participant = 0;  // index into Matcher::participants()
  double score = 0;
  Why why;
};

class Matcher {
 public:
  // Needs whose owner is not a participant are ranked all the same (their owner's context
  // comes from its needs). `labels` may be null; when given it must outlive the Matcher.
  // Error code match.duplicate_id when two participants or two needs share an id.
  static Result<Matcher> Create(std::vector<Participant> participants, std::vector<Need> needs,
                                const scoring::CpvLabels* labels, ScoreWeights weights = {},
                                int threads = 2);
  Matcher(Matcher&&) noexcept;
  ~Matcher();

  const std::vector<Participant>& participants() const;
  const std::vector<Need>& needs() const;

  std::vector<Match> ForNeed(size_t need, const MatchOptions& options) const;
  std::vector<Match> ForParticipant(size_t participant, const MatchOptions& options) const;
  // Every need (participant), in input order, on options.threads threads.
  std::vector<std::vector<Match>> ForAllNeeds(const MatchOptions& options) const;
  std::vector<std::vector<Match>> ForAllParticipants(const MatchOptions& options) const;
  // The same, each need's (participant's) matches handed to sink(index, matches) as soon as
  // they are made, on the thread that made them, in no particular order: a batch can turn
  // them into output while they are hot in cache, and never holds them all. The sink is
  // called concurrently for different indexes.
  using Sink = std::function<void(size_t, std::vector<Match>)>;
  void ForAllNeeds(const MatchOptions& options, const Sink& sink) const;
  void ForAllParticipants(const MatchOptions& options, const Sink& sink) const;

 private:
  Matcher();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One line of the batch match result (FORMATS.md): {"<key>": id, "matches": [...]}, numbers
// to four decimals; MatchesJsonLine is the same as compact text, with a newline at the end
// when asked (made in place: appended afterwards, it would copy the line).
std::string MatchesJsonLine(const char* key, const std::string& id,
                            const std::vector<Match>& matches,
                            const std::vector<Participant>& participants, bool newline = false);
nlohmann::json MatchesToJson(const char* key, const std::string& id,
                             const std::vector<Match>& matches,
                             const std::vector<Participant>& participants);

}  // namespace incontra::engine
