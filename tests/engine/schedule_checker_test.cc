// The checker must catch every kind of violation: each test breaks one rule in a hand-made
// result and expects exactly that rule to be reported. A checker that accepts everything fails.
#include "tests/engine/schedule_checker.h"

#include <doctest/doctest.h>

#include <stdexcept>

namespace incontra::test {
namespace {

using nlohmann::json;

// Slots 1, 2 (am) and 3, 4 (pm); tables T1..T4, T3 kept by host h.
json BaseProblem() {
  return json::parse(R"({
    "slots": [{"id": "1", "session": "am"}, {"id": "2", "session": "am"},
              {"id": "3", "session": "pm"}, {"id": "4", "session": "pm"}],
    "tables": 4,
    "participants": [{"id": "a", "unavailable": ["4"]}, {"id": "b"},
                     {"id": "c", "max_meetings": 2}, {"id": "d"}, {"id": "e"}, {"id": "f"},
                     {"id": "g"}, {"id": "h", "table": "T3"}],
    "meetings": [{"id": "m1", "participants": ["a", "b"]},
                 {"id": "m2", "participants": ["a", "c"]},
                 {"id": "m3", "participants": ["b", "d"], "session": "pm"},
                 {"id": "m4", "participants": ["c", "d"], "after": ["m1"]},
                 {"id": "m5", "participants": ["h", "e"]},
                 {"id": "m6", "participants": ["b", "e", "h"], "slot": "2"},
                 {"id": "m7", "participants": ["c", "e"]},
                 {"id": "m8", "participants": ["f", "g"], "session": "pm"}],
    "fairness": {"max_break_spread": 1}
  })");
}

// A valid result of BaseProblem: b has the only break (slots 1, 2, 4).
json BaseResult() {
  return json::parse(R"({
    "meetings": [{"id": "m1", "slot": "1", "table": "T1"},
                 {"id": "m2", "slot": "2", "table": "T1"},
                 {"id": "m3", "slot": "4", "table": "T1"},
                 {"id": "m4", "slot": "3", "table": "T1"},
                 {"id": "m5", "slot": "1", "table": "T3"},
                 {"id": "m6", "slot": "2", "table": "T3"},
                 {"id": "m8", "slot": "4", "table": "T2"}],
    "unscheduled": [{"id": "m7", "reason": "c already has its maximum of 2 meetings"}],
    "stats": {"scheduled": 7, "unscheduled": 1, "breaks_total": 1, "breaks_max": 1,
              "lower_bound_breaks": 0, "solve_ms": 3}
  })");
}

json& Entry(json& result, const std::string& id) {
  for (json& e : result["meetings"]) {
    if (e["id"] == id) return e;
  }
  FAIL("no scheduled meeting " << id);
  throw std::logic_error("unreachable");
}

void Move(json& result, const std::string& id, const std::string& slot, const std::string& table) {
  json& e = Entry(result, id);
  e["slot"] = slot;
  e["table"] = table;
}

void Unschedule(json& result, const std::string& id) {
  json& meetings = result["meetings"];
  for (size_t i = 0; i < meetings.size(); ++i) {
    if (meetings[i]["id"] == id) {
      meetings.erase(i);
      break;
    }
  }
  result["unscheduled"].push_back({{"id", id}, {"reason", "left out by the test"}});
}

void SetStats(json& result, int scheduled, int unscheduled, int breaks_total, int breaks_max) {
  result["stats"]["scheduled"] = scheduled;
  result["stats"]["unscheduled"] = unscheduled;
  result["stats"]["breaks_total"] = breaks_total;
  result["stats"]["breaks_max"] = breaks_max;
}

std::string RulesBroken(const json& problem, const json& result) {
  return Rules(CheckSchedule(problem, result));
}

TEST_CASE("checker accepts a valid result") {
  auto v = CheckSchedule(BaseProblem(), BaseResult());
  CHECK_MESSAGE(v.empty(), Describe(v));
}

TEST_CASE("checker counts breaks as runs of free slots between meetings") {
  auto breaks = CountBreaks(BaseProblem(), BaseResult());
  CHECK(breaks ==
        std::map<std::string, int>{
            {"a", 0}, {"b", 1}, {"c", 0}, {"d", 0}, {"e", 0}, {"f", 0}, {"g", 0}, {"h", 0}});
  // p meets in slots 1, 3, 4 and 6 of 7: two breaks (slot 2; slot 5); slot 7 after the last
  // meeting and nothing before the first count for nothing.
  json problem = json::parse(R"({"slots": [{"id": "1"}, {"id": "2"}, {"id": "3"}, {"id": "4"},
      {"id": "5"}, {"id": "6"}, {"id": "7"}], "tables": 4,
      "participants": [{"id": "p"}, {"id": "q"}, {"id": "r"}],
      "meetings": [{"id": "x1", "participants": ["p", "q"]}, {"id": "x2", "participants": ["p", "q"]},
                   {"id": "x3", "participants": ["p", "r"]}, {"id": "x4", "participants": ["p", "q"]}]})");
  json result = json::parse(R"({"meetings": [{"id": "x1", "slot": "1", "table": "T1"},
      {"id": "x2", "slot": "3", "table": "T1"}, {"id": "x3", "slot": "4", "table": "T1"},
      {"id": "x4", "slot": "6", "table": "T1"}], "unscheduled": [],
      "stats": {"scheduled": 4, "unscheduled": 0, "breaks_total": 4, "breaks_max": 2,
                "lower_bound_breaks": 0, "solve_ms": 0}})");
  CHECK(CountBreaks(problem, result) == std::map<std::string, int>{{"p", 2}, {"q", 2}, {"r", 0}});
  auto v = CheckSchedule(problem, result);
  CHECK_MESSAGE(v.empty(), Describe(v));
}

TEST_CASE("checker catches a meeting missing from both lists") {
  json r = BaseResult();
  r["unscheduled"] = json::array();
  r["stats"]["unscheduled"] = 0;
  CHECK(RulesBroken(BaseProblem(), r) == "coverage");
}

TEST_CASE("checker catches a meeting listed twice") {
  json r = BaseResult();
  r["unscheduled"].push_back({{"id", "m1"}, {"reason", "also here"}});
  r["stats"]["unscheduled"] = 2;
  CHECK(RulesBroken(BaseProblem(), r) == "coverage");
}

TEST_CASE("checker catches a meeting the problem does not have") {
  json r = BaseResult();
  r["unscheduled"].push_back({{"id", "m99"}, {"reason", "invented"}});
  r["stats"]["unscheduled"] = 2;
  CHECK(RulesBroken(BaseProblem(), r) == "coverage");
}

TEST_CASE("checker catches an unknown slot") {
  json r = BaseResult();
  Entry(r, "m8")["slot"] = "5";
  CHECK(RulesBroken(BaseProblem(), r) == "unknown_slot");
}

TEST_CASE("checker catches an unknown table of a count and of a list") {
  json r = BaseResult();
  Entry(r, "m8")["table"] = "T5";  // tables: 4 means T1..T4
  CHECK(RulesBroken(BaseProblem(), r) == "unknown_table");
  Entry(r, "m8")["table"] = "T0";
  CHECK(RulesBroken(BaseProblem(), r) == "unknown_table");

  json p = BaseProblem();
  p["tables"] = {"T1", "T2", "T3", "Garden"};
  json ok = BaseResult();
  Entry(ok, "m8")["table"] = "Garden";
  auto v = CheckSchedule(p, ok);
  CHECK_MESSAGE(v.empty(), Describe(v));
  CHECK(RulesBroken(p, BaseResult()) == "");  // T2 is in the list
  Entry(ok, "m8")["table"] = "T4";            // a count's name, not in the list
  CHECK(RulesBroken(p, ok) == "unknown_table");
}

TEST_CASE("checker catches a participant in two meetings of one slot") {
  json r = BaseResult();
  Move(r, "m3", "3", "T2");  // d also meets in m4 in slot 3
  SetStats(r, 7, 1, 0, 0);
  CHECK(RulesBroken(BaseProblem(), r) == "double_booked");
}

TEST_CASE("checker catches a group meeting member booked twice") {
  json p = json::parse(R"({"slots": [{"id": "1"}, {"id": "2"}], "tables": 2,
      "participants": [{"id": "x"}, {"id": "y"}, {"id": "z"}, {"id": "w"}],
      "meetings": [{"id": "g", "participants": ["x", "y", "z"]},
                   {"id": "m", "participants": ["z", "w"]}]})");
  json r = json::parse(R"({"meetings": [{"id": "g", "slot": "1", "table": "T1"},
      {"id": "m", "slot": "1", "table": "T2"}], "unscheduled": [],
      "stats": {"scheduled": 2, "unscheduled": 0, "breaks_total": 0, "breaks_max": 0,
                "lower_bound_breaks": 0, "solve_ms": 0}})");
  CHECK(RulesBroken(p, r) == "double_booked");
  r["meetings"][1]["slot"] = "2";
  CHECK(RulesBroken(p, r) == "");
}

TEST_CASE("checker catches a meeting in an unavailable slot") {
  json r = BaseResult();
  Move(r, "m2", "4", "T4");  // a is unavailable in slot 4
  SetStats(r, 7, 1, 2, 1);   // a: slots 1, 4
  CHECK(RulesBroken(BaseProblem(), r) == "unavailable");
}

TEST_CASE("checker catches two meetings at one table in one slot") {
  json r = BaseResult();
  Entry(r, "m8")["table"] = "T1";  // m3 is at T1 in slot 4
  CHECK(RulesBroken(BaseProblem(), r) == "table_clash");
}

TEST_CASE("checker catches more meetings in a slot than tables") {
  json p = BaseProblem();
  p["tables"] = 1;
  p["participants"][7].erase("table");
  json r = BaseResult();
  for (json& e : r["meetings"]) e["table"] = "T1";
  CHECK(RulesBroken(p, r) == "table_clash");
}

TEST_CASE("checker catches a host meeting away from the host table") {
  json r = BaseResult();
  Entry(r, "m5")["table"] = "T2";  // h keeps T3
  CHECK(RulesBroken(BaseProblem(), r) == "host_table");
}

TEST_CASE("checker catches another meeting at a host table") {
  json r = BaseResult();
  Entry(r, "m8")["table"] = "T3";  // h keeps T3 all day, even in slot 4 where h is free
  CHECK(RulesBroken(BaseProblem(), r) == "host_table_reserved");
}

TEST_CASE("checker catches a meeting outside its session") {
  json r = BaseResult();
  Move(r, "m8", "1", "T2");  // m8 is a pm meeting
  CHECK(RulesBroken(BaseProblem(), r) == "session");
}

TEST_CASE("checker catches a meeting away from its fixed slot") {
  json r = BaseResult();
  Move(r, "m6", "3", "T3");  // m6 is fixed to slot 2
  SetStats(r, 7, 1, 3, 1);   // b: 1, 3, 4; e: 1, 3; h: 1, 3
  CHECK(RulesBroken(BaseProblem(), r) == "fixed_slot");
}

TEST_CASE("checker catches a meeting not strictly after its predecessor") {
  json r = BaseResult();
  Move(r, "m1", "3", "T2");  // m4 (after m1) is in slot 3 too
  SetStats(r, 7, 1, 0, 0);
  CHECK(RulesBroken(BaseProblem(), r) == "after");
  Move(r, "m4", "2", "T2");  // now before m1 (m2 makes room for c)
  Move(r, "m2", "1", "T1");
  // a: 1, 3; b: 2, 3, 4; c: 1, 2; d: 2, 4 -> a and d have a break each
  SetStats(r, 7, 1, 2, 1);
  CHECK(RulesBroken(BaseProblem(), r) == "after");
}

TEST_CASE("checker catches a meeting scheduled after an unscheduled predecessor") {
  json r = BaseResult();
  Unschedule(r, "m1");
  SetStats(r, 6, 2, 1, 1);  // b: 2, 4
  CHECK(RulesBroken(BaseProblem(), r) == "after");
}

TEST_CASE("checker catches a participant over max_meetings") {
  json r = BaseResult();
  r["unscheduled"] = json::array();
  r["meetings"].push_back({{"id", "m7"}, {"slot", "4"}, {"table", "T4"}});
  SetStats(r, 8, 0, 2, 1);  // c: 2, 3, 4; e: 1, 2, 4
  CHECK(RulesBroken(BaseProblem(), r) == "max_meetings");
}

TEST_CASE("checker catches a break spread over max_break_spread") {
  json p = BaseProblem();
  p["fairness"]["max_break_spread"] = 0;  // b has 1 break, everyone else 0
  CHECK(RulesBroken(p, BaseResult()) == "fairness");
  p.erase("fairness");  // without fairness there is no such rule
  CHECK(RulesBroken(p, BaseResult()) == "");
}

TEST_CASE("checker counts participants without meetings in the break spread") {
  json p = json::parse(R"({"slots": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "tables": 1,
      "participants": [{"id": "x"}, {"id": "y"}, {"id": "idle"}],
      "meetings": [{"id": "m1", "participants": ["x", "y"]}, {"id": "m2", "participants": ["x", "y"]}],
      "fairness": {"max_break_spread": 0}})");
  json r = json::parse(R"({"meetings": [{"id": "m1", "slot": "1", "table": "T1"},
      {"id": "m2", "slot": "3", "table": "T1"}], "unscheduled": [],
      "stats": {"scheduled": 2, "unscheduled": 0, "breaks_total": 2, "breaks_max": 1,
                "lower_bound_breaks": 0, "solve_ms": 0}})");
  CHECK(RulesBroken(p, r) == "fairness");  // x and y have 1 break, idle 0
  p["participants"].erase(2);
  CHECK(RulesBroken(p, r) == "");
}

TEST_CASE("checker catches an unscheduled meeting without a reason") {
  json r = BaseResult();
  r["unscheduled"][0]["reason"] = "";
  CHECK(RulesBroken(BaseProblem(), r) == "reason");
  r["unscheduled"][0].erase("reason");
  CHECK(RulesBroken(BaseProblem(), r) == "shape");
}

TEST_CASE("checker catches each wrong stat") {
  for (const char* key : {"scheduled", "unscheduled", "breaks_total", "breaks_max"}) {
    CAPTURE(key);
    json r = BaseResult();
    r["stats"][key] = r["stats"][key].get<int>() + 1;
    CHECK(RulesBroken(BaseProblem(), r) == "stats");
    r["stats"].erase(key);
    CHECK(RulesBroken(BaseProblem(), r) == "stats");
  }
}

TEST_CASE("checker catches a lower bound above the breaks") {
  json r = BaseResult();
  r["stats"]["lower_bound_breaks"] = 2;
  CHECK(RulesBroken(BaseProblem(), r) == "lower_bound");
  r["stats"]["lower_bound_breaks"] = -1;
  CHECK(RulesBroken(BaseProblem(), r) == "lower_bound");
  r["stats"]["lower_bound_breaks"] = 1;
  CHECK(RulesBroken(BaseProblem(), r) == "");
}

TEST_CASE("checker catches proven_optimal with a gap to the lower bound") {
  json r = BaseResult();
  r["stats"]["proven_optimal"] = true;  // lower bound 0, breaks 1
  CHECK(RulesBroken(BaseProblem(), r) == "proven_optimal");
  r["stats"]["lower_bound_breaks"] = 1;
  CHECK(RulesBroken(BaseProblem(), r) == "");
}

TEST_CASE("checker catches proven_optimal with a meeting that could be added") {
  json p = json::parse(R"({"slots": [{"id": "1"}, {"id": "2"}], "tables": 1,
      "participants": [{"id": "x"}, {"id": "y"}, {"id": "z"}],
      "meetings": [{"id": "m1", "participants": ["x", "y"]}, {"id": "m2", "participants": ["x", "z"]}]})");
  json r = json::parse(R"({"meetings": [{"id": "m1", "slot": "1", "table": "T1"}],
      "unscheduled": [{"id": "m2", "reason": "lazy"}],
      "stats": {"scheduled": 1, "unscheduled": 1, "breaks_total": 0, "breaks_max": 0,
                "lower_bound_breaks": 0, "proven_optimal": true, "solve_ms": 0}})");
  CHECK(RulesBroken(p, r) == "proven_optimal");
  r["stats"]["proven_optimal"] = false;  // not optimal, but that is no hard rule
  CHECK(RulesBroken(p, r) == "");
}

TEST_CASE("checker catches a result of the wrong shape") {
  CHECK(RulesBroken(BaseProblem(), json::array()) == "shape");
  json r = BaseResult();
  r.erase("unscheduled");
  CHECK(RulesBroken(BaseProblem(), r) == "shape");
  r = BaseResult();
  Entry(r, "m1").erase("table");
  CHECK(RulesBroken(BaseProblem(), r).find("shape") != std::string::npos);
}

TEST_CASE("InsertableMeetings finds a meeting that fits as the agenda stands") {
  json p = json::parse(R"({"slots": [{"id": "1"}, {"id": "2"}], "tables": 1,
      "participants": [{"id": "x"}, {"id": "y"}, {"id": "z"}],
      "meetings": [{"id": "m1", "participants": ["x", "y"]}, {"id": "m2", "participants": ["x", "z"]}]})");
  json r = json::parse(R"({"meetings": [{"id": "m1", "slot": "1", "table": "T1"}],
      "unscheduled": [{"id": "m2", "reason": "lazy"}],
      "stats": {"scheduled": 1, "unscheduled": 1, "breaks_total": 0, "breaks_max": 0,
                "lower_bound_breaks": 0, "solve_ms": 0}})");
  CHECK(InsertableMeetings(p, r) == std::vector<std::string>{"m2"});
  p["participants"][2]["unavailable"] = {"2"};  // z can only meet in slot 1, where x is busy
  CHECK(InsertableMeetings(p, r).empty());
  p["participants"][2].erase("unavailable");
  p["participants"][0]["max_meetings"] = 1;
  CHECK(InsertableMeetings(p, r).empty());
  p["participants"][0].erase("max_meetings");
  p["meetings"][1]["after"] = {"m1"};
  CHECK(InsertableMeetings(p, r) == std::vector<std::string>{"m2"});
  p["meetings"][1]["slot"] = "1";
  CHECK(InsertableMeetings(p, r).empty());
}

TEST_CASE("InsertableMeetings respects tables and fairness") {
  json p = json::parse(R"({"slots": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "tables": 2,
      "participants": [{"id": "x"}, {"id": "y"}, {"id": "z"}, {"id": "h", "table": "T2"}],
      "meetings": [{"id": "m1", "participants": ["x", "y"]}, {"id": "m2", "participants": ["x", "z"]}]})");
  json r = json::parse(R"({"meetings": [{"id": "m1", "slot": "1", "table": "T1"}],
      "unscheduled": [{"id": "m2", "reason": "lazy"}],
      "stats": {"scheduled": 1, "unscheduled": 1, "breaks_total": 0, "breaks_max": 0,
                "lower_bound_breaks": 0, "solve_ms": 0}})");
  CHECK(InsertableMeetings(p, r) == std::vector<std::string>{"m2"});  // T1 in slot 2 or 3
  p["participants"][0]["unavailable"] = {"2"};                        // x only in 3: a break for x
  CHECK(InsertableMeetings(p, r) == std::vector<std::string>{"m2"});
  p["fairness"] = {{"max_break_spread", 0}};
  CHECK(InsertableMeetings(p, r).empty());
  p.erase("fairness");
  p["tables"] = 1;  // T1 only, and it's h's: no table for m2
  p["participants"][3]["table"] = "T1";
  CHECK(InsertableMeetings(p, r).empty());
}

TEST_CASE("PriorityUpgrades finds a lower-priority meeting in a higher one's place") {
  json p = json::parse(R"({"slots": [{"id": "1"}], "tables": 1,
      "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}],
      "meetings": [{"id": "hi", "participants": ["a", "b"], "priority": 2},
                   {"id": "lo", "participants": ["c", "d"]}]})");
  json r = json::parse(R"({"meetings": [{"id": "lo", "slot": "1", "table": "T1"}],
      "unscheduled": [{"id": "hi", "reason": "lost"}],
      "stats": {"scheduled": 1, "unscheduled": 1, "breaks_total": 0, "breaks_max": 0,
                "lower_bound_breaks": 0, "solve_ms": 0}})");
  CHECK(PriorityUpgrades(p, r) == std::vector<std::string>{"hi for lo"});
  p["meetings"][0]["priority"] = 0;  // equal priority: no better
  CHECK(PriorityUpgrades(p, r).empty());
  p["meetings"][0]["priority"] = 2;
  p["participants"][0]["unavailable"] = {"1"};  // hi cannot take the place
  CHECK(PriorityUpgrades(p, r).empty());
}

TEST_CASE("MovedNeighbours lists the valid one-meeting moves with their breaks") {
  json p = json::parse(R"({"slots": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "tables": 1,
      "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
      "meetings": [{"id": "m1", "participants": ["a", "b"]}, {"id": "m2", "participants": ["a", "c"]}]})");
  json r = json::parse(R"({"meetings": [{"id": "m1", "slot": "1", "table": "T1"},
      {"id": "m2", "slot": "3", "table": "T1"}], "unscheduled": [],
      "stats": {"scheduled": 2, "unscheduled": 0, "breaks_total": 1, "breaks_max": 1,
                "lower_bound_breaks": 0, "solve_ms": 0}})");
  auto moves = MovedNeighbours(p, r);
  REQUIRE(moves.size() == 2);  // m1 to 2 or m2 to 2; the rest clash
  for (const json& n : moves) {
    CHECK(n["stats"]["breaks_total"] == 0);
    CHECK(CheckSchedule(p, n).empty());
  }
  p["participants"][0]["unavailable"] = {"2"};
  CHECK(MovedNeighbours(p, r).empty());
}

}  // namespace
}  // namespace incontra::test
