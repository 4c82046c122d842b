#include "engine/internal/compiled_problem.h"

#include <algorithm>
#include <climits>
#include <map>
#include <unordered_map>

#include "engine/internal/slot_set.h"
#include "engine/rfc3339.h"

namespace incontra::engine::internal {
namespace {

std::string At(const char* array, size_t i) {
  return std::string(array) + "[" + std::to_string(i) + "]";
}

Status Duplicate(const std::string& path, const std::string& id) {
  return Status::InvalidArgument("schedule.duplicate_id", path + ": id '" + id + "' is used twice");
}

template <typename T>
Status IndexIds(const std::vector<T>& items, const char* array,
                std::unordered_map<std::string, int>* index) {
  index->reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (!index->emplace(items[i].id, static_cast<int>(i)).second) {
      return Duplicate(At(array, i) + ".id", items[i].id);
    }
  }
  return Status::Ok();
}

// Finds a cycle in `after` with an iterative depth-first search; returns it as "a -> b -> a".
std::string FindCycle(const std::vector<std::vector<int>>& preds, const ScheduleProblem& p,
                      int* at) {
  const int n = static_cast<int>(preds.size());
  std::vector<char> color(n, 0);  // 0 new, 1 on the stack, 2 done
  std::vector<int> parent(n, -1);
  std::vector<std::pair<int, size_t>> stack;
  for (int start = 0; start < n; ++start) {
    if (color[start]) continue;
    stack.push_back({start, 0});
    color[start] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next < preds[v].size()) {
        int w = preds[v][next++];
        if (color[w] == 0) {
          color[w] = 1;
          parent[w] = v;
          stack.push_back({w, 0});
        } else if (color[w] == 1) {
          // v waits for w, which (through the stack) waits for v.
          std::vector<int> cycle = {w};
          for (int x = v; x != w; x = parent[x]) cycle.push_back(x);
          cycle.push_back(w);
          std::reverse(cycle.begin(), cycle.end());
          std::string text;
          for (size_t i = 0; i < cycle.size(); ++i) {
            text += (i ? " -> " : "") + p.meetings[cycle[i]].id;
          }
          *at = v;
          return text;
        }
      } else {
        color[v] = 2;
        stack.pop_back();
      }
    }
  }
  return "";
}

}  // namespace

Result<CompiledProblem> Compile(const ScheduleProblem& p) {
  CompiledProblem c;
  c.source = &p;
  if (p.slots.size() > static_cast<size_t>(kMaxSlots)) {
    return Status::InvalidArgument("schedule.invalid_value",
                                   "slots: at most " + std::to_string(kMaxSlots) + " slots");
  }
  if (Status s = CheckSlotTimes(p.slots); !s.ok()) return s;
  if (p.table_ids.empty()) {
    return Status::InvalidArgument("schedule.invalid_value", "tables: at least one table");
  }
  if (p.max_break_spread && *p.max_break_spread < 0) {
    return Status::InvalidArgument("schedule.invalid_value",
                                   "fairness.max_break_spread: must be >= 0");
  }
  if (p.time_limit_ms && *p.time_limit_ms < 0) {
    return Status::InvalidArgument("schedule.invalid_value", "time_limit_ms: must be >= 0");
  }
  c.slots = static_cast<int>(p.slots.size());
  c.words = std::max(1, WordsFor(c.slots));
  const int W = c.words;

  std::unordered_map<std::string, int> slot_index, participant_index, meeting_index, table_index;
  if (Status s = IndexIds(p.slots, "slots", &slot_index); !s.ok()) return s;
  for (size_t i = 0; i < p.table_ids.size(); ++i) {
    if (!table_index.emplace(p.table_ids[i], static_cast<int>(i)).second) {
      return Duplicate(At("tables", i), p.table_ids[i]);
    }
  }
  if (Status s = IndexIds(p.participants, "participants", &participant_index); !s.ok()) return s;
  if (Status s = IndexIds(p.meetings, "meetings", &meeting_index); !s.ok()) return s;

  std::map<std::string, std::vector<int>> session_slots;
  for (int s = 0; s < c.slots; ++s) session_slots[p.slots[s].session].push_back(s);

  // Participants: availability, limits, host tables.
  c.participants = static_cast<int>(p.participants.size());
  c.available.assign(static_cast<size_t>(c.participants) * W, 0);
  c.max_meetings.assign(c.participants, INT32_MAX);
  c.participant_host_table.assign(c.participants, -1);
  std::unordered_map<int, int> table_resource;  // table index -> resource
  for (int i = 0; i < c.participants; ++i) {
    const ScheduleParticipant& q = p.participants[i];
    uint64_t* avail = &c.available[static_cast<size_t>(i) * W];
    for (int s = 0; s < c.slots; ++s) Set(avail, s);
    for (size_t k = 0; k < q.unavailable.size(); ++k) {
      auto it = slot_index.find(q.unavailable[k]);
      if (it == slot_index.end()) {
        return Status::InvalidArgument("schedule.unknown_slot",
                                       At("participants", i) + "." + At("unavailable", k) +
                                           ": no slot '" + q.unavailable[k] + "'");
      }
      Clear(avail, it->second);
    }
    if (q.max_meetings) {
      if (*q.max_meetings < 0) {
        return Status::InvalidArgument("schedule.invalid_value",
                                       At("participants", i) + ".max_meetings: must be >= 0");
      }
      c.max_meetings[i] = *q.max_meetings;
    }
    if (q.table) {
      auto it = table_index.find(*q.table);
      if (it == table_index.end()) {
        return Status::InvalidArgument(
            "schedule.unknown_table",
            At("participants", i) + ".table: no table '" + *q.table + "'");
      }
      auto [pos, fresh] = table_resource.emplace(it->second, 0);
      if (fresh) {
        pos->second = static_cast<int>(c.host_tables.size());
        c.host_tables.push_back(it->second);
      }
      c.participant_host_table[i] = pos->second;  // made absolute below
    }
  }
  c.resources = c.participants + static_cast<int>(c.host_tables.size());
  for (int& h : c.participant_host_table) {
    if (h >= 0) h += c.participants;
  }
  c.free_tables = static_cast<int>(p.table_ids.size()) - static_cast<int>(c.host_tables.size());

  // Meetings.
  c.meetings = static_cast<int>(p.meetings.size());
  c.res_begin.assign(c.meetings + 1, 0);
  c.table_resource.assign(c.meetings, -1);
  c.domain.assign(static_cast<size_t>(c.meetings) * W, 0);
  c.fixed_slot.assign(c.meetings, -1);
  c.priority_rank.assign(c.meetings, 0);
  c.preds.assign(c.meetings, {});
  c.succs.assign(c.meetings, {});
  c.static_reason.assign(c.meetings, "");
  std::vector<int> priorities;
  for (const Meeting& m : p.meetings) priorities.push_back(m.priority);
  std::sort(priorities.begin(), priorities.end(), std::greater<>());
  priorities.erase(std::unique(priorities.begin(), priorities.end()), priorities.end());
  c.priority_levels = static_cast<int>(priorities.size());

  for (int m = 0; m < c.meetings; ++m) {
    const Meeting& meeting = p.meetings[m];
    const std::string path = At("meetings", m);
    if (meeting.participants.size() < 2) {
      return Status::InvalidArgument(
          "schedule.invalid_value",
          path + ".participants: a meeting needs at least two participants");
    }
    c.priority_rank[m] = static_cast<int>(
        std::lower_bound(priorities.begin(), priorities.end(), meeting.priority, std::greater<>()) -
        priorities.begin());
    uint64_t* dom = &c.domain[static_cast<size_t>(m) * W];
    for (int s = 0; s < c.slots; ++s) Set(dom, s);
    std::string reason;
    int host = -1;
    std::string host_owner;
    for (size_t k = 0; k < meeting.participants.size(); ++k) {
      const std::string& pid = meeting.participants[k];
      auto it = participant_index.find(pid);
      if (it == participant_index.end()) {
        return Status::InvalidArgument(
            "schedule.unknown_participant",
            path + "." + At("participants", k) + ": no participant '" + pid + "'");
      }
      int q = it->second;
      for (size_t j = 0; j < k; ++j) {
        if (meeting.participants[j] == pid) {
          return Status::InvalidArgument(
              "schedule.duplicate_id",
              path + "." + At("participants", k) + ": participant '" + pid + "' is listed twice");
        }
      }
      c.res.push_back(q);
      const uint64_t* avail = c.Available(q);
      for (int w = 0; w < W; ++w) dom[w] &= avail[w];
      if (reason.empty() && Count(dom, W) == 0 && c.slots > 0) {
        reason = pid + " is unavailable in every slot left for " + meeting.id;
      }
      int h = c.participant_host_table[q];
      if (h >= 0) {
        if (host >= 0 && host != h && reason.empty()) {
          reason = host_owner + " hosts at table " +
                   p.table_ids[c.host_tables[host - c.participants]] + " and " + pid +
                   " at table " + p.table_ids[c.host_tables[h - c.participants]] +
                   ": a meeting cannot be at both";
        }
        if (host < 0) {
          host = h;
          host_owner = pid;
        }
      }
    }
    if (host >= 0) {
      c.res.push_back(host);
      c.table_resource[m] = host;
    }
    c.res_begin[m + 1] = static_cast<int>(c.res.size());

    if (meeting.session) {
      auto it = session_slots.find(*meeting.session);
      if (it == session_slots.end() || meeting.session->empty()) {
        return Status::InvalidArgument(
            "schedule.unknown_session",
            path + ".session: no slot has session '" + *meeting.session + "'");
      }
      uint64_t allowed[kMaxWords] = {};
      for (int s : it->second) Set(allowed, s);
      for (int w = 0; w < W; ++w) dom[w] &= allowed[w];
      if (reason.empty() && Count(dom, W) == 0) {
        reason = "no slot of session '" + *meeting.session + "' is free for all of " + meeting.id +
                 "'s participants";
      }
    }
    if (meeting.slot) {
      auto it = slot_index.find(*meeting.slot);
      if (it == slot_index.end()) {
        return Status::InvalidArgument("schedule.unknown_slot",
                                       path + ".slot: no slot '" + *meeting.slot + "'");
      }
      int s = it->second;
      c.fixed_slot[m] = s;
      bool allowed = Test(dom, s);
      for (int w = 0; w < W; ++w) dom[w] = 0;
      if (allowed) {
        Set(dom, s);
      } else if (reason.empty()) {
        reason = "it is fixed to slot " + *meeting.slot + ", which ";
        reason += meeting.session && p.slots[s].session != *meeting.session
                      ? "is not in session '" + *meeting.session + "'"
                      : "not every participant is available for";
      }
    }
    if (host < 0 && c.free_tables <= 0 && reason.empty()) {
      reason = "there is no table left for meetings without a host table";
      for (int w = 0; w < W; ++w) dom[w] = 0;
    }
    if (c.slots == 0 && reason.empty()) reason = "the problem has no slots";
    c.static_reason[m] = reason;
    if (!reason.empty()) {
      for (int w = 0; w < W; ++w) dom[w] = 0;
    }

    for (size_t k = 0; k < meeting.after.size(); ++k) {
      auto it = meeting_index.find(meeting.after[k]);
      if (it == meeting_index.end()) {
        return Status::InvalidArgument(
            "schedule.unknown_meeting",
            path + "." + At("after", k) + ": no meeting '" + meeting.after[k] + "'");
      }
      if (it->second == m) {
        return Status::InvalidArgument(
            "schedule.after_cycle",
            path + "." + At("after", k) + ": a meeting cannot follow itself");
      }
      c.preds[m].push_back(it->second);
      c.succs[it->second].push_back(m);
    }
  }
  int cycle_at = -1;
  if (std::string cycle = FindCycle(c.preds, p, &cycle_at); !cycle.empty()) {
    return Status::InvalidArgument("schedule.after_cycle",
                                   At("meetings", cycle_at) + ".after: " + cycle + " form a cycle");
  }
  return c;
}

}  // namespace incontra::engine::internal
