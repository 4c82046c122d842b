#include "storage/store.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <set>
#include <unordered_set>

#include "scoring/parallel.h"
#include "storage/internal/key_codec.h"

namespace incontra::storage {
namespace {

namespace fs = std::filesystem;
using internal::KeyBuilder;
using internal::KeyReader;
using nlohmann::json;

constexpr uint64_t kSchema = 1;
constexpr const char* kFormatKey = "incontra.format";
constexpr const char* kFormatName = "incontra-db";

// Column families, in the order of RecordKind, then the feed. "default" holds the format.
const std::vector<std::string>& FamilyNames() {
  static const std::vector<std::string> names = {"events",   "participants", "needs",    "requests",
                                                 "meetings", "schedules",    "api_keys", "feed"};
  return names;
}
constexpr size_t kFeedFamily = 7;

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  return Status::IoError("storage.io", what + ": " + s.ToString());
}

// A value is one byte of schema version, then the record as CBOR. The version byte lets a
// newer schema be recognised and refused; CBOR keeps every field, known or not.
std::string Encode(const json& record) {
  std::string value(1, static_cast<char>(kSchema));
  json::to_cbor(record, value);
  return value;
}

Status CheckVersion(std::string_view value, const std::string& where) {
  if (value.empty()) return Status::Internal("storage.corrupt", where + ": empty value");
  const auto version = static_cast<unsigned char>(value[0]);
  if (version > kSchema) {
    return Status::InvalidArgument(
        "storage.newer_schema",
        where + ": written by a newer Incontra (schema " + std::to_string(version) + ")");
  }
  return Status::Ok();
}

Result<json> Decode(std::string_view value, const std::string& where) {
  if (Status s = CheckVersion(value, where); !s.ok()) return s;
  json record = json::from_cbor(value.substr(1), /*strict=*/true, /*allow_exceptions=*/false);
  if (record.is_discarded()) {
    return Status::Internal("storage.corrupt", where + ": not an Incontra record");
  }
  return record;
}

// Feed entries are tiny and written once per record: packed with the key codec, not CBOR.
std::string EncodeFeed(const Change& f) {
  return std::string(1, static_cast<char>(kSchema)) +
         KeyBuilder().Str(f.kind).Str(f.event).Str(f.id).Str(f.op).Take();
}

Result<Change> DecodeFeed(uint64_t seq, std::string_view value) {
  if (Status s = CheckVersion(value, "feed"); !s.ok()) return s;
  Change f;
  f.seq = seq;
  KeyReader r(value.substr(1));
  if (!r.Str(&f.kind) || !r.Str(&f.event) || !r.Str(&f.id) || !r.Str(&f.op) || !r.done()) {
    return Status::Internal("storage.corrupt", "feed entry " + std::to_string(seq));
  }
  return f;
}

std::string Sha256Hex(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

Status RecordId(const json& record, std::string* id) {
  if (!record.is_object()) {
    return Status::InvalidArgument("storage.invalid_record", "a record is a JSON object");
  }
  auto it = record.find("id");
  if (it == record.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > 128) {
    return Status::InvalidArgument("storage.invalid_record",
                                   "id: a non-empty string of at most 128 bytes");
  }
  *id = it->get<std::string>();
  return Status::Ok();
}

bool Mentions(const json& record, const std::string& participant) {
  for (const char* key : {"from", "to"}) {
    auto it = record.find(key);
    if (it != record.end() && it->is_string() && *it == participant) return true;
  }
  auto it = record.find("participants");
  if (it != record.end() && it->is_array()) {
    for (const json& p : *it) {
      if (p.is_string() && p == participant) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kEvent:
      return "event";
    case RecordKind::kParticipant:
      return "participant";
    case RecordKind::kNeed:
      return "need";
    case RecordKind::kRequest:
      return "request";
    case RecordKind::kMeeting:
      return "meeting";
    case RecordKind::kSchedule:
      return "schedule";
    case RecordKind::kApiKey:
      return "api_key";
  }
  return "record";
}

struct Store::Impl {
  StoreOptions options;
  std::string dir;
  std::string secondary_dir;  // read_only: the secondary instance's own folder, removed at close
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> families;  // FamilyNames() order
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> all_handles;
  // Held by every change from its first read to its commit: what a change read (the meetings
  // a cascade deletes, the version a schedule bumps) is still true when it commits, and seq
  // order is commit order.
  mutable std::mutex write_mutex;
  uint64_t last_seq = 0;

  rocksdb::ColumnFamilyHandle* Family(RecordKind kind) const {
    return families[static_cast<size_t>(kind)];
  }

  // One logical change under construction: records and their feed entries.
  struct Change {
    rocksdb::WriteBatch batch;
    std::vector<storage::Change> feed;
  };
  void PutRecord(Change* c, RecordKind kind, std::string_view event, const std::string& id,
                 const json& record) {
    c->batch.Put(Family(kind), KeyBuilder().Str(event).Str(id).Take(), Encode(record));
    c->feed.push_back({0, std::string(RecordKindName(kind)), std::string(event), id, "put"});
  }
  void PutEventRecord(Change* c, const std::string& id, const json& event) {
    c->batch.Put(Family(RecordKind::kEvent), KeyBuilder().Str(id).Take(), Encode(event));
    c->feed.push_back({0, "event", id, id, "put"});
  }
  void DeleteRecord(Change* c, RecordKind kind, std::string_view event, const std::string& id) {
    c->batch.Delete(Family(kind), KeyBuilder().Str(event).Str(id).Take());
    c->feed.push_back({0, std::string(RecordKindName(kind)), std::string(event), id, "delete"});
  }
  // Call with write_mutex held. `committed`: the sequence after the change, when given.
  Status Commit(Change* c, std::vector<storage::Change>* committed = nullptr) {
    if (options.read_only) {
      return Status::InvalidArgument("storage.read_only", dir + ": opened to read only");
    }
    uint64_t seq = last_seq;
    for (storage::Change& f : c->feed) {
      f.seq = ++seq;
      c->batch.Put(families[kFeedFamily], KeyBuilder().U64(f.seq).Take(), EncodeFeed(f));
    }
    rocksdb::WriteOptions write;
    write.sync = options.sync;
    if (Status s = FromRocks(db->Write(write, &c->batch), "write"); !s.ok()) return s;
    last_seq = seq;
    if (committed) *committed = std::move(c->feed);
    return Status::Ok();
  }

  Result<json> Read(rocksdb::ColumnFamilyHandle* family, const std::string& key,
                    const std::string& what) const {
    std::string value;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), family, key, &value);
    if (s.IsNotFound()) return Status::NotFound("storage.not_found", what + ": not found");
    if (Status st = FromRocks(s, what); !st.ok()) return st;
    return Decode(value, what);
  }

  bool EventExists(std::string_view event) const {
    std::string value;
    return db
        ->Get(rocksdb::ReadOptions(), Family(RecordKind::kEvent), KeyBuilder().Str(event).Take(),
              &value)
        .ok();
  }

  // Every record of one kind under a key prefix, in key order.
  Result<std::vector<std::pair<std::string, json>>> Scan(rocksdb::ColumnFamilyHandle* family,
                                                         const std::string& prefix) const {
    std::vector<std::pair<std::string, json>> out;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto record = Decode(it->value().ToStringView(), "scan");
      if (!record.ok()) return record.status();
      out.emplace_back(it->key().ToString(), std::move(*record));
    }
    if (Status s = FromRocks(it->status(), "scan"); !s.ok()) return s;
    return out;
  }
};

Store::Store() : impl_(std::make_unique<Impl>()) {}

Store::~Store() {
  if (impl_->db) {
    // Acknowledged writes are in the WAL already; flushing makes the next open fast instead of
    // replaying it. Errors on the way out have no one to report to, on purpose.
    if (!impl_->options.read_only) {
      impl_->db->Flush(rocksdb::FlushOptions(), impl_->all_handles).PermitUncheckedError();
    }
    for (auto* h : impl_->all_handles) {
      impl_->db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    impl_->db->Close().PermitUncheckedError();
    impl_->db.reset();
  }
  if (!impl_->secondary_dir.empty()) {
    std::error_code ec;
    fs::remove_all(impl_->secondary_dir, ec);
  }
}

namespace {

// Read-only checks must not leave a trace: RocksDB would otherwise write an info LOG.
class SilentLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors() {
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()}};
  for (const std::string& name : FamilyNames()) {
    descriptors.push_back({name, rocksdb::ColumnFamilyOptions()});
  }
  return descriptors;
}

Status Translate(const rocksdb::Status& s, const std::string& dir) {
  const std::string text = s.ToString();
  if (s.IsIOError() && text.find("lock") != std::string::npos) {
    return Status::IoError("storage.locked", dir + ": in use by another process (" + text + ")");
  }
  if (s.IsCorruption() || s.IsInvalidArgument()) {
    return Status::InvalidArgument("storage.not_incontra", dir + ": " + text);
  }
  return FromRocks(s, dir);
}

// Whether `dir` holds an Incontra database this version reads, without changing a byte of
// it: a read-only open of the default family and a look at the format record.
Status CheckFormat(const std::string& dir) {
  rocksdb::Options options;
  options.info_log = std::make_shared<SilentLogger>();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  if (!s.ok()) return Translate(s, dir);
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string format;
  s = db->Get(rocksdb::ReadOptions(), kFormatKey, &format);
  if (s.IsNotFound()) {
    return Status::InvalidArgument("storage.not_incontra",
                                   dir + ": a RocksDB database, but not Incontra's");
  }
  if (!s.ok()) return FromRocks(s, dir);
  json meta = json::parse(format, nullptr, false);
  if (meta.is_discarded() || !meta.is_object() || meta.value("format", "") != kFormatName) {
    return Status::InvalidArgument("storage.not_incontra", dir + ": not an Incontra database");
  }
  const uint64_t schema = meta.value("schema", uint64_t{0});
  if (schema > kSchema) {
    return Status::InvalidArgument("storage.newer_schema",
                                   dir + ": written by a newer Incontra (schema " +
                                       std::to_string(schema) + ", this one reads " +
                                       std::to_string(kSchema) + "); upgrade Incontra to open it");
  }
  return Status::Ok();
}

// Creates a database in a sibling folder and renames it into place (rename(2) may replace an
// empty folder), so a crash while creating leaves no folder or a complete one, never a
// half-made database that would then be refused as foreign.
Status Create(const std::string& dir) {
  fs::path target = fs::path(dir).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();  // "data/" names "data"
  const std::string tmp = target.string() + ".incontra-creating";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, tmp, Descriptors(), &handles, &raw);
  if (!s.ok()) return FromRocks(s, dir);
  rocksdb::WriteOptions write;
  write.sync = true;
  json meta = {{"format", kFormatName}, {"schema", kSchema}};
  s = raw->Put(write, handles[0], kFormatKey, meta.dump());
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  rocksdb::Status closed = raw->Close();
  delete raw;
  if (!s.ok()) return FromRocks(s, dir);
  if (!closed.ok()) return FromRocks(closed, dir);
  fs::rename(tmp, target, ec);
  if (ec) return Status::IoError("storage.io", dir + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, StoreOptions options) {
  std::unique_ptr<Store> store(new Store());
  Impl& x = *store->impl_;
  x.options = options;
  x.dir = dir;
  std::error_code ec;
  const bool fresh = !fs::exists(dir, ec) || fs::is_empty(dir, ec);
  if (fresh) {
    if (!options.create_if_missing || options.read_only) {
      return Status::NotFound("storage.not_found", dir + ": no database here");
    }
    if (Status s = Create(dir); !s.ok()) return s;
  } else if (!fs::exists(fs::path(dir) / "CURRENT", ec)) {
    return Status::InvalidArgument("storage.not_incontra",
                                   dir + ": not an Incontra database (no RocksDB files here)");
  }
  // Refuse what is not ours before opening for writing, which would add our families to it.
  if (Status s = CheckFormat(dir); !s.ok()) return s;
  rocksdb::DBOptions db_options;
  db_options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = Descriptors();
  // Families written by a newer version must be opened too, or RocksDB refuses.
  std::vector<std::string> existing;
  rocksdb::DB::ListColumnFamilies(db_options, dir, &existing).PermitUncheckedError();
  for (const std::string& name : existing) {
    bool known = name == rocksdb::kDefaultColumnFamilyName;
    for (const std::string& n : FamilyNames()) known = known || n == name;
    if (!known) descriptors.push_back({name, rocksdb::ColumnFamilyOptions()});
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    // A secondary keeps its info log in a folder of its own, and must keep every table file
    // open: the primary may delete one (a compaction) while it reads.
    std::string folder = (fs::temp_directory_path(ec) / "incontra-read-XXXXXX").string();
    if (ec || ::mkdtemp(folder.data()) == nullptr) {
      return Status::IoError("storage.io", "no temporary folder for a read-only open");
    }
    x.secondary_dir = folder;
    db_options.max_open_files = -1;
    db_options.create_missing_column_families = false;
    s = rocksdb::DB::OpenAsSecondary(db_options, dir, folder, descriptors, &x.all_handles, &db);
  } else {
    s = rocksdb::DB::Open(db_options, dir, descriptors, &x.all_handles, &db);
  }
  if (!s.ok()) return Translate(s, dir);
  x.db.reset(db);
  x.meta = x.all_handles[0];
  x.families.assign(x.all_handles.begin() + 1, x.all_handles.begin() + 1 + FamilyNames().size());
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions(), x.families[kFeedFamily]));
  it->SeekToLast();
  if (it->Valid()) {
    const std::string key = it->key().ToString();  // KeyReader views it: keep it alive
    if (!KeyReader(key).U64(&x.last_seq)) {
      return Status::Internal("storage.corrupt", dir + ": a feed key is not a sequence");
    }
  }
  if (Status st = FromRocks(it->status(), dir); !st.ok()) return st;
  return store;
}

Status Store::PutEvent(const json& event) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  std::string id;
  if (Status s = RecordId(event, &id); !s.ok()) return s;
  Impl::Change c;
  impl_->PutEventRecord(&c, id, event);
  return impl_->Commit(&c);
}

Status Store::CreateEvent(const json& event) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  std::string id;
  if (Status s = RecordId(event, &id); !s.ok()) return s;
  if (impl_->EventExists(id)) {
    return Status::InvalidArgument("storage.exists", "event '" + id + "' exists");
  }
  Impl::Change c;
  impl_->PutEventRecord(&c, id, event);
  return impl_->Commit(&c);
}

Result<json> Store::GetEvent(std::string_view id) const {
  return impl_->Read(impl_->Family(RecordKind::kEvent), KeyBuilder().Str(id).Take(),
                     "event '" + std::string(id) + "'");
}

Result<std::vector<std::string>> Store::ListEvents() const {
  auto rows = impl_->Scan(impl_->Family(RecordKind::kEvent), "");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> ids;
  for (auto& [key, record] : *rows) ids.push_back(record.value("id", ""));
  return ids;
}

Status Store::Put(RecordKind kind, std::string_view event, const json& record,
                  std::vector<Change>* committed) {
  return Put(event, {{kind, record}}, committed);
}

Status Store::Put(std::string_view event, const std::vector<std::pair<RecordKind, json>>& records,
                  std::vector<Change>* committed) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  if (!impl_->EventExists(event)) {
    return Status::NotFound("storage.unknown_event", "no event '" + std::string(event) + "'");
  }
  Impl::Change c;
  for (const auto& [kind, record] : records) {
    std::string id;
    if (Status s = RecordId(record, &id); !s.ok()) return s;
    impl_->PutRecord(&c, kind, event, id, record);
  }
  return impl_->Commit(&c, committed);
}

Result<json> Store::Get(RecordKind kind, std::string_view event, std::string_view id) const {
  return impl_->Read(impl_->Family(kind), KeyBuilder().Str(event).Str(id).Take(),
                     std::string(RecordKindName(kind)) + " '" + std::string(id) + "'");
}

Result<std::vector<json>> Store::List(RecordKind kind, std::string_view event) const {
  auto rows = impl_->Scan(impl_->Family(kind), KeyBuilder().Str(event).Take());
  if (!rows.ok()) return rows.status();
  std::vector<json> out;
  for (auto& [key, record] : *rows) out.push_back(std::move(record));
  return out;
}

Status Store::Delete(RecordKind kind, std::string_view event, std::string_view id,
                     const std::vector<json>& kept_meetings, std::vector<Change>* committed) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  auto existing = Get(kind, event, id);
  if (!existing.ok()) return existing.status();
  std::set<std::string> kept;
  for (const json& m : kept_meetings) {
    std::string meeting_id;
    if (Status s = RecordId(m, &meeting_id); !s.ok()) return s;
    kept.insert(meeting_id);
  }
  Impl::Change c;
  const std::string sid(id);
  impl_->DeleteRecord(&c, kind, event, sid);
  if (kind == RecordKind::kParticipant) {
    for (RecordKind dependent : {RecordKind::kRequest, RecordKind::kMeeting}) {
      auto rows = List(dependent, event);
      if (!rows.ok()) return rows.status();
      for (const json& r : *rows) {
        const std::string rid = r.value("id", "");
        if (dependent == RecordKind::kMeeting && kept.count(rid)) continue;
        if (Mentions(r, sid)) impl_->DeleteRecord(&c, dependent, event, rid);
      }
    }
    for (const json& m : kept_meetings) {
      impl_->PutRecord(&c, RecordKind::kMeeting, event, m.value("id", ""), m);
    }
    // Its needs and the tokens that act as it go too: nothing keeps acting for someone erased.
    auto needs = List(RecordKind::kNeed, event);
    if (!needs.ok()) return needs.status();
    for (const json& n : *needs) {
      if (n.contains("owner") && n["owner"] == sid) {
        impl_->DeleteRecord(&c, RecordKind::kNeed, event, n.value("id", ""));
      }
    }
    auto keys = impl_->Scan(impl_->Family(RecordKind::kApiKey), "");
    if (!keys.ok()) return keys.status();
    for (const auto& [key, record] : *keys) {
      const json scope = record.value("scope", json::object());
      if (scope.is_object() && scope.value("event", json()) == event &&
          scope.value("participant", json()) == sid) {
        c.batch.Delete(impl_->Family(RecordKind::kApiKey), key);
        c.feed.push_back({0, "api_key", "", record.value("id", ""), "delete"});
      }
    }
  }
  return impl_->Commit(&c, committed);
}

Status Store::Import(std::string_view event, RecordKind kind, const std::vector<json>& records) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  std::string event_id;
  if (Status s = RecordId(json{{"id", event}}, &event_id); !s.ok()) {
    return Status::InvalidArgument(s.code(), "event " + s.message());
  }
  Impl::Change c;
  c.feed.reserve(records.size() + 1);
  if (!impl_->EventExists(event)) {
    impl_->PutEventRecord(&c, event_id, {{"id", event_id}});
  }
  std::unordered_set<std::string> ids;
  ids.reserve(records.size());
  std::vector<std::string> record_ids(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (Status s = RecordId(records[i], &record_ids[i]); !s.ok()) {
      return Status::InvalidArgument(s.code(),
                                     "record " + std::to_string(i + 1) + ": " + s.message());
    }
    if (!ids.insert(record_ids[i]).second) {
      return Status::InvalidArgument(
          "storage.invalid_record",
          "record " + std::to_string(i + 1) + ": id '" + record_ids[i] + "' twice");
    }
  }
  // Encoding is most of a bulk import's work and independent per record: the second core
  // takes half of it. The batch itself is filled in order.
  std::vector<std::string> values(records.size());
  auto encode = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) values[i] = Encode(records[i]);
  };
  scoring::ParallelFor(records.size(), records.size() >= 10'000 ? 2 : 1,
                       [&](size_t i, size_t) { encode(i, i + 1); });
  rocksdb::ColumnFamilyHandle* family = impl_->Family(kind);
  const std::string kind_name(RecordKindName(kind));
  for (size_t i = 0; i < records.size(); ++i) {
    c.batch.Put(family, KeyBuilder().Str(event).Str(record_ids[i]).Take(), values[i]);
    std::string().swap(values[i]);
    c.feed.push_back({0, kind_name, std::string(event), std::move(record_ids[i]), "put"});
  }
  return impl_->Commit(&c);
}

Result<uint64_t> Store::PublishSchedule(std::string_view event, json schedule,
                                        const std::vector<json>& meetings,
                                        std::vector<Change>* committed) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  if (!impl_->EventExists(event)) {
    return Status::NotFound("storage.unknown_event", "no event '" + std::string(event) + "'");
  }
  auto old = List(RecordKind::kMeeting, event);
  if (!old.ok()) return old.status();
  uint64_t version = 1;
  if (auto latest = GetSchedule(event); latest.ok()) version = latest->value("version", 0ull) + 1;
  Impl::Change c;
  std::unordered_set<std::string> kept;
  for (const json& m : meetings) {
    std::string id;
    if (Status s = RecordId(m, &id); !s.ok()) return s;
    kept.insert(id);
    impl_->PutRecord(&c, RecordKind::kMeeting, event, id, m);
  }
  for (const json& m : *old) {
    const std::string id = m.value("id", "");
    if (!kept.count(id)) impl_->DeleteRecord(&c, RecordKind::kMeeting, event, id);
  }
  schedule["version"] = version;
  // Versions sort by number under the event; "latest" is the last key of the prefix.
  c.batch.Put(impl_->Family(RecordKind::kSchedule), KeyBuilder().Str(event).U64(version).Take(),
              Encode(schedule));
  c.feed.push_back({0, "schedule", std::string(event), std::to_string(version), "put"});
  if (Status s = impl_->Commit(&c, committed); !s.ok()) return s;
  return version;
}

Result<json> Store::GetSchedule(std::string_view event) const {
  // Versions are big-endian after the event's prefix: the latest is the last key under it, read
  // alone, however many versions were published before.
  const std::string prefix = KeyBuilder().Str(event).Take();
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->Family(RecordKind::kSchedule)));
  it->SeekForPrev(prefix + std::string(8, '\xff'));
  if (it->Valid() && it->key().starts_with(prefix)) return Decode(it->value().ToStringView(), "schedule");
  if (Status s = FromRocks(it->status(), "schedule"); !s.ok()) return s;
  return Status::NotFound("storage.not_found",
                          "event '" + std::string(event) + "': no schedule published");
}

Status Store::PutApiKey(std::string_view key_id, std::string_view secret, const json& scope) {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  if (key_id.empty() || secret.size() < 16) {
    return Status::InvalidArgument("storage.invalid_record",
                                   "an API key needs an id and a secret of at least 16 bytes");
  }
  Impl::Change c;
  json record = {{"id", key_id}, {"scope", scope}};
  c.batch.Put(impl_->Family(RecordKind::kApiKey), KeyBuilder().Str(Sha256Hex(secret)).Take(),
              Encode(record));
  c.feed.push_back({0, "api_key", "", std::string(key_id), "put"});
  return impl_->Commit(&c);
}

Result<json> Store::FindApiKey(std::string_view secret) const {
  return impl_->Read(impl_->Family(RecordKind::kApiKey), KeyBuilder().Str(Sha256Hex(secret)).Take(),
                     "api key");
}

Result<std::vector<Change>> Store::Changes(uint64_t since, size_t limit) const {
  std::vector<Change> out;
  if (since == std::numeric_limits<uint64_t>::max()) return out;  // nothing comes after it
  std::unique_ptr<rocksdb::Iterator> it(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->families[kFeedFamily]));
  for (it->Seek(KeyBuilder().U64(since + 1).Take()); it->Valid() && out.size() < limit;
       it->Next()) {
    uint64_t seq = 0;
    KeyReader key(it->key().ToStringView());
    if (!key.U64(&seq)) return Status::Internal("storage.corrupt", "feed key");
    auto entry = DecodeFeed(seq, it->value().ToStringView());
    if (!entry.ok()) return entry.status();
    out.push_back(std::move(*entry));
  }
  if (Status s = FromRocks(it->status(), "feed"); !s.ok()) return s;
  return out;
}

uint64_t Store::last_sequence() const {
  std::lock_guard<std::mutex> lock(impl_->write_mutex);
  return impl_->last_seq;
}

Status Store::Backup(const std::string& dir) const {
  std::error_code ec;
  if (dir.empty()) return Status::InvalidArgument("storage.backup_dir", "the backup folder is empty");
  const fs::path absolute = fs::absolute(dir, ec);  // the throwing overload ended the process
  if (ec) return Status::IoError("storage.io", dir + ": " + ec.message());
  if (fs::exists(dir, ec)) {
    return Status::InvalidArgument("storage.backup_exists", dir + ": already exists");
  }
  rocksdb::Checkpoint* raw = nullptr;
  if (Status s = FromRocks(rocksdb::Checkpoint::Create(impl_->db.get(), &raw), dir); !s.ok()) {
    return s;
  }
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(absolute.string()), dir);
}

namespace {

// Whether another process holds `dir`'s RocksDB lock: a live database, whose files change under
// a copy. RocksDB locks its LOCK file with fcntl; closing any descriptor of that file drops
// this process's own fcntl locks on it, so this is only asked of a folder this process has not
// opened as a Store.
bool HeldByAnotherProcess(const std::string& dir) {
  const int fd = ::open((fs::path(dir) / "LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

}  // namespace

Status RestoreBackup(const std::string& backup_dir, const std::string& data_dir) {
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec)) {
    return Status::InvalidArgument("storage.restore_target",
                                   data_dir + ": must not exist or be empty");
  }
  // The backup must be an Incontra database this version reads; checking must not touch it
  // (it may sit on read-only media).
  if (!fs::exists(fs::path(backup_dir) / "CURRENT", ec)) {
    return Status::InvalidArgument("storage.not_incontra",
                                   backup_dir + ": not an Incontra backup (no RocksDB files here)");
  }
  if (Status s = CheckFormat(backup_dir); !s.ok()) return s;
  if (HeldByAnotherProcess(backup_dir)) {
    return Status::IoError("storage.locked",
                           backup_dir +
                               ": a live database (another process holds it), not a "
                               "backup; make one with backup and restore that");
  }
  // A target inside the backup would copy the backup into itself, deeper at every level.
  const fs::path from = fs::weakly_canonical(backup_dir, ec);
  const fs::path to = fs::weakly_canonical(data_dir, ec);
  if (!from.empty() &&
      std::mismatch(from.begin(), from.end(), to.begin(), to.end()).first == from.end()) {
    return Status::InvalidArgument("storage.restore_target",
                                   data_dir + ": must not be inside the backup " + backup_dir);
  }
  // Copied into the target itself (it may be a mount point, or its parents may not exist
  // yet); what a failed copy left there is removed, so the folder is empty again.
  fs::create_directories(data_dir, ec);
  if (!ec) fs::copy(backup_dir, data_dir, fs::copy_options::recursive, ec);
  Status status = ec ? Status::IoError("storage.io", data_dir + ": " + ec.message()) : Status::Ok();
  if (status.ok()) {
    auto reopened = Store::Open(data_dir, {.sync = true, .create_if_missing = false});
    if (!reopened.ok()) status = reopened.status();
  }
  if (!status.ok()) {
    std::error_code ignored;
    for (const auto& entry : fs::directory_iterator(data_dir, ignored))
      fs::remove_all(entry, ignored);
    return status;
  }
  return Status::Ok();
}

}  // namespace incontra::storage
