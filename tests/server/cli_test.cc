// The real `incontra` binary, run as a user runs it: `incontra schedule` on temp files, its exit
// codes (0 done, 2 bad input, 1 anything else), stdout, stderr and the output file, and --help.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/engine/schedule_checker.h"

#ifndef INCONTRA_BIN
#error "INCONTRA_BIN must name the incontra binary"
#endif

namespace incontra::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("incontra_cli_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `incontra <args>` (args already quoted as needed) with stdout and stderr captured.
Run Incontra(const TempDir& dir, const std::string& args, const std::string& stdin_file = "") {
  const std::string out = dir / "stdout.txt", err = dir / "stderr.txt";
  std::string command = Quote(INCONTRA_BIN) + " " + args + " >" + Quote(out) + " 2>" + Quote(err);
  if (!stdin_file.empty()) command += " <" + Quote(stdin_file);
  int status = std::system(command.c_str());
  Run run;
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = ReadFile(out);
  run.err = ReadFile(err);
  return run;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.find(prefix) == 0; }
bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
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

TEST_CASE("cli schedule refuses bad options with exit 2") {
  TempDir dir;
  WriteFile(dir / "problem.json", kProblem);
  const std::string problem = Quote(dir / "problem.json");
  const std::vector<std::string> bad = {"schedule " + problem + " --no-such-option",
                                        "schedule " + problem + " --time-limit-ms -5",
                                        "schedule " + problem + " --time-limit-ms soon",
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
