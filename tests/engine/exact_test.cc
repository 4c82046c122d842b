// The exact phase (engine/internal/exact.h) on its own: starting from a given agenda, it must
// hold every meeting that can be held and prove it.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/internal/compiled_problem.h"
#include "engine/internal/exact.h"
#include "engine/schedule_json.h"

namespace incontra::engine::internal {
namespace {

using nlohmann::json;

ScheduleProblem Parse(const json& j) {
  auto parsed = ScheduleProblemFromJson(j);
  REQUIRE(parsed.ok());
  return *parsed;
}

ExactOutcome FromAgenda(const CompiledProblem& c, std::vector<int> slot_of) {
  return ImproveExactly(c, std::move(slot_of), /*conflicts_per_question=*/1'000'000,
                        std::chrono::steady_clock::now() + std::chrono::seconds(20));
}

TEST_CASE("exact: a meeting that must follow another is held when both fit (regression: "
          "a missing variable ended a clause early and made every agenda impossible)") {
  // m2 must follow m1; m2 may use the first slot, where nothing can come before it.
  ScheduleProblem p = Parse(json::parse(R"({
    "slots": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "tables": 2,
    "participants": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
    "meetings": [{"id": "m1", "participants": ["a", "b"]},
                 {"id": "m2", "participants": ["b", "c"], "after": ["m1"]}]})"));
  auto c = Compile(p);
  REQUIRE(c.ok());
  ExactOutcome out = FromAgenda(*c, {-1, -1});
  CHECK(out.scheduling_proven);
  REQUIRE(out.slot_of[0] >= 0);
  REQUIRE(out.slot_of[1] >= 0);
  CHECK(out.slot_of[1] > out.slot_of[0]);
  CHECK(out.breaks == 0);
  CHECK(out.lower_bound == 0);
}

TEST_CASE("exact: from an agenda that leaves meetings of several priorities out, every "
          "meeting that fits is held (regression: a counter sized for the first agenda let "
          "the search spin without progress)") {
  // Four priorities; the given agenda holds nothing. An agenda with all 8 held exists:
  // a round robin of 4 people has 6 pairs in 3 slots, plus two meetings with a fifth person.
  json meetings = json::array();
  const char* pairs[8][2] = {{"a", "b"}, {"c", "d"}, {"a", "c"}, {"b", "d"},
                             {"a", "d"}, {"b", "c"}, {"e", "a"}, {"e", "b"}};
  for (int i = 0; i < 8; ++i) {
    meetings.push_back({{"id", "m" + std::to_string(i)},
                        {"participants", {pairs[i][0], pairs[i][1]}},
                        {"priority", i % 4}});
  }
  json j = {{"slots", {{{"id", "1"}}, {{"id", "2"}}, {{"id", "3"}}, {{"id", "4"}}, {{"id", "5"}}}},
            {"tables", 3},
            {"participants", {{{"id", "a"}}, {{"id", "b"}}, {{"id", "c"}}, {{"id", "d"}},
                              {{"id", "e"}}}},
            {"meetings", meetings}};
  ScheduleProblem p = Parse(j);
  auto c = Compile(p);
  REQUIRE(c.ok());
  ExactOutcome out = FromAgenda(*c, std::vector<int>(8, -1));
  CHECK(out.scheduling_proven);
  int held = 0;
  for (int s : out.slot_of) held += s >= 0;
  CHECK(held == 8);
}

TEST_CASE("exact: proves that an agenda's breaks cannot be fewer") {
  // A triangle a-b, b-c, a-c in 3 slots with 1 table: one meeting per slot. b cannot meet in
  // slot 2, so its two meetings take slots 1 and 3: one break, which no agenda avoids.
  ScheduleProblem p = Parse(json::parse(R"({
    "slots": [{"id": "1"}, {"id": "2"}, {"id": "3"}], "tables": 1,
    "participants": [{"id": "a"}, {"id": "b", "unavailable": ["2"]}, {"id": "c"}],
    "meetings": [{"id": "ab", "participants": ["a", "b"]},
                 {"id": "bc", "participants": ["b", "c"]},
                 {"id": "ac", "participants": ["a", "c"]}]})"));
  auto c = Compile(p);
  REQUIRE(c.ok());
  // ab in 1, ac in 2, bc in 3: b has the one break.
  ExactOutcome out = FromAgenda(*c, {0, 2, 1});
  CHECK(out.scheduling_proven);
  CHECK(out.breaks == 1);
  CHECK(out.lower_bound == 1);
}

}  // namespace
}  // namespace incontra::engine::internal
