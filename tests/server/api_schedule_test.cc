// Schedules, agendas, imports and roles through the HTTP API as a plain function: publishing
// and re-running a schedule (meetings stay put unless a rule forces a move), agendas as JSON
// and iCalendar, the organiser CSV, participants:import, who may call what (route by route,
// every caller), the rate limit, the receiver's quota and the pushes the hub fans out.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <latch>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/api.h"
#include "storage/store.h"
#include "tests/server/api_harness.h"

namespace incontra::server {
namespace {

using nlohmann::json;
using storage::RecordKind;

// Event e1 with four 30-minute slots on 25 February 2027 in Rome, two tables, and
// participants p1 (pa), p2, c1, c2, c3 (companies).
struct ScheduleFixture : ApiFixture {
  ScheduleFixture() {
    json event = {{"id", "e1"},
                  {"name", "Event one"},
                  {"timezone", "Europe/Rome"},
                  {"days", {{{"date", "2027-02-25"},
                             {"sessions", {{{"name", "morning"}, {"start", "09:00"}, {"end", "11:00"}}}}}}},
                  {"slot_minutes", 30},
                  {"tables", 2}};
    REQUIRE(Call("PUT", "/v1/events/e1", "admin", event.dump()).status == 200);
    Participant("p1", {{"kind", "pa"}, {"name", "Comune di Bari"}, {"max_meetings", 10},
                       {"seeks", {"software gestionale per i tributi comunali"}}});
    Participant("p2", {{"kind", "company"}, {"name", "Beta Srl"},
                       {"offers", {"servizi di pulizia per uffici"}}});
    Participant("c1", {{"kind", "company"}, {"name", "Alfa Srl"},
                       {"offers", {"software gestionale tributi e riscossione per comuni"}},
                       {"seeks", {"comuni che cercano software per i tributi"}}});
    Participant("c2", {{"kind", "company"}, {"name", "=HYPERLINK(\"x\")"},
                       {"offers", {"manutenzione del verde pubblico"}}});
    Participant("c3", {{"kind", "company"}, {"name", "Gamma Spa"},
                       {"offers", {"arredi per scuole"}}});
  }

  void Participant(const std::string& id, json body) const {
    HttpResponse r = Call("PUT", "/v1/events/e1/participants/" + id, "admin", body.dump());
    REQUIRE_MESSAGE(r.status == 200, id << ": " << r.body);
  }

  // An accepted request from -> to; returns its id (also the id of its meeting).
  std::string Accepted(const std::string& from, const std::string& to) const {
    HttpResponse r = Call("POST", "/v1/events/e1/requests", "organiser",
                          json{{"from", from}, {"to", to}}.dump());
    REQUIRE_MESSAGE(r.status == 201, r.body);
    const std::string id = json::parse(r.body)["id"];
    REQUIRE(Call("POST", "/v1/events/e1/requests/" + id + "/accept", "organiser").status == 200);
    return id;
  }

  json Publish(const std::string& body = "") const {
    HttpResponse r = Call("POST", "/v1/events/e1/schedule", "organiser", body);
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return json::parse(r.body);
  }

  // id -> "slot table status sequence" of every meeting the store holds.
  std::map<std::string, std::string> Placed() const {
    std::map<std::string, std::string> out;
    auto list = store->List(RecordKind::kMeeting, "e1");
    REQUIRE(list.ok());
    for (const json& m : *list) {
      out[m["id"]] = m.value("slot", "") + " " + m.value("table", "") + " " +
                     m.value("status", "") + " " + std::to_string(m.value("sequence", -1));
    }
    return out;
  }
};

TEST_CASE("api schedule: publishing places accepted meetings in the event's slots and tables") {
  ScheduleFixture f;
  const std::string a = f.Accepted("p1", "c1"), b = f.Accepted("p1", "c2"),
                    c = f.Accepted("c3", "c1");
  f.Accepted("p2", "c3");
  REQUIRE(f.Call("POST", "/v1/events/e1/requests", "organiser", R"({"from": "c2", "to": "c3"})")
              .status == 201);  // pending: not scheduled
  json s = f.Publish();
  CHECK(s["version"] == 1);
  CHECK(s["stats"]["scheduled"] == 4);
  CHECK(s["added"].size() == 4);
  CHECK(s["moved"].empty());
  std::set<std::string> slots = {"2027-02-25T09:00", "2027-02-25T09:30", "2027-02-25T10:00",
                                 "2027-02-25T10:30"};
  std::map<std::string, std::set<std::string>> busy;  // participant -> slots
  std::set<std::string> seats;                        // slot + table
  for (const json& m : s["meetings"]) {
    CHECK(slots.count(m["slot"]) == 1);
    CHECK((m["table"] == "T1" || m["table"] == "T2"));
    CHECK(seats.insert(m["slot"].get<std::string>() + m["table"].get<std::string>()).second);
    // 25 February is winter time in Rome: +01:00.
    CHECK(m["start"] == m["slot"].get<std::string>() + ":00+01:00");
    for (const json& p : m["participants"]) CHECK(busy[p].insert(m["slot"]).second);
  }
  // The agenda of p1: its two meetings in time order, with the counterparts' names.
  HttpResponse r = f.Call("GET", "/v1/events/e1/participants/p1/agenda", "token-p1");
  REQUIRE(r.status == 200);
  json agenda = json::parse(r.body);
  CHECK(agenda["version"] == 1);
  CHECK(agenda["timezone"] == "Europe/Rome");
  REQUIRE(agenda["meetings"].size() == 2);
  CHECK(agenda["meetings"][0]["start"] < agenda["meetings"][1]["start"]);
  std::set<std::string> with;
  for (const json& m : agenda["meetings"]) with.insert(m["with"][0]["name"].get<std::string>());
  CHECK(with == std::set<std::string>{"Alfa Srl", "=HYPERLINK(\"x\")"});
  CHECK(f.Placed().count(a) + f.Placed().count(b) + f.Placed().count(c) == 3);
}

TEST_CASE("api schedule: a re-run keeps meetings in place and reports only forced moves") {
  ScheduleFixture f;
  const std::string a = f.Accepted("p1", "c1"), b = f.Accepted("p1", "c2"),
                    c = f.Accepted("c3", "c1");
  f.Publish();
  const auto first = f.Placed();

  json again = f.Publish();
  CHECK(again["version"] == 2);
  CHECK(again["moved"].empty());
  CHECK(again["added"].empty());
  CHECK(f.Placed() == first);

  // c2 cannot make its slot any more: only its meeting moves, and its SEQUENCE goes up.
  const std::string b_slot = first.at(b).substr(0, first.at(b).find(' '));
  f.Participant("c2", {{"kind", "company"}, {"name", "Delta"}, {"unavailable", {b_slot}}});
  json moved = f.Publish();
  REQUIRE(moved["moved"].size() == 1);
  CHECK(moved["moved"][0]["id"] == b);
  CHECK(moved["moved"][0]["from"]["slot"] == b_slot);
  CHECK(moved["moved"][0]["to"]["slot"] != b_slot);
  const auto second = f.Placed();
  CHECK(second.at(a) == first.at(a));
  CHECK(second.at(c) == first.at(c));
  CHECK(second.at(b).substr(second.at(b).size() - 11) == "scheduled 1");

  // Cancelling an accepted request calls its meeting off at once, in every agenda.
  REQUIRE(f.Call("POST", "/v1/events/e1/requests/" + a + "/cancel", "token-p1").status == 200);
  CHECK(f.Placed().at(a) == first.at(a).substr(0, first.at(a).size() - 11) + "cancelled 1");
  HttpResponse ics = f.Call("GET", "/v1/events/e1/participants/c1/agenda.ics", "organiser");
  REQUIRE(ics.status == 200);
  const std::string uid = "UID:" + a + "@e1.incontra";
  const size_t at = ics.body.find(uid);
  REQUIRE(at != std::string::npos);
  const std::string vevent = ics.body.substr(at, ics.body.find("END:VEVENT", at) - at);
  CHECK(vevent.find("STATUS:CANCELLED") != std::string::npos);
  CHECK(vevent.find("SEQUENCE:1") != std::string::npos);
  // A re-run leaves it cancelled and does not count it again.
  json third = f.Publish();
  CHECK(third["cancelled"].empty());
  CHECK(f.Placed().at(a).find("cancelled 1") != std::string::npos);
  CHECK(f.Placed().at(c) == first.at(c));
}

TEST_CASE("api agenda: iCalendar with the event's time zone, stable UIDs, tables as LOCATION") {
  ScheduleFixture f;
  const std::string a = f.Accepted("p1", "c1");
  f.Publish();
  for (const auto& [target, accept] :
       std::vector<std::pair<std::string, std::string>>{{"/agenda.ics", ""},
                                                        {"/agenda", "text/calendar"}}) {
    HttpRequest request{"GET", "/v1/events/e1/participants/p1" + target, {}, ""};
    request.headers["authorization"] = std::string("Bearer ") + kTokenP1;
    if (!accept.empty()) request.headers["accept"] = accept;
    HttpResponse r = f.api->Handle(request);
    REQUIRE(r.status == 200);
    CHECK(r.content_type.rfind("text/calendar", 0) == 0);
    for (const std::string& line :
         {std::string("BEGIN:VCALENDAR\r\n"), std::string("VERSION:2.0\r\n"),
          std::string("METHOD:PUBLISH\r\n"), std::string("BEGIN:VTIMEZONE\r\n"),
          std::string("TZID:Europe/Rome\r\n"), "UID:" + a + "@e1.incontra\r\n",
          std::string("DTSTART;TZID=Europe/Rome:20270225T"), std::string("LOCATION:Table T"),
          std::string("SEQUENCE:0\r\n"), std::string("STATUS:CONFIRMED\r\n"),
          std::string("SUMMARY:Meeting: Alfa Srl\r\n")}) {
      CHECK_MESSAGE(r.body.find(line) != std::string::npos, line);
    }
  }
  // No schedule yet for another event: an empty agenda, version 0.
  REQUIRE(f.Call("PUT", "/v1/events/e2/participants/x", "admin", R"({"kind": "company"})").status == 200);
  json empty = json::parse(f.Call("GET", "/v1/events/e2/participants/x/agenda", "admin").body);
  CHECK(empty["version"] == 0);
  CHECK(empty["meetings"].empty());
}

TEST_CASE("api schedule: fill adds mutual suggestions, kept by later runs without fill") {
  ScheduleFixture f;
  json s = f.Publish(R"({"fill": true})");
  REQUIRE(!s["added"].empty());
  bool p1_c1 = false;
  for (const json& m : s["meetings"]) {
    CHECK(m["source"] == "suggestion");
    CHECK(m["id"].get<std::string>().rfind("s-", 0) == 0);
    std::set<std::string> who(m["participants"].begin(), m["participants"].end());
    p1_c1 = p1_c1 || who == std::set<std::string>{"p1", "c1"};
  }
  CHECK(p1_c1);  // the one pair whose needs and offers meet both ways
  const auto first = f.Placed();
  json again = f.Publish();
  CHECK(again["cancelled"].empty());
  CHECK(f.Placed() == first);
  CHECK(f.Call("POST", "/v1/events/e1/schedule", "organiser", R"({"fill": "yes"})").status == 400);
  CHECK(Outcome(f.Call("POST", "/v1/events/e1/schedule", "organiser", R"({"time_limit_ms": 0})")) ==
        "400 schedule.invalid_value");
}

TEST_CASE("api events: a broken day or zone is refused when written, no slots, no schedule") {
  ScheduleFixture f;
  REQUIRE(f.Call("PUT", "/v1/events/e2", "admin", R"({"name": "market"})").status == 200);
  CHECK(Outcome(f.Call("POST", "/v1/events/e2/schedule", "admin")) == "400 schedule.no_slots");
  // A broken day is refused when the event is written, by name, and the event stays as it was.
  const std::string before = f.StoredEvent("e2");
  HttpResponse r = f.Call("PUT", "/v1/events/e2", "admin",
                          R"({"days": [{"date": "2027-02-30", "sessions": []}], "slot_minutes": 30})");
  CHECK(Outcome(r) == "400 event.invalid_value");
  CHECK(ErrorMessage(r.body) == "days[0].date: a date YYYY-MM-DD");
  CHECK(f.StoredEvent("e2") == before);
  CHECK(Outcome(f.Call("POST", "/v1/events", "admin",
                       R"({"id": "e3", "timezone": "Mars/Olympus", "days": [], "slot_minutes": 30})")) ==
        "400 event.invalid_value");
  CHECK(Outcome(f.Call("GET", "/v1/events/e2/schedule", "admin")) == "404 schedule.not_published");
  // Whatever makes the slots, or none: an unknown zone used to pass here and break every
  // agenda download later.
  CHECK(Outcome(f.Call("POST", "/v1/events", "admin",
                       R"({"id": "e4", "timezone": "Mars/Olympus",
                           "slots": [{"id": "1", "start": "2027-02-25T09:00:00+01:00"}]})")) ==
        "400 event.invalid_value");
  CHECK(Outcome(f.Call("PUT", "/v1/events/e2", "admin", R"({"timezone": "Mars/Olympus"})")) ==
        "400 event.invalid_value");
  CHECK(f.StoredEvent("e4") == "-");
  CHECK(f.StoredEvent("e2") == before);
}

// Slots were not counted when an event was written: 800 KB of days made 3.46 million slots,
// 8 s and 600 MB under the calendar lock (every agenda.ics waited), and an event no schedule
// run would take (regression).
TEST_CASE("api events: more slots than a schedule may have are refused when written") {
  ScheduleFixture f;
  auto days = [](int full_days, const std::string& last_end) {
    json list = json::array();
    for (int d = 0; d < full_days; ++d) {
      list.push_back({{"date", "2027-03-0" + std::to_string(d + 1)},
                      {"sessions", {{{"start", "00:00"}, {"end", "24:00"}}}}});
    }
    list.push_back({{"date", "2027-03-0" + std::to_string(full_days + 1)},
                    {"sessions", {{{"start", "00:00"}, {"end", last_end}}}}});
    return json{{"timezone", "UTC"}, {"slot_minutes", 5}, {"days", list}};
  };
  // Three days of 288 five-minute slots and 160 more: 1,024, the most a schedule may have.
  CHECK(Outcome(f.Call("PUT", "/v1/events/e2", "admin", days(3, "13:20").dump())) == "200");
  const std::string before = f.StoredEvent("e2");
  HttpResponse r = f.Call("PUT", "/v1/events/e2", "admin", days(3, "13:25").dump());
  CHECK(Outcome(r) == "400 event.invalid_value");
  CHECK(ErrorMessage(r.body) == "days: at most 1024 slots over all days and sessions");
  CHECK(f.StoredEvent("e2") == before);
  json many = {{"id", "e7"}, {"timezone", "UTC"}, {"slot_minutes", 5}, {"days", json::array()}};
  for (int d = 1; d <= 9; ++d) {
    many["days"].push_back({{"date", "2027-04-0" + std::to_string(d)},
                            {"sessions", {{{"start", "00:00"}, {"end", "24:00"}}}}});
  }
  CHECK(Outcome(f.Call("POST", "/v1/events", "admin", many.dump())) == "400 event.invalid_value");
  CHECK(f.StoredEvent("e7") == "-");
  json listed = {{"slots", json::array()}};
  for (int s = 0; s < 1025; ++s) listed["slots"].push_back({{"id", std::to_string(s)}});
  r = f.Call("PUT", "/v1/events/e2", "admin", listed.dump());
  CHECK(Outcome(r) == "400 event.invalid_value");
  CHECK(ErrorMessage(r.body) == "slots: at most 1024 slots");
  CHECK(f.StoredEvent("e2") == before);
}

TEST_CASE("api schedule.csv: one row per meeting, names guarded against formulas") {
  ScheduleFixture f;
  const std::string b = f.Accepted("c2", "p1");  // c2's name comes first in its row
  f.Publish();
  HttpResponse r = f.Call("GET", "/v1/events/e1/schedule.csv", "organiser");
  REQUIRE(r.status == 200);
  CHECK(r.content_type.rfind("text/csv", 0) == 0);
  const std::string header =
      "\"meeting\",\"status\",\"slot\",\"start\",\"end\",\"table\",\"participants\",\"names\","
      "\"sequence\"\r\n";
  REQUIRE(r.body.substr(0, header.size()) == header);
  const std::string row = r.body.substr(header.size());
  CHECK(row.rfind("\"" + b + "\",\"scheduled\",\"2027-02-25T", 0) == 0);
  CHECK(row.find("\"'=HYPERLINK(\"\"x\"\")") != std::string::npos);
  CHECK(std::count(r.body.begin(), r.body.end(), '\n') == 2);
  // The same through Accept on GET /schedule.
  HttpRequest request{"GET", "/v1/events/e1/schedule", {{"accept", "text/csv"}}, ""};
  request.headers["authorization"] = std::string("Bearer ") + kOrganiserKey;
  CHECK(f.api->Handle(request).body == r.body);
}

TEST_CASE("api participants:import: CSV or JSON Lines, all or nothing") {
  ApiFixture f;
  auto import = [&](const std::string& type, const std::string& body) {
    HttpRequest request{"POST", "/v1/events/e1/participants:import", {}, body};
    request.headers["authorization"] = std::string("Bearer ") + kOrganiserKey;
    if (!type.empty()) request.headers["content-type"] = type;
    return f.api->Handle(request);
  };
  HttpResponse ok = import("text/csv; charset=utf-8",
                           "id,kind,name,offers,cpv,max_meetings,booth\r\n"
                           "c1,company,\"Alfa, Srl\",software; hosting | cloud,72000000,4,B12\r\n"
                           "p1,pa,Comune,,,,\r\n");
  REQUIRE_MESSAGE(ok.status == 200, ok.body);
  CHECK(json::parse(ok.body)["imported"] == 2);
  CHECK(f.Stored(RecordKind::kParticipant, "e1", "c1") ==
        R"({"booth":"B12","cpv":["72000000"],"id":"c1","kind":"company","max_meetings":4,"name":"Alfa, Srl","offers":["software","hosting","cloud"]})");

  HttpResponse bad = import("text/csv", "id,kind\r\nc7,company\r\nc8,alien\r\n");
  CHECK(Outcome(bad) == "400 participant.invalid_value");
  CHECK(ErrorMessage(bad.body).rfind("row 3", 0) == 0);
  CHECK(f.Ids(RecordKind::kParticipant, "e1") == "c1 p1");
  CHECK(Outcome(import("text/csv", "id,kind\r\nc7,company,extra\r\n")) == "400 csv.wrong_width");
  CHECK(Outcome(import("text/csv", "id,kind\r\nc7,company\r\nc7,company\r\n")) ==
        "400 participant.duplicate_id");
  CHECK(Outcome(import("text/csv", "id,kind\r\n\"c7,company\r\n")) == "400 csv.malformed");

  HttpResponse jsonl = import("application/x-ndjson",
                              "{\"id\": \"c9\", \"kind\": \"research\"}\n{\"id\": \"c10\", \"kind\": \"company\"}\n");
  REQUIRE(jsonl.status == 200);
  CHECK(f.Ids(RecordKind::kParticipant, "e1") == "c1 c10 c9 p1");
  CHECK(Outcome(import("application/x-ndjson", "{\"id\": \"c11\", \"kind\": \"company\"}\n{")) ==
        "400 participant.malformed_json");
  // A media type's case and the spaces before its parameters do not count (they were 415).
  CHECK(Outcome(import("Application/X-NDJSON ; charset=utf-8",
                       "{\"id\": \"c12\", \"kind\": \"company\"}\n")) == "200");
  CHECK(Outcome(import("", "id,kind\r\n")) == "415 api.unsupported_media_type");
  CHECK(Outcome(import("text/csv", "id,kind\r\n")) == "400 api.empty_body");
  CHECK(f.Ids(RecordKind::kParticipant, "e1") == "c1 c10 c12 c9 p1");
}

// Who may call what: every route against every kind of caller. "ok" is any answer past
// authorisation (the route's own outcome is tested elsewhere); "full"/"public" tell which
// profile a reader gets.
TEST_CASE("api roles: every route against every caller") {
  ScheduleFixture f;
  REQUIRE(f.Call("PUT", "/v1/events/e1/needs/n1", "admin",
                 R"({"title": "software per i tributi", "owner": "p1"})")
              .status == 200);
  REQUIRE(f.store->Put(RecordKind::kRequest, "e1",
                       {{"id", "r1"}, {"from", "p2"}, {"to", "p1"}, {"state", "pending"}})
              .ok());
  REQUIRE(f.store->Put(RecordKind::kRequest, "e1",
                       {{"id", "r2"}, {"from", "c1"}, {"to", "c3"}, {"state", "pending"}})
              .ok());
  struct Route {
    std::string method, target, body;
  };
  const std::vector<Route> routes = {
      {"GET", "/v1/events/e1", ""},
      {"PUT", "/v1/events/e1", R"({"name": "Event one", "timezone": "Europe/Rome"})"},
      {"GET", "/v1/events/e1/participants/p1", ""},
      {"PUT", "/v1/events/e1/participants/p1",
       R"({"kind": "pa", "name": "Comune di Bari", "max_meetings": 10})"},
      {"GET", "/v1/events/e1/participants/p1/suggestions", ""},
      {"GET", "/v1/events/e1/participants/p1/agenda", ""},
      {"POST", "/v1/events/e1/participants/p1/tokens", ""},
      {"POST", "/v1/events/e1/participants:import", "x"},
      {"GET", "/v1/events/e1/needs/n1", ""},
      {"PUT", "/v1/events/e1/needs/n1", R"({"title": "software per i tributi", "owner": "p1"})"},
      {"GET", "/v1/events/e1/needs/n1/suggestions", ""},
      {"POST", "/v1/events/e1/requests", R"({"from": "p1", "to": "c3"})"},
      {"GET", "/v1/events/e1/requests", ""},
      {"GET", "/v1/events/e1/requests/r1", ""},
      {"GET", "/v1/events/e1/requests/r2", ""},
      {"POST", "/v1/events/e1/requests/r1/decline", ""},
      {"POST", "/v1/events/e1/requests/r2/cancel", ""},
      {"POST", "/v1/events/e1/schedule", ""},
      {"GET", "/v1/events/e1/schedule", ""},
      {"GET", "/v1/events/e1/schedule.csv", ""},
      {"GET", "/v1/events/e1/changes", ""},
      {"POST", "/v1/events/e1/keys", R"({"role": "frontend"})"},
      {"GET", "/v1/ws?event=e1", ""},
      {"GET", "/v1/ws?event=e1&participant=p2", ""},
      {"GET", "/metrics", ""},
  };
  const std::vector<std::string> callers = {"none",     "unknown",  "other",     "frontend",
                                            "token-p1", "token-p2", "organiser", "admin"};
  std::string rendered;
  for (const Route& route : routes) {
    rendered += route.method + " " + route.target + ":";
    for (const std::string& who : callers) {
      HttpResponse r = f.Call(route.method, route.target, who, route.body);
      std::string seen = std::to_string(r.status);
      if (r.status != 401 && r.status != 403) seen = "ok";
      if (r.status == 200 && route.target == "/v1/events/e1/participants/p1" && route.method == "GET") {
        seen = json::parse(r.body).contains("max_meetings") ? "full" : "public";
      }
      rendered += " " + who + "=" + seen;
    }
    rendered += "\n";
  }
  // Schedules, feed, keys and imports are the organisers'; a participant token acts as its own
  // participant; a frontend key reads suggestions and profiles.
  const std::string expected =
      "GET /v1/events/e1: none=401 unknown=401 other=403 frontend=ok token-p1=ok token-p2=ok organiser=ok admin=ok\n"
      "PUT /v1/events/e1: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/participants/p1: none=401 unknown=401 other=403 frontend=public token-p1=full token-p2=public organiser=full admin=full\n"
      "PUT /v1/events/e1/participants/p1: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/participants/p1/suggestions: none=401 unknown=401 other=403 frontend=ok token-p1=ok token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/participants/p1/agenda: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=403 organiser=ok admin=ok\n"
      "POST /v1/events/e1/participants/p1/tokens: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "POST /v1/events/e1/participants:import: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/needs/n1: none=401 unknown=401 other=403 frontend=ok token-p1=ok token-p2=ok organiser=ok admin=ok\n"
      "PUT /v1/events/e1/needs/n1: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/needs/n1/suggestions: none=401 unknown=401 other=403 frontend=ok token-p1=ok token-p2=403 organiser=ok admin=ok\n"
      "POST /v1/events/e1/requests: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/requests: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=ok organiser=ok admin=ok\n"
      "GET /v1/events/e1/requests/r1: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=ok organiser=ok admin=ok\n"
      "GET /v1/events/e1/requests/r2: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "POST /v1/events/e1/requests/r1/decline: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=403 organiser=ok admin=ok\n"
      "POST /v1/events/e1/requests/r2/cancel: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "POST /v1/events/e1/schedule: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/schedule: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/schedule.csv: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/events/e1/changes: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "POST /v1/events/e1/keys: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=ok admin=ok\n"
      "GET /v1/ws?event=e1: none=401 unknown=401 other=403 frontend=403 token-p1=ok token-p2=ok organiser=ok admin=ok\n"
      "GET /v1/ws?event=e1&participant=p2: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=ok organiser=ok admin=ok\n"
      "GET /metrics: none=401 unknown=401 other=403 frontend=403 token-p1=403 token-p2=403 organiser=403 admin=ok\n";
  CHECK(rendered == expected);
}

TEST_CASE("api roles: another participant and a frontend see the public profile only") {
  ScheduleFixture f;
  f.Participant("c1", {{"kind", "company"}, {"name", "Alfa"}, {"max_meetings", 3},
                       {"email", "anna@alfa.example"}, {"offers", {"software"}}});
  const std::string full = f.Call("GET", "/v1/events/e1/participants/c1", "organiser").body;
  CHECK(full.find("anna@alfa.example") != std::string::npos);
  for (const char* who : {"token-p1", "frontend"}) {
    CHECK(f.Call("GET", "/v1/events/e1/participants/c1", who).body ==
          R"({"id":"c1","kind":"company","name":"Alfa","offers":["software"]})");
  }
}

// Every key of the event read the event whole, fields organisers added included (regression).
TEST_CASE("api roles: participants and frontends read an event's known fields, not organisers' notes") {
  ScheduleFixture f;
  json event = json::parse(f.StoredEvent("e1"));
  event["secret_note"] = "budget 40k, venue contract pending";
  REQUIRE(f.Call("PUT", "/v1/events/e1", "organiser", event.dump()).status == 200);
  CHECK(json::parse(f.Call("GET", "/v1/events/e1", "organiser").body).contains("secret_note"));
  CHECK(json::parse(f.Call("GET", "/v1/events/e1", "admin").body).contains("secret_note"));
  json known = event;
  known.erase("secret_note");
  for (const char* who : {"token-p1", "frontend"}) {
    CHECK(json::parse(f.Call("GET", "/v1/events/e1", who).body) == known);
  }
}

// A participant's kind could change under the rules that needs and requests were checked by
// when written: a need stayed owned by a company, and an accepted request between two public
// administrations was scheduled (regression).
TEST_CASE("api kinds: a kind change may not orphan needs, and two pa are never scheduled") {
  ScheduleFixture f;
  REQUIRE(f.Call("PUT", "/v1/events/e1/needs/n1", "organiser",
                 R"({"owner": "p1", "title": "software per i tributi"})")
              .status == 200);
  HttpResponse r = f.Call("PUT", "/v1/events/e1/participants/p1", "organiser", R"({"kind": "company"})");
  CHECK(Outcome(r) == "400 participant.owns_needs");
  CHECK(ErrorMessage(r.body) == "kind: 'p1' owns needs (n1), which belong to a pa; withdraw them first");
  CHECK(json::parse(f.Stored(RecordKind::kParticipant, "e1", "p1"))["kind"] == "pa");
  // An owner named before it registers may not register as a company either.
  REQUIRE(f.Call("PUT", "/v1/events/e1/needs/n2", "organiser",
                 R"({"owner": "comune-x", "title": "arredi"})")
              .status == 200);
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1/participants/comune-x", "organiser",
                       R"({"kind": "company"})")) == "400 participant.owns_needs");
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1/participants/comune-x", "organiser",
                       R"({"kind": "pa"})")) == "200");
  // participants:import keeps the same rule, in either format, and writes nothing of a file
  // that breaks it: c9 stays unknown (regression: the import stored p1 as a company).
  for (const auto& [type, body] : std::vector<std::pair<std::string, std::string>>{
           {"text/csv", "id,kind\r\nc9,company\r\np1,company\r\n"},
           {"application/x-ndjson",
            "{\"id\": \"c9\", \"kind\": \"company\"}\n{\"id\": \"p1\", \"kind\": "
            "\"research\"}\n"}}) {
    CAPTURE(type);
    HttpRequest request{
        "POST", "/v1/events/e1/participants:import", {{"content-type", type}}, body};
    request.headers["authorization"] = std::string("Bearer ") + kOrganiserKey;
    r = f.api->Handle(request);
    CHECK(Outcome(r) == "400 participant.owns_needs");
    CHECK(ErrorMessage(r.body) ==
          "kind: 'p1' owns needs (n1), which belong to a pa; withdraw them first");
    CHECK(json::parse(f.Stored(RecordKind::kParticipant, "e1", "p1"))["kind"] == "pa");
    CHECK(Outcome(f.Call("GET", "/v1/events/e1/participants/c9", "organiser")) ==
          "404 storage.not_found");
  }
  // c1 and p1 meet; then c1 becomes a pa: the meeting is left out, and says why.
  const std::string id = f.Accepted("c1", "p1");
  REQUIRE(f.Call("PUT", "/v1/events/e1/participants/c1", "organiser", R"({"kind": "pa"})").status ==
          200);
  const json published = f.Publish();
  CHECK(f.Placed().count(id) == 0);
  std::string reason;
  for (const json& u : published["unscheduled"]) {
    if (u["id"] == id) reason = u["reason"];
  }
  CHECK(reason == "c1 (pa) and p1 (pa) may not meet: their kinds changed since it was accepted");
}

TEST_CASE("api roles: a participant token edits its profile but not its kind or quota") {
  ScheduleFixture f;
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1/participants/p1", "token-p1",
                       R"({"kind": "company", "name": "Comune di Bari", "max_meetings": 10})")) ==
        "403 api.forbidden");
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1/participants/p1", "token-p1",
                       R"({"kind": "pa", "max_meetings": 99})")) == "403 api.forbidden");
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1/participants/p1", "token-p1",
                       R"j({"kind": "pa", "name": "Comune di Bari (BA)", "max_meetings": 10})j")) ==
        "200");
  CHECK(f.Stored(RecordKind::kParticipant, "e1", "p1").find("(BA)") != std::string::npos);
  // A token cannot write a need for someone else, nor take one over.
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1/needs/n2", "token-p2",
                       R"({"title": "x", "owner": "p1"})")) == "403 api.forbidden");
  REQUIRE(f.Call("PUT", "/v1/events/e1/needs/n3", "token-p1", R"({"title": "x", "owner": "p1"})")
              .status == 200);
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1/needs/n3", "token-p2",
                       R"({"title": "x", "owner": "p2"})")) == "403 api.forbidden");
  // Tokens made by an organiser work, and act as their participant only.
  json token = json::parse(f.Call("POST", "/v1/events/e1/participants/c3/tokens", "organiser").body);
  HttpRequest request{"GET", "/v1/events/e1/participants/c3/agenda", {}, ""};
  request.headers["authorization"] = "Bearer " + token["token"].get<std::string>();
  CHECK(f.api->Handle(request).status == 200);
  request.target = "/v1/events/e1/participants/c1/agenda";
  CHECK(f.api->Handle(request).status == 403);
  CHECK(token["scope"] == json{{"role", "participant"}, {"event", "e1"}, {"participant", "c3"}});
  CHECK(f.store->FindApiKey(token["token"].get<std::string>()).ok());
  CHECK(Outcome(f.Call("POST", "/v1/events/e1/participants/nobody/tokens", "organiser")) ==
        "404 storage.not_found");
}

TEST_CASE("api requests: accepting counts the receiver's meetings, not its pending invitations") {
  ScheduleFixture f;
  f.Participant("c1", {{"kind", "company"}, {"max_meetings", 1}});
  // Three invitations wait for c1: pending ones do not stop it from accepting the first.
  std::vector<std::string> ids;
  for (const char* from : {"p1", "p2", "c3"}) {
    HttpResponse r = f.Call("POST", "/v1/events/e1/requests", "organiser",
                            json{{"from", from}, {"to", "c1"}}.dump());
    REQUIRE_MESSAGE(r.status == 201, r.body);
    ids.push_back(json::parse(r.body)["id"]);
  }
  CHECK(Outcome(f.Call("POST", "/v1/events/e1/requests/" + ids[0] + "/accept", "organiser")) == "200");
  // Its one meeting taken, it cannot accept a second.
  CHECK(Outcome(f.Call("POST", "/v1/events/e1/requests/" + ids[1] + "/accept", "organiser")) ==
        "409 request.quota");
  CHECK(json::parse(f.Stored(RecordKind::kRequest, "e1", ids[1]))["state"] == "pending");
}

TEST_CASE("api rate limit: a key past its burst gets 429 with Retry-After, the admin does not") {
  ApiFixture f;
  ApiOptions options;
  options.admin_key = kAdminKey;
  options.rate_per_second = 20;
  options.rate_burst = 2;
  Api limited(*f.store, options);
  auto call = [&](const char* key) {
    HttpRequest request{"GET", "/v1/events/e1", {}, ""};
    request.headers["authorization"] = std::string("Bearer ") + key;
    return limited.Handle(request);
  };
  CHECK(call(kOrganiserKey).status == 200);
  CHECK(call(kOrganiserKey).status == 200);
  HttpResponse refused = call(kOrganiserKey);
  CHECK(Outcome(refused) == "429 api.rate_limited");
  REQUIRE(refused.headers.size() == 1);
  CHECK(refused.headers[0] == std::pair<std::string, std::string>{"Retry-After", "1"});
  CHECK(call(kFrontendKey).status == 200);  // buckets are per key
  for (int i = 0; i < 5; ++i) CHECK(call(kAdminKey).status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(120));  // 20/s: two tokens back
  CHECK(call(kOrganiserKey).status == 200);
}

TEST_CASE("api responses name their route pattern and key id, never ids or keys") {
  ApiFixture f;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/events/e1/participants/IT0123/agenda", "/v1/events/{event}/participants/{id}/agenda"},
      {"/v1/events/e1/requests/r-1/accept?x=1", "/v1/events/{event}/requests/{id}/accept"},
      {"/v1/events/e1/participants:import", "/v1/events/{event}/participants:import"},
      {"/v1/events/e1/secret-stuff", "(unknown)"},
      {"/healthz", "/healthz"},
      {"/v1/ws?event=e1", "/v1/ws"},
      {"/etc/passwd", "(unknown)"}};
  for (const auto& [target, route] : cases) {
    HttpResponse r = f.Call("GET", target, "organiser");
    CHECK_MESSAGE(r.route == route, target);
  }
  CHECK(f.Call("GET", "/v1/events/e1", "organiser").key_id == "k-e1");
  CHECK(f.Call("GET", "/v1/events/e1", "admin").key_id == "admin");
  CHECK(f.Call("GET", "/v1/events/e1", "none").key_id.empty());
}

TEST_CASE("api pushes: the hub tells organisers everything and participants their part") {
  ScheduleFixture f;
  std::vector<std::string> organiser, c1;
  const uint64_t all = f.api->hub().Subscribe("e1", "", [&](auto text) { organiser.push_back(*text); });
  const uint64_t one = f.api->hub().Subscribe("e1", "c1", [&](auto text) { c1.push_back(*text); });
  f.api->hub().Subscribe("e2", "", [&](auto) { FAIL("e2 hears nothing of e1"); });
  const std::string a = f.Accepted("p1", "c1");
  REQUIRE(f.Call("POST", "/v1/events/e1/requests", "organiser", R"({"from": "p2", "to": "c3"})")
              .status == 201);
  f.Publish();
  auto types = [](const std::vector<std::string>& texts) {
    std::string out;
    for (const auto& t : texts) out += json::parse(t)["type"].get<std::string>() + " ";
    return out;
  };
  CHECK(types(organiser) ==
        "request.created request.accepted request.created meeting.scheduled schedule.published ");
  CHECK(types(c1) == "request.created request.accepted meeting.scheduled schedule.published ");
  json last = json::parse(organiser.back());
  CHECK(last["event"] == "e1");
  CHECK(last["seq"] == f.store->last_sequence());
  CHECK(json::parse(c1[2])["data"]["id"] == a);
  f.api->hub().Unsubscribe(all);
  f.api->hub().Unsubscribe(one);
}

// Every push of one publication carried the batch's last seq: a client that dropped after the
// first and resumed with changes?since=seq never saw the other meetings (regression). Each
// now carries its own feed entry's, in the feed's order; so does a cancel, whose request and
// meeting are one batch (a crash between two writes left the meeting on and the retried
// cancel refused).
TEST_CASE("api pushes: each push of a write carries its own feed entry, in the feed's order") {
  ScheduleFixture f;
  std::vector<json> pushes;
  f.api->hub().Subscribe("e1", "", [&](auto text) { pushes.push_back(json::parse(*text)); });
  f.Accepted("p1", "c1");
  const std::string b = f.Accepted("c2", "c3");
  f.Accepted("p1", "c3");
  const uint64_t before = f.store->last_sequence();
  pushes.clear();
  f.Publish();
  auto changes = f.store->Changes(before, 100);
  REQUIRE(changes.ok());
  std::string fed, told;
  for (const storage::Change& ch : *changes)
    fed += std::to_string(ch.seq) + " " + ch.kind + " " + ch.id + "\n";
  for (const json& p : pushes) {
    const bool meeting = p["type"] == "meeting.scheduled";
    told += std::to_string(p["seq"].get<uint64_t>()) + " " + (meeting ? "meeting " : "schedule ") +
            (meeting ? p["data"]["id"].get<std::string>()
                     : std::to_string(p["data"]["version"].get<int>())) +
            "\n";
  }
  CHECK(told == fed);
  CHECK(pushes.size() == 4);
  // Resuming from the first push's seq gives the rest of the publication.
  auto rest = f.store->Changes(pushes.front()["seq"].get<uint64_t>(), 100);
  REQUIRE(rest.ok());
  CHECK(rest->size() == 3);

  pushes.clear();
  const uint64_t placed = f.store->last_sequence();
  REQUIRE(f.Call("POST", "/v1/events/e1/requests/" + b + "/cancel", "organiser").status == 200);
  changes = f.store->Changes(placed, 100);
  REQUIRE(changes.ok());
  REQUIRE(changes->size() == 2);
  REQUIRE(pushes.size() == 2);
  CHECK(pushes[0]["type"] == "request.cancelled");
  CHECK(pushes[0]["seq"] == (*changes)[0].seq);
  CHECK((*changes)[0].kind == "request");
  CHECK(pushes[1]["type"] == "meeting.cancelled");
  CHECK(pushes[1]["seq"] == (*changes)[1].seq);
  CHECK((*changes)[1].kind == "meeting");
  CHECK(f.Placed()[b].find(" cancelled ") != std::string::npos);
}

}  // namespace
}  // namespace incontra::server

namespace incontra::server {
namespace {

// Regression tests for what a review of the API found.
TEST_CASE("api review: an event whose tables would make an invalid problem cancels nothing") {
  ScheduleFixture f;
  const std::string a = f.Accepted("p1", "c1");
  f.Publish();
  const auto before = f.Placed();
  for (const char* tables : {R"(["T1", "T1"])", "0", "[]", R"([""])"}) {
    json event = json::parse(f.StoredEvent("e1"));
    event["tables"] = json::parse(tables);
    CHECK_MESSAGE(Outcome(f.Call("PUT", "/v1/events/e1", "admin", event.dump())) ==
                      "400 event.invalid_value",
                  tables);
  }
  f.Publish();
  CHECK(f.Placed() == before);
}

TEST_CASE("api review: a meeting whose end moves gets a new SEQUENCE and is reported") {
  ScheduleFixture f;
  const std::string a = f.Accepted("p1", "c1");
  f.Publish();
  json event = json::parse(f.StoredEvent("e1"));
  event["slot_minutes"] = 60;
  REQUIRE(f.Call("PUT", "/v1/events/e1", "admin", event.dump()).status == 200);
  json s = f.Publish();
  REQUIRE(s["moved"].size() == 1);
  CHECK(s["moved"][0]["id"] == a);
  json m = json::parse(f.Stored(RecordKind::kMeeting, "e1", a));
  CHECK(m["sequence"] == 1);
  // An hour now, not half an hour: "09:00" to "10:00", same minutes.
  const std::string start = m["start"], end = m["end"];
  CHECK(std::stoi(end.substr(11, 2)) == std::stoi(start.substr(11, 2)) + 1);
  CHECK(end.substr(14) == start.substr(14));
}

TEST_CASE("api review: a schedule run that raced a change answers 409") {
  CHECK(ErrorResponse(Status::InvalidArgument("schedule.conflict", "x")).status == 409);
}

TEST_CASE("api review: two accepted requests between the same two are one meeting") {
  ScheduleFixture f;
  f.Accepted("p1", "c1");
  CHECK(Outcome(f.Call("POST", "/v1/events/e1/requests", "organiser", R"({"from": "c1", "to": "p1"})")) ==
        "409 request.duplicate");
}

TEST_CASE("api review: a participant's own edit keeps what the organisers set on its record") {
  ScheduleFixture f;
  f.Participant("p2", {{"kind", "company"}, {"name", "Beta"}, {"table", "T2"}, {"note", "vip"}});
  REQUIRE(f.Call("PUT", "/v1/events/e1/participants/p2", "token-p2",
                 R"({"kind": "company", "name": "Beta Srl", "table": "T1", "note": "mine"})")
              .status == 200);
  CHECK(f.Stored(RecordKind::kParticipant, "e1", "p2") ==
        R"({"id":"p2","kind":"company","name":"Beta Srl","note":"vip","table":"T2"})");
  // Needs: frontends and other participants see the known fields, not organisers' additions.
  REQUIRE(f.Call("PUT", "/v1/events/e1/needs/n1", "admin",
                 R"({"title": "Verde", "owner": "p1", "internal_note": "budget flexible"})")
              .status == 200);
  for (const char* who : {"frontend", "token-p2"}) {
    CHECK(f.Call("GET", "/v1/events/e1/needs/n1", who).body == R"({"id":"n1","owner":"p1","title":"Verde"})");
  }
  CHECK(f.Call("GET", "/v1/events/e1/needs/n1", "token-p1").body.find("internal_note") != std::string::npos);
}

TEST_CASE("api review: CSV that is not UTF-8 is refused by row, zone names are not paths") {
  ApiFixture f;
  HttpRequest request{"POST", "/v1/events/e1/participants:import", {}, "id,kind,name\r\nc1,company,Caff\xE8\r\n"};
  request.headers["authorization"] = std::string("Bearer ") + kOrganiserKey;
  request.headers["content-type"] = "text/csv";
  HttpResponse r = f.api->Handle(request);
  CHECK(Outcome(r) == "400 csv.invalid_utf8");
  CHECK(ErrorMessage(r.body).rfind("row 2", 0) == 0);
  CHECK(f.Ids(RecordKind::kParticipant, "e1") == "-");
  CHECK(Outcome(f.Call("PUT", "/v1/events/e1", "admin",
                       R"({"timezone": "../zoneinfo/Europe/Rome", "days": [], "slot_minutes": 30})")) ==
        "400 event.invalid_value");
}

TEST_CASE("api review: WebSocket query values are percent-decoded, odd methods are one series") {
  ApiFixture f;
  CHECK(Outcome(f.Call("GET", "/v1/ws?event=e%31", "organiser")) == "426 api.upgrade_required");
  CHECK(Outcome(f.Call("GET", "/v1/ws?event=e%3", "organiser")) == "400 api.invalid_query");
  Metrics metrics;
  metrics.Record("(unknown)", std::string(2000, 'Z'), 404, 0.001);
  metrics.Record("(unknown)", "BREW", 404, 0.001);
  const std::string text = metrics.Render();
  CHECK(text.find("method=\"OTHER\",status=\"404\"} 2\n") != std::string::npos);
  CHECK(text.find("ZZZ") == std::string::npos);
}

}  // namespace
}  // namespace incontra::server

namespace incontra::server {
namespace {

// 40 companies in `event` and 80 accepted requests among them: a run that lasts (about 0.7 s).
void Crowd(const ScheduleFixture& f, const std::string& event) {
  const std::string base = "/v1/events/" + event;
  for (int i = 10; i < 50; ++i) {
    HttpResponse r = f.Call("PUT", base + "/participants/c" + std::to_string(i), "admin",
                            json{{"kind", "company"}, {"max_meetings", 4}}.dump());
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }
  for (int i = 10; i < 50; ++i) {
    for (int d : {1, 3}) {
      const json request = {{"from", "c" + std::to_string(i)},
                            {"to", "c" + std::to_string(10 + (i - 10 + d) % 40)}};
      HttpResponse r = f.Call("POST", base + "/requests", "admin", request.dump());
      REQUIRE_MESSAGE(r.status == 201, r.body);
      const std::string id = json::parse(r.body)["id"];
      REQUIRE(f.Call("POST", base + "/requests/" + id + "/accept", "admin").status == 200);
    }
  }
}

TEST_CASE("api schedule: while a run of an event is under way, another run of it is refused") {
  // Before, both ran to their end, each holding a thread for its whole time limit, and the
  // second was then refused as a conflict.
  ScheduleFixture f;
  Crowd(f, "e1");
  // Two runs at once: one is refused at once, whichever comes second.
  std::vector<std::string> outcomes(2);
  std::latch start(2);
  std::vector<std::thread> runs;
  for (int t = 0; t < 2; ++t) {
    runs.emplace_back([&, t] {
      start.arrive_and_wait();
      outcomes[t] = Outcome(
          f.Call("POST", "/v1/events/e1/schedule", "organiser", R"({"time_limit_ms": 3000})"));
    });
  }
  for (auto& r : runs) r.join();
  std::sort(outcomes.begin(), outcomes.end());
  CHECK(outcomes == std::vector<std::string>{"201", "409 schedule.running"});
  // Once it is over, the next run goes ahead.
  CHECK(Outcome(f.Call("POST", "/v1/events/e1/schedule", "organiser",
                       R"({"time_limit_ms": 50})")) == "201");
}

TEST_CASE("api schedule: runs of other events beyond the server's share answer 503 schedule.busy") {
  // Before, every event could run a schedule at once, each holding a request worker for its
  // whole time limit: four events scheduling took all four workers from every other route.
  ScheduleFixture f;
  json e2 = json::parse(f.StoredEvent("e1"));
  e2["id"] = "e2";
  REQUIRE(f.Call("PUT", "/v1/events/e2", "admin", e2.dump()).status == 200);
  Crowd(f, "e1");
  Crowd(f, "e2");
  ApiOptions options;
  options.admin_key = kAdminKey;
  options.rate_per_second = options.rate_burst = 0;
  options.max_schedule_runs = 1;
  f.api.emplace(*f.store, options);
  std::vector<HttpResponse> answers(2);
  std::latch start(2);
  std::vector<std::thread> runs;
  for (int t = 0; t < 2; ++t) {
    runs.emplace_back([&, t] {
      start.arrive_and_wait();
      answers[t] = f.Call("POST", t == 0 ? "/v1/events/e1/schedule" : "/v1/events/e2/schedule",
                          t == 0 ? "organiser" : "other", R"({"time_limit_ms": 3000})");
    });
  }
  for (auto& r : runs) r.join();
  std::vector<std::string> outcomes = {Outcome(answers[0]), Outcome(answers[1])};
  std::sort(outcomes.begin(), outcomes.end());
  CHECK(outcomes == std::vector<std::string>{"201", "503 schedule.busy"});
  for (const HttpResponse& r : answers) {
    if (r.status != 503) continue;
    bool retry_after = false;
    for (const auto& [name, value] : r.headers)
      retry_after |= name == "Retry-After" && value == "5";
    CHECK(retry_after);
  }
  // Once the first is over, the other goes ahead.
  const bool e1_waited = answers[0].status == 503;
  CHECK(Outcome(f.Call("POST", e1_waited ? "/v1/events/e1/schedule" : "/v1/events/e2/schedule",
                       e1_waited ? "organiser" : "other", R"({"time_limit_ms": 50})")) == "201");
}

// The check that refuses a run whose requests changed under it counted every event's request
// changes: a request in one event refused every other event's run under way (regression).
// Then any write to its own event refused it, a profile's words or a pending request too, so
// a live event could not be republished (regression): only what the run schedules counts.
TEST_CASE("api schedule: a run is refused only when what it schedules changed under it") {
  ScheduleFixture f;
  json e2 = json::parse(f.StoredEvent("e1"));
  e2["id"] = "e2";
  REQUIRE(f.Call("PUT", "/v1/events/e2", "admin", e2.dump()).status == 200);
  for (const char* id : {"x1", "x2"}) {
    REQUIRE(f.Call("PUT", std::string("/v1/events/e2/participants/") + id, "admin",
                   R"({"kind": "company"})")
                .status == 200);
  }
  Crowd(f, "e1");  // too many meetings to place: a run takes its whole time limit
  HttpResponse pending =
      f.Call("POST", "/v1/events/e1/requests", "organiser", R"({"from": "p2", "to": "c3"})");
  REQUIRE(pending.status == 201);
  const std::string id = json::parse(pending.body)["id"];
  auto run_while = [&](const std::function<void()>& change) {
    std::string outcome;
    std::thread run([&] {
      outcome = Outcome(
          f.Call("POST", "/v1/events/e1/schedule", "organiser", R"({"time_limit_ms": 1500})"));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    change();
    // The run was still under way after the change.
    CHECK(Outcome(f.Call("POST", "/v1/events/e1/schedule", "organiser",
                         R"({"time_limit_ms": 10})")) == "409 schedule.running");
    run.join();
    return outcome;
  };
  CHECK(run_while([&] {
          CHECK(Outcome(f.Call("POST", "/v1/events/e2/requests", "other",
                               R"({"from": "x1", "to": "x2"})")) == "201");
          CHECK(Outcome(f.Call("POST", "/v1/events/e1/requests", "organiser",
                               R"({"from": "c1", "to": "c2"})")) == "201");
          CHECK(Outcome(f.Call("PUT", "/v1/events/e1/participants/c3", "admin",
                               R"({"kind": "company", "name": "Gamma Spa",
                                   "description": "arredi e lavagne"})")) == "200");
        }) == "201");
  CHECK(run_while([&] {
          CHECK(Outcome(f.Call("POST", "/v1/events/e1/requests/" + id + "/accept", "organiser")) ==
                "200");
        }) == "409 schedule.conflict");
}

TEST_CASE(
    "api review: a meeting whose people are all erased goes, and only the organisers hear of it") {
  ScheduleFixture f;
  const std::string kept = f.Accepted("p1", "c2");
  const std::string gone = f.Accepted("c1", "p2");
  f.Publish();
  std::vector<std::string> third, organisers;  // what c3 and the organisers are told
  std::mutex mu;
  auto into = [&](std::vector<std::string>* out) {
    return [&mu, out](std::shared_ptr<const std::string> text) {
      std::lock_guard lock(mu);
      if (text) out->push_back(json::parse(*text)["type"].get<std::string>());
    };
  };
  f.api->hub().Subscribe("e1", "c3", into(&third));
  f.api->hub().Subscribe("e1", "", into(&organisers));
  REQUIRE(f.Call("DELETE", "/v1/events/e1/participants/c1", "organiser").status == 204);
  CHECK(f.Ids(RecordKind::kMeeting, "e1") == std::min(kept, gone) + " " + std::max(kept, gone));
  // Before the fix the meeting stayed, with nobody in it, and its push (to an empty list of
  // people) reached everyone in the event.
  REQUIRE(f.Call("DELETE", "/v1/events/e1/participants/p2", "organiser").status == 204);
  CHECK(f.Ids(RecordKind::kMeeting, "e1") == kept);
  std::lock_guard lock(mu);
  CHECK(third.empty());
  CHECK(organisers ==
        std::vector<std::string>{"request.cancelled", "meeting.cancelled", "meeting.cancelled"});
}

TEST_CASE("api review: a participant erased during its WebSocket handshake is not subscribed") {
  // The token was checked before the erasure, the subscription made after it (in the handshake),
  // and that subscription lived on: pushes for a new participant of the same id reached it.
  ScheduleFixture f;
  HttpRequest upgrade{"GET", "/v1/ws?event=e1", {}, ""};
  upgrade.headers["authorization"] = *AuthorizationFor("token-p1");
  auto checked = f.api->Subscribe(upgrade);
  REQUIRE(checked.ok());
  auto other = f.api->Subscribe([&] {
    HttpRequest r = upgrade;
    r.headers["authorization"] = *AuthorizationFor("token-p2");
    return r;
  }());
  REQUIRE(other.ok());
  REQUIRE(f.Call("DELETE", "/v1/events/e1/participants/p1", "organiser").status == 204);
  int calls = 0;
  auto sink = [&calls](std::shared_ptr<const std::string>) { ++calls; };
  CHECK(f.api->hub().Subscribe(checked->event, checked->participant, sink, checked->checked_at) ==
        0);
  // Someone else's handshake, across the same erasure, goes ahead.
  const uint64_t kept =
      f.api->hub().Subscribe(other->event, other->participant, sink, other->checked_at);
  CHECK(kept != 0);
  CHECK(f.api->hub().subscribers() == 1);
  CHECK(calls == 0);
}

TEST_CASE("api review: erasing a participant takes its needs and its tokens with it") {
  ScheduleFixture f;
  REQUIRE(f.Call("PUT", "/v1/events/e1/needs/n1", "admin", R"({"title": "Verde", "owner": "p1"})").status == 200);
  REQUIRE(f.Call("PUT", "/v1/events/e1/needs/n2", "admin", R"({"title": "Pulizie", "owner": "p9"})")
              .status == 200);
  CHECK(f.Call("GET", "/v1/events/e1", "token-p1").status == 200);
  REQUIRE(f.Call("DELETE", "/v1/events/e1/participants/p1", "organiser").status == 204);
  CHECK(Outcome(f.Call("GET", "/v1/events/e1", "token-p1")) == "401 api.unauthorized");
  CHECK(f.Call("GET", "/v1/events/e1", "token-p2").status == 200);
  CHECK(f.Ids(RecordKind::kNeed, "e1") == "n2");
  // Recreated under the same id (a VAT number), it is someone new: the old token stays dead.
  f.Participant("p1", {{"kind", "company"}, {"name", "Nuova"}});
  CHECK(Outcome(f.Call("GET", "/v1/events/e1/participants/p1", "token-p1")) == "401 api.unauthorized");
}

}  // namespace
}  // namespace incontra::server
