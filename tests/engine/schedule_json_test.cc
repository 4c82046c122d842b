// The JSON codec of the schedule problem and result (FORMATS.md): round trips, the two forms of
// `tables`, `slot: null`, and errors with exact codes and messages that start with the path.
#include "engine/schedule_json.h"

#include <doctest/doctest.h>

#include <string>

namespace incontra::engine {
namespace {

using nlohmann::json;

// The whole parsed problem as one string, so a test compares it once.
std::string Render(const ScheduleProblem& p) {
  std::string out = "slots:";
  for (const Slot& s : p.slots) {
    out += " " + s.id + "(" + s.start + "|" + s.end + "|" + s.session + ")";
  }
  out += "\ntables:";
  for (const std::string& t : p.table_ids) out += " " + t;
  out += p.tables_as_count ? " (count)" : " (list)";
  out += "\nparticipants:";
  for (const ScheduleParticipant& q : p.participants) {
    out += " " + q.id + "(unavailable";
    for (const std::string& s : q.unavailable) out += " " + s;
    out += "|max " + (q.max_meetings ? std::to_string(*q.max_meetings) : "-");
    out += "|table " + q.table.value_or("-") + ")";
  }
  out += "\nmeetings:";
  for (const Meeting& m : p.meetings) {
    out += " " + m.id + "(";
    for (const std::string& q : m.participants) out += q + " ";
    out += "|session " + m.session.value_or("-");
    out += "|slot " + m.slot.value_or("-");
    out += "|after";
    for (const std::string& a : m.after) out += " " + a;
    out += "|priority " + std::to_string(m.priority) + ")";
  }
  out += "\nfairness: " + (p.max_break_spread ? std::to_string(*p.max_break_spread) : "-");
  out += "\ntime_limit_ms: " + (p.time_limit_ms ? std::to_string(*p.time_limit_ms) : "-");
  return out;
}

// The example of FORMATS.md, "Schedule problem", with a second participant, slot and meeting.
const char* kFullProblem = R"({
  "slots": [{"id": "1", "start": "2026-02-27T09:00:00+01:00", "end": "2026-02-27T09:30:00+01:00",
             "session": "morning"},
            {"id": "2", "session": "afternoon"}],
  "tables": 14,
  "participants": [{"id": "p1", "unavailable": ["2"], "max_meetings": 10, "table": "T3"},
                   {"id": "p2"}],
  "meetings": [{"id": "m0", "participants": ["p1", "p2"]},
               {"id": "m1", "participants": ["p1", "p2"], "session": "morning", "slot": "1",
                "after": ["m0"], "priority": 1}],
  "fairness": {"max_break_spread": 2},
  "time_limit_ms": 10000
})";

const char* kFullRendered =
    "slots: 1(2026-02-27T09:00:00+01:00|2026-02-27T09:30:00+01:00|morning) 2(||afternoon)\n"
    "tables: T1 T2 T3 T4 T5 T6 T7 T8 T9 T10 T11 T12 T13 T14 (count)\n"
    "participants: p1(unavailable 2|max 10|table T3) p2(unavailable|max -|table -)\n"
    "meetings: m0(p1 p2 |session -|slot -|after|priority 0) "
    "m1(p1 p2 |session morning|slot 1|after m0|priority 1)\n"
    "fairness: 2\n"
    "time_limit_ms: 10000";

// A small valid problem for tests that break one thing at a time.
json Minimal() {
  return json::parse(R"({
    "slots": [{"id": "1"}, {"id": "2"}],
    "tables": 2,
    "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
    "meetings": [{"id": "m1", "participants": ["a", "b"]}, {"id": "m2", "participants": ["b", "c"]}]
  })");
}

Status ParseTextError(const std::string& text) {
  auto parsed = ParseScheduleProblem(text);
  REQUIRE_MESSAGE(!parsed.ok(), "accepted: " << text);
  return parsed.status();
}

Status ParseError(const json& j) { return ParseTextError(j.dump()); }

bool StartsWith(const std::string& s, const std::string& prefix) { return s.find(prefix) == 0; }

TEST_CASE("codec parses every field of the FORMATS.md problem") {
  auto parsed = ParseScheduleProblem(kFullProblem);
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  CHECK(Render(*parsed) == kFullRendered);
}

TEST_CASE("codec round trip: problem to JSON and back keeps every field") {
  auto parsed = ParseScheduleProblem(kFullProblem);
  REQUIRE(parsed.ok());
  json written = ScheduleProblemToJson(*parsed);
  auto again = ScheduleProblemFromJson(written);
  REQUIRE_MESSAGE(again.ok(), again.status().ToString());
  CHECK(Render(*again) == kFullRendered);
  // Through text as well, and a second trip changes nothing.
  auto from_text = ParseScheduleProblem(written.dump(2));
  REQUIRE(from_text.ok());
  CHECK(ScheduleProblemToJson(*from_text) == written);
}

TEST_CASE("codec writes tables given as a count back as a count") {
  json j = Minimal();
  j["tables"] = 3;
  auto parsed = ScheduleProblemFromJson(j);
  REQUIRE(parsed.ok());
  CHECK(parsed->table_ids == std::vector<std::string>{"T1", "T2", "T3"});
  CHECK(parsed->tables_as_count);
  CHECK(ScheduleProblemToJson(*parsed)["tables"] == 3);
}

TEST_CASE("codec writes tables given as a list back as the list") {
  json j = Minimal();
  j["tables"] = {"Sala A", "T2", "7"};
  auto parsed = ScheduleProblemFromJson(j);
  REQUIRE(parsed.ok());
  CHECK(parsed->table_ids == std::vector<std::string>{"Sala A", "T2", "7"});
  CHECK_FALSE(parsed->tables_as_count);
  CHECK(ScheduleProblemToJson(*parsed)["tables"] == json{"Sala A", "T2", "7"});
}

TEST_CASE("codec reads slot null as no fixed slot") {
  json j = Minimal();
  j["meetings"][0]["slot"] = nullptr;
  j["meetings"][1]["slot"] = "2";
  auto parsed = ScheduleProblemFromJson(j);
  REQUIRE(parsed.ok());
  CHECK_FALSE(parsed->meetings[0].slot.has_value());
  CHECK(parsed->meetings[1].slot == std::optional<std::string>("2"));
  json written = ScheduleProblemToJson(*parsed);
  CHECK((!written["meetings"][0].contains("slot") || written["meetings"][0]["slot"].is_null()));
  CHECK(written["meetings"][1]["slot"] == "2");
}

TEST_CASE("codec defaults absent optional fields") {
  auto parsed = ScheduleProblemFromJson(Minimal());
  REQUIRE(parsed.ok());
  const ScheduleParticipant& a = parsed->participants[0];
  CHECK(a.unavailable.empty());
  CHECK_FALSE(a.max_meetings.has_value());
  CHECK_FALSE(a.table.has_value());
  const Meeting& m = parsed->meetings[0];
  CHECK_FALSE(m.session.has_value());
  CHECK_FALSE(m.slot.has_value());
  CHECK(m.after.empty());
  CHECK(m.priority == 0);
  CHECK_FALSE(parsed->max_break_spread.has_value());
  CHECK_FALSE(parsed->time_limit_ms.has_value());
}

TEST_CASE("codec accepts unknown fields everywhere") {
  json j = Minimal();
  j["organiser"] = "Connext";
  j["slots"][0]["room"] = "Hall B";
  j["participants"][0]["name"] = "Quagliata Srl";
  j["meetings"][0]["notes"] = {{"lang", "it"}};
  j["fairness"] = {{"max_break_spread", 1}, {"mode", "strict"}};
  auto parsed = ScheduleProblemFromJson(j);
  CHECK_MESSAGE(parsed.ok(), parsed.status().ToString());
}

TEST_CASE("codec accepts ids of exactly 128 bytes counted in bytes") {
  json j = Minimal();
  j["participants"][0]["id"] = std::string(128, 'x');
  j["meetings"][0]["participants"][0] = std::string(128, 'x');
  std::string accented;
  for (int i = 0; i < 64; ++i) accented += "\xc3\xa9";  // 64 x "é": 128 bytes
  j["slots"][0]["id"] = accented;
  auto parsed = ScheduleProblemFromJson(j);
  CHECK_MESSAGE(parsed.ok(), parsed.status().ToString());
}

TEST_CASE("codec writes the result in the FORMATS.md shape") {
  ScheduleResult r;
  r.meetings = {{"m1", "1", "T1"}};
  r.unscheduled = {{"m9", "p4 is unavailable in every slot that m9's session allows"}};
  r.stats = {.scheduled = 153,
             .unscheduled = 1,
             .breaks_total = 2,
             .breaks_max = 1,
             .lower_bound_breaks = 0,
             .proven_optimal = false,
             .solve_ms = 41};
  json j = ScheduleResultToJson(r);
  CHECK(j["meetings"] == json::parse(R"([{"id": "m1", "slot": "1", "table": "T1"}])"));
  CHECK(j["unscheduled"] == json::parse(R"([{"id": "m9",
        "reason": "p4 is unavailable in every slot that m9's session allows"}])"));
  const json& s = j["stats"];
  CHECK(s["scheduled"] == 153);
  CHECK(s["unscheduled"] == 1);
  CHECK(s["breaks_total"] == 2);
  CHECK(s["breaks_max"] == 1);
  CHECK(s["lower_bound_breaks"] == 0);
  CHECK(s["solve_ms"] == 41);
}

TEST_CASE("codec writes an empty result with empty arrays") {
  json j = ScheduleResultToJson(ScheduleResult{});
  CHECK(j["meetings"] == json::array());
  CHECK(j["unscheduled"] == json::array());
  CHECK(j["stats"]["scheduled"] == 0);
}

TEST_CASE("codec writes errors as FORMATS.md error bodies") {
  Status s = Status::InvalidArgument("schedule.unknown_participant",
                                     "meetings[3].participants[1]: no participant 'p99'");
  CHECK(ErrorToJson(s) == json::parse(R"({"error": {"code": "schedule.unknown_participant",
        "message": "meetings[3].participants[1]: no participant 'p99'"}})"));
}

TEST_CASE("codec refuses malformed JSON") {
  for (const char* text : {"", "{", "{\"slots\": [}", "{\"slots\": []} trailing", "nul",
                           "{\"slots\": [{\"id\": \"1\",}]}"}) {
    CAPTURE(text);
    Status s = ParseTextError(text);
    CHECK(s.code() == "schedule.malformed_json");
    CHECK_FALSE(s.message().empty());
  }
}

TEST_CASE("codec names the line of malformed JSON") {
  Status s = ParseTextError("{\n  \"slots\": [],\n  \"tables\": 2,,\n  \"meetings\": []\n}");
  CHECK(s.code() == "schedule.malformed_json");
  CHECK_MESSAGE(s.message().find("line 3") != std::string::npos, s.message());
}

TEST_CASE("codec refuses a document that is not an object") {
  for (const char* text : {"[]", "3", "\"problem\"", "null"}) {
    CAPTURE(text);
    CHECK(ParseTextError(text).code() == "schedule.wrong_type");
  }
}

TEST_CASE("codec refuses wrong types naming the path") {
  struct Case {
    const char* path;  // JSON pointer to replace
    json value;
    const char* prefix;  // the message must start with it
  };
  const Case cases[] = {
      {"/slots", json::object(), "slots"},
      {"/slots/1", "2", "slots[1]"},
      {"/slots/0/id", 1, "slots[0].id"},
      {"/slots/0/session", 5, "slots[0].session"},
      {"/slots/0/start", true, "slots[0].start"},
      {"/tables", "3", "tables"},
      {"/tables", true, "tables"},
      {"/tables", json{"T1", 2}, "tables[1]"},
      {"/participants", "a,b,c", "participants"},
      {"/participants/2/unavailable", "1", "participants[2].unavailable"},
      {"/participants/2/unavailable", json{"1", 2}, "participants[2].unavailable[1]"},
      {"/participants/0/max_meetings", "3", "participants[0].max_meetings"},
      {"/participants/0/max_meetings", 2.5, "participants[0].max_meetings"},
      {"/participants/1/table", 3, "participants[1].table"},
      {"/meetings", json::object(), "meetings"},
      {"/meetings/0", json{"a", "b"}, "meetings[0]"},
      {"/meetings/0/participants", "a", "meetings[0].participants"},
      {"/meetings/1/participants/0", 5, "meetings[1].participants[0]"},
      {"/meetings/0/session", json::array(), "meetings[0].session"},
      {"/meetings/0/slot", 2, "meetings[0].slot"},
      {"/meetings/1/after", "m1", "meetings[1].after"},
      {"/meetings/1/after", json{nullptr}, "meetings[1].after[0]"},
      {"/meetings/0/priority", "high", "meetings[0].priority"},
      {"/meetings/0/priority", 0.5, "meetings[0].priority"},
      {"/fairness", 1, "fairness"},
      {"/fairness", json{{"max_break_spread", "2"}}, "fairness.max_break_spread"},
      {"/time_limit_ms", "fast", "time_limit_ms"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    CAPTURE(c.value.dump());
    json j = Minimal();
    j[json::json_pointer(c.path)] = c.value;
    Status s = ParseError(j);
    CHECK(s.code() == "schedule.wrong_type");
    CHECK_MESSAGE(StartsWith(s.message(), c.prefix), s.message());
  }
}

TEST_CASE("codec refuses missing required fields naming the path") {
  struct Case {
    const char* remove;  // JSON pointer
    const char* prefix;
  };
  const Case cases[] = {
      {"/slots", "slots"},
      {"/tables", "tables"},
      {"/participants", "participants"},
      {"/meetings", "meetings"},
      {"/slots/1/id", "slots[1].id"},
      {"/participants/2/id", "participants[2].id"},
      {"/meetings/1/id", "meetings[1].id"},
      {"/meetings/0/participants", "meetings[0].participants"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.remove);
    json j = Minimal();
    json::json_pointer ptr(c.remove);
    j[ptr.parent_pointer()].erase(ptr.back());
    Status s = ParseError(j);
    CHECK(s.code() == "schedule.missing_field");
    CHECK_MESSAGE(StartsWith(s.message(), c.prefix), s.message());
  }
}

TEST_CASE("codec refuses empty and over-long ids naming the path") {
  std::string accented;
  for (int i = 0; i < 65; ++i) accented += "\xc3\xa9";  // 65 x "é": 130 bytes, 65 characters
  const std::string too_long(129, 'x');
  struct Case {
    const char* path;
    json value;
    const char* prefix;
  };
  const Case cases[] = {
      {"/slots/0/id", "", "slots[0].id"},
      {"/slots/1/id", too_long, "slots[1].id"},
      {"/participants/0/id", too_long, "participants[0].id"},
      {"/participants/1/id", accented, "participants[1].id"},
      {"/meetings/1/id", "", "meetings[1].id"},
      {"/meetings/1/participants/0", "", "meetings[1].participants[0]"},
      {"/meetings/0/participants/1", too_long, "meetings[0].participants[1]"},
      {"/meetings/1/after", json::array({""}), "meetings[1].after[0]"},
      {"/meetings/0/slot", "", "meetings[0].slot"},
      {"/participants/2/unavailable", json::array({"1", ""}), "participants[2].unavailable[1]"},
      {"/participants/2/table", "", "participants[2].table"},
      {"/tables", json::array({"T1", too_long}), "tables[1]"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    json j = Minimal();
    j[json::json_pointer(c.path)] = c.value;
    Status s = ParseError(j);
    CHECK(s.code() == "schedule.invalid_id");
    CHECK_MESSAGE(StartsWith(s.message(), c.prefix), s.message());
  }
}

TEST_CASE("codec refuses out-of-range numbers as invalid values") {
  struct Case {
    const char* path;
    json value;
    const char* prefix;
  };
  const Case cases[] = {
      {"/participants/0/max_meetings", -1, "participants[0].max_meetings"},
      {"/tables", -2, "tables"},
      // Ten million tables once took a minute and a gigabyte to set up (regression).
      {"/tables", 100001, "tables"},
      {"/time_limit_ms", int64_t{1} << 41, "time_limit_ms"},
      {"/fairness", json{{"max_break_spread", -1}}, "fairness.max_break_spread"},
      {"/time_limit_ms", -5, "time_limit_ms"},
      {"/meetings/0/priority", 1e20, "meetings[0].priority"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.path);
    json j = Minimal();
    j[json::json_pointer(c.path)] = c.value;
    Status s = ParseError(j);
    CHECK(s.code() == "schedule.invalid_value");
    CHECK_MESSAGE(StartsWith(s.message(), c.prefix), s.message());
  }
}

}  // namespace
}  // namespace incontra::engine
