#include "bench/problem_index.h"

#include <cstdint>
#include <map>

namespace incontra::bench {
namespace {

Status Unknown(const std::string& what) {
  return Status::InvalidArgument("bench.unknown_reference", what);
}

}  // namespace

Result<ProblemIndex> IndexProblem(const engine::ScheduleProblem& problem) {
  ProblemIndex x;
  x.slots = static_cast<int>(problem.slots.size());
  x.participants = static_cast<int>(problem.participants.size());
  x.meetings = static_cast<int>(problem.meetings.size());
  x.slot_of.reserve(problem.slots.size());
  x.participant_of.reserve(problem.participants.size());
  x.meeting_of.reserve(problem.meetings.size());

  std::map<std::string, int> session_number;
  for (int s = 0; s < x.slots; ++s) {
    x.slot_of.emplace(problem.slots[s].id, s);
    const int number = static_cast<int>(session_number.size());
    x.slot_session.push_back(
        session_number.emplace(problem.slots[s].session, number).first->second);
  }
  for (size_t t = 0; t < problem.table_ids.size(); ++t) {
    x.table_of.emplace(problem.table_ids[t], static_cast<int>(t));
  }
  for (int m = 0; m < x.meetings; ++m) x.meeting_of.emplace(problem.meetings[m].id, m);

  x.available.assign(static_cast<size_t>(x.participants) * x.slots, 1);
  x.max_meetings.assign(x.participants, INT32_MAX);
  x.host_table.assign(x.participants, ProblemIndex::kNoTable);
  x.is_host_table.assign(problem.table_ids.size(), 0);
  for (int p = 0; p < x.participants; ++p) {
    const engine::ScheduleParticipant& q = problem.participants[p];
    x.participant_of.emplace(q.id, p);
    for (const std::string& slot : q.unavailable) {
      auto it = x.slot_of.find(slot);
      if (it == x.slot_of.end()) return Unknown("participant " + q.id + ": no slot " + slot);
      x.available[static_cast<size_t>(p) * x.slots + it->second] = 0;
    }
    if (q.max_meetings) x.max_meetings[p] = *q.max_meetings;
    if (q.table) {
      auto it = x.table_of.find(*q.table);
      if (it == x.table_of.end()) return Unknown("participant " + q.id + ": no table " + *q.table);
      x.host_table[p] = it->second;
      x.is_host_table[it->second] = 1;
    }
  }
  for (size_t t = 0; t < problem.table_ids.size(); ++t) {
    if (!x.is_host_table[t]) x.shared_tables.push_back(static_cast<int>(t));
  }

  x.members.resize(x.meetings);
  x.meeting_table.assign(x.meetings, ProblemIndex::kNoTable);
  x.meeting_session.assign(x.meetings, -1);
  x.fixed_slot.assign(x.meetings, -1);
  x.preds.resize(x.meetings);
  for (int m = 0; m < x.meetings; ++m) {
    const engine::Meeting& meeting = problem.meetings[m];
    for (const std::string& id : meeting.participants) {
      auto it = x.participant_of.find(id);
      if (it == x.participant_of.end()) {
        return Unknown("meeting " + meeting.id + ": no participant " + id);
      }
      x.members[m].push_back(it->second);
      const int table = x.host_table[it->second];
      int& mine = x.meeting_table[m];
      if (table != ProblemIndex::kNoTable && mine != ProblemIndex::kTwoHostTables) {
        mine = (mine == ProblemIndex::kNoTable || mine == table) ? table
                                                                 : ProblemIndex::kTwoHostTables;
      }
    }
    if (meeting.session) {
      auto it = session_number.find(*meeting.session);
      if (it == session_number.end()) {
        return Unknown("meeting " + meeting.id + ": no session " + *meeting.session);
      }
      x.meeting_session[m] = it->second;
    }
    if (meeting.slot) {
      auto it = x.slot_of.find(*meeting.slot);
      if (it == x.slot_of.end())
        return Unknown("meeting " + meeting.id + ": no slot " + *meeting.slot);
      x.fixed_slot[m] = it->second;
    }
    for (const std::string& id : meeting.after) {
      auto it = x.meeting_of.find(id);
      if (it == x.meeting_of.end()) return Unknown("meeting " + meeting.id + ": no meeting " + id);
      x.preds[m].push_back(it->second);
    }
  }
  return x;
}

int CountBreaks(const std::vector<char>& busy, size_t begin, int slots) {
  int runs = 0;
  for (int s = 0; s < slots; ++s) {
    if (busy[begin + s] && (s + 1 == slots || !busy[begin + s + 1])) ++runs;
  }
  return runs > 0 ? runs - 1 : 0;
}

}  // namespace incontra::bench
