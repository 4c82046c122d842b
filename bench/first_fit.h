// The baseline the benchmark compares the scheduler with: what simple event tools do. Meetings
// are taken in input order and each goes into the first slot, in slot order, that keeps every
// hard rule (participants free and available, session, fixed slot, a table left, the host table
// free, max_meetings, `after` predecessors already placed in an earlier slot). No look-ahead,
// no repair, no attention to breaks or fairness (fairness.max_break_spread is ignored).
//
// Thread-safety: a stateless function.
//
// Usage:
//   Result<engine::ScheduleResult> r = FirstFit(problem);
//   if (r.ok()) std::cout << r->stats.unscheduled << " did not fit\n";
#pragma once

#include "engine/schedule.h"
#include "scoring/status.h"

namespace incontra::bench {

// Schedules `problem` greedily. The result lists meetings in the problem's order with a slot
// and a table each, and a reason for each meeting left out; stats carry scheduled,
// unscheduled, breaks_total, breaks_max and solve_ms (lower_bound_breaks stays 0: a baseline
// proves nothing). Error: bench.unknown_reference when an id names nothing.
Result<engine::ScheduleResult> FirstFit(const engine::ScheduleProblem& problem);

}  // namespace incontra::bench
