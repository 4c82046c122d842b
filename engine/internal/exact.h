// Exact improvement and optimality proof for small problems, with the CaDiCaL SAT solver.
//
// Given the meetings the heuristic search scheduled, asks CaDiCaL for an agenda of the same
// meetings with at most K breaks, K = best - 1, best - 2, ...: every answer "yes" is a better
// agenda, the first "no" proves the best one optimal. The encoding has a variable per meeting
// and allowed slot, one per participant and slot (busy), gap starts per participant and slot,
// and a totalizer counting gap starts; every hard rule is a clause set.
//
// Thread-safety: one call per thread; the CompiledProblem is read only.
#pragma once

#include <chrono>
#include <vector>

#include "engine/internal/compiled_problem.h"

namespace incontra::engine::internal {

struct ExactOutcome {
  std::vector<int> slot_of;  // the best agenda known (the given one unless improved)
  int breaks = 0;
  int lower_bound = 0;  // proven: no agenda of these meetings has fewer breaks
};

// Whether the problem is small enough for the SAT encoding to pay off.
bool ExactFits(const CompiledProblem& problem, const std::vector<int>& slot_of);

// `slot_of`: a valid agenda with `breaks` breaks; `lower_bound`: a bound already known.
ExactOutcome ImproveExactly(const CompiledProblem& problem, std::vector<int> slot_of, int breaks,
                            int lower_bound, std::chrono::steady_clock::time_point deadline);

}  // namespace incontra::engine::internal
