// The storage commands of the real `incontra` binary, run as a user runs them on temp folders:
// `import` (all or nothing), `export` (back as import reads it), `backup` and `restore`, the
// refusals of a foreign, missing or locked --data folder, and their --help. Every run passes
// --data inside its TempDir, never the default ./incontra-data.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <set>
#include <string>
#include <vector>

#include "tests/server/cli_harness.h"

extern char** environ;

namespace incontra::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// FORMATS.md participants in id order (export lists by id), with unknown fields, texts and an id
// beyond ASCII, and CPV codes with and without their check digit.
const char* kParticipants =
    R"({"id": "IT02751560836", "kind": "company", "name": "Quagliata Srl — «forniture» ☕", "description": "Forniture per ufficio e cancelleria per enti pubblici", "offers": ["cancelleria e materiale di consumo", "arredi per scuole"], "seeks": ["partner per gare MePA"], "cpv": ["30192000-1", "39160000"], "region": "ITG13", "languages": ["it", "en"], "tags": ["pmi"], "max_meetings": 12, "vat_checked": true, "contact": {"email": "info@quagliata.example", "phones": ["+39 090 1234"]}, "score_hint": 0.75}
{"id": "comune-cagliari", "kind": "pa", "name": "Comune di Cagliari – Città metropolitana", "seeks": ["manutenzione del verde pubblico"], "cpv": ["77310000-6"], "note": null}
{"id": "università-日本", "kind": "research", "name": "Università 日本語 Ελληνικά", "offers": ["ricerca sui materiali"], "x-rank": [1, 2.5, "tre"]}
)";
// What export gives back: the same records, CPV codes as their 8 digits.
const char* kParticipantsStored =
    R"({"id": "IT02751560836", "kind": "company", "name": "Quagliata Srl — «forniture» ☕", "description": "Forniture per ufficio e cancelleria per enti pubblici", "offers": ["cancelleria e materiale di consumo", "arredi per scuole"], "seeks": ["partner per gare MePA"], "cpv": ["30192000", "39160000"], "region": "ITG13", "languages": ["it", "en"], "tags": ["pmi"], "max_meetings": 12, "vat_checked": true, "contact": {"email": "info@quagliata.example", "phones": ["+39 090 1234"]}, "score_hint": 0.75}
{"id": "comune-cagliari", "kind": "pa", "name": "Comune di Cagliari – Città metropolitana", "seeks": ["manutenzione del verde pubblico"], "cpv": ["77310000"], "note": null}
{"id": "università-日本", "kind": "research", "name": "Università 日本語 Ελληνικά", "offers": ["ricerca sui materiali"], "x-rank": [1, 2.5, "tre"]}
)";

const char* kNeeds =
    R"({"id": "00147990923-idm61764", "owner": "comune-cagliari", "title": "Servizio gestione del verde urbano attrezzato", "cpv": ["77310000-6"], "budget_eur": 9352.09, "procedure": "23-AFFIDAMENTO DIRETTO", "deadline": "2027-03-01T12:00:00+01:00", "region": "ITG27", "lotto": {"n": 2, "cig": "Z1A2B3C4D5"}}
{"id": "n2", "title": "Pulizia degli uffici — sede è nuova"}
)";
const char* kNeedsStored =
    R"({"id": "00147990923-idm61764", "owner": "comune-cagliari", "title": "Servizio gestione del verde urbano attrezzato", "cpv": ["77310000"], "budget_eur": 9352.09, "procedure": "23-AFFIDAMENTO DIRETTO", "deadline": "2027-03-01T12:00:00+01:00", "region": "ITG27", "lotto": {"n": 2, "cig": "Z1A2B3C4D5"}}
{"id": "n2", "title": "Pulizia degli uffici — sede è nuova"}
)";

constexpr const char* kEvent = "connext-2027";

json ParseJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " << text);
  return j;
}

std::vector<json> JsonLines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(ParseJson(line));
  return out;
}

// Every line parsed and dumped again (keys sorted), one per line: two JSON Lines texts render
// the same when they hold equal records in the same order, whatever their spacing and key order.
std::string Canonical(const std::string& jsonl) {
  std::string out;
  for (const json& j : JsonLines(jsonl)) out += j.dump() + "\n";
  return out;
}

// The export without --kind: every record wrapped as {"kind": ..., "record": ...}.
std::string Wrapped(const char* kind, const std::string& jsonl) {
  std::string out;
  for (const json& j : JsonLines(jsonl)) out += json{{"kind", kind}, {"record", j}}.dump() + "\n";
  return out;
}

// " --data <dir>/<name>", quoted.
std::string DataOption(const TempDir& dir, const std::string& name = "data") {
  return " --data " + Quote(dir / name);
}

Run Import(const TempDir& dir, const std::string& file, const std::string& event,
           const std::string& kind = "participant", const std::string& data = "data") {
  return Incontra(dir, "import " + Quote(file) + " --event " + Quote(event) + " --kind " + kind +
                           DataOption(dir, data));
}

Run Export(const TempDir& dir, const std::string& event, const std::string& kind = "",
           const std::string& data = "data") {
  return Incontra(dir, "export --event " + Quote(event) + (kind.empty() ? "" : " --kind " + kind) +
                           DataOption(dir, data));
}

// Imports a file that must be accepted and returns the "seq" of its summary line.
uint64_t ImportOk(const TempDir& dir, const std::string& name, const std::string& text,
                  const std::string& event, const std::string& kind = "participant",
                  const std::string& data = "data") {
  WriteFile(dir / name, text);
  Run run = Import(dir, dir / name, event, kind, data);
  REQUIRE_MESSAGE(run.code == 0, run.err);
  json summary = ParseJson(run.out);
  REQUIRE(summary["seq"].is_number_unsigned());
  return summary["seq"].get<uint64_t>();
}

// A folder's files and their contents, one line per entry, in name order.
std::string Snapshot(const fs::path& root) {
  std::map<std::string, std::string> entries;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string name = fs::relative(e.path(), root).string();
    entries[name] = e.is_directory() ? "<dir>" : ReadFile(e.path().string());
  }
  std::string out;
  for (const auto& [name, content] : entries) out += name + ": " + content + "\n";
  return out;
}

TEST_CASE("cli import then export --kind gives back the same participants and needs") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  Run run = Import(dir, dir / "p.jsonl", kEvent);
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(run.err.empty());
  json summary = ParseJson(run.out);
  CHECK(summary["event"] == kEvent);
  CHECK(summary["kind"] == "participant");
  CHECK(summary["imported"] == 3);
  REQUIRE(summary["seq"].is_number_unsigned());
  const uint64_t seq = summary["seq"].get<uint64_t>();
  CHECK(seq > 0);

  run = Export(dir, kEvent, "participant");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) == Canonical(kParticipantsStored));

  WriteFile(dir / "n.jsonl", kNeeds);
  run = Import(dir, dir / "n.jsonl", kEvent, "need");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  summary = ParseJson(run.out);
  CHECK(summary["event"] == kEvent);
  CHECK(summary["kind"] == "need");
  CHECK(summary["imported"] == 2);
  CHECK(summary["seq"].get<uint64_t>() > seq);

  run = Export(dir, kEvent, "need");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) == Canonical(kNeedsStored));
  // Needs went next to the participants, not over them.
  run = Export(dir, kEvent, "participant");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) == Canonical(kParticipantsStored));
}

TEST_CASE("cli export without --kind wraps every record with its kind, participants then needs") {
  TempDir dir;
  ImportOk(dir, "n.jsonl", kNeeds, kEvent, "need");
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  // An event whose id starts with the other's: its records must not leak into the export.
  ImportOk(dir, "bis.jsonl", "{\"id\": \"zz-bis\", \"kind\": \"other\"}\n",
           std::string(kEvent) + "-bis");

  Run run = Export(dir, kEvent);
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(run.err.empty());
  CHECK(Canonical(run.out) ==
        Wrapped("participant", kParticipantsStored) + Wrapped("need", kNeedsStored));

  run = Export(dir, std::string(kEvent) + "-bis");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) ==
        Wrapped("participant", "{\"id\": \"zz-bis\", \"kind\": \"other\"}\n"));
}

// Lines 1 and 2 are good (line 1 would change a stored participant), line 3 has a wrong type.
const char* kBadLine3 =
    R"({"id": "comune-cagliari", "kind": "pa", "name": "Renamed by a refused file"}
{"id": "q2", "kind": "company"}
{"id": "q3", "kind": "company", "offers": "pulizia, not a list"}
{"id": "q4", "kind": "other"}
)";

TEST_CASE("cli import refuses a file with a bad line whole and stores nothing of it") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  WriteFile(dir / "bad.jsonl", kBadLine3);

  SUBCASE("into a new event: the event is not created") {
    Run run = Import(dir, dir / "bad.jsonl", "fresh-event");
    CHECK(run.code == 2);
    CHECK_MESSAGE(StartsWith(run.err, "error: participant.wrong_type: " + (dir / "bad.jsonl") +
                                          ": line 3: offers"),
                  run.err);
    CHECK(run.out.empty());
    run = Export(dir, "fresh-event");
    CHECK(run.code == 2);
    CHECK_MESSAGE(StartsWith(run.err, "error: storage.unknown_event: "), run.err);
    CHECK(run.out.empty());
  }
  SUBCASE("into an existing event: its records stay as they were") {
    Run run = Import(dir, dir / "bad.jsonl", kEvent);
    CHECK(run.code == 2);
    CHECK_MESSAGE(StartsWith(run.err, "error: participant.wrong_type: " + (dir / "bad.jsonl") +
                                          ": line 3: offers"),
                  run.err);
    run = Export(dir, kEvent);
    REQUIRE_MESSAGE(run.code == 0, run.err);
    CHECK(Canonical(run.out) == Wrapped("participant", kParticipantsStored));
  }
  SUBCASE("into a data folder that does not exist: the folder is not created") {
    Run run = Import(dir, dir / "bad.jsonl", kEvent, "participant", "never");
    CHECK(run.code == 2);
    CHECK_MESSAGE(StartsWith(run.err, "error: participant.wrong_type: "), run.err);
    CHECK_FALSE(fs::exists(dir / "never"));
  }
}

TEST_CASE("cli import refuses a duplicate id in the file and stores nothing of it") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  WriteFile(dir / "dup.jsonl",
            "{\"id\": \"comune-cagliari\", \"kind\": \"pa\", \"name\": \"first\"}\n"
            "{\"id\": \"q2\", \"kind\": \"company\"}\n"
            "{\"id\": \"comune-cagliari\", \"kind\": \"pa\", \"name\": \"second\"}\n");
  for (const std::string& event : {std::string(kEvent), std::string("fresh-event")}) {
    CAPTURE(event);
    Run run = Import(dir, dir / "dup.jsonl", event);
    CHECK(run.code == 2);
    CHECK_MESSAGE(StartsWith(run.err, "error: participant.duplicate_id: " + (dir / "dup.jsonl") +
                                          ": line 3: "),
                  run.err);
    CHECK(Contains(run.err, "comune-cagliari"));
    CHECK(run.out.empty());
  }
  Run run = Export(dir, kEvent);
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) == Wrapped("participant", kParticipantsStored));
  run = Export(dir, "fresh-event");
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.unknown_event: "), run.err);
}

// A need owned by a registered company, or a pa that owns needs imported as a company, broke
// the rule that needs belong to a pa, which the HTTP routes keep (regression: both imported).
TEST_CASE("cli import refuses records that break the pa rule of needs and stores nothing of them") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  ImportOk(dir, "n.jsonl", kNeeds, kEvent, "need");
  WriteFile(dir / "needs.jsonl",
            "{\"id\": \"n3\", \"owner\": \"someone-new\", \"title\": \"arredi\"}\n"
            "{\"id\": \"n4\", \"owner\": \"IT02751560836\", \"title\": \"toner\"}\n");
  Run run = Import(dir, dir / "needs.jsonl", kEvent, "need");
  CHECK(run.code == 2);
  CHECK_MESSAGE(run.err == "error: need.owner_not_pa: " + (dir / "needs.jsonl") +
                               ": owner: 'IT02751560836' of need 'n4' is a company participant; "
                               "needs belong to a pa\n",
                run.err);
  WriteFile(dir / "turned.jsonl",
            "{\"id\": \"q9\", \"kind\": \"company\"}\n"
            "{\"id\": \"comune-cagliari\", \"kind\": \"company\"}\n");
  run = Import(dir, dir / "turned.jsonl", kEvent);
  CHECK(run.code == 2);
  CHECK_MESSAGE(
      StartsWith(run.err, "error: participant.owns_needs: " + (dir / "turned.jsonl") +
                              ": kind: 'comune-cagliari' owns needs (00147990923-idm61764)"),
      run.err);
  run = Export(dir, kEvent);
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) ==
        Wrapped("participant", kParticipantsStored) + Wrapped("need", kNeedsStored));
  // An owner not registered yet may own needs, as over HTTP.
  WriteFile(dir / "new.jsonl",
            "{\"id\": \"n3\", \"owner\": \"someone-new\", \"title\": \"arredi\"}\n");
  run = Import(dir, dir / "new.jsonl", kEvent, "need");
  CHECK_MESSAGE(run.code == 0, run.err);
}

TEST_CASE("cli import again replaces the records with the same ids and the seq grows") {
  TempDir dir;
  const uint64_t first = ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  // Same ids; fields changed, added and dropped (tags, cpv, contact go: a replace, not a merge).
  const char* changed =
      R"({"id": "IT02751560836", "kind": "company", "name": "Quagliata S.p.A.", "offers": ["arredi"], "max_meetings": 3}
{"id": "comune-cagliari", "kind": "pa", "name": "Comune di Cagliari", "note": "riorganizzato"}
{"id": "università-日本", "kind": "other", "cpv": ["90919300-5"]}
)";
  const char* changed_stored =
      R"({"id": "IT02751560836", "kind": "company", "name": "Quagliata S.p.A.", "offers": ["arredi"], "max_meetings": 3}
{"id": "comune-cagliari", "kind": "pa", "name": "Comune di Cagliari", "note": "riorganizzato"}
{"id": "università-日本", "kind": "other", "cpv": ["90919300"]}
)";
  WriteFile(dir / "changed.jsonl", changed);
  Run run = Import(dir, dir / "changed.jsonl", kEvent);
  REQUIRE_MESSAGE(run.code == 0, run.err);
  json summary = ParseJson(run.out);
  CHECK(summary["imported"] == 3);
  CHECK(summary["seq"].get<uint64_t>() > first);

  run = Export(dir, kEvent, "participant");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) == Canonical(changed_stored));
}

TEST_CASE("cli backup then restore into a new folder exports the same records") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  ImportOk(dir, "n.jsonl", kNeeds, kEvent, "need");
  ImportOk(dir, "o.jsonl", "{\"id\": \"solo\", \"kind\": \"pa\"}\n", "other-event");
  Run original = Export(dir, kEvent);
  Run original_other = Export(dir, "other-event");
  REQUIRE(original.code == 0);
  REQUIRE(original_other.code == 0);
  REQUIRE_FALSE(original.out.empty());

  Run run = Incontra(dir, "backup " + Quote(dir / "backup") + DataOption(dir));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  // A change after the backup is not in it: the backup is a copy, not a view of the data.
  ImportOk(dir, "late.jsonl", "{\"id\": \"late\", \"kind\": \"company\"}\n", kEvent);

  run = Incontra(dir, "restore " + Quote(dir / "backup") + DataOption(dir, "restored"));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  run = Export(dir, kEvent, "", "restored");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(run.out == original.out);
  run = Export(dir, "other-event", "", "restored");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(run.out == original_other.out);
  // The restored database takes writes of its own.
  ImportOk(dir, "more.jsonl", "{\"id\": \"more\", \"kind\": \"research\"}\n", kEvent, "participant",
           "restored");
}

// An empty folder name threw out of std::filesystem::absolute and aborted the process with a
// core dump (regression).
TEST_CASE("cli backup to an empty folder name is refused with exit 2, nothing made") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  auto names = [&] {  // what the folder holds beside the database
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir / "")) out.insert(e.path().filename());
    return out;
  };
  const std::set<std::string> before = names();
  Run run = Incontra(dir, "backup \"\"" + DataOption(dir));
  CHECK(run.code == 2);
  CHECK_MESSAGE(run.err == "error: storage.backup_dir: the backup folder is empty\n", run.err);
  CHECK(names() == before);
}

TEST_CASE("cli backup and restore refuse a target that holds something and leave it alone") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  fs::create_directories(dir / "busy");
  WriteFile(dir / "busy/keep.txt", "mine");
  const std::string before = Snapshot(dir / "busy");

  Run run = Incontra(dir, "backup " + Quote(dir / "busy") + DataOption(dir));
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.backup_exists: "), run.err);
  CHECK(Snapshot(dir / "busy") == before);

  run = Incontra(dir, "backup " + Quote(dir / "backup") + DataOption(dir));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  run = Incontra(dir, "restore " + Quote(dir / "backup") + DataOption(dir, "busy"));
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.restore_target: "), run.err);
  CHECK(Snapshot(dir / "busy") == before);

  // Regression: a target inside the backup copied the backup into itself, 1,020 levels deep.
  const std::string backup = Snapshot(dir / "backup");
  run = Incontra(dir, "restore " + Quote(dir / "backup") + DataOption(dir, "backup/sub"));
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.restore_target: "), run.err);
  CHECK(Snapshot(dir / "backup") == backup);
  // A target whose parents do not exist yet, written with a trailing slash, is made.
  run = Incontra(dir, "restore " + Quote(dir / "backup") + DataOption(dir, "a/b/c/"));
  CHECK_MESSAGE(run.code == 0, run.err);
  CHECK(fs::exists(dir / "a/b/c/CURRENT"));
}

TEST_CASE("cli storage commands refuse a --data folder of unrelated files and change nothing") {
  TempDir dir;
  fs::create_directories(dir / "photos/2026");
  WriteFile(dir / "photos/notes.txt", "not a database\n");
  WriteFile(dir / "photos/2026/img.raw", std::string("\0\x01\xff binary", 10));
  WriteFile(dir / "photos/.hidden", "");
  WriteFile(dir / "p.jsonl", kParticipants);
  const std::string before = Snapshot(dir / "photos");
  const std::string data = " --data " + Quote(dir / "photos");

  for (const std::string& args :
       {"import " + Quote(dir / "p.jsonl") + " --event " + kEvent + data,
        "export --event " + std::string(kEvent) + data, "backup " + Quote(dir / "backup") + data}) {
    CAPTURE(args);
    Run run = Incontra(dir, args);
    CHECK(run.code == 2);
    CHECK_MESSAGE(StartsWith(run.err, "error: storage.not_incontra: "), run.err);
    CHECK(run.out.empty());
    CHECK(Snapshot(dir / "photos") == before);
  }
  // Restoring from it is refused as well, before the target is made.
  Run run = Incontra(dir, "restore " + Quote(dir / "photos") + DataOption(dir, "restored"));
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.not_incontra: "), run.err);
  CHECK(Snapshot(dir / "photos") == before);
  // Nothing was made beside it either (no backup, no half-created database).
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    CHECK_MESSAGE(
        (name == "photos" || name == "p.jsonl" || name == "stdout.txt" || name == "stderr.txt"),
        "left behind: " << name);
  }
}

TEST_CASE("cli export of an unknown event or a missing data folder fails and creates nothing") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);

  Run run = Export(dir, "no-such-event");
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.unknown_event: "), run.err);
  CHECK(Contains(run.err, "no-such-event"));
  CHECK(run.out.empty());

  run = Export(dir, kEvent, "participant", "missing");
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.not_found: "), run.err);
  CHECK(run.out.empty());
  CHECK_FALSE(fs::exists(dir / "missing"));

  run = Incontra(dir, "backup " + Quote(dir / "backup") + DataOption(dir, "missing"));
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: storage.not_found: "), run.err);
  CHECK_FALSE(fs::exists(dir / "missing"));
  CHECK_FALSE(fs::exists(dir / "backup"));
}

// The pid of the process holding RocksDB's lock on `data` (an fcntl write lock on data/LOCK
// while a database is open), 0 when none. F_GETLK only looks: it takes no lock itself, so it
// cannot make the process it watches fail to open.
pid_t LockHolder(const std::string& data) {
  const int fd = open((data + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  pid_t holder = 0;
  if (fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK) holder = lock.l_pid;
  close(fd);
  return holder;
}

TEST_CASE(
    "cli storage commands that write refuse a folder another process holds, export reads it") {
  TempDir dir;
  const std::string data = dir / "data";
  // The folder exists before the big import starts, so that import only opens it.
  ImportOk(dir, "n.jsonl", kNeeds, kEvent, "need");
  constexpr int kBig = 200'000;
  std::string big;
  big.reserve(kBig * 40);
  char line[64];
  for (int i = 0; i < kBig; ++i) {
    big.append(line,
               std::snprintf(line, sizeof line, "{\"id\": \"b%06d\", \"kind\": \"company\"}\n", i));
  }
  WriteFile(dir / "big.jsonl", big);

  // Started directly (no shell), so its pid is the lock holder's.
  const std::string bin = INCONTRA_BIN, file = dir / "big.jsonl", out = dir / "big.out",
                    err = dir / "big.err";
  std::vector<std::string> args = {bin, "import", file, "--event", kEvent, "--data", data};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(spawned == 0);

  // While the import holds the folder, a second command that writes is refused; it is only
  // started once the lock is seen held, so it never races the import's own open. It may still
  // find the lock gone if the import let go in between: then it must simply succeed (it
  // writes to another event). An export reads beside the holder: it always succeeds, with the
  // needs stored before (it used to be refused as storage.locked too).
  WriteFile(dir / "other.jsonl", kNeeds);
  int attempts = 0, locked = 0, exported_while_held = 0, status = 0;
  std::string unexpected;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      FAIL("the import of " << kBig << " participants did not finish in 5 minutes");
    }
    if (LockHolder(data) != pid) {
      usleep(1000);
      continue;
    }
    Run run = Import(dir, dir / "other.jsonl", "other", "need");
    ++attempts;
    if (Contains(run.err, "storage.locked")) {
      ++locked;
      if ((run.code != 1 && run.code != 2) || !run.out.empty() ||
          !StartsWith(run.err, "error: storage.locked: ")) {
        unexpected += "locked but exit " + std::to_string(run.code) + ": " + run.err;
      }
    } else if (run.code != 0) {
      unexpected += "import: exit " + std::to_string(run.code) + ": " + run.err;
    }
    const bool held = LockHolder(data) == pid;
    run = Export(dir, kEvent, "need");
    exported_while_held += held && LockHolder(data) == pid;
    if (run.code != 0 || Canonical(run.out) != Canonical(kNeedsStored)) {
      unexpected += "export: exit " + std::to_string(run.code) + ": " + run.err;
    }
  }
  CHECK_MESSAGE(locked >= 1, "attempts while the lock was held: " << attempts);
  CHECK_MESSAGE(exported_while_held >= 1, "attempts while the lock was held: " << attempts);
  CHECK_MESSAGE(unexpected.empty(), unexpected);
  REQUIRE(WIFEXITED(status));
  CHECK_MESSAGE(WEXITSTATUS(status) == 0, ReadFile(err));
  CHECK(ParseJson(ReadFile(out))["imported"] == kBig);

  // The refused commands did not disturb the import, nor it the needs.
  Run run = Export(dir, kEvent, "participant");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  REQUIRE(std::count(run.out.begin(), run.out.end(), '\n') == kBig);
  const size_t last = run.out.rfind('\n', run.out.size() - 2) + 1;
  CHECK(ParseJson(run.out.substr(0, run.out.find('\n')))["id"] == "b000000");
  CHECK(ParseJson(run.out.substr(last))["id"] == "b199999");
  run = Export(dir, kEvent, "need");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Canonical(run.out) == Canonical(kNeedsStored));
}

TEST_CASE("cli restore refuses a live database as its source, backup says how to back it up") {
  // A running server's folder was copied as if it were a backup, its files changing under
  // the copy.
  TempDir dir;
  const std::string data = dir / "data";
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  const std::string bin = INCONTRA_BIN, err = dir / "serve.err";
  std::vector<std::string> args = {bin, "serve", "--data", data, "--port", "0", "--quiet"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(spawned == 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (LockHolder(data) != pid && std::chrono::steady_clock::now() < deadline) usleep(1000);
  const bool held = LockHolder(data) == pid;
  Run run = Incontra(dir, "restore " + Quote(data) + DataOption(dir, "restored"));
  Run backup = Incontra(dir, "backup " + Quote(dir / "b") + DataOption(dir));
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE_MESSAGE(held, ReadFile(err));
  CHECK(run.code != 0);
  CHECK(StartsWith(run.err, "error: storage.locked: "));
  CHECK(Contains(run.err, "live database"));
  CHECK_FALSE(std::filesystem::exists(dir / "restored"));
  CHECK(StartsWith(backup.err, "error: storage.locked: "));
  CHECK(Contains(backup.err, "POST /v1/backups"));  // says how to back up a live database
  // Once the server is gone, the folder may be restored from like any backup.
  run = Incontra(dir, "restore " + Quote(data) + DataOption(dir, "restored"));
  CHECK_MESSAGE(run.code == 0, run.err);
}

TEST_CASE("cli import export backup and restore --help exit 0 and mention --data") {
  TempDir dir;
  for (const char* name : {"import", "export", "backup", "restore"}) {
    const std::string command = name;
    CAPTURE(command);
    Run run = Incontra(dir, command + " --help");
    CHECK(run.code == 0);
    CHECK_MESSAGE(StartsWith(run.out, "Usage: incontra " + command), run.out);
    CHECK(Contains(run.out, "--data"));
    CHECK(run.err.empty());
  }
}

TEST_CASE("cli keys create makes organiser and frontend keys and participant tokens, once each") {
  TempDir dir;
  ImportOk(dir, "p.jsonl", kParticipants, kEvent);
  Run organiser = Incontra(dir, std::string("keys create --event ") + kEvent + DataOption(dir));
  REQUIRE_MESSAGE(organiser.code == 0, organiser.err);
  Run again = Incontra(dir, std::string("keys create --event ") + kEvent + DataOption(dir));
  REQUIRE_MESSAGE(again.code == 0, again.err);
  const nlohmann::json a = nlohmann::json::parse(organiser.out), b = nlohmann::json::parse(again.out);
  CHECK(a["scope"] == nlohmann::json{{"role", "organiser"}, {"event", kEvent}});
  CHECK(StartsWith(a["id"], "k-"));
  CHECK(StartsWith(a["key"], "ik_"));
  CHECK(a["key"].get<std::string>().size() == 51);
  CHECK(a["key"] != b["key"]);
  CHECK(a["id"] != b["id"]);

  Run frontend =
      Incontra(dir, std::string("keys create --role frontend --event ") + kEvent + DataOption(dir));
  REQUIRE_MESSAGE(frontend.code == 0, frontend.err);
  CHECK(nlohmann::json::parse(frontend.out)["scope"]["role"] == "frontend");
  const std::string first_id = nlohmann::json::parse(ReadFile(dir / "p.jsonl").substr(
      0, ReadFile(dir / "p.jsonl").find('\n')))["id"];
  Run token = Incontra(dir, std::string("keys create --event ") + kEvent + " --participant " +
                                Quote(first_id) + DataOption(dir));
  REQUIRE_MESSAGE(token.code == 0, token.err);
  CHECK(nlohmann::json::parse(token.out)["scope"] ==
        nlohmann::json{{"role", "participant"}, {"event", kEvent}, {"participant", first_id}});

  Run nobody = Incontra(dir, std::string("keys create --event ") + kEvent +
                                 " --participant nobody" + DataOption(dir));
  CHECK(nobody.code == 2);
  CHECK_MESSAGE(StartsWith(nobody.err, "error: storage.not_found: "), nobody.err);
  Run no_event = Incontra(dir, "keys create --event nowhere" + DataOption(dir));
  CHECK(no_event.code == 2);
  Run bad_role = Incontra(dir, std::string("keys create --role king --event ") + kEvent + DataOption(dir));
  CHECK(bad_role.code == 2);
  CHECK_MESSAGE(StartsWith(bad_role.err, "error: cli.bad_option: "), bad_role.err);
  CHECK(nobody.out.empty());
  CHECK(bad_role.out.empty());
}

}  // namespace
}  // namespace incontra::server
