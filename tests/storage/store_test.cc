// The store against a real RocksDB folder: records of every kind, events, cascades, import,
// schedules, API keys, the change feed, the open-time refusals and backup/restore. Each test
// case works in a fresh temp folder. Raw RocksDB is used only to fake what the store cannot
// produce itself: a foreign database and one written by a newer schema.
#include "storage/store.h"

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "storage/internal/key_codec.h"
#include "tests/storage/storage_test_support.h"

namespace incontra::storage::test {
namespace {

using nlohmann::json;

constexpr RecordKind kEventRecordKinds[] = {RecordKind::kParticipant, RecordKind::kNeed,
                                            RecordKind::kRequest, RecordKind::kMeeting};

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Every column family of a raw RocksDB folder, sorted.
std::vector<std::string> RawFamilies(const std::string& dir) {
  std::vector<std::string> names;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::sort(names.begin(), names.end());
  return names;
}

// Opens a folder with raw RocksDB (every family, as RocksDB demands), runs `f` with the
// families by name, closes it.
using Families = std::map<std::string, rocksdb::ColumnFamilyHandle*>;
template <typename F>
void WithRawDb(const std::string& dir, bool create, F&& f) {
  rocksdb::DBOptions options;
  options.create_if_missing = create;
  std::vector<std::string> names = {rocksdb::kDefaultColumnFamilyName};
  if (!create) names = RawFamilies(dir);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& n : names) descriptors.push_back({n, rocksdb::ColumnFamilyOptions()});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, descriptors, &handles, &db);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  Families families;
  for (size_t i = 0; i < names.size(); ++i) families[names[i]] = handles[i];
  f(db, families);
  for (auto* h : handles) REQUIRE(db->DestroyColumnFamilyHandle(h).ok());
  REQUIRE(db->Close().ok());
  delete db;
}

// A record with everything a round trip could lose: unknown fields, nested objects and arrays,
// unicode (composed, decomposed, astral, an escaped NUL), numbers at their limits, null, bools.
json RichRecord(const std::string& id) {
  return json{
      {"id", id},
      {"name", "Caff\u00e8 Vergnano S.p.A. \u2014 \u00abtorrefazione\u00bb"},
      {"decomposed", "Cafe\u0301"},
      {"emoji", "\U0001F680 \U0001F1EE\U0001F1F9"},
      {"nul_inside", std::string("a\0b", 3)},
      {"unknown_future_field", {{"nested", {{"deeper", {1, 2, {{"x", nullptr}}}}}}, {"flag", true}}},
      {"codes", {"15000000", "03000000"}},
      {"big", std::numeric_limits<uint64_t>::max()},
      {"small", std::numeric_limits<int64_t>::min()},
      {"ratio", 0.1},
      {"third", 1.0 / 3.0},
      {"empty_object", json::object()},
      {"empty_array", json::array()},
      {"empty_string", ""},
      {"no", false},
      {"nothing", nullptr},
      {"from", "p1"},
      {"to", "p2"},
      {"participants", {"p1", "p2"}},
  };
}

void CreateEvent(Store& store, const std::string& id) {
  Status s = store.PutEvent({{"id", id}, {"name", "Event " + id}});
  REQUIRE_MESSAGE(s.ok(), s.ToString());
}

void PutOk(Store& store, RecordKind kind, const std::string& event, const json& record) {
  Status s = store.Put(kind, event, record);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
}

TEST_CASE("store: every record kind round trips exactly, unknown fields included, across reopen") {
  TempDir dir;
  {
    auto store = OpenOrDie(dir / "db");
    CreateEvent(*store, "ev");
    for (RecordKind kind : kEventRecordKinds) {
      const json record = RichRecord(std::string(RecordKindName(kind)) + "-1");
      PutOk(*store, kind, "ev", record);
      auto back = store->Get(kind, "ev", record["id"].get<std::string>());
      REQUIRE_MESSAGE(back.ok(), back.status().ToString());
      CHECK(*back == record);
      CHECK(back->dump() == record.dump());  // same types too: unsigned stays unsigned, 1.0 a float
    }
  }
  auto store = OpenOrDie(dir / "db");
  for (RecordKind kind : kEventRecordKinds) {
    const json record = RichRecord(std::string(RecordKindName(kind)) + "-1");
    auto back = store->Get(kind, "ev", record["id"].get<std::string>());
    REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    CHECK(back->dump() == record.dump());
    // Kinds are separate: the same id under another kind is not found.
    for (RecordKind other : kEventRecordKinds) {
      if (other == kind) continue;
      CHECK(store->Get(other, "ev", record["id"].get<std::string>()).status().code() ==
            "storage.not_found");
    }
  }
}

TEST_CASE("store: events round trip, replace on put, list in id order") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  CHECK(store->GetEvent("ev").status().code() == "storage.not_found");
  REQUIRE(store->PutEvent(RichRecord("ev2")).ok());
  REQUIRE(store->PutEvent({{"id", "ev"}, {"name", "first"}}).ok());
  REQUIRE(store->PutEvent({{"id", "ev"}, {"name", "second"}}).ok());
  auto ev = store->GetEvent("ev");
  REQUIRE(ev.ok());
  CHECK(ev->dump() == json({{"id", "ev"}, {"name", "second"}}).dump());
  auto ev2 = store->GetEvent("ev2");
  REQUIRE(ev2.ok());
  CHECK(ev2->dump() == RichRecord("ev2").dump());
  auto events = store->ListEvents();
  REQUIRE(events.ok());
  CHECK(*events == std::vector<std::string>{"ev", "ev2"});
  CHECK(FeedSince(*store, 0) == "1 put event ev2/ev2\n2 put event ev/ev\n3 put event ev/ev\n");
}

TEST_CASE("store: a record put into an unknown event is refused and nothing is written") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  CreateEvent(*store, "ev");
  const uint64_t before = store->last_sequence();
  for (RecordKind kind : kEventRecordKinds) {
    Status s = store->Put(kind, "nope", {{"id", "p1"}});
    CHECK(s.code() == "storage.unknown_event");
    CHECK(store->Get(kind, "nope", "p1").status().code() == "storage.not_found");
  }
  // Not even an event that only differs by a trailing byte.
  CHECK(store->Put(RecordKind::kParticipant, "ev2", {{"id", "p1"}}).code() ==
        "storage.unknown_event");
  CHECK(store->Put(RecordKind::kParticipant, "e", {{"id", "p1"}}).code() ==
        "storage.unknown_event");
  CHECK(store->last_sequence() == before);
  CHECK(FeedSince(*store, before).empty());
}

TEST_CASE("store: invalid records are refused with storage.invalid_record and nothing written") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  CreateEvent(*store, "ev");
  const uint64_t before = store->last_sequence();
  const std::vector<json> bad = {
      json{{"name", "no id"}},
      json{{"id", 42}},
      json{{"id", nullptr}},
      json{{"id", json::array({"p1"})}},
      json{{"id", {{"nested", "p1"}}}},
      json{{"id", ""}},
      json{{"id", std::string(129, 'x')}},
      json::array({{{"id", "p1"}}}),
      json("p1"),
  };
  for (const json& record : bad) {
    CAPTURE(record.dump());
    for (RecordKind kind : kEventRecordKinds) {
      CHECK(store->Put(kind, "ev", record).code() == "storage.invalid_record");
    }
    CHECK(store->PutEvent(record).code() == "storage.invalid_record");
  }
  CHECK(store->last_sequence() == before);
  CHECK(FeedSince(*store, before).empty());
  CHECK(RenderEvent(*store, "ev").empty());
  // The limit itself is allowed.
  CHECK(store->Put(RecordKind::kParticipant, "ev", {{"id", std::string(128, 'x')}}).ok());
  CHECK(store->last_sequence() == before + 1);
}

// A request cancelled and its meeting called off were two writes: a crash between them left
// the meeting on (regression). Several records now go in one batch, all or nothing, and what
// it committed names each entry with its seq.
TEST_CASE("store: Put of several records is one batch: all or nothing, each entry reported") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  CreateEvent(*store, "ev");
  const uint64_t before = store->last_sequence();
  std::vector<Change> committed;
  CHECK(store
            ->Put("ev",
                  {{RecordKind::kRequest, {{"id", "r1"}, {"state", "pending"}}},
                   {RecordKind::kMeeting, {{"id", "r1"}}},
                   {RecordKind::kRequest, {{"id", 7}}}},
                  &committed)
            .code() == "storage.invalid_record");
  CHECK(store->last_sequence() == before);
  CHECK(RenderEvent(*store, "ev").empty());
  CHECK(committed.empty());
  REQUIRE(store
              ->Put("ev",
                    {{RecordKind::kRequest, {{"id", "r1"}, {"state", "cancelled"}}},
                     {RecordKind::kMeeting, {{"id", "r1"}, {"status", "cancelled"}}}},
                    &committed)
              .ok());
  CHECK(RenderChanges(committed) == FeedSince(*store, before));
  CHECK(committed.back().seq == store->last_sequence());
  CHECK(RenderEvent(*store, "ev") ==
        "request r1 {\"id\":\"r1\",\"state\":\"cancelled\"}\n"
        "meeting r1 {\"id\":\"r1\",\"status\":\"cancelled\"}\n");
}

TEST_CASE("store: List is in id order and scoped to its event") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  // Events whose encodings would leak into each other under a naive prefix.
  const std::vector<std::string> events = {"ev", "ev2", "e", std::string("ev\0", 3), "ev\xff"};
  for (const std::string& e : events) CreateEvent(*store, e);
  // Put in a scrambled order; ids that sort differently as numbers and as bytes.
  const std::vector<std::string> ids = {"p10", "p2", "p1", "P1", "p1\u00e9", "p1 ", "a"};
  for (const std::string& e : events) {
    for (const std::string& id : ids) {
      PutOk(*store, RecordKind::kParticipant, e, {{"id", id}, {"event", e}});
    }
  }
  PutOk(*store, RecordKind::kNeed, "ev2", {{"id", "n1"}});
  for (const std::string& e : events) {
    CAPTURE(e);
    auto list = store->List(RecordKind::kParticipant, e);
    REQUIRE(list.ok());
    std::string got;
    for (const json& r : *list) {
      CHECK(r["event"] == e);
      got += r["id"].get<std::string>() + "|";
    }
    CHECK(got == "P1|a|p1|p1 |p10|p1\u00e9|p2|");
  }
  auto needs_ev = store->List(RecordKind::kNeed, "ev");
  REQUIRE(needs_ev.ok());
  CHECK(needs_ev->empty());
  auto needs_ev2 = store->List(RecordKind::kNeed, "ev2");
  REQUIRE(needs_ev2.ok());
  CHECK(needs_ev2->size() == 1);
  auto unknown = store->List(RecordKind::kParticipant, "nope");
  REQUIRE(unknown.ok());
  CHECK(unknown->empty());
}

TEST_CASE("store: deleting a participant cascades to its requests and meetings in one change") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  for (const std::string event : {"ev", "ev2"}) {
    CreateEvent(*store, event);
    for (const std::string p : {"a", "b", "c", "bb"}) {
      PutOk(*store, RecordKind::kParticipant, event, {{"id", p}});
    }
    PutOk(*store, RecordKind::kNeed, event, {{"id", "n-b"}, {"participant", "b"}, {"to", "b"}});
    PutOk(*store, RecordKind::kRequest, event, {{"id", "r1"}, {"from", "a"}, {"to", "b"}});
    PutOk(*store, RecordKind::kRequest, event, {{"id", "r2"}, {"from", "b"}, {"to", "c"}});
    PutOk(*store, RecordKind::kRequest, event, {{"id", "r3"}, {"from", "c"}, {"to", "a"}});
    PutOk(*store, RecordKind::kRequest, event, {{"id", "r4"}, {"from", "bb"}, {"to", "c"}});
    PutOk(*store, RecordKind::kRequest, event, {{"id", "r5"}, {"from", "c"}, {"to", "b"}});
    PutOk(*store, RecordKind::kMeeting, event, {{"id", "m1"}, {"participants", {"a", "b"}}});
    PutOk(*store, RecordKind::kMeeting, event, {{"id", "m2"}, {"participants", {"c", "b"}}});
    PutOk(*store, RecordKind::kMeeting, event, {{"id", "m3"}, {"participants", {"a", "c"}}});
    PutOk(*store, RecordKind::kMeeting, event, {{"id", "m4"}, {"participants", {"bb", "c"}}});
  }
  const std::string ev2_before = RenderEvent(*store, "ev2");
  const uint64_t before = store->last_sequence();

  Status s = store->Delete(RecordKind::kParticipant, "ev", "b");
  REQUIRE_MESSAGE(s.ok(), s.ToString());

  const uint64_t b = before;
  CHECK(FeedSince(*store, before) ==
        std::to_string(b + 1) + " delete participant ev/b\n" +
            std::to_string(b + 2) + " delete request ev/r1\n" +
            std::to_string(b + 3) + " delete request ev/r2\n" +
            std::to_string(b + 4) + " delete request ev/r5\n" +
            std::to_string(b + 5) + " delete meeting ev/m1\n" +
            std::to_string(b + 6) + " delete meeting ev/m2\n");
  CHECK(store->last_sequence() == before + 6);
  CHECK(RenderEvent(*store, "ev") ==
        "participant a {\"id\":\"a\"}\n"
        "participant bb {\"id\":\"bb\"}\n"
        "participant c {\"id\":\"c\"}\n"
        "need n-b {\"id\":\"n-b\",\"participant\":\"b\",\"to\":\"b\"}\n"
        "request r3 {\"from\":\"c\",\"id\":\"r3\",\"to\":\"a\"}\n"
        "request r4 {\"from\":\"bb\",\"id\":\"r4\",\"to\":\"c\"}\n"
        "meeting m3 {\"id\":\"m3\",\"participants\":[\"a\",\"c\"]}\n"
        "meeting m4 {\"id\":\"m4\",\"participants\":[\"bb\",\"c\"]}\n");
  CHECK(RenderEvent(*store, "ev2") == ev2_before);

  // Deleting what is not there: not_found, nothing written.
  CHECK(store->Delete(RecordKind::kParticipant, "ev", "b").code() == "storage.not_found");
  CHECK(store->Delete(RecordKind::kParticipant, "nope", "a").code() == "storage.not_found");
  CHECK(store->last_sequence() == before + 6);

  // Other kinds do not cascade.
  REQUIRE(store->Delete(RecordKind::kRequest, "ev", "r3").ok());
  REQUIRE(store->Delete(RecordKind::kMeeting, "ev", "m3").ok());
  CHECK(FeedSince(*store, before + 6) == std::to_string(b + 7) + " delete request ev/r3\n" +
                                            std::to_string(b + 8) + " delete meeting ev/m3\n");
  CHECK(store->Get(RecordKind::kParticipant, "ev", "a").ok());
  CHECK(store->Get(RecordKind::kParticipant, "ev", "c").ok());
}

TEST_CASE("store: Import is all or nothing and creates the event") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  CreateEvent(*store, "other");
  const uint64_t before = store->last_sequence();
  const std::vector<json> duplicate = {RichRecord("p1"), RichRecord("p2"), RichRecord("p1"),
                                       RichRecord("p4")};
  Status s = store->Import("fair", RecordKind::kParticipant, duplicate);
  CHECK(s.code() == "storage.invalid_record");
  CHECK_MESSAGE(s.message().find("record 3") != std::string::npos, s.message());
  CHECK(store->last_sequence() == before);
  CHECK(store->GetEvent("fair").status().code() == "storage.not_found");
  CHECK(RenderEvent(*store, "fair").empty());

  const std::vector<json> bad_id = {{{"id", "n1"}}, {{"id", 7}}};
  s = store->Import("fair", RecordKind::kNeed, bad_id);
  CHECK(s.code() == "storage.invalid_record");
  CHECK_MESSAGE(s.message().find("record 2") != std::string::npos, s.message());
  CHECK(store->last_sequence() == before);

  const std::vector<json> good = {RichRecord("p2"), RichRecord("p1"), RichRecord("p3")};
  s = store->Import("fair", RecordKind::kParticipant, good);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  auto event = store->GetEvent("fair");
  REQUIRE(event.ok());
  CHECK(event->dump() == R"({"id":"fair"})");
  auto list = store->List(RecordKind::kParticipant, "fair");
  REQUIRE(list.ok());
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].dump() == RichRecord("p1").dump());
  CHECK((*list)[2].dump() == RichRecord("p3").dump());
  const uint64_t b = before;
  CHECK(FeedSince(*store, before) == std::to_string(b + 1) + " put event fair/fair\n" +
                                         std::to_string(b + 2) + " put participant fair/p2\n" +
                                         std::to_string(b + 3) + " put participant fair/p1\n" +
                                         std::to_string(b + 4) + " put participant fair/p3\n");

  // A second import into the existing event keeps the event as it is.
  REQUIRE(store->PutEvent({{"id", "fair"}, {"name", "The Fair"}}).ok());
  REQUIRE(store->Import("fair", RecordKind::kNeed, {{{"id", "n1"}}}).ok());
  CHECK(store->GetEvent("fair")->value("name", "") == "The Fair");
  CHECK(store->Get(RecordKind::kNeed, "fair", "n1").ok());
}

TEST_CASE("store: Import refuses an event id that PutEvent refuses") {
  // PutEvent wants a non-empty id of at most 128 bytes; Import creates the event itself and
  // must not create one that could never have been put.
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  for (const std::string& event : {std::string(), std::string(129, 'e')}) {
    CAPTURE(event.size());
    CHECK(store->PutEvent({{"id", event}}).code() == "storage.invalid_record");
    CHECK_FALSE(store->Import(event, RecordKind::kParticipant, {{{"id", "p1"}}}).ok());
    CHECK(store->GetEvent(event).status().code() == "storage.not_found");
  }
  CHECK(store->last_sequence() == 0);
}

TEST_CASE("store: GetSchedule reads the latest version of its own event among many") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  for (const char* e : {"e", "e2", "f"}) REQUIRE(store->PutEvent({{"id", e}}).ok());
  CHECK(store->GetSchedule("e").status().code() == "storage.not_found");
  // Versions past 255 and 256 cross a byte of the big-endian key.
  for (int i = 1; i <= 300; ++i) REQUIRE(store->PublishSchedule("e2", {{"run", i}}, {}).ok());
  CHECK(store->GetSchedule("e").status().code() == "storage.not_found");
  CHECK(store->GetSchedule("f").status().code() == "storage.not_found");
  REQUIRE(store->PublishSchedule("e", {{"run", 1}}, {}).ok());
  REQUIRE(store->PublishSchedule("f", {{"run", 1}}, {}).ok());
  CHECK(store->GetSchedule("e2")->dump() == R"({"run":300,"version":300})");
  CHECK(store->GetSchedule("e")->dump() == R"({"run":1,"version":1})");
  CHECK(store->GetSchedule("f")->dump() == R"({"run":1,"version":1})");
}

TEST_CASE("store: PublishSchedule replaces the meetings and bumps the version") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  CHECK(store->PublishSchedule("ev", {{"slots", 3}}, {}).status().code() ==
        "storage.unknown_event");
  CreateEvent(*store, "ev");
  CreateEvent(*store, "ev2");
  CHECK(store->GetSchedule("ev").status().code() == "storage.not_found");
  for (const std::string m : {"m1", "m2", "m3"}) {
    PutOk(*store, RecordKind::kMeeting, "ev", {{"id", m}, {"participants", {"a", "b"}}});
    PutOk(*store, RecordKind::kMeeting, "ev2", {{"id", m}, {"participants", {"a", "b"}}});
  }
  const std::string ev2_before = RenderEvent(*store, "ev2");
  const uint64_t before = store->last_sequence();

  auto v1 = store->PublishSchedule("ev", {{"run", 1}, {"extra", {{"k", "\u00e8"}}}},
                                   {{{"id", "m2"}, {"slot", "s1"}}, {{"id", "m4"}, {"slot", "s2"}}});
  REQUIRE_MESSAGE(v1.ok(), v1.status().ToString());
  CHECK(*v1 == 1);
  const uint64_t b = before;
  CHECK(FeedSince(*store, before) == std::to_string(b + 1) + " put meeting ev/m2\n" +
                                         std::to_string(b + 2) + " put meeting ev/m4\n" +
                                         std::to_string(b + 3) + " delete meeting ev/m1\n" +
                                         std::to_string(b + 4) + " delete meeting ev/m3\n" +
                                         std::to_string(b + 5) + " put schedule ev/1\n");
  CHECK(RenderEvent(*store, "ev") ==
        "meeting m2 {\"id\":\"m2\",\"slot\":\"s1\"}\n"
        "meeting m4 {\"id\":\"m4\",\"slot\":\"s2\"}\n");
  auto latest = store->GetSchedule("ev");
  REQUIRE(latest.ok());
  CHECK(latest->dump() == json({{"run", 1}, {"extra", {{"k", "\u00e8"}}}, {"version", 1}}).dump());

  auto v2 = store->PublishSchedule("ev", {{"run", 2}}, {{{"id", "m5"}}});
  REQUIRE(v2.ok());
  CHECK(*v2 == 2);
  auto v3 = store->PublishSchedule("ev", {{"run", 3}, {"version", 77}}, {});
  REQUIRE(v3.ok());
  CHECK(*v3 == 3);
  latest = store->GetSchedule("ev");
  REQUIRE(latest.ok());
  CHECK(latest->dump() == R"({"run":3,"version":3})");
  CHECK(RenderEvent(*store, "ev").empty());
  CHECK(RenderEvent(*store, "ev2") == ev2_before);
  CHECK(store->GetSchedule("ev2").status().code() == "storage.not_found");

  // A meeting without a valid id refuses the whole publication.
  const uint64_t seq = store->last_sequence();
  CHECK(store->PublishSchedule("ev", {{"run", 4}}, {{{"id", "m6"}}, {{"slot", "s1"}}}).status()
            .code() == "storage.invalid_record");
  CHECK(store->last_sequence() == seq);
  CHECK(store->GetSchedule("ev")->value("version", 0) == 3);
}

TEST_CASE("store: schedule versions past one byte still give the latest") {
  TempDir dir;
  auto store = OpenOrDie(dir / "db", {.sync = false});
  CreateEvent(*store, "ev");
  for (uint64_t v = 1; v <= 258; ++v) {
    auto version = store->PublishSchedule("ev", {{"run", v}}, {});
    REQUIRE(version.ok());
    REQUIRE(*version == v);
  }
  auto latest = store->GetSchedule("ev");
  REQUIRE(latest.ok());
  CHECK(latest->dump() == R"({"run":258,"version":258})");
}

TEST_CASE("store: concurrent PublishSchedule calls get distinct versions") {
  // The header promises a Store may be used from any number of threads. Two publications of
  // the same event must not both become version N, and the meetings left must be those of the
  // latest version, not a mix.
  TempDir dir;
  auto store = OpenOrDie(dir / "db");
  CreateEvent(*store, "ev");
  constexpr int kThreads = 4, kEach = 10;
  constexpr size_t kTotal = kThreads * kEach;
  std::vector<std::vector<uint64_t>> versions(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Each publication has one meeting of its own.
        const std::string meeting = "m-" + std::to_string(t) + "-" + std::to_string(i);
        auto v = store->PublishSchedule("ev", {{"meeting", meeting}}, {{{"id", meeting}}});
        versions[static_cast<size_t>(t)].push_back(v.ok() ? *v : 0);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> distinct;
  size_t total = 0;
  for (const auto& vs : versions) {
    for (uint64_t v : vs) {
      CHECK(v != 0);
      distinct.insert(v);
      ++total;
    }
  }
  CHECK(total == kTotal);
  CHECK_MESSAGE(distinct.size() == total, "only " << distinct.size() << " distinct versions for "
                                                  << total << " publications");
  auto latest = store->GetSchedule("ev");
  REQUIRE(latest.ok());
  CHECK(latest->value("version", 0) == kThreads * kEach);
  auto meetings = store->List(RecordKind::kMeeting, "ev");
  REQUIRE(meetings.ok());
  std::string ids;
  for (const json& m : *meetings) ids += m["id"].get<std::string>() + " ";
  CHECK(ids == latest->value("meeting", "?") + " ");
}

TEST_CASE("store: a participant deleted while a request naming it is put leaves no orphan") {
  // Delete reads the requests to cascade to, then commits. A request put in between must not
  // survive the participant it names (the right to erasure). Repeated to give the race room.
  TempDir dir;
  auto store = OpenOrDie(dir / "db", {.sync = false});
  CreateEvent(*store, "ev");
  int orphans = 0;
  for (int round = 0; round < 200 && orphans == 0; ++round) {
    const std::string p = "p" + std::to_string(round);
    PutOk(*store, RecordKind::kParticipant, "ev", {{"id", p}});
    // Many requests so the delete's scan takes a while.
    std::thread writer([&] {
      for (int i = 0; i < 20; ++i) {
        store->Put(RecordKind::kRequest, "ev",
                   {{"id", p + "-r" + std::to_string(i)}, {"from", p}, {"to", "x"}})
            .PermitUnchecked();
      }
    });
    Status s = store->Delete(RecordKind::kParticipant, "ev", p);
    writer.join();
    REQUIRE(s.ok());
    // Requests put after the delete committed are the caller's business (the participant is
    // gone by then); what must not be is a request the feed shows put before the delete.
    auto feed = store->Changes(0, 1u << 30);
    REQUIRE(feed.ok());
    uint64_t delete_seq = 0;
    for (const Change& c : *feed) {
      if (c.kind == "participant" && c.id == p && c.op == "delete") delete_seq = c.seq;
    }
    for (const Change& c : *feed) {
      if (c.kind == "request" && c.op == "put" && c.seq < delete_seq &&
          c.id.rfind(p + "-r", 0) == 0 && store->Get(RecordKind::kRequest, "ev", c.id).ok()) {
        ++orphans;
        MESSAGE("request " << c.id << " put at seq " << c.seq << ", before participant " << p
                           << " was deleted at seq " << delete_seq << ", survived the cascade");
      }
    }
  }
  CHECK(orphans == 0);
}

TEST_CASE("store: API keys are found by their secret, which is never stored") {
  TempDir dir;
  const std::string secret = "s3cr3t-Zq8Lx2Vw9Pk4Hn7Tb";
  const std::string other_secret = "an0ther-s3cr3t-Jm5Rc1Yd";
  const json scope = {{"events", {"ev"}}, {"role", "organiser"}};
  {
    auto store = OpenOrDie(dir / "db");
    REQUIRE(store->PutApiKey("k1", secret, scope).ok());
    REQUIRE(store->PutApiKey("k2", other_secret, json::object()).ok());
    auto found = store->FindApiKey(secret);
    REQUIRE_MESSAGE(found.ok(), found.status().ToString());
    CHECK(found->dump() == json({{"id", "k1"}, {"scope", scope}}).dump());
    CHECK(store->FindApiKey(other_secret)->value("id", "") == "k2");
    CHECK(store->FindApiKey(secret + "x").status().code() == "storage.not_found");
    CHECK(store->FindApiKey(secret.substr(1)).status().code() == "storage.not_found");
    CHECK(store->FindApiKey("").status().code() == "storage.not_found");

    const uint64_t before = store->last_sequence();
    CHECK(store->PutApiKey("k3", "fifteen-bytes!!", scope).code() == "storage.invalid_record");
    CHECK(store->PutApiKey("", secret + "-longer", scope).code() == "storage.invalid_record");
    CHECK(store->last_sequence() == before);
    CHECK(store->FindApiKey("fifteen-bytes!!").status().code() == "storage.not_found");
    CHECK(store->PutApiKey("k4", "sixteen-bytes!!!", scope).ok());
    REQUIRE(store->Backup(dir / "backup").ok());
  }
  // The raw bytes of every file, the database and its backup, closed and flushed.
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string bytes = ReadBytes(entry.path());
    CHECK_MESSAGE(bytes.find(secret) == std::string::npos, "secret in " << entry.path());
    CHECK_MESSAGE(bytes.find(other_secret) == std::string::npos, "secret in " << entry.path());
    CHECK_MESSAGE(bytes.find("sixteen-bytes!!!") == std::string::npos,
                  "secret in " << entry.path());
  }
  CHECK(files > 0);
  auto store = OpenOrDie(dir / "db");
  CHECK(store->FindApiKey(secret)->value("id", "") == "k1");
}

TEST_CASE("store: Changes returns seq > since in order, honours the limit, survives reopen") {
  TempDir dir;
  uint64_t last = 0;
  {
    auto store = OpenOrDie(dir / "db");
    CHECK(store->last_sequence() == 0);
    CHECK(FeedSince(*store, 0).empty());
    CreateEvent(*store, "ev");
    for (int i = 1; i <= 9; ++i) {
      PutOk(*store, RecordKind::kParticipant, "ev", {{"id", "p" + std::to_string(i)}});
    }
    last = store->last_sequence();
    CHECK(last == 10);
    auto all = store->Changes(0, 1000);
    REQUIRE(all.ok());
    REQUIRE(all->size() == 10);
    for (size_t i = 0; i < all->size(); ++i) CHECK((*all)[i].seq == i + 1);

    auto page = store->Changes(3, 4);
    REQUIRE(page.ok());
    CHECK(RenderChanges(*page) ==
          "4 put participant ev/p3\n5 put participant ev/p4\n"
          "6 put participant ev/p5\n7 put participant ev/p6\n");
    CHECK(store->Changes(0, 0)->empty());
    CHECK(store->Changes(10, 5)->empty());
    CHECK(store->Changes(9, 5)->size() == 1);
    CHECK(store->Changes(1000, 5)->empty());
  }
  auto store = OpenOrDie(dir / "db");
  CHECK(store->last_sequence() == last);
  CHECK(store->Changes(0, 1000)->size() == 10);
  PutOk(*store, RecordKind::kNeed, "ev", {{"id", "n1"}});
  CHECK(store->last_sequence() == last + 1);
  CHECK(FeedSince(*store, last) == "11 put need ev/n1\n");
  // A reader polling with the last seq it saw gets nothing after, not the whole feed again.
  auto after_max = store->Changes(std::numeric_limits<uint64_t>::max(), 5);
  REQUIRE(after_max.ok());
  CHECK_MESSAGE(after_max->empty(), "Changes(UINT64_MAX, 5) returned:\n"
                                        << RenderChanges(*after_max));
}

TEST_CASE("store: a folder already open in this process is refused as storage.locked") {
  TempDir dir;
  auto first = OpenOrDie(dir / "db");
  CreateEvent(*first, "ev");
  auto second = Store::Open(dir / "db");
  CHECK_FALSE(second.ok());
  CHECK(second.status().code() == "storage.locked");
  // The first is unharmed, and once closed the folder opens again.
  CreateEvent(*first, "ev2");
  first.reset();
  auto third = OpenOrDie(dir / "db");
  CHECK(third->ListEvents()->size() == 2);
}

TEST_CASE("store: read_only reads beside the process that holds the folder, and writes nothing") {
  // `incontra export` used to open the folder for writing, so it was refused while a server
  // held it (storage.locked), and while it ran a server could not start.
  TempDir dir;
  auto primary = OpenOrDie(dir / "db");
  CreateEvent(*primary, "ev");
  REQUIRE(primary->Put(RecordKind::kParticipant, "ev", {{"id", "p1"}, {"kind", "pa"}}).ok());
  auto ids = [](const Store& store) {
    auto records = store.List(RecordKind::kParticipant, "ev");
    REQUIRE(records.ok());
    std::string out;
    for (const json& r : *records) out += r["id"].get<std::string>() + " ";
    return out;
  };
  std::string secondary_dir;
  {
    auto reader =
        OpenOrDie(dir / "db", {.sync = true, .create_if_missing = false, .read_only = true});
    CHECK(ids(*reader) == "p1 ");
    // What the primary commits later is not seen by this reader: it reads as of its open.
    REQUIRE(primary->Put(RecordKind::kParticipant, "ev", {{"id", "p2"}, {"kind", "pa"}}).ok());
    CHECK(ids(*reader) == "p1 ");
    // Every write is refused and changes nothing.
    CHECK(reader->Put(RecordKind::kParticipant, "ev", {{"id", "p3"}}).code() ==
          "storage.read_only");
    CHECK(reader->Delete(RecordKind::kParticipant, "ev", "p1").code() == "storage.read_only");
    CHECK(reader->Import("ev", RecordKind::kNeed, {{{"id", "n1"}}}).code() == "storage.read_only");
    // The secondary instance's own folder, in the temporary folder, goes when it closes.
    for (const auto& e : fs::directory_iterator(fs::temp_directory_path())) {
      if (e.path().filename().string().rfind("incontra-read-", 0) == 0) secondary_dir = e.path();
    }
  }
  CHECK_FALSE(secondary_dir.empty());
  CHECK_FALSE(fs::exists(secondary_dir));
  // A new reader sees the primary's later write; the primary lost nothing and still writes.
  auto reader =
      OpenOrDie(dir / "db", {.sync = true, .create_if_missing = false, .read_only = true});
  CHECK(ids(*reader) == "p1 p2 ");
  REQUIRE(primary->Put(RecordKind::kParticipant, "ev", {{"id", "p4"}, {"kind", "pa"}}).ok());
  CHECK(ids(*primary) == "p1 p2 p4 ");
  // No database there: read_only never creates one.
  auto missing =
      Store::Open(dir / "none", {.sync = true, .create_if_missing = true, .read_only = true});
  CHECK(missing.status().code() == "storage.not_found");
  CHECK_FALSE(fs::exists(dir / "none"));
}

TEST_CASE("store: a folder holding other files is refused as storage.not_incontra, untouched") {
  TempDir dir;
  fs::create_directories(dir / "db");
  {
    std::ofstream(dir / "db/notes.txt") << "my notes";
  }
  auto store = Store::Open(dir / "db");
  CHECK_FALSE(store.ok());
  CHECK(store.status().code() == "storage.not_incontra");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir / "db")) names.push_back(e.path().filename());
  CHECK(names == std::vector<std::string>{"notes.txt"});
  CHECK(ReadBytes(dir / "db/notes.txt") == "my notes");
}

TEST_CASE("store: missing folder without create_if_missing is storage.not_found") {
  TempDir dir;
  auto store = Store::Open(dir / "db", {.sync = true, .create_if_missing = false});
  CHECK(store.status().code() == "storage.not_found");
  CHECK_FALSE(fs::exists(dir / "db"));
}

TEST_CASE("store: a RocksDB database that is not Incontra's is refused as storage.not_incontra") {
  TempDir dir;
  WithRawDb(dir / "db", /*create=*/true, [](rocksdb::DB* db, Families& families) {
    rocksdb::ColumnFamilyHandle* cf = families["default"];
    REQUIRE(db->Put(rocksdb::WriteOptions(), cf, "someone", "else's data").ok());
  });
  auto store = Store::Open(dir / "db");
  CHECK_FALSE(store.ok());
  CHECK(store.status().code() == "storage.not_incontra");
}

TEST_CASE("store: refusing a foreign RocksDB database leaves it as it was") {
  // Refusing to open something must not change it: no Incontra column families added.
  TempDir dir;
  WithRawDb(dir / "db", /*create=*/true, [](rocksdb::DB* db, Families& families) {
    rocksdb::ColumnFamilyHandle* cf = families["default"];
    REQUIRE(db->Put(rocksdb::WriteOptions(), cf, "someone", "else's data").ok());
  });
  REQUIRE(RawFamilies(dir / "db") == std::vector<std::string>{"default"});
  CHECK(Store::Open(dir / "db").status().code() == "storage.not_incontra");
  std::string families;
  for (const std::string& f : RawFamilies(dir / "db")) families += f + " ";
  CHECK(families == "default ");
}

TEST_CASE("store: a database written by a newer schema is refused with a hint to upgrade") {
  TempDir dir;
  {
    auto store = OpenOrDie(dir / "db");
    CreateEvent(*store, "ev");
  }
  WithRawDb(dir / "db", /*create=*/false, [](rocksdb::DB* db, Families& families) {
    rocksdb::ColumnFamilyHandle* cf = families["default"];
    std::string format;
    REQUIRE(db->Get(rocksdb::ReadOptions(), cf, "incontra.format", &format).ok());
    json meta = json::parse(format);
    CHECK(meta.value("schema", 0) == 1);
    meta["schema"] = 99;
    REQUIRE(db->Put(rocksdb::WriteOptions(), cf, "incontra.format", meta.dump()).ok());
  });
  auto store = Store::Open(dir / "db");
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == "storage.newer_schema");
  CHECK_MESSAGE(store.status().message().find("upgrade") != std::string::npos,
                store.status().message());
  CHECK_MESSAGE(store.status().message().find("99") != std::string::npos,
                store.status().message());
  // And the refusal did not rewrite the format.
  WithRawDb(dir / "db", /*create=*/false, [](rocksdb::DB* db, Families& families) {
    rocksdb::ColumnFamilyHandle* cf = families["default"];
    std::string format;
    REQUIRE(db->Get(rocksdb::ReadOptions(), cf, "incontra.format", &format).ok());
    CHECK(json::parse(format).value("schema", 0) == 99);
  });
}

TEST_CASE("store: a record written by a newer schema is refused, not misread") {
  TempDir dir;
  {
    auto store = OpenOrDie(dir / "db");
    CreateEvent(*store, "ev");
    PutOk(*store, RecordKind::kParticipant, "ev", {{"id", "p1"}});
  }
  WithRawDb(dir / "db", /*create=*/false, [](rocksdb::DB* db, Families& families) {
    rocksdb::ColumnFamilyHandle* participants = families["participants"];
    REQUIRE(participants != nullptr);
    // A value is one schema byte, then the record as CBOR (store.cc, Encode).
    std::string value(1, static_cast<char>(99));
    json::to_cbor(json{{"id", "p2"}, {"shape", "new"}}, value);
    REQUIRE(db->Put(rocksdb::WriteOptions(), participants,
                    internal::KeyBuilder().Str("ev").Str("p2").Take(), value)
                .ok());
  });
  auto store = OpenOrDie(dir / "db");
  CHECK(store->Get(RecordKind::kParticipant, "ev", "p1").ok());
  auto p2 = store->Get(RecordKind::kParticipant, "ev", "p2");
  CHECK(p2.status().code() == "storage.newer_schema");
  CHECK_MESSAGE(p2.status().message().find("schema 99") != std::string::npos,
                p2.status().message());
  CHECK(store->List(RecordKind::kParticipant, "ev").status().code() == "storage.newer_schema");
}

TEST_CASE("store: Backup and RestoreBackup round trip the whole database") {
  TempDir dir;
  std::string at_backup_ev, at_backup_fair, feed_at_backup;
  uint64_t seq_at_backup = 0;
  {
    auto store = OpenOrDie(dir / "db");
    CreateEvent(*store, "ev");
    for (RecordKind kind : kEventRecordKinds) {
      PutOk(*store, kind, "ev", RichRecord(std::string(RecordKindName(kind)) + "-1"));
    }
    REQUIRE(store->Import("fair", RecordKind::kParticipant, {RichRecord("a"), RichRecord("b")})
                .ok());
    REQUIRE(store->PublishSchedule("ev", {{"run", 1}}, {{{"id", "m9"}}}).ok());
    REQUIRE(store->PutApiKey("k1", "0123456789abcdef-secret", {{"role", "admin"}}).ok());
    at_backup_ev = RenderEvent(*store, "ev");
    at_backup_fair = RenderEvent(*store, "fair");
    feed_at_backup = FeedSince(*store, 0);
    seq_at_backup = store->last_sequence();
    Status s = store->Backup(dir / "backup");
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    // Written after the backup: must not be in it.
    PutOk(*store, RecordKind::kParticipant, "ev", {{"id", "late"}});
    // A backup into an existing folder is refused, even an empty one.
    fs::create_directories(dir / "empty");
    CHECK(store->Backup(dir / "empty").code() == "storage.backup_exists");
    CHECK(store->Backup(dir / "backup").code() == "storage.backup_exists");
  }
  Status s = RestoreBackup(dir / "backup", dir / "restored");
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  // Into an existing empty folder works too.
  fs::create_directories(dir / "restored2");
  s = RestoreBackup(dir / "backup", dir / "restored2");
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  for (const std::string name : {"restored", "restored2"}) {
    CAPTURE(name);
    auto store = OpenOrDie(dir / name);
    CHECK(RenderEvent(*store, "ev") == at_backup_ev);
    CHECK(RenderEvent(*store, "fair") == at_backup_fair);
    CHECK(FeedSince(*store, 0) == feed_at_backup);
    CHECK(store->last_sequence() == seq_at_backup);
    CHECK(store->GetSchedule("ev")->value("version", 0) == 1);
    CHECK(store->FindApiKey("0123456789abcdef-secret")->value("id", "") == "k1");
    CHECK(store->Get(RecordKind::kParticipant, "ev", "late").status().code() ==
          "storage.not_found");
    // The restored database is a live one: writes continue the feed.
    PutOk(*store, RecordKind::kParticipant, "ev", {{"id", "after-restore"}});
    CHECK(store->last_sequence() == seq_at_backup + 1);
  }
  // The original still has its late write.
  auto original = OpenOrDie(dir / "db");
  CHECK(original->Get(RecordKind::kParticipant, "ev", "late").ok());
}

// Every file of a folder with its bytes, for "left as it was" checks.
std::map<std::string, std::string> Snapshot(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(folder)) {
    files[e.path().filename().string()] = ReadBytes(e.path());
  }
  return files;
}

std::string Names(const std::map<std::string, std::string>& files) {
  std::string out;
  for (const auto& [name, bytes] : files) out += name + " ";
  return out;
}

TEST_CASE("store: RestoreBackup leaves the backup as it was") {
  // A backup is read, not written, by a restore: it may sit on read-only media, be checksummed,
  // or be restored again later.
  TempDir dir;
  {
    auto store = OpenOrDie(dir / "db");
    CreateEvent(*store, "ev");
    PutOk(*store, RecordKind::kParticipant, "ev", RichRecord("p1"));
    REQUIRE(store->Backup(dir / "backup").ok());
  }
  const auto before = Snapshot(dir / "backup");
  Status s = RestoreBackup(dir / "backup", dir / "restored");
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  const auto after = Snapshot(dir / "backup");
  CHECK(Names(after) == Names(before));
  for (const auto& [name, bytes] : before) {
    auto it = after.find(name);
    if (it != after.end()) CHECK_MESSAGE(it->second == bytes, name << " changed");
  }
}

TEST_CASE("store: RestoreBackup refuses a non-empty target and leaves it alone") {
  TempDir dir;
  {
    auto store = OpenOrDie(dir / "db");
    CreateEvent(*store, "ev");
    REQUIRE(store->Backup(dir / "backup").ok());
  }
  fs::create_directories(dir / "target");
  {
    std::ofstream(dir / "target/keep.txt") << "keep me";
  }
  Status s = RestoreBackup(dir / "backup", dir / "target");
  CHECK(s.code() == "storage.restore_target");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir / "target")) names.push_back(e.path().filename());
  CHECK(names == std::vector<std::string>{"keep.txt"});
  CHECK(ReadBytes(dir / "target/keep.txt") == "keep me");

  // Restoring over the live database itself is refused the same way.
  CHECK(RestoreBackup(dir / "backup", dir / "db").code() == "storage.restore_target");

  // Restoring something that is not a backup is refused and creates nothing.
  s = RestoreBackup(dir / "no-such-backup", dir / "fresh");
  CHECK_FALSE(s.ok());
  CHECK_FALSE(fs::exists(dir / "fresh"));
  fs::create_directories(dir / "junk");
  {
    std::ofstream(dir / "junk/file") << "junk";
  }
  s = RestoreBackup(dir / "junk", dir / "fresh");
  CHECK(s.code() == "storage.not_incontra");
  CHECK_FALSE(fs::exists(dir / "fresh"));
}

}  // namespace
}  // namespace incontra::storage::test

namespace incontra::storage::test {
namespace {

// Regression: "data/" put the folder being created inside the target ("data/.incontra-
// creating") and the rename into place failed.
TEST_CASE("store: a folder named with a trailing slash is created, fresh or empty") {
  TempDir dir;
  for (const std::string& name : {std::string("fresh/"), std::string("empty/")}) {
    if (name == "empty/") fs::create_directories(dir / "empty");
    {
      auto store = Store::Open(dir / name);
      REQUIRE_MESSAGE(store.ok(), store.status().message());
      CHECK((*store)->PutEvent({{"id", "e"}}).ok());
    }
    auto again = Store::Open(dir / name);
    REQUIRE_MESSAGE(again.ok(), again.status().message());
    CHECK((*again)->GetEvent("e").ok());
    CHECK_FALSE(fs::exists(dir / (name + ".incontra-creating")));
  }
}

}  // namespace
}  // namespace incontra::storage::test
