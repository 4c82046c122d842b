// Helpers the scheduler tests share: solve a problem given as FORMATS.md JSON through the real
// codec, validation and solver, re-check the result with the independent checker, and read
// answers out of the result JSON.
//
// Thread-safety: test-thread only (doctest assertions).
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "engine/schedule_json.h"
#include "engine/scheduler.h"
#include "tests/engine/schedule_checker.h"

namespace incontra::engine::test_support {

using nlohmann::json;

// Small problems solve in milliseconds within their move and conflict budgets; the limit only
// guards against a hang, and is generous so that slow builds (sanitizers) get the same answers.
inline SolveOptions Quick(uint64_t seed = 1) {
  return {.seed = seed, .time_limit_ms = 60000, .threads = 2};
}

// "slots": [{"id": "1"}, ..., {"id": "n"}]
inline json Slots(int n) {
  json slots = json::array();
  for (int i = 1; i <= n; ++i) slots.push_back({{"id", std::to_string(i)}});
  return slots;
}

inline ScheduleProblem ParseValid(const json& problem) {
  auto parsed = ScheduleProblemFromJson(problem);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  Status valid = ValidateProblem(*parsed);
  REQUIRE_MESSAGE(valid.ok(), valid.ToString());
  return *parsed;
}

// Solves and checks every hard rule and stat with the checker; returns the result JSON.
inline json SolveChecked(const json& problem, const SolveOptions& options = Quick()) {
  ScheduleProblem parsed = ParseValid(problem);
  json result = ScheduleResultToJson(Solve(parsed, options));
  auto violations = incontra::test::CheckSchedule(problem, result);
  CHECK_MESSAGE(violations.empty(), incontra::test::Describe(violations)
                                        << "result: " << result.dump());
  return result;
}

// The slot of a scheduled meeting, or "-" when it is unscheduled.
inline std::string SlotOf(const json& result, const std::string& id) {
  for (const json& m : result["meetings"]) {
    if (m["id"] == id) return m["slot"].get<std::string>();
  }
  return "-";
}

inline std::string TableOf(const json& result, const std::string& id) {
  for (const json& m : result["meetings"]) {
    if (m["id"] == id) return m["table"].get<std::string>();
  }
  return "-";
}

// The reason a meeting is unscheduled, or "-" when it is scheduled.
inline std::string ReasonOf(const json& result, const std::string& id) {
  for (const json& m : result["unscheduled"]) {
    if (m["id"] == id) return m["reason"].get<std::string>();
  }
  return "-";
}

inline int Scheduled(const json& result) { return static_cast<int>(result["meetings"].size()); }

// The result without its timing, for comparing two runs.
inline json WithoutTiming(json result) {
  result["stats"].erase("solve_ms");
  return result;
}

}  // namespace incontra::engine::test_support
