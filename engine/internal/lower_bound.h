// A lower bound on the breaks of any agenda of a given set of meetings.
//
// Each participant is bounded on its own: with k meetings, which may only use the slots its
// meetings' rules allow, and must include the fixed ones, it needs at least as many breaks as
// the best choice of k such slots has. The sum over participants bounds the total; it is exact
// whenever participants do not get in each other's way.
#pragma once

#include <vector>

#include "engine/internal/compiled_problem.h"

namespace incontra::engine::internal {

// `slot_of`: per meeting, its slot or -1; only scheduled meetings count.
int LowerBoundBreaks(const CompiledProblem& problem, const std::vector<int>& slot_of);

// The breaks an agenda actually has: in total and for the worst-off participant.
struct AgendaBreaks {
  int total = 0;
  int max = 0;
};
AgendaBreaks CountBreaks(const CompiledProblem& problem, const std::vector<int>& slot_of);

}  // namespace incontra::engine::internal
