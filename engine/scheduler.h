// The meeting scheduler: turns a schedule problem into an agenda of slots and tables.
//
// Hard rules are never broken (one meeting per participant per slot, availability, tables per
// slot, host tables, sessions, fixed slots, `after`, max_meetings, fairness.max_break_spread).
// Goal, in order: as many meetings as possible, higher priority first; then fewest breaks.
// The result reports a lower bound on breaks and a reason for every unscheduled meeting.
//
// Deterministic for a given seed and thread count unless the time limit cuts the search short.
//
// Thread-safety: Solve is reentrant; it starts `threads` worker threads of its own.
//
// Usage:
//   if (Status s = ValidateProblem(problem); !s.ok()) return s;
//   ScheduleResult r = Solve(problem, {.seed = 7, .time_limit_ms = 5000});
#pragma once

#include <cstdint>

#include "engine/schedule.h"
#include "scoring/status.h"

namespace incontra::engine {

// The most independent searches Solve runs at once; more are clamped to it.
inline constexpr int kMaxSolveThreads = 16;

struct SolveOptions {
  uint64_t seed = 1;
  // Wall-clock limit; the problem's own time_limit_ms is used when this is 0.
  int64_t time_limit_ms = 0;
  int threads = 2;  // independent searches with different seeds (1 to kMaxSolveThreads)
  // Search budget: annealing moves per meeting per round (plus a floor), and CaDiCaL conflicts
  // per question in proportion; budgets, not time, keep results reproducible.
  int effort = 400;
  // On problems small enough, ask the CaDiCaL SAT solver for an agenda holding more meetings,
  // then with fewer breaks, until it proves none exists or its budget runs out.
  bool exact = true;
};

// Checks references and rules that need the whole problem. Error codes:
// schedule.unknown_participant, schedule.unknown_slot, schedule.unknown_meeting,
// schedule.unknown_table, schedule.unknown_session, schedule.duplicate_id,
// schedule.after_cycle, schedule.invalid_value.
Status ValidateProblem(const ScheduleProblem& problem);

// Solves a problem. An infeasible problem is not an error: what does not fit is in
// `unscheduled`. A problem that fails ValidateProblem comes back with every meeting
// unscheduled and the validation message as its reason.
ScheduleResult Solve(const ScheduleProblem& problem, const SolveOptions& options);

}  // namespace incontra::engine
