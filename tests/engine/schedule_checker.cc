#include "tests/engine/schedule_checker.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>

namespace incontra::test {
namespace {

using nlohmann::json;

// The problem as this checker reads it, with ids turned into indices where that helps.
struct Participant {
  std::string id;
  std::set<int> unavailable;  // slot indices
  std::optional<int64_t> max_meetings;
  std::optional<std::string> table;
};

struct MeetingRule {
  std::string id;
  std::vector<int> participants;  // participant indices
  std::optional<std::string> session;
  std::optional<std::string> slot;
  std::vector<std::string> after;
  int64_t priority = 0;
};

struct Problem {
  std::vector<std::string> slots;
  std::vector<std::optional<std::string>> slot_session;
  std::unordered_map<std::string, int> slot_index;
  std::set<std::string> tables;
  std::vector<Participant> participants;
  std::unordered_map<std::string, int> participant_index;
  std::vector<MeetingRule> meetings;
  std::unordered_map<std::string, int> meeting_index;
  std::optional<int64_t> max_break_spread;
  // table id -> participants that host there
  std::map<std::string, std::set<int>> hosts_of_table;
};

// One entry of result.meetings that names a known meeting and a known slot.
struct Placement {
  int meeting;
  int slot;
  std::string table;
};

struct Agenda {
  std::vector<Placement> placements;
  std::vector<int> slot_of;  // per meeting: slot of its first placement, or -1
};

const json* Field(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> StringField(const json& obj, const char* key) {
  const json* v = Field(obj, key);
  if (v && v->is_string()) return v->get<std::string>();
  return std::nullopt;
}

std::optional<int64_t> IntField(const json& obj, const char* key) {
  const json* v = Field(obj, key);
  if (v && v->is_number_integer()) return v->get<int64_t>();
  if (v && v->is_number_float()) return static_cast<int64_t>(v->get<double>());
  return std::nullopt;
}

std::vector<std::string> StringList(const json& obj, const char* key) {
  std::vector<std::string> out;
  const json* v = Field(obj, key);
  if (!v || !v->is_array()) return out;
  for (const json& x : *v) {
    if (x.is_string()) out.push_back(x.get<std::string>());
  }
  return out;
}

Problem ReadProblem(const json& j) {
  Problem p;
  if (const json* slots = Field(j, "slots"); slots && slots->is_array()) {
    for (const json& s : *slots) {
      std::string id = StringField(s, "id").value_or("");
      p.slot_index.emplace(id, static_cast<int>(p.slots.size()));
      p.slots.push_back(id);
      p.slot_session.push_back(StringField(s, "session"));
    }
  }
  if (const json* tables = Field(j, "tables")) {
    if (tables->is_number()) {
      int64_t n = tables->get<int64_t>();
      for (int64_t i = 1; i <= n; ++i) {
        std::string id = "T";
        id += std::to_string(i);  // not "T" + ...: GCC 12 warns falsely (-Wrestrict) on that
        p.tables.insert(std::move(id));
      }
    } else if (tables->is_array()) {
      for (const json& t : *tables) {
        if (t.is_string()) p.tables.insert(t.get<std::string>());
      }
    }
  }
  if (const json* participants = Field(j, "participants");
      participants && participants->is_array()) {
    for (const json& q : *participants) {
      Participant part;
      part.id = StringField(q, "id").value_or("");
      for (const std::string& s : StringList(q, "unavailable")) {
        if (auto it = p.slot_index.find(s); it != p.slot_index.end()) {
          part.unavailable.insert(it->second);
        }
      }
      part.max_meetings = IntField(q, "max_meetings");
      part.table = StringField(q, "table");
      const int index = static_cast<int>(p.participants.size());
      if (part.table) p.hosts_of_table[*part.table].insert(index);
      p.participant_index.emplace(part.id, index);
      p.participants.push_back(std::move(part));
    }
  }
  if (const json* meetings = Field(j, "meetings"); meetings && meetings->is_array()) {
    for (const json& m : *meetings) {
      MeetingRule rule;
      rule.id = StringField(m, "id").value_or("");
      for (const std::string& q : StringList(m, "participants")) {
        if (auto it = p.participant_index.find(q); it != p.participant_index.end()) {
          rule.participants.push_back(it->second);
        }
      }
      rule.session = StringField(m, "session");
      rule.slot = StringField(m, "slot");
      rule.after = StringList(m, "after");
      rule.priority = IntField(m, "priority").value_or(0);
      p.meeting_index.emplace(rule.id, static_cast<int>(p.meetings.size()));
      p.meetings.push_back(std::move(rule));
    }
  }
  if (const json* fairness = Field(j, "fairness")) {
    p.max_break_spread = IntField(*fairness, "max_break_spread");
  }
  return p;
}

// Reads result.meetings; reports what cannot be placed into `violations` when given.
Agenda ReadAgenda(const Problem& p, const json& result, std::vector<std::string>* violations) {
  auto report = [&](std::string v) {
    if (violations) violations->push_back(std::move(v));
  };
  Agenda agenda;
  agenda.slot_of.assign(p.meetings.size(), -1);
  const json* meetings = Field(result, "meetings");
  if (!meetings || !meetings->is_array()) return agenda;
  for (size_t i = 0; i < meetings->size(); ++i) {
    const json& e = (*meetings)[i];
    const std::string at = "meetings[" + std::to_string(i) + "]";
    auto id = StringField(e, "id");
    auto slot = StringField(e, "slot");
    auto table = StringField(e, "table");
    if (!id || !slot || !table) {
      report("shape: " + at + " needs string fields id, slot and table");
      continue;
    }
    auto m = p.meeting_index.find(*id);
    if (m == p.meeting_index.end()) continue;  // reported as coverage
    auto s = p.slot_index.find(*slot);
    if (s == p.slot_index.end()) {
      report("unknown_slot: " + *id + " is in slot '" + *slot + "', which the problem lacks");
      continue;
    }
    if (!p.tables.count(*table)) {
      report("unknown_table: " + *id + " is at table '" + *table + "', which the problem lacks");
    }
    agenda.placements.push_back({m->second, s->second, *table});
    if (agenda.slot_of[m->second] < 0) agenda.slot_of[m->second] = s->second;
  }
  return agenda;
}

// Sorted distinct slots in which each participant meets.
std::vector<std::set<int>> BusySlots(const Problem& p, const Agenda& agenda) {
  std::vector<std::set<int>> busy(p.participants.size());
  for (const Placement& pl : agenda.placements) {
    for (int q : p.meetings[pl.meeting].participants) busy[q].insert(pl.slot);
  }
  return busy;
}

int Breaks(const std::set<int>& slots) {
  int breaks = 0;
  int previous = -1;
  for (int s : slots) {
    if (previous >= 0 && s > previous + 1) ++breaks;
    previous = s;
  }
  return breaks;
}

std::vector<int> BreakCounts(const Problem& p, const Agenda& agenda) {
  std::vector<int> breaks;
  for (const std::set<int>& slots : BusySlots(p, agenda)) breaks.push_back(Breaks(slots));
  return breaks;
}

bool FairnessHolds(const Problem& p, const std::vector<int>& breaks) {
  if (!p.max_break_spread || breaks.empty()) return true;
  auto [lo, hi] = std::minmax_element(breaks.begin(), breaks.end());
  return *hi - *lo <= *p.max_break_spread;
}

void CheckPlacements(const Problem& p, const Agenda& agenda, std::vector<std::string>& out) {
  // (participant, slot) -> meetings there
  std::map<std::pair<int, int>, std::vector<int>> at_participant;
  std::map<std::pair<std::string, int>, std::vector<int>> at_table;
  std::vector<int> count(p.participants.size(), 0);
  for (const Placement& pl : agenda.placements) {
    const MeetingRule& m = p.meetings[pl.meeting];
    const std::string& slot_id = p.slots[pl.slot];
    at_table[{pl.table, pl.slot}].push_back(pl.meeting);
    for (int q : m.participants) {
      const Participant& part = p.participants[q];
      at_participant[{q, pl.slot}].push_back(pl.meeting);
      ++count[q];
      if (part.unavailable.count(pl.slot)) {
        out.push_back("unavailable: " + part.id + " is unavailable in slot " + slot_id +
                      " but meets in " + m.id);
      }
      if (part.table && *part.table != pl.table) {
        out.push_back("host_table: " + m.id + " is at table " + pl.table + " but its host " +
                      part.id + " keeps table " + *part.table);
      }
    }
    if (auto hosts = p.hosts_of_table.find(pl.table); hosts != p.hosts_of_table.end()) {
      bool has_host = false;
      for (int q : m.participants) has_host |= hosts->second.count(q) > 0;
      if (!has_host) {
        out.push_back("host_table_reserved: " + m.id + " is at table " + pl.table +
                      ", which a host keeps all day, without that host");
      }
    }
    if (m.session && p.slot_session[pl.slot] != m.session) {
      out.push_back("session: " + m.id + " must be in session '" + *m.session + "' but slot " +
                    slot_id + " is in session '" + p.slot_session[pl.slot].value_or("") + "'");
    }
    if (m.slot && *m.slot != slot_id) {
      out.push_back("fixed_slot: " + m.id + " is fixed to slot " + *m.slot + " but is in slot " +
                    slot_id);
    }
    for (const std::string& pred_id : m.after) {
      auto pred = p.meeting_index.find(pred_id);
      if (pred == p.meeting_index.end()) continue;  // an invalid problem; not the result's fault
      int pred_slot = agenda.slot_of[pred->second];
      if (pred_slot < 0) {
        out.push_back("after: " + m.id + " is scheduled but " + pred_id +
                      ", which it must follow, is not");
      } else if (pred_slot >= pl.slot) {
        out.push_back("after: " + m.id + " in slot " + slot_id + " must follow " + pred_id +
                      ", which is in slot " + p.slots[pred_slot]);
      }
    }
  }
  for (const auto& [key, meetings] : at_participant) {
    if (meetings.size() > 1) {
      std::string list;
      for (int m : meetings) list += (list.empty() ? "" : ", ") + p.meetings[m].id;
      out.push_back("double_booked: " + p.participants[key.first].id + " is in " + list +
                    " in slot " + p.slots[key.second]);
    }
  }
  for (const auto& [key, meetings] : at_table) {
    if (meetings.size() > 1) {
      std::string list;
      for (int m : meetings) list += (list.empty() ? "" : ", ") + p.meetings[m].id;
      out.push_back("table_clash: " + list + " share table " + key.first + " in slot " +
                    p.slots[key.second]);
    }
  }
  for (size_t q = 0; q < p.participants.size(); ++q) {
    const auto& max = p.participants[q].max_meetings;
    if (max && count[q] > *max) {
      out.push_back("max_meetings: " + p.participants[q].id + " has " + std::to_string(count[q]) +
                    " meetings, at most " + std::to_string(*max) + " allowed");
    }
  }
}

void CheckStats(const json& result, const std::vector<int>& breaks, std::vector<std::string>& out) {
  const json* stats = Field(result, "stats");
  if (!stats || !stats->is_object()) {
    out.push_back("shape: stats must be an object");
    return;
  }
  auto size_of = [&](const char* key) -> int64_t {
    const json* a = Field(result, key);
    return a && a->is_array() ? static_cast<int64_t>(a->size()) : 0;
  };
  int64_t total = 0, max = 0;
  for (int b : breaks) {
    total += b;
    max = std::max<int64_t>(max, b);
  }
  const std::pair<const char*, int64_t> expected[] = {
      {"scheduled", size_of("meetings")},
      {"unscheduled", size_of("unscheduled")},
      {"breaks_total", total},
      {"breaks_max", max},
  };
  for (const auto& [key, want] : expected) {
    auto got = IntField(*stats, key);
    if (!got) {
      out.push_back(std::string("stats: stats.") + key + " is missing or not an integer");
    } else if (*got != want) {
      out.push_back(std::string("stats: stats.") + key + " is " + std::to_string(*got) +
                    " but the agenda gives " + std::to_string(want));
    }
  }
  auto lower = IntField(*stats, "lower_bound_breaks");
  if (!lower) {
    out.push_back("stats: stats.lower_bound_breaks is missing or not an integer");
  } else if (*lower < 0 || *lower > total) {
    out.push_back("lower_bound: lower_bound_breaks " + std::to_string(*lower) +
                  " is not between 0 and the agenda's " + std::to_string(total) + " breaks");
  }
  if (!IntField(*stats, "solve_ms")) {
    out.push_back("stats: stats.solve_ms is missing or not an integer");
  }
  const json* proven = Field(*stats, "proven_optimal");
  if (proven && proven->is_boolean() && proven->get<bool>() && lower && *lower != total) {
    out.push_back("proven_optimal: claimed, but breaks_total " + std::to_string(total) +
                  " != lower_bound_breaks " + std::to_string(*lower));
  }
}

std::vector<std::string> Insertable(const Problem& p, const json& result);

// CheckSchedule on a problem read once.
std::vector<std::string> Check(const Problem& p, const json& result) {
  std::vector<std::string> out;
  if (!result.is_object() || !Field(result, "meetings") || !Field(result, "meetings")->is_array() ||
      !Field(result, "unscheduled") || !Field(result, "unscheduled")->is_array()) {
    out.push_back("shape: a result is an object with arrays meetings and unscheduled");
    return out;
  }

  // Every meeting exactly once in meetings + unscheduled, and nothing else.
  std::vector<int> seen(p.meetings.size(), 0);
  auto count_ids = [&](const char* key) {
    const json& entries = result[key];
    for (size_t i = 0; i < entries.size(); ++i) {
      auto id = StringField(entries[i], "id");
      if (!id) {
        out.push_back(std::string("shape: ") + key + "[" + std::to_string(i) +
                      "] has no string id");
        continue;
      }
      auto it = p.meeting_index.find(*id);
      if (it == p.meeting_index.end()) {
        out.push_back(std::string("coverage: ") + key + "[" + std::to_string(i) +
                      "] names meeting '" + *id + "', which the problem lacks");
      } else {
        ++seen[it->second];
      }
    }
  };
  count_ids("meetings");
  count_ids("unscheduled");
  for (size_t m = 0; m < p.meetings.size(); ++m) {
    if (seen[m] != 1) {
      out.push_back("coverage: " + p.meetings[m].id + " appears " + std::to_string(seen[m]) +
                    " times in meetings and unscheduled, not once");
    }
  }
  for (const json& u : result["unscheduled"]) {
    const json* reason = Field(u, "reason");
    if (!reason || !reason->is_string()) {
      out.push_back("shape: unscheduled " + StringField(u, "id").value_or("?") +
                    " has no string reason");
    } else if (reason->get<std::string>().empty()) {
      out.push_back("reason: unscheduled " + StringField(u, "id").value_or("?") +
                    " has an empty reason");
    }
  }

  const Agenda agenda = ReadAgenda(p, result, &out);
  CheckPlacements(p, agenda, out);
  const std::vector<int> breaks = BreakCounts(p, agenda);
  if (!FairnessHolds(p, breaks)) {
    auto [lo, hi] = std::minmax_element(breaks.begin(), breaks.end());
    out.push_back("fairness: " + p.participants[hi - breaks.begin()].id + " has " +
                  std::to_string(*hi) + " breaks and " + p.participants[lo - breaks.begin()].id +
                  " " + std::to_string(*lo) + ", more apart than max_break_spread " +
                  std::to_string(*p.max_break_spread));
  }
  CheckStats(result, breaks, out);
  // "No better agenda exists" is false when a meeting could simply be added.
  if (const json* stats = Field(result, "stats")) {
    const json* proven = Field(*stats, "proven_optimal");
    if (proven && proven->is_boolean() && proven->get<bool>()) {
      for (const std::string& id : Insertable(p, result)) {
        out.push_back("proven_optimal: claimed, but " + id + " could still be added");
      }
    }
  }
  return out;
}

std::vector<std::string> Insertable(const Problem& p, const json& result) {
  Agenda agenda = ReadAgenda(p, result, nullptr);
  const std::vector<std::set<int>> busy = BusySlots(p, agenda);
  std::vector<int> count(p.participants.size(), 0);
  std::set<std::pair<std::string, int>> table_taken;
  for (const Placement& pl : agenda.placements) {
    table_taken.insert({pl.table, pl.slot});
    for (int q : p.meetings[pl.meeting].participants) ++count[q];
  }
  std::vector<int> breaks = BreakCounts(p, agenda);

  std::vector<std::string> out;
  const json* unscheduled = Field(result, "unscheduled");
  if (!unscheduled || !unscheduled->is_array()) return out;
  for (const json& u : *unscheduled) {
    auto id = StringField(u, "id");
    if (!id) continue;
    auto found = p.meeting_index.find(*id);
    if (found == p.meeting_index.end() || agenda.slot_of[found->second] >= 0) continue;
    const MeetingRule& m = p.meetings[found->second];

    // The table it must use (a host's), or none when any free table will do.
    std::optional<std::string> host_table;
    bool hosts_agree = true;
    bool under_limit = true;
    for (int q : m.participants) {
      const Participant& part = p.participants[q];
      if (part.table) {
        if (host_table && *host_table != *part.table) hosts_agree = false;
        host_table = part.table;
      }
      if (part.max_meetings && count[q] >= *part.max_meetings) under_limit = false;
    }
    if (!hosts_agree || !under_limit) continue;

    bool insertable = false;
    for (int s = 0; s < static_cast<int>(p.slots.size()) && !insertable; ++s) {
      if (m.session && p.slot_session[s] != m.session) continue;
      if (m.slot && *m.slot != p.slots[s]) continue;
      bool free = true;
      for (int q : m.participants) {
        free &= !p.participants[q].unavailable.count(s) && !busy[q].count(s);
      }
      for (const std::string& pred : m.after) {
        auto it = p.meeting_index.find(pred);
        int ps = it == p.meeting_index.end() ? -1 : agenda.slot_of[it->second];
        free &= ps >= 0 && ps < s;
      }
      if (!free) continue;
      bool table_free = false;
      if (host_table) {
        table_free = p.tables.count(*host_table) && !table_taken.count({*host_table, s});
      } else {
        for (const std::string& t : p.tables) {
          if (!p.hosts_of_table.count(t) && !table_taken.count({t, s})) table_free = true;
        }
      }
      if (!table_free) continue;
      if (p.max_break_spread) {
        std::vector<int> after_insert = breaks;
        for (int q : m.participants) {
          std::set<int> slots = busy[q];
          slots.insert(s);
          after_insert[q] = Breaks(slots);
        }
        if (!FairnessHolds(p, after_insert)) continue;
      }
      insertable = true;
    }
    if (insertable) out.push_back(m.id);
  }
  return out;
}

// `result` with stats recomputed from its agenda, so a changed agenda is checked on its rules.
json Recounted(const Problem& p, json result) {
  const std::vector<int> breaks = BreakCounts(p, ReadAgenda(p, result, nullptr));
  int total = 0, max = 0;
  for (int b : breaks) {
    total += b;
    max = std::max(max, b);
  }
  result["stats"] = {{"scheduled", result["meetings"].size()},
                     {"unscheduled", result["unscheduled"].size()},
                     {"breaks_total", total},
                     {"breaks_max", max},
                     {"lower_bound_breaks", 0},
                     {"solve_ms", 0}};
  return result;
}

// A table meeting m may take in slot `slot` of `result`, ignoring the entry `skip`: its host's
// table, or the first table no host keeps and no other meeting uses there.
std::optional<std::string> TableFor(const Problem& p, const json& result, int m,
                                    const std::string& slot, size_t skip) {
  std::set<std::string> used;
  const json& meetings = result["meetings"];
  for (size_t i = 0; i < meetings.size(); ++i) {
    if (i != skip && StringField(meetings[i], "slot") == slot) {
      used.insert(StringField(meetings[i], "table").value_or(""));
    }
  }
  for (int q : p.meetings[m].participants) {
    if (p.participants[q].table) return *p.participants[q].table;
  }
  for (const std::string& t : p.tables) {
    if (!used.count(t) && !p.hosts_of_table.count(t)) return t;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> CheckSchedule(const json& problem, const json& result) {
  return Check(ReadProblem(problem), result);
}

std::map<std::string, int> CountBreaks(const json& problem, const json& result) {
  const Problem p = ReadProblem(problem);
  const std::vector<int> breaks = BreakCounts(p, ReadAgenda(p, result, nullptr));
  std::map<std::string, int> out;
  for (size_t q = 0; q < p.participants.size(); ++q) out[p.participants[q].id] = breaks[q];
  return out;
}

std::vector<std::string> InsertableMeetings(const json& problem, const json& result) {
  return Insertable(ReadProblem(problem), result);
}

std::vector<json> MovedNeighbours(const json& problem, const json& result) {
  const Problem p = ReadProblem(problem);
  std::vector<json> out;
  const json* meetings = Field(result, "meetings");
  if (!meetings || !meetings->is_array()) return out;
  for (size_t i = 0; i < meetings->size(); ++i) {
    auto id = StringField((*meetings)[i], "id");
    auto m = id ? p.meeting_index.find(*id) : p.meeting_index.end();
    if (m == p.meeting_index.end()) continue;
    for (const std::string& slot : p.slots) {
      if (StringField((*meetings)[i], "slot") == slot) continue;
      auto table = TableFor(p, result, m->second, slot, i);
      if (!table) continue;
      json candidate = result;
      candidate["meetings"][i]["slot"] = slot;
      candidate["meetings"][i]["table"] = *table;
      candidate = Recounted(p, std::move(candidate));
      if (Check(p, candidate).empty()) out.push_back(std::move(candidate));
    }
  }
  return out;
}

std::vector<std::string> PriorityUpgrades(const json& problem, const json& result) {
  const Problem p = ReadProblem(problem);
  std::vector<std::string> out;
  const json* meetings = Field(result, "meetings");
  const json* unscheduled = Field(result, "unscheduled");
  if (!meetings || !meetings->is_array() || !unscheduled || !unscheduled->is_array()) return out;
  for (size_t ui = 0; ui < unscheduled->size(); ++ui) {
    auto u_id = StringField((*unscheduled)[ui], "id");
    auto u = u_id ? p.meeting_index.find(*u_id) : p.meeting_index.end();
    if (u == p.meeting_index.end()) continue;
    for (size_t ri = 0; ri < meetings->size(); ++ri) {
      auto r_id = StringField((*meetings)[ri], "id");
      auto r = r_id ? p.meeting_index.find(*r_id) : p.meeting_index.end();
      if (r == p.meeting_index.end()) continue;
      if (p.meetings[r->second].priority >= p.meetings[u->second].priority) continue;
      json base = result;
      base["meetings"].erase(ri);
      base["unscheduled"][ui] = {{"id", *r_id}, {"reason", "traded for " + *u_id}};
      for (const std::string& slot : p.slots) {
        auto table = TableFor(p, base, u->second, slot, base["meetings"].size());
        if (!table) continue;
        json candidate = base;
        candidate["meetings"].push_back({{"id", *u_id}, {"slot", slot}, {"table", *table}});
        candidate = Recounted(p, std::move(candidate));
        if (Check(p, candidate).empty()) {
          out.push_back(*u_id + " for " + *r_id);
          break;
        }
      }
    }
  }
  return out;
}

std::string Rules(const std::vector<std::string>& violations) {
  std::set<std::string> rules;
  for (const std::string& v : violations) rules.insert(v.substr(0, v.find(':')));
  std::string out;
  for (const std::string& r : rules) out += (out.empty() ? "" : ",") + r;
  return out;
}

std::string Describe(const std::vector<std::string>& violations) {
  std::string out;
  for (const std::string& v : violations) out += v + "\n";
  return out;
}

}  // namespace incontra::test
