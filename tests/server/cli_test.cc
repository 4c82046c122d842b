// The real `incontra` binary, run as a user runs it: `incontra schedule` on temp files, its exit
// codes (0 done, 2 bad input, 1 anything else), stdout, stderr and the output file, and --help.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/engine/schedule_checker.h"
#include "tests/server/cli_harness.h"

namespace incontra::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "-o" as an option of its own, not part of "--output" or "--no-o...".
bool MentionsOption(const std::string& help, const std::string& option) {
  if (option.size() > 2) return Contains(help, option);
  return Contains(help, " " + option + " ") || Contains(help, "[" + option) ||
         Contains(help, " " + option + ",");
}

const char* kProblem = R"({
  "slots": [{"id": "1", "session": "am"}, {"id": "2", "session": "am"}, {"id": "3", "session": "pm"}],
  "tables": 2,
  "participants": [{"id": "a", "unavailable": ["1"]}, {"id": "b"}, {"id": "c"}, {"id": "d"},
                   {"id": "h", "table": "T2"}],
  "meetings": [{"id": "m1", "participants": ["a", "b"]},
               {"id": "m2", "participants": ["b", "c"], "session": "am"},
               {"id": "m3", "participants": ["c", "d"], "after": ["m2"]},
               {"id": "m4", "participants": ["h", "a"]},
               {"id": "m5", "participants": ["h", "d"], "slot": "1"}]
})";

json ParseResult(const std::string& text) {
  json result = json::parse(text, nullptr, /*allow_exceptions=*/false);
  REQUIRE_MESSAGE(!result.is_discarded(), "not JSON: " << text);
  return result;
}

TEST_CASE("cli schedule writes a valid result to -o and exits 0") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  Run run = Incontra(dir, "schedule " + Quote(dir / "problem.json") + " -o " +
                              Quote(dir / "result.json") + " --time-limit-ms 2000 --seed 3");
  CHECK_MESSAGE(run.code == 0, run.err);
  REQUIRE(fs::exists(dir / "result.json"));
  json result = ParseResult(ReadFile(dir / "result.json"));
  auto violations = incontra::test::CheckSchedule(json::parse(kProblem), result);
  CHECK_MESSAGE(violations.empty(), incontra::test::Describe(violations));
  CHECK(result["stats"]["scheduled"] == 5);
  // Nothing but the problem, the result and the captured streams is left behind.
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    CHECK_MESSAGE((name == "problem.json" || name == "result.json" || name == "stdout.txt" ||
                   name == "stderr.txt"),
                  "left behind: " << name);
  }
}

TEST_CASE("cli schedule without -o prints the result on stdout") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  Run run = Incontra(dir, "schedule " + Quote(dir / "problem.json") + " --time-limit-ms 2000");
  CHECK_MESSAGE(run.code == 0, run.err);
  json result = ParseResult(run.out);
  auto violations = incontra::test::CheckSchedule(json::parse(kProblem), result);
  CHECK_MESSAGE(violations.empty(), incontra::test::Describe(violations));
}

TEST_CASE("cli schedule reads the problem from stdin given -") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  Run run = Incontra(dir, "schedule - --time-limit-ms 2000", dir / "problem.json");
  CHECK_MESSAGE(run.code == 0, run.err);
  json result = ParseResult(run.out);
  CHECK(incontra::test::CheckSchedule(json::parse(kProblem), result).empty());
}

TEST_CASE("cli schedule with the same seed gives the same result") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  const std::string args = "schedule " + Quote(dir / "problem.json") + " --seed 17 --threads 2";
  Run first = Incontra(dir, args);
  Run second = Incontra(dir, args);
  REQUIRE(first.code == 0);
  REQUIRE(second.code == 0);
  json a = ParseResult(first.out), b = ParseResult(second.out);
  a["stats"].erase("solve_ms");
  b["stats"].erase("solve_ms");
  CHECK(a == b);
}

TEST_CASE("cli schedule refuses malformed JSON with exit 2 and no output") {
  TempDir dir;
  WriteFile(dir / "problem.json", "{\"slots\": [");
  Run run = Incontra(
      dir, "schedule " + Quote(dir / "problem.json") + " -o " + Quote(dir / "result.json"));
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: schedule.malformed_json: "), run.err);
  CHECK(run.out.empty());
  CHECK_FALSE(fs::exists(dir / "result.json"));
}

TEST_CASE("cli schedule on bad input leaves an existing output file alone") {
  TempDir dir;
  WriteFile(dir / "problem.json", "not json");
  WriteFile(dir / "result.json", "yesterday's agenda");
  Run run = Incontra(
      dir, "schedule " + Quote(dir / "problem.json") + " -o " + Quote(dir / "result.json"));
  CHECK(run.code == 2);
  CHECK(ReadFile(dir / "result.json") == "yesterday's agenda");
}

TEST_CASE("cli schedule refuses an unknown participant with exit 2 naming the place") {
  TempDir dir;
  json problem = json::parse(kProblem);
  problem["meetings"][2]["participants"][1] = "p99";
  WriteFile(dir / "problem.json", problem.dump());
  Run run = Incontra(
      dir, "schedule " + Quote(dir / "problem.json") + " -o " + Quote(dir / "result.json"));
  CHECK(run.code == 2);
  CHECK_MESSAGE(
      StartsWith(run.err, "error: schedule.unknown_participant: meetings[2].participants[1]: "),
      run.err);
  CHECK(Contains(run.err, "p99"));
  CHECK(run.out.empty());
  CHECK_FALSE(fs::exists(dir / "result.json"));
}

TEST_CASE("cli schedule refuses a wrong type with exit 2 naming the place") {
  TempDir dir;
  json problem = json::parse(kProblem);
  problem["meetings"][0]["participants"] = "a,b";
  WriteFile(dir / "problem.json", problem.dump());
  Run run = Incontra(dir, "schedule " + Quote(dir / "problem.json"));
  CHECK(run.code == 2);
  CHECK_MESSAGE(StartsWith(run.err, "error: schedule.wrong_type: meetings[0].participants"),
                run.err);
  CHECK(run.out.empty());
}

TEST_CASE("cli schedule fails on a missing problem file naming it") {
  TempDir dir;
  Run run = Incontra(
      dir, "schedule " + Quote(dir / "nowhere.json") + " -o " + Quote(dir / "result.json"));
  CHECK(run.code != 0);
  CHECK(Contains(run.err, "nowhere.json"));
  CHECK(run.out.empty());
  CHECK_FALSE(fs::exists(dir / "result.json"));
}

TEST_CASE("cli schedule exits 1 when the output cannot be written") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  Run run = Incontra(dir, "schedule " + Quote(dir / "problem.json") + " -o " +
                              Quote(dir / "no-such-dir/result.json"));
  CHECK(run.code == 1);
  CHECK(Contains(run.err, "no-such-dir/result.json"));
}

TEST_CASE("cli schedule refuses an output folder before the search (regression)") {
  // It was found out only when the result was written, after the whole time limit.
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  std::filesystem::create_directory(dir / "out");
  Run run = Incontra(dir, "schedule " + Quote(dir / "problem.json") + " --time-limit-ms 60000 -o " +
                              Quote(dir / "out"));
  CHECK(run.code == 1);
  CHECK(Contains(run.err, "is a directory"));
  CHECK(std::filesystem::is_empty(dir / "out"));
}

TEST_CASE("cli schedule refuses bad options with exit 2") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  const std::string problem = Quote(dir / "problem.json");
  const std::vector<std::string> bad = {
      "schedule " + problem + " --no-such-option", "schedule " + problem + " --time-limit-ms -5",
      "schedule " + problem + " --time-limit-ms soon",
      // once overflowed into an agenda never searched
      "schedule " + problem + " --time-limit-ms 9223372036854775807",
      "schedule " + problem + " --seed x", "schedule"};
  for (const std::string& args : bad) {
    CAPTURE(args);
    Run run = Incontra(dir, args);
    CHECK(run.code == 2);
    CHECK_FALSE(run.err.empty());
    CHECK(run.out.empty());
  }
}

TEST_CASE("cli refuses an unknown command and no command with exit 2") {
  TempDir dir;
  for (const char* args : {"frobnicate", ""}) {
    CAPTURE(args);
    Run run = Incontra(dir, args);
    CHECK(run.code == 2);
    CHECK_FALSE(run.err.empty());
  }
}

TEST_CASE("cli --help exits 0 and mentions every option") {
  TempDir dir;
  Run run = Incontra(dir, "--help");
  CHECK(run.code == 0);
  CHECK(Contains(run.out, "schedule"));
  for (const char* option : {"--time-limit-ms", "--seed", "-o", "--threads"}) {
    const std::string name = option;
    CAPTURE(name);
    CHECK(MentionsOption(run.out, name));
  }
}

TEST_CASE("cli schedule --help exits 0 and mentions every option") {
  TempDir dir;
  Run run = Incontra(dir, "schedule --help");
  CHECK(run.code == 0);
  for (const char* option :
       {"--time-limit-ms", "--seed", "-o", "--output", "--threads", "--help"}) {
    const std::string name = option;
    CAPTURE(name);
    CHECK(MentionsOption(run.out, name));
  }
}

}  // namespace
}  // namespace incontra::server

// --- incontra match and incontra cpv suggest --------------------------------------------------

namespace incontra::server {
namespace {

const char* kParticipants =
    R"({"id": "pa1", "kind": "pa", "name": "Comune di Prova", "seeks": ["pulizia degli uffici comunali"]}
{"id": "clean", "kind": "company", "name": "Splendor Srl", "offers": ["pulizia di uffici e scuole"], "seeks": ["comuni e scuole"]}
{"id": "green", "kind": "company", "name": "Verde Srl", "offers": ["manutenzione del verde pubblico", "potatura alberi"]}
{"id": "pa2", "kind": "pa", "name": "Comune Due", "offers": ["pulizia"]}
)";
const char* kNeeds =
    R"({"id": "n1", "owner": "pa1", "title": "Servizio di manutenzione del verde pubblico"}
{"id": "n2", "owner": "pa1", "title": "Pulizia uffici comunali 2027"}
)";

std::vector<json> Lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(ParseResult(line));
  return out;
}

std::string Ids(const json& line) {
  std::string out;
  for (const json& m : line["matches"]) out += (out.empty() ? "" : ",") + m["participant"].get<std::string>();
  return out;
}

TEST_CASE("cli match ranks participants for every need, with why, never a PA") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  WriteFile(dir / "n.jsonl", kNeeds);
  Run run = Incontra(dir, "match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                              Quote(dir / "n.jsonl") + " --top 5");
  REQUIRE_MESSAGE(run.code == 0, run.err);
  std::vector<json> lines = Lines(run.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["need"] == "n1");
  CHECK(lines[1]["need"] == "n2");
  // Only companies match needs; the text decides which first.
  CHECK(Ids(lines[0]) == "green");
  CHECK(Ids(lines[1]) == "clean");
  const json& why = lines[0]["matches"][0]["why"];
  CHECK(why["text"].get<double>() > 0);
  // The need's own words (not stems) that the winner shares, whatever their order.
  std::vector<std::string> terms = why["terms"];
  std::sort(terms.begin(), terms.end());
  CHECK(terms == std::vector<std::string>{"manutenzione", "pubblico", "verde"});
}

TEST_CASE("cli match writes into a FIFO in place instead of renaming a file over it") {
  // Regression: -o always wrote a temporary file and renamed it over the path, so `-o
  // /dev/null` run as root replaced the device with a file. A FIFO in a temp folder stands in
  // for the device: it must still be a FIFO afterwards, and its reader must get the result.
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  WriteFile(dir / "n.jsonl", kNeeds);
  const std::string fifo = dir / "out.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // The reader blocks in open() until a writer comes; on the bug none ever does, so it runs
  // detached and the test waits for it a bounded time.
  auto read = std::make_shared<std::promise<std::string>>();
  std::future<std::string> received = read->get_future();
  std::thread([read, fifo] { read->set_value(ReadFile(fifo)); }).detach();
  Run run = Incontra(dir, "match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                              Quote(dir / "n.jsonl") + " --top 5 -o " + Quote(fifo));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(std::filesystem::is_fifo(fifo));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    CHECK_MESSAGE(entry.path().filename().string().find(".tmp") == std::string::npos, entry.path());
  }
  REQUIRE(received.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const std::vector<json> lines = Lines(received.get());
  REQUIRE(lines.size() == 2);
  CHECK(Ids(lines[0]) == "green");
}

TEST_CASE("cli match --for participants is reciprocal and keeps two PAs apart") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  WriteFile(dir / "n.jsonl", kNeeds);
  Run run = Incontra(dir, "match --for participants --participants " + Quote(dir / "p.jsonl") +
                              " --needs " + Quote(dir / "n.jsonl") + " -o " +
                              Quote(dir / "r.jsonl"));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(run.out.empty());
  std::vector<json> lines = Lines(ReadFile(dir / "r.jsonl"));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["participant"] == "pa1");
  // pa1 seeks cleaning (and its needs add green care); never pa2, never itself.
  CHECK(Ids(lines[0]).find("pa") == std::string::npos);
  CHECK(Ids(lines[0]).rfind("clean", 0) == 0);
  const json& both = lines[0]["matches"][0]["why"];
  REQUIRE(both.contains("seeks_offers"));
  REQUIRE(both.contains("offers_seeks") == false);  // pa1 offers nothing
  // clean seeks "comuni e scuole": its ranking includes pa1 and not itself.
  CHECK(lines[1]["participant"] == "clean");
  CHECK(Ids(lines[1]).find("clean") == std::string::npos);
}

TEST_CASE("cli match --kind keeps only that kind") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  Run run = Incontra(dir, "match --for participants --kind pa --participants " +
                              Quote(dir / "p.jsonl"));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  for (const json& line : Lines(run.out)) {
    for (const json& m : line["matches"]) CHECK(m["participant"].get<std::string>().rfind("pa", 0) == 0);
  }
}

TEST_CASE("cli match refuses a bad line with its file and line number, exit 2, no output") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  WriteFile(dir / "n.jsonl", std::string(kNeeds) + "\n{\"id\": \"n3\"}\n");
  Run run = Incontra(dir, "match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                              Quote(dir / "n.jsonl") + " -o " + Quote(dir / "r.jsonl"));
  CHECK(run.code == 2);
  CHECK(run.err == "error: need.missing_field: " + (dir / "n.jsonl") + ": line 4: title: required\n");
  CHECK_FALSE(fs::exists(dir / "r.jsonl"));

  WriteFile(dir / "bad.jsonl", "{\"id\": \"x\", \"kind\": \"company\"}\n{\"id\": \"y\", \"kind\": 3}\n");
  run = Incontra(dir, "match --for participants --participants " + Quote(dir / "bad.jsonl"));
  CHECK(run.code == 2);
  CHECK(StartsWith(run.err, "error: participant.wrong_type: " + (dir / "bad.jsonl") + ": line 2: kind"));
}

// Lines are written as soon as the lines before them are, from the ranking threads: whatever
// order the threads finish in, the output is the input's order, the same on one thread or
// four, to a file or to standard output.
TEST_CASE("cli match writes its lines in input order on any number of threads") {
  TempDir dir;
  std::string people, needs;
  for (int i = 0; i < 300; ++i) {
    const std::string id = "c" + std::to_string(i);
    people += json{{"id", id},
                   {"kind", i % 10 == 0 ? "pa" : "company"},
                   {"offers", {"pulizia uffici " + std::to_string(i % 7), "verde pubblico"}},
                   {"seeks", {"manutenzione e pulizia"}}}
                  .dump() +
              "\n";
    if (i % 10 == 0) {
      needs += json{{"id", "n" + std::to_string(i)}, {"owner", id}, {"title", "pulizia e verde"}}
                   .dump() +
               "\n";
    }
  }
  WriteFile(dir / "p.jsonl", people);
  WriteFile(dir / "n.jsonl", needs);
  for (const std::string target : {"needs", "participants"}) {
    CAPTURE(target);
    const std::string base = "match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                             Quote(dir / "n.jsonl") + " --for " + target + " --top 50";
    Run one = Incontra(dir, base + " --threads 1");
    REQUIRE(one.code == 0);
    Run four = Incontra(dir, base + " --threads 4 -o " + Quote(dir / "out.jsonl"));
    REQUIRE(four.code == 0);
    CHECK(ReadFile(dir / "out.jsonl") == one.out);
    const std::vector<json> lines = Lines(one.out);
    CHECK(lines.size() == (target == "needs" ? 30u : 300u));
    CHECK(lines.back()[target == "needs" ? "need" : "participant"] ==
          (target == "needs" ? "n290" : "c299"));
  }
}

// Standard output that cannot take the result (a full disk, a closed descriptor) passed for
// success: `match > ranking.jsonl` exited 0 with the ranking cut short (regression).
TEST_CASE("cli a result standard output cannot take fails with exit 1 and says so") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  WriteFile(dir / "n.jsonl", kNeeds);
  const std::string match = Quote(INCONTRA_BIN) + " match --participants " +
                            Quote(dir / "p.jsonl") + " --needs " + Quote(dir / "n.jsonl");
  const std::string err = dir / "err.txt";
  for (const std::string& to : {std::string(" >/dev/full"), std::string(" >&-")}) {
    CAPTURE(to);
    const int status = std::system((match + to + " 2>" + Quote(err)).c_str());
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(ReadFile(err) == "error: output.unwritable: standard output: cannot be written\n");
  }
  // The same run to a file that can take it succeeds.
  CHECK(Incontra(dir, "match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                          Quote(dir / "n.jsonl"))
            .code == 0);
}

// A missing positional argument was reported as a missing option the user never typed
// ("the option '--text' is required but missing"; regression).
TEST_CASE("cli a missing argument is named as the usage line names it") {
  TempDir dir;
  std::string table;
  for (const char* args : {"backup", "import --event e1", "schedule"}) {
    Run run = Incontra(dir, args);
    table += std::to_string(run.code) + " " + run.err.substr(0, run.err.find('\n')) + "\n";
  }
  CHECK(table ==
        "2 error: cli.bad_option: DIR is required but missing\n"
        "2 error: cli.bad_option: FILE is required but missing\n"
        "2 error: cli.bad_option: PROBLEM is required but missing\n");
}

// A range error named every checked option ("--top: 0 to 10000; --threads: 1 to 256" for a bad
// --top, "--threads and --effort: must be positive" while --effort 0 was taken, serve's
// "--port: 0 to 65535; --threads, --workers: 1 to 256" for any of them), and 17
// threads were cut to 16 without a word (regression).
TEST_CASE("cli a number out of range is refused naming that option and its range") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  WriteFile(dir / "p.jsonl", kParticipants);
  const std::string problem = "schedule " + Quote(dir / "problem.json");
  const std::string match = "match --participants " + Quote(dir / "p.jsonl");
  std::string table;
  for (const std::string& args :
       {problem + " --effort -5", problem + " --threads 17", problem + " --threads 0",
        match + " --top -1", match + " --threads 0", std::string("demo --threads 17"),
        std::string("demo --meetings -1"), std::string("serve --port 70000"),
        std::string("serve --workers 0")}) {
    Run run = Incontra(dir, args);
    table += std::to_string(run.code) + " " + run.err.substr(0, run.err.find('\n')) + "\n";
  }
  CHECK(table ==
        "2 error: cli.bad_option: --effort: 0 to 1000000\n"
        "2 error: cli.bad_option: --threads: 1 to 16\n"
        "2 error: cli.bad_option: --threads: 1 to 16\n"
        "2 error: cli.bad_option: --top: 0 to 10000\n"
        "2 error: cli.bad_option: --threads: 1 to 256\n"
        "2 error: cli.bad_option: --threads: 1 to 16\n"
        "2 error: cli.bad_option: --meetings: 0 to 10000000\n"
        "2 error: cli.bad_option: --port: 0 to 65535\n"
        "2 error: cli.bad_option: --workers: 1 to 256\n");
  // Effort 0 (the floor of moves only) is a valid effort.
  CHECK(Incontra(dir, problem + " --effort 0 --time-limit-ms 200").code == 0);
}

TEST_CASE("cli match refuses bad options with exit 2") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  const std::string p = " --participants " + Quote(dir / "p.jsonl");
  for (const std::string& args :
       {"match" + p, "match" + p + " --needs x --top -1", "match" + p + " --for everyone",
        "match" + p + " --kind robot", "match" + p + " --for participants --threads 100000",
        std::string("match --needs x")}) {
    Run run = Incontra(dir, args);
    CHECK_MESSAGE(run.code == 2, args);
    CHECK_MESSAGE(StartsWith(run.err, "error: cli.bad_option"), args << ": " << run.err);
  }
}

TEST_CASE("cli match refuses a folder as input, a file named like its temporary one is kept") {
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  WriteFile(dir / "n.jsonl", kNeeds);
  // A folder read as an empty file: the run exited 0 with nothing ranked.
  Run run = Incontra(
      dir, "match --participants " + Quote(dir.path()) + " --needs " + Quote(dir / "n.jsonl"));
  CHECK(run.code == 2);
  CHECK(Contains(run.err, "is a directory"));
  // The output's temporary file was r.jsonl.tmp, truncated and removed whoever's it was.
  WriteFile(dir / "r.jsonl.tmp", "precious");
  run = Incontra(dir, "match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                          Quote(dir / "n.jsonl") + " -o " + Quote(dir / "r.jsonl"));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(ReadFile(dir / "r.jsonl.tmp") == "precious");
  CHECK(Lines(ReadFile(dir / "r.jsonl")).size() == 2);
  std::string temporary;  // no temporary file left behind
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp") != std::string::npos) temporary += name + " ";
  }
  CHECK(temporary == "r.jsonl.tmp ");
}

TEST_CASE("cli match killed while writing its output leaves no file behind") {
  // Regression: the result was written into r.jsonl.tmp-PID-0, which a run killed while
  // writing left behind (as large as the result got). The file size limit kills the run with
  // SIGXFSZ at its first write past 1 KB; core dumps off, or the core would be left instead.
  TempDir dir;
  WriteFile(dir / "p.jsonl", kParticipants);
  WriteFile(dir / "n.jsonl", kNeeds);
  std::string needs;  // enough needs that the result is past the limit
  for (int k = 0; k < 200; ++k) {
    needs += R"({"id": "n)" + std::to_string(k) +
             R"(", "title": "manutenzione del verde"})"
             "\n";
  }
  WriteFile(dir / "n.jsonl", needs);
  const std::string command = "ulimit -c 0; ulimit -f 2; exec " + Quote(INCONTRA_BIN) +
                              " match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                              Quote(dir / "n.jsonl") + " -o " + Quote(dir / "r.jsonl") +
                              " 2>/dev/null";
  const int status = std::system(("sh -c " + Quote(command)).c_str());
  // The shell reports a child killed by a signal as exit code 128 + the signal.
  CHECK_MESSAGE((WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGXFSZ), status);
  std::string left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if (name != "p.jsonl" && name != "n.jsonl") left += name + " ";
  }
  CHECK(left == "");
  // Without the limit the same run writes the whole result.
  Run run = Incontra(dir, "match --participants " + Quote(dir / "p.jsonl") + " --needs " +
                              Quote(dir / "n.jsonl") + " -o " + Quote(dir / "r.jsonl"));
  REQUIRE_MESSAGE(run.code == 0, run.err);
  CHECK(Lines(ReadFile(dir / "r.jsonl")).size() == 200);
}

TEST_CASE("cli cpv suggest proposes codes for Italian and English texts") {
  TempDir dir;
  WriteFile(dir / "cpv.tsv",
            "code\tcode8\tparent\tlevel\ttype\tlabel_en\tlabel_it\n"
            "90900000-6\t90900000\t\t2\t1\tCleaning and sanitation services\tServizi di pulizia e di igienizzazione\n"
            "90919300-5\t90919300\t90900000-6\t5\t1\tSchool cleaning services\tServizi di pulizia di scuole\n"
            "77310000-6\t77310000\t\t3\t1\tPlanting and maintenance services of green areas\tServizi di piantagione e manutenzione di zone verdi\n");
  for (std::string text : {"pulizia delle scuole", "cleaning of schools"}) {
    Run run = Incontra(dir, "cpv suggest " + Quote(text) + " --cpv-labels " + Quote(dir / "cpv.tsv"));
    REQUIRE_MESSAGE(run.code == 0, run.err);
    json result = ParseResult(run.out);
    REQUIRE(!result["suggestions"].empty());
    CHECK_MESSAGE(result["suggestions"][0]["code"] == "90919300-5", text);
    for (const json& s : result["suggestions"]) CHECK(s["code"] != "77310000-6");
  }
  Run missing = Incontra(dir, "cpv suggest pulizia");
  CHECK(missing.code == 2);
  CHECK(Contains(missing.err, "cpv-labels"));
  WriteFile(dir / "broken.tsv", "code\tcode8\n");
  Run broken = Incontra(dir, "cpv suggest pulizia --cpv-labels " + Quote(dir / "broken.tsv"));
  CHECK(broken.code == 2);
  CHECK(StartsWith(broken.err, "error: cpv_labels.malformed: "));
}

}  // namespace
}  // namespace incontra::server
