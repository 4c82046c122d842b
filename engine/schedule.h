// The schedule problem and result of FORMATS.md ("Schedule problem", "Schedule result") as plain
// C++ values: what the scheduler reads and writes, independent of JSON.
//
// Ids are kept as strings exactly as given; the scheduler refers to slots, participants and
// meetings by their index in these vectors. Validation (unknown ids, duplicates, cycles in
// `after`) is done by ValidateProblem in scheduler.h, with messages that name the JSON path
// ("meetings[3].participants[1]"), so the same checks serve files and the HTTP API.
//
// Thread-safety: plain values.
//
// Usage:
//   ScheduleProblem p;
//   p.slots = {{"1"}, {"2"}};
//   p.table_ids = {"T1"};
//   p.participants = {{"a"}, {"b"}};
//   p.meetings = {{.id = "m1", .participants = {"a", "b"}}};
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace incontra::engine {

struct Slot {
  std::string id;
  std::string start;    // RFC 3339, optional (empty when not given)
  std::string end;      // RFC 3339, optional
  std::string session;  // any label, optional
};

struct ScheduleParticipant {
  std::string id;
  std::vector<std::string> unavailable;  // slot ids
  std::optional<int> max_meetings;
  std::optional<std::string> table;  // host table id: all its meetings take place there
};

struct Meeting {
  std::string id;
  std::vector<std::string> participants;  // two ids, more for a group meeting
  std::optional<std::string> session;     // may only use slots of this session
  std::optional<std::string> slot;        // fixed to this slot
  std::vector<std::string> after;         // meetings held in a strictly earlier slot
  int priority = 0;                       // higher is kept first when not everything fits
};

// The longest time limit accepted (about 35 years: in effect none), far from overflowing a
// clock's time point.
inline constexpr int64_t kMaxTimeLimitMs = int64_t{1} << 40;
// The most tables a count may give, as for an event on the API: a count of ten million once
// cost a minute and a gigabyte before the search began.
inline constexpr int64_t kMaxTables = 100'000;
// The most slots a problem may have (agendas are bit sets of slots); an event on the API is
// held to it when written.
inline constexpr int kMaxSlots = 1024;

struct ScheduleProblem {
  std::vector<Slot> slots;  // ordered in time
  // Table ids; a count n in the file becomes T1..Tn. `tables_as_count` remembers the form.
  std::vector<std::string> table_ids;
  bool tables_as_count = false;
  std::vector<ScheduleParticipant> participants;
  std::vector<Meeting> meetings;
  std::optional<int> max_break_spread;  // fairness.max_break_spread
  std::optional<int64_t> time_limit_ms;
};

struct ScheduledMeeting {
  std::string id;
  std::string slot;
  std::string table;
};

struct UnscheduledMeeting {
  std::string id;
  std::string reason;  // in words a person understands
};

struct ScheduleStats {
  int scheduled = 0;
  int unscheduled = 0;
  int breaks_total = 0;
  int breaks_max = 0;
  int lower_bound_breaks = 0;  // no agenda of the scheduled meetings has fewer breaks
  // No better agenda exists: every meeting left out has no slot it could ever use, and
  // breaks_total == lower_bound_breaks.
  bool proven_optimal = false;
  int64_t solve_ms = 0;
};

struct ScheduleResult {
  std::vector<ScheduledMeeting> meetings;  // in the order of the problem's meetings
  std::vector<UnscheduledMeeting> unscheduled;
  ScheduleStats stats;
};

}  // namespace incontra::engine
