// A schedule problem with its ids resolved to indices, for the benchmark's own baseline and
// checker. It is deliberately separate from the scheduler's compiled form, so that the checker
// judges the scheduler with code the scheduler does not share.
//
// Table rule, as in the scheduler: a table that some participant keeps as its host table is
// reserved for that participant's meetings; the other meetings share the remaining tables.
//
// Thread-safety: a plain value, read-only after IndexProblem.
//
// Usage:
//   Result<ProblemIndex> index = IndexProblem(problem);
//   if (!index.ok()) return index.status();
//   bool ok = index->Available(p, s) && index->InSession(m, s);
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "engine/schedule.h"
#include "scoring/status.h"

namespace incontra::bench {

struct ProblemIndex {
  static constexpr int kNoTable = -1;
  static constexpr int kTwoHostTables = -2;  // the meeting's participants keep different tables

  int slots = 0;
  int participants = 0;
  int meetings = 0;
  std::unordered_map<std::string, int> slot_of, participant_of, meeting_of, table_of;

  std::vector<char> available;      // participant * slots + slot
  std::vector<int> max_meetings;    // per participant; INT32_MAX when unlimited
  std::vector<int> host_table;      // per participant: table index or kNoTable
  std::vector<char> is_host_table;  // per table
  std::vector<int> shared_tables;   // tables no host keeps, in the problem's order
  std::vector<int> slot_session;    // per slot: session number (labels numbered in order)

  std::vector<std::vector<int>> members;  // per meeting: participant indices
  std::vector<int> meeting_table;         // per meeting: host table, kNoTable or kTwoHostTables
  std::vector<int> meeting_session;       // per meeting: session number or -1 for any
  std::vector<int> fixed_slot;            // per meeting: slot or -1
  std::vector<std::vector<int>> preds;    // per meeting: meetings it must follow

  bool Available(int p, int s) const { return available[static_cast<size_t>(p) * slots + s] != 0; }
  // Whether meeting m's session and fixed slot allow slot s (participants aside).
  bool InSession(int m, int s) const {
    return (meeting_session[m] < 0 || meeting_session[m] == slot_session[s]) &&
           (fixed_slot[m] < 0 || fixed_slot[m] == s);
  }
};

// Resolves every id. Error: bench.unknown_reference when an id names nothing (run
// engine::ValidateProblem first for the full checks and the official messages).
Result<ProblemIndex> IndexProblem(const engine::ScheduleProblem& problem);

// Breaks of one participant given which slots it meets in: runs of free slots between its
// first and last meeting.
int CountBreaks(const std::vector<char>& busy, size_t begin, int slots);

}  // namespace incontra::bench
