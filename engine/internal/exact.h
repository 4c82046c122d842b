// Exact improvement and optimality proof for small problems, with the CaDiCaL SAT solver.
//
// Starting from the heuristic's agenda, asks CaDiCaL lexicographically: for each priority, from
// the highest, an agenda with one more meeting of that priority held (and no fewer of the
// higher ones), until the answer is "no"; then, for that many meetings, an agenda with at most
// K breaks, K = best - 1, best - 2, ...: every "yes" is a better agenda, each "no" a proof.
// The encoding has a variable per meeting and allowed slot, one per participant and slot
// (busy), gap starts per participant and slot, and totalizers counting meetings left out and
// gap starts; every hard rule is a clause set.
//
// Thread-safety: one call per thread; the CompiledProblem is read only.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "engine/internal/compiled_problem.h"

namespace incontra::engine::internal {

struct ExactOutcome {
  std::vector<int> slot_of;  // the best agenda known (the given one unless improved)
  int breaks = 0;
  // No agenda holding as many meetings of each priority has fewer breaks.
  int lower_bound = 0;
  // No agenda holds more meetings (lexicographically by priority).
  bool scheduling_proven = false;
};

// Whether the problem is small enough for the SAT encoding to pay off.
bool ExactFits(const CompiledProblem& problem);

// `slot_of`: a valid agenda. Each question to the solver may take `conflicts_per_question`
// conflicts; an unanswered one ends the search with the best agenda found so far, as does the
// deadline.
ExactOutcome ImproveExactly(const CompiledProblem& problem, std::vector<int> slot_of,
                            int64_t conflicts_per_question,
                            std::chrono::steady_clock::time_point deadline);

}  // namespace incontra::engine::internal
