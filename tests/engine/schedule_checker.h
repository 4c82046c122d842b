// An independent re-check of a schedule result against its problem, both as the JSON of
// FORMATS.md ("Schedule problem", "Schedule result"). It shares no code with the engine: it
// reads the JSON itself and counts breaks itself, so a bug in the engine's model, codec or
// break counting cannot hide a bug in the scheduler.
//
// A violation is one line "<rule>: <details>", rule one of:
//   shape               the result is not the FORMATS.md shape
//   coverage            a meeting not exactly once in meetings + unscheduled, or an unknown id
//   unknown_slot        a scheduled meeting's slot is not a slot of the problem
//   unknown_table       ... its table is not a table of the problem (a count n means T1..Tn)
//   double_booked       a participant in two meetings of one slot
//   unavailable         a participant meets in a slot it listed as unavailable
//   table_clash         two meetings at one table in one slot
//   host_table          a meeting with a host is not at the host's table
//   host_table_reserved a meeting without the host uses a host's table ("keeps it all day")
//   session             a meeting with a session is in a slot of another session
//   fixed_slot          a meeting with a fixed slot is elsewhere
//   after               a meeting not strictly after every meeting of its `after`
//   max_meetings        a participant over its max_meetings
//   fairness            break counts of two participants differ by more than max_break_spread
//   reason              an unscheduled meeting without a reason
//   stats               stats.scheduled/unscheduled/breaks_total/breaks_max disagree
//   lower_bound         lower_bound_breaks < 0 or > breaks_total
//   proven_optimal      proven_optimal is true but breaks_total != lower_bound_breaks, or an
//                       unscheduled meeting could simply be added (InsertableMeetings)
//
// The problem is trusted to be valid (ValidateProblem accepted it).
//
// Thread-safety: stateless functions.
//
// Usage:
//   auto violations = CheckSchedule(problem_json, result_json);
//   CHECK_MESSAGE(violations.empty(), Describe(violations));
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace incontra::test {

// Every hard rule the result breaks and every stat it misreports; empty when valid.
std::vector<std::string> CheckSchedule(const nlohmann::json& problem, const nlohmann::json& result);

// Break count per participant id (every participant of the problem, 0 without meetings) of the
// meetings the result schedules in known slots. A break is a maximal run of free slots between
// two meetings, slots in problem order.
std::map<std::string, int> CountBreaks(const nlohmann::json& problem, const nlohmann::json& result);

// Unscheduled meetings that could be added to the result as it stands, in some slot at some
// table, without breaking a hard rule (fairness included): proof that the result does not
// schedule as many meetings as possible. Meant for valid results.
std::vector<std::string> InsertableMeetings(const nlohmann::json& problem,
                                            const nlohmann::json& result);

// Valid agendas one step from `result`: one scheduled meeting moved to another slot (at its
// host's table or a free one), every hard rule kept, stats recomputed (lower_bound_breaks 0).
// They hold the same meetings, so none may have fewer breaks than `result`'s lower bound, nor
// than `result` itself when it claims proven_optimal.
std::vector<nlohmann::json> MovedNeighbours(const nlohmann::json& problem,
                                            const nlohmann::json& result);

// One-for-one trades that keep every hard rule: an unscheduled meeting u takes the place of a
// scheduled meeting r of lower priority (r left out, u added in some slot). Each is "u for r".
// Non-empty means the result does not keep higher priorities first: the trade holds as many
// meetings and a higher-priority one.
std::vector<std::string> PriorityUpgrades(const nlohmann::json& problem,
                                          const nlohmann::json& result);

// The sorted, distinct rule names of `violations`, comma-separated: "after,stats".
std::string Rules(const std::vector<std::string>& violations);

// The violations one per line, for test failure messages.
std::string Describe(const std::vector<std::string>& violations);

}  // namespace incontra::test
