#include "engine/schedule_json.h"

#include "engine/internal/json_reader.h"

#include <cmath>
#include <string>

namespace incontra::engine {
namespace {

using nlohmann::json;

using Reader = internal::JsonReader;

Status ParseSlot(const Reader& r, const json& j, const std::string& path, Slot* slot) {
  if (!j.is_object()) return r.WrongType(path, "an object", j);
  const json* id = Reader::Member(j, "id");
  if (!id) return r.Missing(path + ".id");
  if (Status s = r.Id(*id, path + ".id", &slot->id); !s.ok()) return s;
  for (auto [key, field] : {std::pair{"start", &slot->start}, std::pair{"end", &slot->end},
                            std::pair{"session", &slot->session}}) {
    if (const json* v = Reader::Member(j, key)) {
      if (Status s = r.Text(*v, path + "." + key, field); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status ParseParticipant(const Reader& r, const json& j, const std::string& path,
                        ScheduleParticipant* p) {
  if (!j.is_object()) return r.WrongType(path, "an object", j);
  const json* id = Reader::Member(j, "id");
  if (!id) return r.Missing(path + ".id");
  if (Status s = r.Id(*id, path + ".id", &p->id); !s.ok()) return s;
  if (const json* v = Reader::Member(j, "unavailable")) {
    if (Status s = r.IdList(*v, path + ".unavailable", &p->unavailable); !s.ok()) return s;
  }
  if (const json* v = Reader::Member(j, "max_meetings")) {
    int64_t n = 0;
    if (Status s = r.Int(*v, path + ".max_meetings", 0, 1'000'000, &n); !s.ok()) return s;
    p->max_meetings = static_cast<int>(n);
  }
  if (const json* v = Reader::Member(j, "table")) {
    std::string table;
    if (Status s = r.Id(*v, path + ".table", &table); !s.ok()) return s;
    p->table = std::move(table);
  }
  return Status::Ok();
}

Status ParseMeeting(const Reader& r, const json& j, const std::string& path, Meeting* m) {
  if (!j.is_object()) return r.WrongType(path, "an object", j);
  const json* id = Reader::Member(j, "id");
  if (!id) return r.Missing(path + ".id");
  if (Status s = r.Id(*id, path + ".id", &m->id); !s.ok()) return s;
  const json* participants = Reader::Member(j, "participants");
  if (!participants) return r.Missing(path + ".participants");
  if (Status s = r.IdList(*participants, path + ".participants", &m->participants); !s.ok()) {
    return s;
  }
  if (const json* v = Reader::Member(j, "session")) {
    std::string session;
    if (Status s = r.Text(*v, path + ".session", &session); !s.ok()) return s;
    m->session = std::move(session);
  }
  if (const json* v = Reader::Member(j, "slot")) {
    std::string slot;
    if (Status s = r.Id(*v, path + ".slot", &slot); !s.ok()) return s;
    m->slot = std::move(slot);
  }
  if (const json* v = Reader::Member(j, "after")) {
    if (Status s = r.IdList(*v, path + ".after", &m->after); !s.ok()) return s;
  }
  if (const json* v = Reader::Member(j, "priority")) {
    int64_t n = 0;
    if (Status s = r.Int(*v, path + ".priority", -1'000'000, 1'000'000, &n); !s.ok()) return s;
    m->priority = static_cast<int>(n);
  }
  return Status::Ok();
}

template <typename T, typename ParseOne>
Status ParseArray(const Reader& r, const json& root, const char* key, bool required,
                  std::vector<T>* out, ParseOne parse_one) {
  const json* arr = Reader::Member(root, key);
  if (!arr) return required ? r.Missing(key) : Status::Ok();
  if (!arr->is_array()) return r.WrongType(key, "an array", *arr);
  out->resize(arr->size());
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string path = std::string(key) + "[" + std::to_string(i) + "]";
    if (Status s = parse_one(r, (*arr)[i], path, &(*out)[i]); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<ScheduleProblem> ParseScheduleProblem(std::string_view text) {
  json j;
  if (Status s = internal::ParseJsonText(text, "schedule", &j); !s.ok()) return s;
  return ScheduleProblemFromJson(j);
}

Result<ScheduleProblem> ScheduleProblemFromJson(const json& j) {
  const Reader r("schedule");
  if (!j.is_object()) return r.WrongType("(document)", "an object", j);
  ScheduleProblem p;
  if (Status s = ParseArray(r, j, "slots", true, &p.slots, ParseSlot); !s.ok()) return s;

  const json* tables = Reader::Member(j, "tables");
  if (!tables) return r.Missing("tables");
  if (tables->is_array()) {
    if (Status s = r.IdList(*tables, "tables", &p.table_ids); !s.ok()) return s;
  } else if (tables->is_number()) {
    int64_t n = 0;
    if (Status s = r.Int(*tables, "tables", 1, kMaxTables, &n); !s.ok()) return s;
    p.tables_as_count = true;
    for (int64_t i = 1; i <= n; ++i) p.table_ids.push_back("T" + std::to_string(i));
  } else {
    return r.WrongType("tables", "a count or an array of ids", *tables);
  }

  if (Status s = ParseArray(r, j, "participants", true, &p.participants, ParseParticipant);
      !s.ok()) {
    return s;
  }
  if (Status s = ParseArray(r, j, "meetings", true, &p.meetings, ParseMeeting); !s.ok()) {
    return s;
  }
  if (const json* fairness = Reader::Member(j, "fairness")) {
    if (!fairness->is_object()) return r.WrongType("fairness", "an object", *fairness);
    if (const json* d = Reader::Member(*fairness, "max_break_spread")) {
      int64_t n = 0;
      if (Status s = r.Int(*d, "fairness.max_break_spread", 0, 1'000'000, &n); !s.ok()) return s;
      p.max_break_spread = static_cast<int>(n);
    }
  }
  if (const json* limit = Reader::Member(j, "time_limit_ms")) {
    int64_t n = 0;
    if (Status s = r.Int(*limit, "time_limit_ms", 0, kMaxTimeLimitMs, &n); !s.ok()) return s;
    p.time_limit_ms = n;
  }
  return p;
}

json ScheduleProblemToJson(const ScheduleProblem& p) {
  json slots = json::array();
  for (const Slot& s : p.slots) {
    json o = {{"id", s.id}};
    if (!s.start.empty()) o["start"] = s.start;
    if (!s.end.empty()) o["end"] = s.end;
    if (!s.session.empty()) o["session"] = s.session;
    slots.push_back(std::move(o));
  }
  json participants = json::array();
  for (const ScheduleParticipant& q : p.participants) {
    json o = {{"id", q.id}};
    if (!q.unavailable.empty()) o["unavailable"] = q.unavailable;
    if (q.max_meetings) o["max_meetings"] = *q.max_meetings;
    if (q.table) o["table"] = *q.table;
    participants.push_back(std::move(o));
  }
  json meetings = json::array();
  for (const Meeting& m : p.meetings) {
    json o = {{"id", m.id}, {"participants", m.participants}};
    if (m.session) o["session"] = *m.session;
    if (m.slot) o["slot"] = *m.slot;
    if (!m.after.empty()) o["after"] = m.after;
    if (m.priority != 0) o["priority"] = m.priority;
    meetings.push_back(std::move(o));
  }
  json out = {{"slots", std::move(slots)}};
  if (p.tables_as_count) {
    out["tables"] = p.table_ids.size();
  } else {
    out["tables"] = p.table_ids;
  }
  out["participants"] = std::move(participants);
  out["meetings"] = std::move(meetings);
  if (p.max_break_spread) out["fairness"] = {{"max_break_spread", *p.max_break_spread}};
  if (p.time_limit_ms) out["time_limit_ms"] = *p.time_limit_ms;
  return out;
}

json ScheduleResultToJson(const ScheduleResult& r) {
  json meetings = json::array();
  for (const ScheduledMeeting& m : r.meetings) {
    meetings.push_back({{"id", m.id}, {"slot", m.slot}, {"table", m.table}});
  }
  json unscheduled = json::array();
  for (const UnscheduledMeeting& m : r.unscheduled) {
    unscheduled.push_back({{"id", m.id}, {"reason", m.reason}});
  }
  const ScheduleStats& s = r.stats;
  return {{"meetings", std::move(meetings)},
          {"unscheduled", std::move(unscheduled)},
          {"stats",
           {{"scheduled", s.scheduled},
            {"unscheduled", s.unscheduled},
            {"breaks_total", s.breaks_total},
            {"breaks_max", s.breaks_max},
            {"lower_bound_breaks", s.lower_bound_breaks},
            {"proven_optimal", s.proven_optimal},
            {"solve_ms", s.solve_ms}}}};
}

json ErrorToJson(const Status& status) {
  return {{"error", {{"code", status.code()}, {"message", status.message()}}}};
}

}  // namespace incontra::engine
