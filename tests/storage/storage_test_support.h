// Helpers shared by the storage tests: a fresh temp folder per test, and the store's contents
// and feed rendered as text, so a test compares whole states once.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "storage/store.h"
#include "tests/temp_dir.h"

namespace incontra::storage::test {

namespace fs = std::filesystem;

using TempDir = incontra::test::TempDir;

inline std::unique_ptr<Store> OpenOrDie(const std::string& dir, StoreOptions options = {}) {
  auto store = Store::Open(dir, options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(*store);
}

// "3 put participant ev/p1\n4 delete request ev/r1\n..."
inline std::string RenderChanges(const std::vector<Change>& changes) {
  std::string out;
  for (const Change& c : changes) {
    out += std::to_string(c.seq) + " " + c.op + " " + c.kind + " " + c.event + "/" + c.id + "\n";
  }
  return out;
}

inline std::string FeedSince(const Store& store, uint64_t since) {
  auto changes = store.Changes(since, 1u << 30);
  REQUIRE_MESSAGE(changes.ok(), changes.status().ToString());
  return RenderChanges(*changes);
}

// Every record of the event's four kinds, as "kind id json" lines in List order.
inline std::string RenderEvent(const Store& store, const std::string& event) {
  std::string out;
  for (RecordKind kind : {RecordKind::kParticipant, RecordKind::kNeed, RecordKind::kRequest,
                          RecordKind::kMeeting}) {
    auto records = store.List(kind, event);
    REQUIRE_MESSAGE(records.ok(), records.status().ToString());
    for (const nlohmann::json& r : *records) {
      out += std::string(RecordKindName(kind)) + " " + r.value("id", "?") + " " + r.dump() + "\n";
    }
  }
  return out;
}

}  // namespace incontra::storage::test
