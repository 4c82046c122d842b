// JSON codec for the schedule problem and result (FORMATS.md), with errors that name the place
// and the rule: "meetings[3].participants: expected an array of strings, got number".
//
// Parsing checks shapes and types only (and ids: non-empty, at most 128 bytes); references
// between records are checked by ValidateProblem (scheduler.h).
//
// Thread-safety: stateless functions.
//
// Usage:
//   auto problem = ParseScheduleProblem(text);
//   if (!problem.ok()) { std::cerr << problem.status().message(); return 2; }
//   std::string out = ScheduleResultToJson(result).dump(2);
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/schedule.h"
#include "scoring/status.h"

namespace incontra::engine {

// Error codes: schedule.malformed_json, schedule.wrong_type, schedule.missing_field,
// schedule.invalid_id, schedule.invalid_value.
Result<ScheduleProblem> ParseScheduleProblem(std::string_view text);
Result<ScheduleProblem> ScheduleProblemFromJson(const nlohmann::json& j);

nlohmann::json ScheduleProblemToJson(const ScheduleProblem& problem);
nlohmann::json ScheduleResultToJson(const ScheduleResult& result);
// The error body of FORMATS.md: {"error": {"code": ..., "message": ...}}.
nlohmann::json ErrorToJson(const Status& status);

}  // namespace incontra::engine
