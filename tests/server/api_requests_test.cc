// Meeting requests through the HTTP API as a plain function (server/api.h, Api::Requests):
// creation, refusals with their codes, state transitions, auth, the cascade on a participant's
// deletion, and racing creations. A Store in a temp folder, an Api with an admin key, organiser
// keys of e1 and e2. Each test renders what it sees into one string and compares once.
#include <doctest/doctest.h>

#include <latch>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
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

bool IsUtcTimestamp(const json& j) {
  static const std::regex kRfc3339Utc(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)");
  return j.is_string() && std::regex_match(j.get<std::string>(), kRfc3339Utc);
}

// "pending@ accepted@" of a request's history: each state, "@" when its time is RFC 3339 UTC.
std::string History(const json& request) {
  if (!request.contains("history") || !request["history"].is_array()) return "(no history)";
  std::string out;
  for (const json& h : request["history"]) {
    out += (out.empty() ? "" : " ") + h.value("state", "?") +
           (h.contains("at") && IsUtcTimestamp(h["at"]) ? "@" : "@?");
  }
  return out;
}

// The API fixture (api_harness.h) with helpers for requests in event e1.
struct RequestsFixture : ApiFixture {
  void Participant(const std::string& id, json body) const {
    HttpResponse r = Call("PUT", "/v1/events/e1/participants/" + id, "admin", body.dump());
    REQUIRE_MESSAGE(r.status == 200, id << ": " << r.body);
  }

  HttpResponse Create(const std::string& from, const std::string& to,
                      const std::string& who = "organiser") const {
    return Call("POST", "/v1/events/e1/requests", who,
                json{{"from", from}, {"to", to}, {"message", "hello"}}.dump());
  }

  // The id of a request that must be created.
  std::string Created(const std::string& from, const std::string& to) const {
    HttpResponse r = Create(from, to);
    REQUIRE_MESSAGE(r.status == 201, from << " -> " << to << ": " << r.body);
    return json::parse(r.body)["id"].get<std::string>();
  }

  HttpResponse Act(const std::string& id, const std::string& action) const {
    return Call("POST", "/v1/events/e1/requests/" + id + "/" + action, "organiser");
  }

  size_t RequestCount() const {
    auto list = store->List(RecordKind::kRequest, "e1");
    REQUIRE_MESSAGE(list.ok(), list.status().ToString());
    return list->size();
  }
};

// A push carried the store's latest sequence when it was sent, not its change's: a write that
// committed in between (an import, another event's PUT) made it later, and a client resuming
// from it (changes?since=seq) never saw what lay between (regression). Here the organisers'
// sink makes such a write while the first of an erasure's pushes is sent.
TEST_CASE("api requests: every push carries its own change's sequence, whatever commits meanwhile") {
  RequestsFixture f;
  f.Participant("p1", {{"kind", "pa"}});
  f.Participant("c1", {{"kind", "company"}});
  f.Participant("c2", {{"kind", "company"}});
  f.Created("c1", "p1");
  f.Created("c2", "c1");
  std::vector<std::pair<uint64_t, std::string>> pushed;  // seq, request id
  std::mutex mu;
  f.api->hub().Subscribe("e1", "", [&](std::shared_ptr<const std::string> text) {
    if (!text) return;
    std::lock_guard lock(mu);
    const json push = json::parse(*text);
    pushed.emplace_back(push["seq"].get<uint64_t>(), push["data"]["id"].get<std::string>());
    if (pushed.size() == 1) {
      REQUIRE(f.store->Put(RecordKind::kParticipant, "e1", {{"id", "x9"}, {"kind", "company"}}).ok());
    }
  });
  const uint64_t before = f.store->last_sequence();
  REQUIRE(f.Call("DELETE", "/v1/events/e1/participants/c1", "organiser").status == 204);
  auto changes = f.store->Changes(before, 100);
  REQUIRE(changes.ok());
  // Each push carries its own request's entry in the erasure's batch, in the feed's order.
  std::vector<std::pair<uint64_t, std::string>> entries;
  uint64_t erased = 0;  // the erasure's last feed entry
  for (const storage::Change& c : *changes) {
    if (c.id != "x9") erased = std::max(erased, c.seq);
    if (c.kind == "request") entries.emplace_back(c.seq, c.id);
  }
  std::lock_guard lock(mu);
  CHECK(entries.size() == 2);
  CHECK(pushed == entries);
  CHECK(f.store->last_sequence() == erased + 1);  // the write made in between came after
}

TEST_CASE("api requests: a created request is pending, with its history, read back by id and in the list") {
  RequestsFixture f;
  f.Participant("p1", {{"kind", "company"}});
  f.Participant("p2", {{"kind", "pa"}});
  HttpResponse created = f.Call("POST", "/v1/events/e1/requests", "organiser",
                                R"({"from": "p1", "to": "p2", "message": "Shall we meet?"})");
  REQUIRE(created.status == 201);
  const json r = json::parse(created.body);
  const std::string id = r.value("id", "");
  CHECK(!id.empty());
  CHECK(IsUtcTimestamp(r["created"]));
  CHECK(r["history"].size() == 1);
  CHECK(r["history"][0]["at"] == r["created"]);
  CHECK(r.value("from", "") + " -> " + r.value("to", "") + " '" + r.value("message", "") + "' " +
            r.value("state", "") + " [" + History(r) + "]" ==
        "p1 -> p2 'Shall we meet?' pending [pending@]");

  HttpResponse got = f.Call("GET", "/v1/events/e1/requests/" + id, "organiser");
  CHECK(got.status == 200);
  CHECK(json::parse(got.body) == r);

  HttpResponse second = f.Call("POST", "/v1/events/e1/requests", "organiser",
                               R"({"from": "p2", "to": "p1"})" /* other way, pending: dup */);
  CHECK(Outcome(second) == "409 request.duplicate");
  f.Participant("p3", {{"kind", "research"}});
  HttpResponse third = f.Create("p3", "p2");
  REQUIRE(third.status == 201);
  const std::string id3 = json::parse(third.body)["id"].get<std::string>();
  CHECK(id3 != id);

  HttpResponse list = f.Call("GET", "/v1/events/e1/requests", "organiser");
  REQUIRE(list.status == 200);
  const json requests = json::parse(list.body)["requests"];
  REQUIRE(requests.is_array());
  std::string seen;
  for (const json& x : requests) {
    if (x == r) seen += "r1 ";
    if (x.value("id", "") == id3) seen += "r3 ";
  }
  CHECK(requests.size() == 2);
  CHECK((seen == "r1 r3 " || seen == "r3 r1 "));  // ids are random: either order
}

TEST_CASE("api requests: refusals answer their code and status and store nothing") {
  RequestsFixture f;
  f.Participant("c1", {{"kind", "company"}});
  f.Participant("c2", {{"kind", "company"}});
  f.Participant("pa1", {{"kind", "pa"}});
  f.Participant("pa2", {{"kind", "pa"}});
  f.Created("c1", "c2");
  const std::string long_message(4097, 'x');
  std::string two_byte_4098;  // 2049 x "é": 4098 bytes, 2049 characters
  for (int i = 0; i < 2049; ++i) two_byte_4098 += "\xc3\xa9";
  struct Case {
    const char* label;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"to oneself", R"({"from": "c1", "to": "c1"})"},
      {"unknown from", R"({"from": "zz", "to": "c1"})"},
      {"unknown to", R"({"from": "c1", "to": "zz"})"},
      {"pa to pa", R"({"from": "pa1", "to": "pa2"})"},
      {"duplicate same way", R"({"from": "c1", "to": "c2"})"},
      {"duplicate other way", R"({"from": "c2", "to": "c1"})"},
      {"no from", R"({"to": "c1"})"},
      {"no to", R"({"from": "c1"})"},
      {"from a number", R"({"from": 1, "to": "c1"})"},
      {"to null", R"({"from": "c1", "to": null})"},
      {"message a number", R"({"from": "pa1", "to": "c1", "message": 7})"},
      {"message 4097 bytes", json{{"from", "pa1"}, {"to", "c1"}, {"message", long_message}}.dump()},
      {"message 4098 bytes in 2049 chars",
       json{{"from", "pa1"}, {"to", "c1"}, {"message", two_byte_4098}}.dump()},
      {"body an array", R"(["c1", "c2"])"},
      {"empty body", ""},
      {"malformed json", R"({"from": "pa1", "to": )"},
      {"trailing comma", R"({"from": "pa1", "to": "c1",})"},
      {"to twice", R"({"from": "pa1", "to": "zz", "to": "c1"})"},
  };
  const uint64_t before = f.store->last_sequence();
  std::string table;
  for (const Case& c : cases) {
    HttpResponse r = f.Call("POST", "/v1/events/e1/requests", "organiser", c.body);
    table += std::string(c.label) + " -> " + Outcome(r);
    if (ErrorCode(r.body) == "request.unknown_participant") table += " (" + ErrorMessage(r.body) + ")";
    table += "\n";
  }
  CHECK(table ==
        "to oneself -> 400 request.self\n"
        "unknown from -> 400 request.unknown_participant (from: no participant 'zz')\n"
        "unknown to -> 400 request.unknown_participant (to: no participant 'zz')\n"
        "pa to pa -> 400 request.kinds\n"
        "duplicate same way -> 409 request.duplicate\n"
        "duplicate other way -> 409 request.duplicate\n"
        "no from -> 400 request.missing_field\n"
        "no to -> 400 request.missing_field\n"
        "from a number -> 400 request.missing_field\n"
        "to null -> 400 request.missing_field\n"
        "message a number -> 400 request.invalid_value\n"
        "message 4097 bytes -> 400 request.invalid_value\n"
        "message 4098 bytes in 2049 chars -> 400 request.invalid_value\n"
        "body an array -> 400 request.wrong_type\n"
        "empty body -> 400 api.empty_body\n"
        "malformed json -> 400 api.malformed_json\n"
        "trailing comma -> 400 api.malformed_json\n"
        "to twice -> 400 api.duplicate_key\n");
  CHECK(f.store->last_sequence() == before);
  CHECK(f.RequestCount() == 1);

  // The limit is on bytes and inclusive: 4096 bytes pass.
  CHECK(Outcome(f.Call("POST", "/v1/events/e1/requests", "organiser",
                       json{{"from", "pa1"}, {"to", "c1"}, {"message", std::string(4096, 'x')}}
                           .dump())) == "201");
}

TEST_CASE("api requests: the sender's quota counts pending and accepted, not declined or cancelled") {
  RequestsFixture f;
  f.Participant("p1", {{"kind", "company"}, {"max_meetings", 1}});
  for (const char* id : {"p2", "p3", "p4"}) f.Participant(id, {{"kind", "company"}});
  std::string log;
  auto step = [&](const std::string& label, const HttpResponse& r) {
    log += label + " -> " + Outcome(r) + "\n";
    return r.status < 300 ? json::parse(r.body).value("id", "") : std::string();
  };
  const std::string r12 = step("p1 to p2", f.Create("p1", "p2"));
  uint64_t before = f.store->last_sequence();
  step("p1 to p3 (p1->p2 pending)", f.Create("p1", "p3"));
  const bool nothing_stored_pending = f.store->last_sequence() == before;
  step("decline p1->p2", f.Act(r12, "decline"));
  const std::string r13 = step("p1 to p3 (p1->p2 declined)", f.Create("p1", "p3"));
  step("accept p1->p3", f.Act(r13, "accept"));
  before = f.store->last_sequence();
  step("p1 to p4 (p1->p3 accepted)", f.Create("p1", "p4"));
  const bool nothing_stored_accepted = f.store->last_sequence() == before;
  step("cancel p1->p3", f.Act(r13, "cancel"));
  step("p1 to p4 (p1->p3 cancelled)", f.Create("p1", "p4"));
  CHECK(log ==
        "p1 to p2 -> 201\n"
        "p1 to p3 (p1->p2 pending) -> 409 request.quota\n"
        "decline p1->p2 -> 200\n"
        "p1 to p3 (p1->p2 declined) -> 201\n"
        "accept p1->p3 -> 200\n"
        "p1 to p4 (p1->p3 accepted) -> 409 request.quota\n"
        "cancel p1->p3 -> 200\n"
        "p1 to p4 (p1->p3 cancelled) -> 201\n");
  CHECK(nothing_stored_pending);
  CHECK(nothing_stored_accepted);
}

TEST_CASE("api requests: without its own max_meetings the event's max_meetings_per_participant applies") {
  RequestsFixture f;
  REQUIRE(f.Call("PUT", "/v1/events/e1", "admin", R"({"max_meetings_per_participant": 1})").status ==
          200);
  f.Participant("q1", {{"kind", "company"}});
  f.Participant("own2", {{"kind", "company"}, {"max_meetings", 2}});
  for (const char* id : {"t1", "t2", "t3"}) f.Participant(id, {{"kind", "research"}});
  std::string log;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"q1", "t1"}, {"q1", "t2"}, {"own2", "t1"}, {"own2", "t2"}, {"own2", "t3"}}) {
    log += from + " to " + to + " -> " + Outcome(f.Create(from, to)) + "\n";
  }
  CHECK(log ==
        "q1 to t1 -> 201\n"
        "q1 to t2 -> 409 request.quota\n"  // the event's 1
        "own2 to t1 -> 201\n"
        "own2 to t2 -> 201\n"  // its own 2 over the event's 1
        "own2 to t3 -> 409 request.quota\n");
}

TEST_CASE("api requests: accept, decline and cancel move between the states they allow") {
  RequestsFixture f;
  for (const char* id : {"p1", "p2", "p3"}) f.Participant(id, {{"kind", "company"}});
  const std::string a = f.Created("p1", "p2");
  const std::string b = f.Created("p1", "p3");
  std::string log;
  auto step = [&](const std::string& label, const std::string& id, const HttpResponse& r) {
    log += label + " -> " + Outcome(r);
    auto stored = f.store->Get(RecordKind::kRequest, "e1", id);
    if (stored.ok()) {
      log += " | " + stored->value("state", "?") + " [" + History(*stored) + "]";
      if (r.status == 200) log += json::parse(r.body) == *stored ? " (answered as stored)" : " (answer differs)";
    }
    log += "\n";
  };
  step("a accept", a, f.Act(a, "accept"));
  step("a decline", a, f.Act(a, "decline"));
  step("a accept again", a, f.Act(a, "accept"));
  step("a cancel", a, f.Act(a, "cancel"));
  step("a accept", a, f.Act(a, "accept"));
  step("a cancel again", a, f.Act(a, "cancel"));
  step("b decline", b, f.Act(b, "decline"));
  step("b accept", b, f.Act(b, "accept"));
  step("b cancel", b, f.Act(b, "cancel"));
  step("b reject", b, f.Act(b, "reject"));
  step("unknown id accept", "r-none", f.Act("r-none", "accept"));
  step("GET on a's accept", a, f.Call("GET", "/v1/events/e1/requests/" + a + "/accept", "organiser"));
  CHECK(log ==
        "a accept -> 200 | accepted [pending@ accepted@] (answered as stored)\n"
        "a decline -> 409 request.transition | accepted [pending@ accepted@]\n"
        "a accept again -> 409 request.transition | accepted [pending@ accepted@]\n"
        "a cancel -> 200 | cancelled [pending@ accepted@ cancelled@] (answered as stored)\n"
        "a accept -> 409 request.transition | cancelled [pending@ accepted@ cancelled@]\n"
        "a cancel again -> 409 request.transition | cancelled [pending@ accepted@ cancelled@]\n"
        "b decline -> 200 | declined [pending@ declined@] (answered as stored)\n"
        "b accept -> 409 request.transition | declined [pending@ declined@]\n"
        "b cancel -> 409 request.transition | declined [pending@ declined@]\n"
        "b reject -> 404 api.not_found | declined [pending@ declined@]\n"
        "unknown id accept -> 404 storage.not_found\n"
        "GET on a's accept -> 405 api.method_not_allowed | cancelled [pending@ accepted@ cancelled@]\n");
}

TEST_CASE("api requests: no key 401, another event's organiser 403, this event's organiser may") {
  RequestsFixture f;
  f.Participant("p0", {{"kind", "company"}});
  for (int i = 0; i < 4; ++i) {
    f.Participant("s" + std::to_string(i), {{"kind", "company"}});
    f.Participant("t" + std::to_string(i), {{"kind", "research"}});
  }
  const std::string existing = f.Created("p0", "t0");
  const char* callers[] = {"none", "other", "organiser", "admin"};
  std::string table;
  for (int i = 0; i < 4; ++i) {
    const std::string who = callers[i];
    const std::string to_accept = f.Created("s" + std::to_string(i), "t" + std::to_string(i));
    const size_t count = f.RequestCount();
    HttpResponse created = f.Create("p0", "t" + std::to_string(i == 0 ? 1 : i), who);
    table += who + ": create " + Outcome(created) + " (" +
             std::to_string(f.RequestCount() - count) + " stored)";
    table += ", list " + Outcome(f.Call("GET", "/v1/events/e1/requests", who));
    table += ", get " + Outcome(f.Call("GET", "/v1/events/e1/requests/" + existing, who));
    HttpResponse accepted =
        f.Call("POST", "/v1/events/e1/requests/" + to_accept + "/accept", who);
    auto stored = f.store->Get(RecordKind::kRequest, "e1", to_accept);
    table += ", accept " + Outcome(accepted) + " (" + (stored.ok() ? stored->value("state", "?") : "-") +
             ")\n";
  }
  CHECK(table ==
        "none: create 401 api.unauthorized (0 stored), list 401 api.unauthorized, "
        "get 401 api.unauthorized, accept 401 api.unauthorized (pending)\n"
        "other: create 403 api.forbidden (0 stored), list 403 api.forbidden, "
        "get 403 api.forbidden, accept 403 api.forbidden (pending)\n"
        "organiser: create 201 (1 stored), list 200, get 200, accept 200 (accepted)\n"
        "admin: create 201 (1 stored), list 200, get 200, accept 200 (accepted)\n");
}

TEST_CASE("api requests: deleting a participant takes the requests it sent or received, not others") {
  RequestsFixture f;
  for (const char* id : {"p1", "p2", "p3"}) f.Participant(id, {{"kind", "company"}});
  const std::string sent = f.Created("p1", "p2");
  const std::string between_others = f.Created("p2", "p3");
  const std::string received = f.Created("p3", "p1");
  REQUIRE(f.Call("DELETE", "/v1/events/e1/participants/p1", "organiser").status == 204);
  auto get = [&](const std::string& id) {
    return Outcome(f.Call("GET", "/v1/events/e1/requests/" + id, "organiser"));
  };
  json list = json::parse(f.Call("GET", "/v1/events/e1/requests", "organiser").body)["requests"];
  std::string listed;
  for (const json& r : list) listed += r.value("from", "?") + "->" + r.value("to", "?") + " ";
  CHECK("sent " + get(sent) + ", received " + get(received) + ", others " + get(between_others) +
            ", list " + listed ==
        "sent 404 storage.not_found, received 404 storage.not_found, others 200, list p2->p3 ");
}

// The duplicate and quota checks read the event's requests from a cache the request routes
// keep (they decoded every request of the event on each create: 67 ms at 5,000). What an
// erasure takes away, or a cancel, no longer counts.
TEST_CASE("api requests: quotas and duplicates follow erasures and cancels, not a stale copy") {
  RequestsFixture f;
  f.Participant("c1", {{"kind", "company"}, {"max_meetings", 1}});
  for (const char* id : {"p1", "p2", "p3"}) f.Participant(id, {{"kind", "company"}});
  f.Created("c1", "p1");
  CHECK(Outcome(f.Create("c1", "p2")) == "409 request.quota");
  REQUIRE(f.Call("DELETE", "/v1/events/e1/participants/p1", "organiser").status == 204);
  const std::string id = f.Created("c1", "p2");  // the erased one's request no longer counts
  CHECK(Outcome(f.Create("p2", "c1")) == "409 request.duplicate");
  REQUIRE(f.Act(id, "cancel").status == 200);
  CHECK(Outcome(f.Create("p2", "c1")) == "201");
  CHECK(Outcome(f.Create("c1", "p3")) == "409 request.quota");
}

TEST_CASE("api requests: a participant's PUT racing its erasure never brings it back") {
  RequestsFixture f;
  std::string back;
  for (int round = 0; round < 20; ++round) {
    f.Participant("p1", {{"kind", "company"}, {"name", "Alfa"}});
    REQUIRE(f.store
                ->PutApiKey("k-p1", kTokenP1,
                            {{"role", "participant"}, {"event", "e1"}, {"participant", "p1"}})
                .ok());
    std::latch start(2);
    std::string erased;
    std::thread eraser([&] {
      start.arrive_and_wait();
      erased = Outcome(f.Call("DELETE", "/v1/events/e1/participants/p1", "organiser"));
    });
    // Its own edits, until one is refused: the token is gone with the participant.
    start.arrive_and_wait();
    for (int k = 0; k < 1000; ++k) {
      if (f.Call("PUT", "/v1/events/e1/participants/p1", "token-p1", R"({"kind": "company",
          "name": "Alfa again"})")
              .status != 200) {
        break;
      }
    }
    eraser.join();
    REQUIRE(erased == "204");
    if (f.Stored(RecordKind::kParticipant, "e1", "p1") != "-") back += std::to_string(round) + " ";
  }
  CHECK(back == "");
}

TEST_CASE("api requests: concurrent POSTs of one pair create one request, the rest are duplicates") {
  RequestsFixture f;
  constexpr int kThreads = 4;
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    f.Participant("a" + std::to_string(round), {{"kind", "company"}});
    f.Participant("b" + std::to_string(round), {{"kind", "company"}});
  }
  std::string outcomes;
  for (int round = 0; round < kRounds; ++round) {
    const std::string a = "a" + std::to_string(round), b = "b" + std::to_string(round);
    std::vector<std::string> outcome(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        // Odd rounds race both directions: a pending request blocks either way.
        const bool reverse = round % 2 == 1 && t % 2 == 1;
        outcome[t] = Outcome(reverse ? f.Create(b, a) : f.Create(a, b));
      });
    }
    for (auto& th : threads) th.join();
    int created = 0, duplicates = 0;
    for (const std::string& o : outcome) {
      created += o == "201";
      duplicates += o == "409 request.duplicate";
    }
    if (created != 1 || duplicates != kThreads - 1) {
      outcomes += a + "/" + b + ": " + std::to_string(created) + " x 201, " +
                  std::to_string(duplicates) + " x duplicate\n";
    }
  }
  CHECK(outcomes == "");
  CHECK(f.RequestCount() == static_cast<size_t>(kRounds));
}

}  // namespace
}  // namespace incontra::server
