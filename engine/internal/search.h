// One search for a schedule of a compiled problem: a greedy construction, ejection chains to
// fit what did not fit, then simulated annealing on breaks under the fairness rule.
//
// Every state the search passes through keeps every hard rule except fairness, which is a
// penalty during the search and is restored by removing meetings at the end if need be.
//
// Thread-safety: one Search per thread; the CompiledProblem is shared read-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/internal/compiled_problem.h"
#include "engine/internal/rng.h"

namespace incontra::engine::internal {

struct SearchOutcome {
  std::vector<int> slot_of;  // per meeting, -1 when unscheduled
  std::vector<int> unscheduled_by_rank;
  int breaks = 0;
  std::unordered_map<int, std::string> removed_for_fairness;  // meeting -> reason
};

// Lexicographic: fewer unscheduled at the highest priority first, then fewer breaks.
bool Better(const SearchOutcome& a, const SearchOutcome& b);

class Search {
 public:
  using Clock = std::chrono::steady_clock;

  // `move_budget`: annealing moves at most; `deadline`: when to stop whatever is left;
  // `finish`: the time limit itself (after `deadline`), past which the fairness pass makes
  // quicker, cruder choices to end in time.
  Search(const CompiledProblem& problem, uint64_t seed, Clock::time_point deadline,
         Clock::time_point finish, int64_t move_budget);

  SearchOutcome Run();
  // From `slot_of`, an agenda that keeps every hard rule (fairness too): first the meetings
  // that fit or outrank as things stand, then the same passes as Run after its construction
  // (repair, annealing, refill, fairness); the better of the two. The exact phase's agendas
  // answer one question each (one more meeting of a priority) and may leave out less important
  // meetings that fit as they stand.
  SearchOutcome Improve(const std::vector<int>& slot_of);

 private:
  SearchOutcome Finish();
  // State changes; all keep every hard rule but fairness. Attach and Detach move a meeting
  // in and out of a slot; Place and Remove also count it as scheduled or not, and Remove takes
  // the meetings that must follow it along.
  void Attach(int m, int s);
  void Detach(int m);
  void Place(int m, int s);
  void Remove(int m);
  void UpdateBreaks(int r);
  void Rebuild(const std::vector<int>& slot_of);
  // Whether m (unscheduled) may go to s now.
  bool CanPlace(int m, int s) const;
  // Whether m's `after` rules hold with m at s, everything else where it is.
  bool OrderOk(int m, int s) const;
  // The same with every meeting's slot given by `slot_of(meeting)`.
  template <typename SlotOf>
  bool OrderHolds(int m, int s, SlotOf slot_of) const;
  int BreaksDeltaPlace(int m, int s) const;
  int BestSlot(int m);

  void Construct();
  void PlaceWithPredecessors(int m, std::vector<char>& done);
  void Repair();
  // Places m by moving the two meetings in its way to other slots; false (and no change) when
  // that does not work out.
  bool MoveTwoAside(int m);
  // Puts m in the place of a less important meeting (taken out with the scheduled meetings
  // that must follow it, all less important than m too). kCapped: only when m fits a slot but
  // for one participant at its max_meetings, whose least important meeting goes. kAny: also in
  // the slot of a meeting of one of m's participants where nothing else is in m's way, or of
  // a less important meeting of a slot whose tables are all taken. kAnyFairly: the same, and
  // any meeting of m's participants when m fits a slot but for the fairness rule; only when
  // the fairness rule (if any) holds after. Returns the meeting taken out, or -1 (and no
  // change).
  enum class Displacing { kCapped, kAny, kAnyFairly };
  int Displace(int m, Displacing how);
  // The unscheduled meetings that could be scheduled at all, most important first.
  std::vector<int> OutByPriority() const;
  void Anneal();
  // Collects into `chain` the Kempe chain that moves m to slot t: m and every meeting of m's
  // slot and t linked to it through a shared participant or host table. False when the chain
  // cannot be swapped (too long, a slot a meeting may not use, tables, `after`).
  bool KempeChain(int m, int t, std::vector<int>* chain);
  // A fresh stamp for mark_ and participant_mark_.
  void NextStamp();
  void EnforceFairness();
  // Puts unscheduled meetings, most important first, in the place of less important ones
  // (Displace kAny, or kAnyFairly with `fair`) and wherever they fit (FillWhereFits).
  void ExchangeAndRefill(bool fair);
  // Places unscheduled meetings where they fit as things stand, most important first, until
  // none does: in the slot adding the fewest breaks, or with `fair` under a fairness rule in
  // the first slot that keeps it. True when it placed any.
  bool FillWhereFits(bool fair);
  // The fairness excess if participants `who` had `breaks_after` breaks.
  int ExcessWith(const std::vector<int>& who, const std::vector<int>& breaks_after);
  // The fairness excess if m left slot `from` for slot `to` (either -1 for none).
  int ExcessIfMoved(int m, int from, int to);
  // The most important priority rank (lowest number) among m and the scheduled meetings that
  // must follow it, which removing m removes too.
  int CascadeRank(int m) const;
  // m and the scheduled meetings that must follow it, directly or not: what Remove(m) takes.
  std::vector<int> Cascade(int m) const;

  // Cost of the fairness rule: how far the spread of break counts exceeds the bound.
  int FairnessExcess() const;
  bool TimeUp();

  const CompiledProblem& p_;
  Rng rng_;
  Clock::time_point deadline_, finish_;
  int64_t move_budget_;
  int lower_bound_ = 0;  // of the meetings scheduled after repair: annealing stops there
  int64_t clock_checks_ = 0;
  bool time_up_ = false;

  int S_, W_;
  std::vector<int> slot_of_;
  std::vector<int> occ_;        // resource * S + slot -> meeting or -1
  std::vector<uint64_t> busy_;  // resource * W words
  std::vector<int> load_;       // meetings without a host table, per slot
  std::vector<int> count_;      // scheduled meetings per participant
  std::vector<int> breaks_;     // per participant
  std::vector<int> histogram_;  // participants per break count
  int total_breaks_ = 0;
  std::vector<std::vector<int>> slot_members_;  // meetings without a host table, per slot
  std::vector<int> member_pos_;
  std::vector<int> unscheduled_by_rank_;

  std::vector<int> best_slot_of_;
  std::vector<uint32_t> mark_;              // per meeting: in the current chain when == stamp_
  std::vector<uint32_t> participant_mark_;  // per participant, same stamp
  uint32_t stamp_ = 0;
  std::unordered_map<int, std::string> removed_for_fairness_;
  std::vector<int> excess_who_, excess_after_;  // ExcessIfMoved's scratch
};

}  // namespace incontra::engine::internal
