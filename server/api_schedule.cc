// Schedules and agendas: POST/GET /v1/events/{event}/schedule, schedule.csv, and a
// participant's agenda as JSON or iCalendar.
//
// A re-run keeps what is published: every meeting already placed is first pinned to its slot
// (and keeps its table); only when a pin cannot hold (a participant became unavailable, a slot
// went away, a quota shrank) is that meeting let go and placed again, and it is reported as
// moved. Meetings whose request was cancelled, or that no longer fit, stay in the agendas as
// cancelled with their SEQUENCE bumped, so calendar clients take them off.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/matching.h"
#include "engine/schedule_json.h"
#include "engine/scheduler.h"
#include "server/api.h"
#include "server/calendar.h"
#include "server/csv.h"
#include "server/internal/api_common.h"

namespace incontra::server {
namespace {

using nlohmann::json;
using storage::RecordKind;

// An event id as it may stand in a file name: letters, digits, '-', '_' and '.'; others '_'.
std::string FileNamePart(const std::string& id) {
  std::string out = id;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return out;
}

// A stable id for a meeting proposed from suggestions, so a re-run finds it again.
std::string SuggestionId(const std::string& a, const std::string& b) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : a + '\n' + b) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "s-%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

std::vector<std::string> TableIds(const json& event, size_t participants) {
  std::vector<std::string> out;
  const json tables = event.value("tables", json());
  if (tables.is_array()) {
    for (const json& t : tables) {
      if (t.is_string()) out.push_back(t.get<std::string>());
    }
    return out;
  }
  // Without a count, tables are not what limits the event: one per possible pair.
  const int64_t n = tables.is_number_integer() ? tables.get<int64_t>()
                                                : static_cast<int64_t>(participants / 2 + 1);
  for (int64_t i = 1; i <= std::min(n, engine::kMaxTables); ++i)
    out.push_back("T" + std::to_string(i));
  return out;
}

// The scheduler's max_meetings: the shared limit, capped where no event needs more.
std::optional<int> Limit(const json& participant, const json& event) {
  auto limit = api::MeetingLimit(participant, event);
  if (!limit) return std::nullopt;
  return static_cast<int>(std::min<int64_t>(*limit, 100000));
}

// What a schedule run reads that decides what it publishes: the event record; who takes part
// (their number may set the tables) with each one's kind, quota, host table and unavailable
// slots; the accepted requests; the published meetings. A run is refused only when this
// changed while it ran: a profile's words or a pending request do not touch it (any write to
// the event refused every run under way, so a live event could not be republished).
std::string ScheduleInputs(const json& event, const std::vector<json>& participants,
                           const std::vector<json>& requests, const std::vector<json>& meetings) {
  json who = json::array(), accepted = json::array();
  for (const json& p : participants) {
    who.push_back({p.value("id", ""), p.value("kind", ""), p.value("max_meetings", json()),
                   p.value("table", json()), p.value("unavailable", json())});
  }
  for (const json& r : requests) {
    if (r.value("state", "") == "accepted") {
      accepted.push_back({r.value("id", ""), r.value("from", ""), r.value("to", "")});
    }
  }
  return json::array({event, who, accepted, meetings}).dump();
}

// Keeps each non-host meeting at its previous table when that table is free in its slot.
void KeepTables(engine::ScheduleResult& result, const engine::ScheduleProblem& problem,
                const std::map<std::string, json>& previous) {
  std::set<std::string> host_tables;
  std::set<std::string> hosts;
  for (const auto& p : problem.participants) {
    if (p.table) host_tables.insert(*p.table), hosts.insert(p.id);
  }
  std::map<std::string, const engine::Meeting*> meetings;
  for (const auto& m : problem.meetings) meetings[m.id] = &m;
  std::map<std::string, std::vector<engine::ScheduledMeeting*>> by_slot;
  for (auto& m : result.meetings) {
    const auto& people = meetings[m.id]->participants;
    const bool hosted = std::any_of(people.begin(), people.end(),
                                    [&](const std::string& p) { return hosts.count(p) > 0; });
    if (!hosted) by_slot[m.slot].push_back(&m);
  }
  for (auto& [slot, list] : by_slot) {
    std::set<std::string> taken;
    std::vector<engine::ScheduledMeeting*> rest;
    // Meetings staying in this slot claim their tables before those moving into it.
    // Captured by an init-capture: clang before 16 cannot capture a structured binding.
    std::stable_partition(list.begin(), list.end(),
                          [&, &slot = slot](const engine::ScheduledMeeting* m) {
      auto it = previous.find(m->id);
      return it != previous.end() && it->second.value("slot", "") == slot;
    });
    for (auto* m : list) {
      auto it = previous.find(m->id);
      const std::string table = it == previous.end() ? "" : it->second.value("table", "");
      if (!table.empty() && !host_tables.count(table) && !taken.count(table) &&
          std::find(problem.table_ids.begin(), problem.table_ids.end(), table) !=
              problem.table_ids.end()) {
        m->table = table;
        taken.insert(table);
      } else {
        rest.push_back(m);
      }
    }
    size_t next = 0;
    for (auto* m : rest) {
      if (!taken.count(m->table)) {
        taken.insert(m->table);
        continue;
      }
      while (host_tables.count(problem.table_ids[next]) || taken.count(problem.table_ids[next])) ++next;
      m->table = problem.table_ids[next];
      taken.insert(m->table);
    }
  }
}

}  // namespace

HttpResponse Api::Schedule(const Caller&, const HttpRequest& request, const std::string& event,
                           const std::vector<std::string>& seg, std::string_view) const {
  const std::string& method = request.method;
  auto accept = request.headers.find("accept");
  const bool csv = seg[3] == "schedule.csv" ||
                   (accept != request.headers.end() && accept->second.find("text/csv") != std::string::npos);
  if (method == "GET") {
    auto schedule = store_.GetSchedule(event);
    if (!schedule.ok()) {
      return ErrorResponse(schedule.status().code() == "storage.not_found"
                               ? Status::NotFound("schedule.not_published",
                                                  "event '" + event + "' has no published schedule")
                               : schedule.status());
    }
    auto meetings = store_.List(RecordKind::kMeeting, event);
    if (!meetings.ok()) return ErrorResponse(meetings.status());
    if (!csv) {
      (*schedule)["meetings"] = *meetings;
      return api::Json(200, *schedule);
    }
    auto participants = store_.List(RecordKind::kParticipant, event);
    if (!participants.ok()) return ErrorResponse(participants.status());
    std::map<std::string, std::string> names;
    for (const json& p : *participants) names[p.value("id", "")] = p.value("name", "");
    std::string out = CsvRow({"meeting", "status", "slot", "start", "end", "table",
                              "participants", "names", "sequence"});
    for (const json& m : *meetings) {
      std::string ids, who;
      for (const std::string& p : api::People(m)) {
        ids += (ids.empty() ? "" : "; ") + p;
        who += (who.empty() ? "" : "; ") + names[p];
      }
      out += CsvRow({m.value("id", ""), m.value("status", ""), m.value("slot", ""),
                     m.value("start", ""), m.value("end", ""), m.value("table", ""), ids, who,
                     std::to_string(m.value("sequence", 0))});
    }
    HttpResponse response{200, "text/csv; charset=utf-8", std::move(out)};
    response.headers.push_back(
        {"Content-Disposition", "attachment; filename=\"schedule-" + FileNamePart(event) + ".csv\""});
    return response;
  }
  if (method != "POST" || seg[3] != "schedule") {
    return ErrorResponse(Status::InvalidArgument("api.method_not_allowed", method + ": not allowed"));
  }
  json options = json::object();
  if (!request.body.empty()) {
    auto body = api::Body(request);
    if (!body.ok()) return ErrorResponse(body.status());
    if (!body->is_object()) {
      return ErrorResponse(Status::InvalidArgument("schedule.wrong_type", "(body): an object"));
    }
    options = std::move(*body);
  }
  const json fill_value = options.value("fill", json(false));
  const json limit_value = options.value("time_limit_ms", json(3000));
  if (!fill_value.is_boolean()) {
    return ErrorResponse(Status::InvalidArgument("schedule.wrong_type", "fill: true or false"));
  }
  if (!limit_value.is_number_integer() || limit_value.get<int64_t>() < 10 ||
      limit_value.get<int64_t>() > 60000) {
    return ErrorResponse(
        Status::InvalidArgument("schedule.invalid_value", "time_limit_ms: 10 to 60000"));
  }

  // What the run reads is read under the requests lock, and what it publishes is checked and
  // written under it; the solver (and, with fill, the suggestions) run between, unlocked, so
  // requests and other routes go on meanwhile. A run whose inputs (ScheduleInputs) changed in
  // between is refused, not published stale.
  std::unique_lock<std::mutex> lock(cache_->requests_mutex);
  if (cache_->scheduling.count(event)) {
    return ErrorResponse(Status::InvalidArgument(
        "schedule.running", "a schedule of this event is being made; wait for its answer"));
  }
  if (cache_->scheduling.size() >= static_cast<size_t>(std::max(1, options_.max_schedule_runs))) {
    HttpResponse busy = ErrorResponse(
        Status::IoError("schedule.busy", "the server is making other events' schedules; retry"));
    busy.headers.push_back({"Retry-After", "5"});
    return busy;
  }
  cache_->scheduling.insert(event);
  struct Done {  // on every way out, under the lock (held again before each return)
    std::unique_lock<std::mutex>& lock;
    Api::Cache& cache;
    const std::string& event;
    ~Done() {
      if (!lock.owns_lock()) lock.lock();
      cache.scheduling.erase(event);
    }
  } done{lock, *cache_, event};
  auto ev = store_.GetEvent(event);
  if (!ev.ok()) return ErrorResponse(ev.status());
  auto slots = EventSlots(*ev);
  if (!slots.ok()) return ErrorResponse(slots.status());
  if (slots->empty()) {
    return ErrorResponse(Status::InvalidArgument(
        "schedule.no_slots", "event '" + event + "' has neither days with slot_minutes nor slots"));
  }
  auto participants = store_.List(RecordKind::kParticipant, event);
  if (!participants.ok()) return ErrorResponse(participants.status());
  auto requests = store_.List(RecordKind::kRequest, event);
  if (!requests.ok()) return ErrorResponse(requests.status());
  auto published = store_.List(RecordKind::kMeeting, event);
  if (!published.ok()) return ErrorResponse(published.status());
  const std::string inputs = ScheduleInputs(*ev, *participants, *requests, *published);

  engine::ScheduleProblem problem;
  problem.slots = *slots;
  problem.table_ids = TableIds(*ev, participants->size());
  std::set<std::string> slot_ids, table_set(problem.table_ids.begin(), problem.table_ids.end());
  for (const auto& s : problem.slots) slot_ids.insert(s.id);
  std::map<std::string, const json*> people;
  for (const json& p : *participants) {
    engine::ScheduleParticipant sp{p.value("id", ""), {}, Limit(p, *ev), std::nullopt};
    if (auto it = p.find("unavailable"); it != p.end() && it->is_array()) {
      for (const json& s : *it) {
        if (s.is_string() && slot_ids.count(s.get<std::string>())) sp.unavailable.push_back(s);
      }
    }
    if (auto it = p.find("table"); it != p.end() && it->is_string() && table_set.count(*it)) {
      sp.table = it->get<std::string>();
    }
    people[sp.id] = &p;
    problem.participants.push_back(std::move(sp));
  }
  std::map<std::string, json> previous;  // published meetings by id
  for (const json& m : *published) previous[m.value("id", "")] = m;

  // What should take place: accepted requests, the suggested meetings published before, and
  // with fill, new mutual suggestions.
  std::map<std::string, std::string> source;
  std::set<std::pair<std::string, std::string>> pairs;
  // Accepted when their kinds could meet, two participants may have changed kind since (two
  // public administrations never meet): such a meeting is left out, and says why.
  std::vector<std::pair<std::string, std::string>> refused;  // (id, reason)
  auto add = [&](const std::string& id, std::vector<std::string> who, int priority,
                 const char* from) {
    for (const std::string& p : who) {
      if (!people.count(p)) return;
    }
    const std::string kind_a = people[who[0]]->value("kind", ""),
                      kind_b = people[who[1]]->value("kind", "");
    const auto a = engine::KindFromName(kind_a), b = engine::KindFromName(kind_b);
    if (!a || !b || !engine::KindsMayMeet(*a, *b)) {
      refused.push_back({id, who[0] + " (" + kind_a + ") and " + who[1] + " (" + kind_b +
                                 ") may not meet: their kinds changed since it was accepted"});
      source[id] = from;
      return;
    }
    pairs.insert({std::min(who[0], who[1]), std::max(who[0], who[1])});
    problem.meetings.push_back({id, std::move(who), std::nullopt, std::nullopt, {}, priority});
    source[id] = from;
  };
  for (const json& r : *requests) {
    if (r.value("state", "") == "accepted") {
      add(r.value("id", ""), {r.value("from", ""), r.value("to", "")}, 2, "request");
    }
  }
  for (const auto& [id, m] : previous) {
    std::vector<std::string> who = api::People(m);
    if (m.value("source", "") == "suggestion" && m.value("status", "") == "scheduled" &&
        who.size() == 2 && !pairs.count({std::min(who[0], who[1]), std::max(who[0], who[1])})) {
      add(id, who, 1, "suggestion");
    }
  }
  if (fill_value.get<bool>()) {
    // Suggestions take a while on a big event (the matcher, every participant's top 10):
    // made unlocked, so other events' writes go on; they are suggestions, and what decides
    // the run is checked again before it publishes.
    lock.unlock();
    auto matcher = cache_->Matcher(store_, event);
    if (!matcher.ok()) return ErrorResponse(matcher.status());
    const engine::Matcher& m = **matcher;
    engine::MatchOptions top;
    top.top = 10;
    std::map<std::string, std::map<std::string, double>> liked;
    for (size_t i = 0; i < m.participants().size(); ++i) {
      for (const auto& match : m.ForParticipant(i, top)) {
        liked[m.participants()[i].id][m.participants()[match.participant].id] = match.score;
      }
    }
    std::vector<std::tuple<double, std::string, std::string>> mutual;
    for (const auto& [a, likes] : liked) {
      for (const auto& [b, score] : likes) {
        auto back = liked.find(b);
        if (a < b && back != liked.end() && back->second.count(a)) {
          mutual.emplace_back(std::min(score, back->second.at(a)), a, b);
        }
      }
    }
    std::sort(mutual.begin(), mutual.end(), std::greater<>());
    std::map<std::string, int> load;
    for (const auto& meeting : problem.meetings) {
      for (const auto& p : meeting.participants) ++load[p];
    }
    const int slot_count = static_cast<int>(problem.slots.size());
    auto room = [&](const std::string& p) {
      // The matcher may know a participant added since the list above was read: not this run's.
      auto person = people.find(p);
      if (person == people.end()) return false;
      const auto limit = Limit(*person->second, *ev);
      return load[p] < std::min(limit.value_or(slot_count), slot_count);
    };
    for (const auto& [score, a, b] : mutual) {
      if (pairs.count({a, b}) || !room(a) || !room(b)) continue;
      ++load[a], ++load[b];
      add(SuggestionId(a, b), {a, b}, 0, "suggestion");
    }
    lock.lock();
  }

  // Pass 1 pins every published meeting to its slot; pins that cannot hold are let go.
  std::set<std::string> pinned;
  for (auto& meeting : problem.meetings) {
    auto it = previous.find(meeting.id);
    if (it == previous.end() || it->second.value("status", "") != "scheduled") continue;
    const std::string slot = it->second.value("slot", "");
    if (!slot_ids.count(slot)) continue;
    meeting.slot = slot;
    pinned.insert(meeting.id);
  }
  // Solve would answer an invalid problem with every meeting unscheduled, which would cancel
  // everything published: refuse it instead, naming the rule.
  if (Status s = engine::ValidateProblem(problem); !s.ok()) {
    return ErrorResponse(Status::InvalidArgument("schedule.invalid_event", s.message()));
  }
  engine::SolveOptions solve;
  solve.time_limit_ms = limit_value.get<int64_t>();
  lock.unlock();
  const auto started = std::chrono::steady_clock::now();
  engine::ScheduleResult result = engine::Solve(problem, solve);
  bool released = false;
  for (const auto& u : result.unscheduled) {
    if (!pinned.count(u.id)) continue;
    for (auto& meeting : problem.meetings) {
      if (meeting.id == u.id) meeting.slot.reset();
    }
    released = true;
  }
  if (released) {
    // The second pass has what is left of the caller's time limit, not a limit of its own.
    const int64_t spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
    solve.time_limit_ms = std::max<int64_t>(1, solve.time_limit_ms - spent);  // 0: no limit given
    result = engine::Solve(problem, solve);
    result.stats.solve_ms += spent;
  }
  lock.lock();
  {
    auto ev_now = store_.GetEvent(event);
    auto participants_now = store_.List(RecordKind::kParticipant, event);
    auto requests_now = store_.List(RecordKind::kRequest, event);
    auto published_now = store_.List(RecordKind::kMeeting, event);
    for (const Status& s : {ev_now.status(), participants_now.status(), requests_now.status(),
                            published_now.status()}) {
      if (!s.ok()) return ErrorResponse(s);
    }
    if (ScheduleInputs(*ev_now, *participants_now, *requests_now, *published_now) != inputs) {
      return ErrorResponse(Status::InvalidArgument(
          "schedule.conflict",
          "the event, its participants' kinds, quotas, tables or availability, its accepted "
          "requests or its meetings changed while it was being scheduled; run it again"));
    }
  }
  KeepTables(result, problem, previous);

  std::map<std::string, const engine::Slot*> slot_of;
  for (const auto& s : problem.slots) slot_of[s.id] = &s;
  std::map<std::string, const engine::Meeting*> meeting_of;
  for (const auto& m : problem.meetings) meeting_of[m.id] = &m;
  std::map<std::string, std::string> reasons;
  for (const auto& u : result.unscheduled) reasons[u.id] = u.reason;
  for (const auto& [id, reason] : refused) reasons[id] = reason;

  std::vector<json> records;
  json moved = json::array(), added = json::array(), cancelled = json::array();
  std::vector<std::pair<const char*, json>> tell;
  std::set<std::string> scheduled;
  for (const auto& sm : result.meetings) {
    scheduled.insert(sm.id);
    const engine::Slot& slot = *slot_of[sm.slot];
    json record = {{"id", sm.id},           {"participants", meeting_of[sm.id]->participants},
                   {"slot", sm.slot},       {"start", slot.start},
                   {"end", slot.end},       {"table", sm.table},
                   {"status", "scheduled"}, {"source", source[sm.id]},
                   {"sequence", 0}};
    auto it = previous.find(sm.id);
    if (it != previous.end()) {
      const json& before = it->second;
      const bool was_on = before.value("status", "") == "scheduled";
      const bool changed = !was_on || before.value("slot", "") != sm.slot ||
                           before.value("table", "") != sm.table ||
                           before.value("start", "") != slot.start ||
                           before.value("end", "") != slot.end;
      record["sequence"] = before.value("sequence", 0) + (changed ? 1 : 0);
      if (was_on && changed) {
        json move = {{"id", sm.id},
                     {"from", {{"slot", before.value("slot", "")}, {"table", before.value("table", "")}}},
                     {"to", {{"slot", sm.slot}, {"table", sm.table}}}};
        moved.push_back(move);
        tell.push_back({"meeting.moved", record});
      } else if (!was_on) {
        added.push_back(sm.id);
        tell.push_back({"meeting.scheduled", record});
      }
    } else {
      added.push_back(sm.id);
      tell.push_back({"meeting.scheduled", record});
    }
    records.push_back(std::move(record));
  }
  for (auto& [id, before] : previous) {
    if (scheduled.count(id)) continue;
    json record = before;
    if (record.value("status", "") == "scheduled") {
      record["status"] = "cancelled";
      record["sequence"] = record.value("sequence", 0) + 1;
      record["reason"] = reasons.count(id) ? reasons[id] : "its request is no longer accepted";
      cancelled.push_back(id);
      tell.push_back({"meeting.cancelled", record});
    }
    records.push_back(std::move(record));
  }
  json unscheduled = json::array();
  for (const auto& u : result.unscheduled) {
    unscheduled.push_back({{"id", u.id}, {"reason", u.reason}, {"source", source[u.id]}});
  }
  for (const auto& [id, reason] : refused) {
    unscheduled.push_back({{"id", id}, {"reason", reason}, {"source", source[id]}});
  }
  json schedule = {{"event", event},
                   {"published", api::NowUtc()},
                   {"stats", engine::ScheduleResultToJson(result)["stats"]},
                   {"unscheduled", unscheduled},
                   {"moved", moved},
                   {"added", added},
                   {"cancelled", cancelled}};
  std::vector<storage::Change> committed;
  auto version = store_.PublishSchedule(event, schedule, records, &committed);
  cache_->Invalidate(event);
  if (!version.ok()) return ErrorResponse(version.status());
  schedule["version"] = *version;
  std::vector<Told> told;
  for (auto& [type, record] : tell) {
    told.push_back(
        {type, RecordKind::kMeeting, record.value("id", ""), record, api::People(record)});
  }
  told.push_back({"schedule.published",
                  RecordKind::kSchedule,
                  std::to_string(*version),
                  {{"version", *version}, {"stats", schedule["stats"]}, {"moved", moved.size()}},
                  {}});
  Tell(event, committed, std::move(told));
  schedule["meetings"] = records;
  return api::Json(201, schedule);
}

HttpResponse Api::Agenda(const Caller&, const HttpRequest&, const std::string& event,
                         const std::string& participant, bool ics) const {
  // Agendas are read far more often than schedules change: the answer is kept until then.
  const std::string key = std::string(ics ? "ics " : "agenda ") + participant;
  const uint64_t generation = cache_->Generation(event);
  if (auto answer = cache_->Answer(event, key)) {
    HttpResponse response{200, ics ? "text/calendar; charset=utf-8" : "application/json",
                          std::move(*answer)};
    if (ics) response.headers.push_back({"Content-Disposition", "attachment; filename=\"agenda.ics\""});
    return response;
  }
  auto ev = cache_->Event(store_, event);
  if (!ev.ok()) return ErrorResponse(ev.status());
  auto agendas = cache_->AgendasOf(store_, event);
  if (!agendas.ok()) return ErrorResponse(agendas.status());
  const Cache::Agendas& all = **agendas;
  if (!all.people.count(participant)) {
    return ErrorResponse(
        Status::NotFound("storage.not_found", "participant '" + participant + "': not found"));
  }
  static const std::vector<json> kNone;
  auto found = all.by_participant.find(participant);
  const std::vector<json>& mine = found == all.by_participant.end() ? kNone : found->second;
  json list = json::array();
  std::vector<CalendarEntry> entries;
  const std::string event_name = (*ev)->value("name", event);
  const std::string timezone = (*ev)->value("timezone", "UTC");
  for (const json& m : mine) {
    json with = json::array();
    std::string names;
    for (const std::string& other : api::People(m)) {
      if (other == participant) continue;
      auto p = all.people.find(other);
      const std::string name = p == all.people.end() || p->second.first.empty() ? other : p->second.first;
      with.push_back({{"id", other}, {"name", name},
                      {"kind", p == all.people.end() ? "" : p->second.second}});
      names += (names.empty() ? "" : ", ") + name;
    }
    list.push_back({{"id", m.value("id", "")},         {"status", m.value("status", "")},
                    {"slot", m.value("slot", "")},     {"start", m.value("start", "")},
                    {"end", m.value("end", "")},       {"table", m.value("table", "")},
                    {"sequence", m.value("sequence", 0)}, {"with", with}});
    if (m.value("start", "").empty() || m.value("end", "").empty()) continue;  // no times: no VEVENT
    CalendarEntry e;
    e.uid = m.value("id", "") + "@" + event + ".incontra";
    e.start = m.value("start", "");
    e.end = m.value("end", "");
    e.summary = names.empty() ? "Meeting (" + event_name + ")" : "Meeting: " + names;
    e.location = m.value("table", "").empty() ? "" : "Table " + m.value("table", "");
    e.description = event_name + ", B2B meeting " + m.value("id", "");
    e.sequence = m.value("sequence", 0);
    e.cancelled = m.value("status", "") == "cancelled";
    entries.push_back(std::move(e));
  }
  if (!ics) {
    HttpResponse response = api::Json(200, {{"event", event},
                                            {"participant", participant},
                                            {"timezone", timezone},
                                            {"version", all.version},
                                            {"meetings", list}});
    cache_->KeepAnswer(event, key, response.body, generation);
    return response;
  }
  auto text = WriteICalendar(timezone, entries);
  if (!text.ok()) return ErrorResponse(text.status());
  cache_->KeepAnswer(event, key, *text, generation);
  HttpResponse response{200, "text/calendar; charset=utf-8", std::move(*text)};
  response.headers.push_back({"Content-Disposition", "attachment; filename=\"agenda.ics\""});
  return response;
}

}  // namespace incontra::server
