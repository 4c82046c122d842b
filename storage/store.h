// The store: every event, participant, need, meeting request, meeting, published schedule and
// API key of an Incontra installation, in one embedded RocksDB folder, with a change feed.
//
// Records are JSON values (the FORMATS.md shapes, unknown fields included) kept in a column
// family per kind, keyed by (event, id), encoded as CBOR inside an envelope that carries the
// schema version. Every logical change is one WriteBatch: the records it touches and one feed
// entry per record, so a change is all or nothing and the feed never disagrees with the data.
// With `sync` (the default) a write is on disk (WAL fsync) before the call returns: an
// acknowledged write survives a crash of the process or the machine.
//
// The feed: entries (seq, kind, event, id, op) with seq strictly increasing in commit order,
// readable from any sequence on.
//
// Errors: storage.locked (another process holds the folder), storage.not_incontra (the folder
// holds something else), storage.newer_schema, storage.unknown_event, storage.not_found,
// storage.invalid_record, storage.io, storage.read_only (a write to a read-only Store).
//
// Thread-safety: a Store may be used from any number of threads; writes are serialised.
//
// Usage:
//   auto store = Store::Open("./incontra-data");
//   if (!store.ok()) return Fail(store.status());
//   (*store)->PutEvent({{"id", "connext-2027"}, {"name", "Connext 2027"}});
//   (*store)->Put(RecordKind::kParticipant, "connext-2027", participant_json);
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/status.h"

namespace incontra::storage {

enum class RecordKind { kEvent, kParticipant, kNeed, kRequest, kMeeting, kSchedule, kApiKey };

// "event", "participant", "need", "request", "meeting", "schedule", "api_key".
std::string_view RecordKindName(RecordKind kind);

struct Change {
  uint64_t seq = 0;
  std::string kind, event, id;
  std::string op;  // "put" or "delete"
};

struct StoreOptions {
  bool sync = true;  // fsync the WAL before acknowledging a write
  bool create_if_missing = true;
  // Reads only, beside a process (a server) that may hold the folder: a RocksDB secondary
  // instance, which takes no lock and sees what was committed when it opened. Every write
  // answers storage.read_only. The folder must hold a database already.
  bool read_only = false;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, StoreOptions options = {});
  ~Store();  // flushes and closes the database
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Events: a JSON object with a string "id". Putting one that exists replaces it.
  Status PutEvent(const nlohmann::json& event);
  // The same, but storage.exists when the event is there already (checked and written under
  // one lock: of two concurrent creations, one wins).
  Status CreateEvent(const nlohmann::json& event);
  Result<nlohmann::json> GetEvent(std::string_view id) const;
  Result<std::vector<std::string>> ListEvents() const;

  // Records of an event (participant, need, request, meeting): JSON objects with a string "id".
  // The event must exist (storage.unknown_event).
  // `committed`, when given, receives the change's feed entries in order, each with its seq
  // (the last one's is the feed's position after the change), taken under the write lock:
  // last_sequence() may already be a later change's.
  Status Put(RecordKind kind, std::string_view event, const nlohmann::json& record,
             std::vector<Change>* committed = nullptr);
  // Several records of the event in one batch, all or nothing: a request and its meeting.
  Status Put(std::string_view event,
             const std::vector<std::pair<RecordKind, nlohmann::json>>& records,
             std::vector<Change>* committed = nullptr);
  Result<nlohmann::json> Get(RecordKind kind, std::string_view event, std::string_view id) const;
  // In id order.
  Result<std::vector<nlohmann::json>> List(RecordKind kind, std::string_view event) const;
  // Deleting a participant also deletes the requests it sent or received, the meetings it is
  // in, the needs it owns and the API keys scoped to it (its tokens), in the same batch (the
  // right to erasure); the feed names each. storage.not_found
  // when there is no such record. `kept_meetings` (participants only) are meetings written in
  // the same batch instead of deleted: the counterparts' side of a meeting, rewritten without
  // the participant; each needs a string "id".
  Status Delete(RecordKind kind, std::string_view event, std::string_view id,
                const std::vector<nlohmann::json>& kept_meetings = {},
                std::vector<Change>* committed = nullptr);

  // The bulk path: creates the event ({"id": event}) when missing and writes every record in
  // one batch: all or nothing. Records must have distinct string ids.
  Status Import(std::string_view event, RecordKind kind, const std::vector<nlohmann::json>& records);

  // Publishes a new schedule version of the event: the event's meetings are replaced by
  // `meetings`, the schedule (with "version" set) is stored, in one batch. Returns the version.
  Result<uint64_t> PublishSchedule(std::string_view event, nlohmann::json schedule,
                                   const std::vector<nlohmann::json>& meetings,
                                   std::vector<Change>* committed = nullptr);
  // The latest published schedule; storage.not_found when none.
  Result<nlohmann::json> GetSchedule(std::string_view event) const;

  // API keys: only a SHA-256 hash of the secret is stored. `scope` is kept as given.
  Status PutApiKey(std::string_view key_id, std::string_view secret, const nlohmann::json& scope);
  // {"id": key id, "scope": ...} of the key with this secret; storage.not_found otherwise.
  Result<nlohmann::json> FindApiKey(std::string_view secret) const;

  // Feed entries with seq > since, oldest first, at most `limit`.
  Result<std::vector<Change>> Changes(uint64_t since, size_t limit) const;
  uint64_t last_sequence() const;

  // An openable copy of the whole database in `dir`, which must not exist (RocksDB checkpoint:
  // hard links where it can). Restore with RestoreBackup.
  Status Backup(const std::string& dir) const;

 private:
  Store();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Copies a backup into `data_dir`, which must not exist or be empty, and checks that it opens.
// storage.locked when `backup_dir` is a database another process has open (a live one); the
// backup must not be open as a Store in this process either.
Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir);

}  // namespace incontra::storage
