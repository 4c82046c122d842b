// An independent check of a schedule result against its problem: every hard rule of FORMATS.md
// ("Schedule problem") and the figures in the result's stats, recomputed from the agenda. The
// benchmark runs it on every result it reports, so a fast but wrong scheduler cannot look good.
//
// Thread-safety: a stateless function.
//
// Usage:
//   std::vector<std::string> problems = CheckSchedule(problem, result);
//   bool valid = problems.empty();
#pragma once

#include <string>
#include <vector>

#include "engine/schedule.h"

namespace incontra::bench {

struct CheckOptions {
  // Compare lower_bound_breaks and proven_optimal too (a baseline leaves them at 0/false).
  bool check_lower_bound = true;
  size_t max_reported = 20;  // violations listed in full; the rest are only counted
};

// Returns one line per violated rule ("m-00012: p-004 is already meeting in slot 3"), empty
// when the result is valid. Lines past `max_reported` are summed up in a final line.
std::vector<std::string> CheckSchedule(const engine::ScheduleProblem& problem,
                                       const engine::ScheduleResult& result,
                                       const CheckOptions& options = {});

}  // namespace incontra::bench
