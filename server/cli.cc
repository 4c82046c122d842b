#include "server/cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/event_generator.h"
#include "engine/id.h"
#include "engine/matching.h"
#include "engine/profile_json.h"
#include "engine/schedule_json.h"
#include "engine/scheduler.h"
#include "scoring/cpv_labels.h"
#include "scoring/text.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/internal/pa_rule.h"
#include "storage/store.h"

namespace incontra::server {
namespace {

namespace po = boost::program_options;
using engine::ScheduleProblem;
using engine::ScheduleResult;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;

constexpr const char* kUsage =
    "Incontra: B2B matchmaking and meeting scheduling for innovation-procurement events.\n"
    "\n"
    "Usage: incontra <command> [options]\n"
    "\n"
    "Commands:\n"
    "  schedule PROBLEM.json [-o RESULT.json] [--time-limit-ms N] [--seed S] [--threads N]\n"
    "           [--effort N]\n"
    "      turn requested meetings into an agenda of slots and tables (FORMATS.md)\n"
    "  demo [--seed S] [--participants N] [--meetings M] [--time-limit-ms N] [--threads N]\n"
    "       [--effort N]\n"
    "      generate a Connext-like event (500 firms, 2,500 meetings), schedule it and print\n"
    "      a summary\n"
    "\n"
    "  match --participants P.jsonl [--needs N.jsonl] [--top K] [--for needs|participants]\n"
    "        [--kind KIND] [--cpv-labels F] [-o RANKING.jsonl] [--threads N]\n"
    "      rank participants for every need, or counterparts for every participant, with why\n"
    "  cpv suggest TEXT --cpv-labels F [--top K]\n"
    "      propose CPV 2008 codes for a free text\n"
    "  import FILE.jsonl --event E [--kind participant|need] [--data DIR]\n"
    "      store participants or needs in the database, all or nothing\n"
    "  export --event E [--kind KIND] [--data DIR] [-o FILE.jsonl]\n"
    "      write an event's records as JSON Lines\n"
    "  serve [--data DIR] [--port 8080] [--bind 127.0.0.1]\n"
    "      the HTTP API (admin key from INCONTRA_ADMIN_KEY); stops cleanly on SIGTERM\n"
    "  keys create --event E [--role organiser|frontend] [--participant P] [--data DIR]\n"
    "      make an API key for an event (a participant token with --participant); the secret\n"
    "      is printed once\n"
    "  backup DIR [--data DIR]    an openable copy of the database (RocksDB checkpoint)\n"
    "  restore BACKUP [--data DIR]    make a backup the database (DIR must be empty)\n"
    "\n"
    "Run 'incontra <command> --help' for a command's options.\n";

// cli.bad_option "--name: lo to hi" when v is out of [lo, hi].
Status InRange(const char* name, int64_t v, int64_t lo, int64_t hi) {
  if (v >= lo && v <= hi) return Status::Ok();
  return Status::InvalidArgument("cli.bad_option", std::string("--") + name + ": " +
                                                       std::to_string(lo) + " to " +
                                                       std::to_string(hi));
}

// The first of `checks` that failed, else Ok.
Status FirstFailed(std::initializer_list<Status> checks) {
  for (const Status& s : checks) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

int Fail(std::ostream& err, const Status& status) {
  err << "error: " << status.code() << ": " << status.message() << "\n";
  return status.kind() == Status::Kind::kIoError ? kExitFailure : kExitBadInput;
}

Result<std::string> ReadInput(const std::string& path) {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {  // which a stream would read as empty
    return Status::InvalidArgument("input.unreadable", path + ": is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("input.unreadable", path + ": cannot be opened for reading");
  }
  buffer << in.rdbuf();
  if (in.bad()) return Status::InvalidArgument("input.unreadable", path + ": read failed");
  return buffer.str();
}

// Whether `path` names something other than a regular file: a device such as /dev/null, a
// FIFO. Those are written in place: a rename over them would replace them with a file.
bool IsSpecialFile(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  return !ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status);
}

// Gives `take` the names path.tmp-PID-0, -1, ... until it takes one (returns true); a name
// is passed over only when it exists (errno EEXIST). Returns the name taken.
template <typename Take>
Result<std::string> TakeTempName(const std::string& path, Take take) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(attempt);
    if (take(name)) return name;
    if (errno != EEXIST) break;
  }
  return Status::IoError("output.unwritable", path + ": cannot be written");
}

// A new empty file beside `path`, made with O_EXCL: never a file someone keeps there, nor
// another run's. Returns its name and its open descriptor, which the caller writes through
// (never reopening the name, which someone could have replaced meanwhile), closes, and
// removes or renames.
Result<std::pair<std::string, int>> NewFileBeside(const std::string& path) {
  int fd = -1;
  auto name = TakeTempName(path, [&](const std::string& name) {
    fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    return fd >= 0;
  });
  if (!name.ok()) return name.status();
  return std::pair(std::move(*name), fd);
}

// A new file without a name in `path`'s folder (O_TMPFILE): a run killed while writing it
// leaves nothing behind. -1 where the file system has no such files or /proc is not there
// to name it by.
int NewUnnamedFileBeside(const std::string& path) {
  if (::access("/proc/self/fd", X_OK) != 0) return -1;
  std::string folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  return ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
}

// Gives the unnamed file `fd` a temporary name beside `path` (see TakeTempName); returns it.
Result<std::string> NameBeside(int fd, const std::string& path) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  return TakeTempName(path, [&](const std::string& name) {
    return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0;
  });
}

// Writes all of `data` to `fd`, through short writes and interruptions.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A command's result, written as it is made: to standard output, in place to a device or a
// FIFO, or to a regular file through a temporary file renamed over it by Commit, so a reader
// never sees half a result (without Commit, nothing replaces the file). The temporary file is
// written through the descriptor that made it (not reopened: truncating it again would also
// make ext4 flush it on close, 50 ms here); it has no name until it is whole where the file
// system allows, and then a temporary one. Not thread-safe.
class Output {
 public:
  Output(std::string path, std::ostream& out) : path_(std::move(path)), out_(out) {}
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() {
    if (fd_ >= 0) ::close(fd_);
    if (!tmp_.empty()) std::remove(tmp_.c_str());
  }

  Status Open() {
    if (path_.empty() || path_ == "-") return Status::Ok();
    if (IsSpecialFile(path_)) {
      special_.open(path_, std::ios::binary | std::ios::trunc);
      return special_ ? Status::Ok() : Failed("cannot be written");
    }
    fd_ = NewUnnamedFileBeside(path_);
    unnamed_ = fd_ >= 0;
    if (!unnamed_) {
      auto made = NewFileBeside(path_);
      if (!made.ok()) return made.status();
      std::tie(tmp_, fd_) = *made;
    }
    return Status::Ok();
  }

  // False once a write has failed; Commit then says so.
  bool Write(std::string_view piece) {
    if (fd_ >= 0) {
      ok_ = ok_ && WriteAll(fd_, piece);
    } else {
      std::ostream& to = special_.is_open() ? special_ : out_;
      to.write(piece.data(), static_cast<std::streamsize>(piece.size()));
      ok_ = ok_ && static_cast<bool>(to);
    }
    return ok_;
  }

  Status Commit() {
    if (fd_ < 0) {
      std::ostream& to = special_.is_open() ? special_ : out_;
      to.flush();
      if (ok_ && to) return Status::Ok();
      return special_.is_open()
                 ? Failed("cannot be written")
                 : Status::IoError("output.unwritable", "standard output: cannot be written");
    }
    if (ok_ && unnamed_) {
      auto named = NameBeside(fd_, path_);
      ok_ = named.ok();
      if (ok_) tmp_ = *named;
    }
    ok_ = (::close(fd_) == 0) && ok_;
    fd_ = -1;
    std::error_code ec;
    if (ok_) std::filesystem::rename(tmp_, path_, ec);
    if (!ok_ || ec) return Failed(ec ? ec.message() : "cannot be written");
    tmp_.clear();  // renamed: nothing left to remove
    return Status::Ok();
  }

 private:
  Status Failed(const std::string& why) const {
    return Status::IoError("output.unwritable", path_ + ": " + why);
  }

  const std::string path_;
  std::ostream& out_;
  std::ofstream special_;
  int fd_ = -1;
  bool unnamed_ = false;
  std::string tmp_;
  bool ok_ = true;
};

// Writes the pieces, in order, through Output.
Status WriteOutput(const std::string& path, const std::vector<std::string>& pieces,
                   std::ostream& out) {
  Output output(path, out);
  if (Status s = output.Open(); !s.ok()) return s;
  for (const std::string& piece : pieces) output.Write(piece);
  return output.Commit();
}

Status WriteOutput(const std::string& path, std::string text, std::ostream& out) {
  std::vector<std::string> pieces;
  pieces.push_back(std::move(text));  // an initializer list would copy it
  return WriteOutput(path, pieces, out);
}

Status CheckWritable(const std::string& output) {
  if (output.empty() || output == "-") return Status::Ok();
  std::error_code ec;
  if (std::filesystem::is_directory(output, ec)) {
    return Status::IoError("output.unwritable", output + ": is a directory, not a file");
  }
  // Opening a FIFO would wait for its reader, and a probe file beside a device would land in
  // /dev: only ask whether it may be written.
  if (IsSpecialFile(output)) {
    if (::access(output.c_str(), W_OK) != 0) {
      return Status::IoError("output.unwritable", output + ": cannot be written");
    }
    return Status::Ok();
  }
  auto probe = NewFileBeside(output);
  if (!probe.ok()) return probe.status();
  ::close(probe->second);
  std::remove(probe->first.c_str());
  return Status::Ok();
}

// Parses a subcommand's options; returns false (and sets `code`) when the command is done
// already: --help printed, or the options were wrong.
bool ParseOptions(int argc, const char* const* argv, const po::options_description& visible,
                  const po::positional_options_description& positional, po::variables_map* vm,
                  std::ostream& out, std::ostream& err, const char* usage, int* code) {
  try {
    po::store(po::command_line_parser(argc, argv).options(visible).positional(positional).run(),
              *vm);
    if (vm->count("help")) {
      out << usage << "\n" << visible;
      *code = kExitOk;
      return false;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    std::string message = e.what();
    // A missing positional argument is named as the usage line names it (TEXT, FILE), not as
    // an option the user never typed ("--text").
    if (const auto* missing = dynamic_cast<const po::required_option*>(&e)) {
      std::string name = missing->get_option_name();
      name.erase(0, name.find_first_not_of('-'));
      for (unsigned k = 0; k < std::min(positional.max_total_count(), 8u); ++k) {
        if (positional.name_for_position(k) != name) continue;
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        message = name + " is required but missing";
        break;
      }
    }
    err << "error: cli.bad_option: " << message << "\n" << usage;
    *code = kExitBadInput;
    return false;
  }
  return true;
}

std::string Percent(double part, double whole) {
  if (whole <= 0) return "0%";
  return std::to_string(static_cast<int>(100.0 * part / whole + 0.5)) + "%";
}

int Schedule(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string input, output;
  int64_t time_limit_ms = 0;
  uint64_t seed = 1;
  int threads = 2;
  int effort = engine::SolveOptions{}.effort;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "problem", po::value(&input)->required(),
      "the schedule problem (FORMATS.md), a JSON file; '-' reads standard input")(
      "output,o", po::value(&output),
      "write the schedule result here (default: standard output); written whole or not at all")(
      "time-limit-ms", po::value(&time_limit_ms),
      "stop searching after this many milliseconds (default: the problem's time_limit_ms, "
      "else 10000)")("seed", po::value(&seed)->default_value(1),
                     "random seed; the same seed and threads give the same agenda unless the "
                     "time limit cuts the search short")(
      "threads", po::value(&threads)->default_value(2),
      "independent searches run side by side; the best agenda wins")(
      "effort", po::value(&effort)->default_value(effort),
      "search moves per meeting (plus a fixed floor) before the search stops on its own");
  po::positional_options_description positional;
  positional.add("problem", 1);
  po::variables_map vm;
  int code = kExitOk;
  const char* usage =
      "Usage: incontra schedule PROBLEM.json [-o RESULT.json] [--time-limit-ms N] [--seed S] "
      "[--threads N]\n\n"
      "Schedules the requested meetings of PROBLEM.json into slots and tables: every hard rule\n"
      "kept, as many meetings as possible (higher priority first), then the fewest breaks.\n"
      "Bad input is refused with exit code 2 and a message naming the place and the rule.\n";
  if (!ParseOptions(argc, argv, options, positional, &vm, out, err, usage, &code)) return code;
  if (Status s = FirstFailed({InRange("threads", threads, 1, engine::kMaxSolveThreads),
                               InRange("effort", effort, 0, 1'000'000),
                               InRange("time-limit-ms", time_limit_ms, 0, engine::kMaxTimeLimitMs)});
      !s.ok()) {
    return Fail(err, s);
  }

  auto text = ReadInput(input);
  if (!text.ok()) return Fail(err, text.status());
  auto problem = engine::ParseScheduleProblem(*text);
  if (!problem.ok()) return Fail(err, problem.status());
  if (Status s = engine::ValidateProblem(*problem); !s.ok()) return Fail(err, s);
  // An output that cannot be written is found out before the search, not after it.
  if (Status s = CheckWritable(output); !s.ok()) return Fail(err, s);
  ScheduleResult result = engine::Solve(
      *problem,
      {.seed = seed, .time_limit_ms = time_limit_ms, .threads = threads, .effort = effort});
  if (Status s = WriteOutput(output, engine::ScheduleResultToJson(result).dump(2) + "\n", out);
      !s.ok()) {
    return Fail(err, s);
  }
  return kExitOk;
}

int Demo(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  uint64_t seed = 1;
  int participants = 0, meetings = 0, threads = 2;
  int effort = engine::SolveOptions{}.effort;
  int64_t time_limit_ms = 10'000;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("seed", po::value(&seed)->default_value(1),
                                                    "seed of the generated event and the search")(
      "participants", po::value(&participants), "participants (default 500)")(
      "meetings", po::value(&meetings), "requested meetings (default 2500)")(
      "time-limit-ms", po::value(&time_limit_ms)->default_value(10'000), "search time limit")(
      "threads", po::value(&threads)->default_value(2), "independent searches side by side")(
      "effort", po::value(&effort)->default_value(effort), "search moves per meeting");
  po::positional_options_description none;
  po::variables_map vm;
  int code = kExitOk;
  const char* usage =
      "Usage: incontra demo [--seed S] [--participants N] [--meetings M]\n\n"
      "Generates a Connext-like two-day brokerage event (500 firms, 2,500 requested meetings,\n"
      "16 half-hour slots a day, popular PA hosts, some firms away half a day), schedules it and\n"
      "prints a summary with a sample agenda.\n";
  if (!ParseOptions(argc, argv, options, none, &vm, out, err, usage, &code)) return code;
  if (Status s = FirstFailed({InRange("threads", threads, 1, engine::kMaxSolveThreads),
                               InRange("effort", effort, 0, 1'000'000),
                               InRange("time-limit-ms", time_limit_ms, 0, engine::kMaxTimeLimitMs),
                               InRange("participants", participants, 0, 1'000'000),
                               InRange("meetings", meetings, 0, 10'000'000)});
      !s.ok()) {
    return Fail(err, s);
  }
  engine::GeneratorOptions gen = engine::ConnextLike(seed);
  if (participants > 0) gen.participants = participants;
  if (meetings > 0) gen.meetings = meetings;
  ScheduleProblem problem = engine::GenerateEvent(gen);
  if (Status s = engine::ValidateProblem(problem); !s.ok()) return Fail(err, s);
  ScheduleResult result = engine::Solve(
      problem,
      {.seed = seed, .time_limit_ms = time_limit_ms, .threads = threads, .effort = effort});
  const engine::ScheduleStats& st = result.stats;

  size_t hosts = 0;
  for (const auto& q : problem.participants) hosts += q.table.has_value();
  out << "Incontra demo: a Connext-like brokerage event (seed " << seed << ")\n"
      << "  " << problem.participants.size() << " participants, " << problem.meetings.size()
      << " requested meetings, " << problem.slots.size() << " slots, " << problem.table_ids.size()
      << " tables (" << hosts << " kept by hosts)\n\n"
      << "Agenda\n"
      << "  scheduled     " << st.scheduled << " of " << problem.meetings.size() << " ("
      << st.unscheduled << " unscheduled)\n"
      << "  breaks        " << st.breaks_total << " in total, at most " << st.breaks_max
      << " for one participant; lower bound " << st.lower_bound_breaks
      << (st.proven_optimal ? " (proven optimal)" : "") << "\n"
      << "  tables used   "
      << Percent(st.scheduled, static_cast<double>(problem.slots.size()) *
                                   static_cast<double>(problem.table_ids.size()))
      << " of table-slots\n"
      << "  solved in     " << st.solve_ms << " ms\n";

  // The agenda of the busiest participant, as a person would read it.
  std::map<std::string, int> load;
  for (const auto& m : problem.meetings) {
    for (const auto& pid : m.participants) ++load[pid];
  }
  std::string busiest;
  for (const auto& [pid, n] : load) {
    if (busiest.empty() || n > load[busiest]) busiest = pid;
  }
  std::map<std::string, const engine::Meeting*> by_id;
  for (const auto& m : problem.meetings) by_id[m.id] = &m;
  std::map<std::string, const engine::Slot*> slot_by_id;
  std::map<std::string, size_t> slot_order;
  for (size_t i = 0; i < problem.slots.size(); ++i) {
    slot_by_id[problem.slots[i].id] = &problem.slots[i];
    slot_order[problem.slots[i].id] = i;
  }
  std::map<size_t, std::string> lines;
  for (const auto& sm : result.meetings) {
    const engine::Meeting& m = *by_id[sm.id];
    if (std::find(m.participants.begin(), m.participants.end(), busiest) == m.participants.end()) {
      continue;
    }
    std::string with;
    for (const auto& pid : m.participants) {
      if (pid != busiest) with += (with.empty() ? "" : ", ") + pid;
    }
    const engine::Slot& slot = *slot_by_id[sm.slot];
    std::string when = slot.start.size() >= 16
                           ? slot.start.substr(0, 10) + " " + slot.start.substr(11, 5)
                           : "slot " + slot.id;
    lines[slot_order[sm.slot]] = "  " + when + "  " + sm.table + "  with " + with;
  }
  out << "\nAgenda of " << busiest << " (" << lines.size() << " meetings)\n";
  for (const auto& [order, line] : lines) out << line << "\n";
  if (!result.unscheduled.empty()) {
    out << "\nFirst unscheduled: " << result.unscheduled.front().id << ": "
        << result.unscheduled.front().reason << "\n";
  }
  return kExitOk;
}

// Errors in a file name the file, then the place: "needs.jsonl: line 3: title: required".
Status InFile(const std::string& path, const Status& s) {
  return Status::InvalidArgument(s.code(), path + ": " + s.message());
}

Result<scoring::CpvLabels> LoadLabels(const std::string& path) {
  auto text = ReadInput(path);
  if (!text.ok()) return text.status();
  auto labels = scoring::CpvLabels::Parse(*text);
  if (!labels.ok()) return InFile(path, labels.status());
  return labels;
}

int Match(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string participants_path, needs_path, labels_path, output, target = "needs", kind_name;
  int top = 20, threads = 2;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "participants", po::value(&participants_path)->required(),
      "participants, JSON Lines (FORMATS.md Participant)")("needs", po::value(&needs_path),
                                                           "needs, JSON Lines (FORMATS.md Need)")(
      "top", po::value(&top)->default_value(20), "matches per line, best first")(
      "for", po::value(&target)->default_value("needs"),
      "'needs': rank participants for every need; 'participants': rank counterparts for "
      "every participant")("kind", po::value(&kind_name),
                           "only counterparts of this kind: pa, company, research, other")(
      "cpv-labels", po::value(&labels_path),
      "the CPV 2008 list with labels (TSV); codes then add their label words to the text")(
      "output,o", po::value(&output),
      "write the ranking here (default: standard output); written whole or not at all")(
      "threads", po::value(&threads)->default_value(2), "threads used for ranking");
  po::positional_options_description none;
  po::variables_map vm;
  int code = kExitOk;
  const char* usage =
      "Usage: incontra match --participants P.jsonl [--needs N.jsonl] [--top K] "
      "[--for needs|participants] [--kind KIND] [--cpv-labels F] [-o RANKING.jsonl]\n\n"
      "Ranks who should meet whom (FORMATS.md batch match result, one JSON line per need or\n"
      "participant). A bad line in any file refuses the whole run (exit 2).\n";
  if (!ParseOptions(argc, argv, options, none, &vm, out, err, usage, &code)) return code;
  if (Status s = FirstFailed({InRange("top", top, 0, 10'000), InRange("threads", threads, 1, 256)});
      !s.ok()) {
    return Fail(err, s);
  }
  if (target != "needs" && target != "participants") {
    return Fail(err,
                Status::InvalidArgument("cli.bad_option",
                                        "--for: 'needs' or 'participants', not '" + target + "'"));
  }
  if (target == "needs" && needs_path.empty()) {
    return Fail(err, Status::InvalidArgument("cli.bad_option",
                                             "--needs: required to rank participants for needs"));
  }
  engine::MatchOptions match_options{.top = top, .kind = std::nullopt, .threads = threads};
  if (!kind_name.empty()) {
    match_options.kind = engine::KindFromName(kind_name);
    if (!match_options.kind) {
      return Fail(err, Status::InvalidArgument("cli.bad_option",
                                               "--kind: one of pa, company, research, other"));
    }
  }
  auto participants_text = ReadInput(participants_path);
  if (!participants_text.ok()) return Fail(err, participants_text.status());
  auto participants = engine::ParseParticipantsJsonl(*participants_text, threads);
  if (!participants.ok()) return Fail(err, InFile(participants_path, participants.status()));
  std::vector<engine::Need> needs;
  if (!needs_path.empty()) {
    auto needs_text = ReadInput(needs_path);
    if (!needs_text.ok()) return Fail(err, needs_text.status());
    auto parsed = engine::ParseNeedsJsonl(*needs_text, threads);
    if (!parsed.ok()) return Fail(err, InFile(needs_path, parsed.status()));
    needs = std::move(*parsed);
  }
  std::optional<scoring::CpvLabels> labels;
  if (!labels_path.empty()) {
    auto loaded = LoadLabels(labels_path);
    if (!loaded.ok()) return Fail(err, loaded.status());
    labels.emplace(std::move(*loaded));
  }
  if (Status s = CheckWritable(output); !s.ok()) return Fail(err, s);
  auto matcher = engine::Matcher::Create(std::move(*participants), std::move(needs),
                                         labels ? &*labels : nullptr, {}, threads);
  if (!matcher.ok()) return Fail(err, matcher.status());
  const bool for_needs = target == "needs";
  Output result(output, out);
  if (Status s = result.Open(); !s.ok()) return Fail(err, s);
  // Each line is made as soon as its matches are, on the thread that ranked them, and written
  // as soon as the lines before it are: only the lines that came early wait, not the whole
  // ranking (--top 10,000 on the dev set held 1.6 GB of lines until the end).
  std::mutex writing;
  std::map<size_t, std::string> early;
  size_t next = 0;
  const engine::Matcher::Sink make_line = [&](size_t i, std::vector<engine::Match> matches) {
    const std::string& id = for_needs ? matcher->needs()[i].id : matcher->participants()[i].id;
    std::string line = engine::MatchesJsonLine(for_needs ? "need" : "participant", id, matches,
                                               matcher->participants(), /*newline=*/true);
    std::lock_guard<std::mutex> lock(writing);
    early.emplace(i, std::move(line));
    for (auto it = early.begin(); it != early.end() && it->first == next; ++next) {
      result.Write(it->second);
      it = early.erase(it);
    }
  };
  if (for_needs) {
    matcher->ForAllNeeds(match_options, make_line);
  } else {
    matcher->ForAllParticipants(match_options, make_line);
  }
  // The matcher's indexes are freed on another thread while the output is committed.
  // A jthread joins on every way out, an exception included.
  Status written;
  {
    std::jthread release(
        [m = std::move(*matcher)]() mutable { engine::Matcher gone = std::move(m); });
    written = result.Commit();
  }
  if (!written.ok()) return Fail(err, written);
  return kExitOk;
}

int Cpv(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string action, text, labels_path;
  int top = 10;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("action", po::value(&action)->required(),
                                                    "suggest")("text", po::value(&text)->required(),
                                                               "the free text to find codes for")(
      "cpv-labels", po::value(&labels_path)->required(),
      "the CPV 2008 list with Italian and English labels (TSV)")(
      "top", po::value(&top)->default_value(10), "how many codes");
  po::positional_options_description positional;
  positional.add("action", 1).add("text", 1);
  po::variables_map vm;
  int code = kExitOk;
  const char* usage =
      "Usage: incontra cpv suggest TEXT --cpv-labels F [--top K]\n\n"
      "Proposes CPV 2008 codes for a free text in Italian or English, best first, as one JSON\n"
      "object.\n";
  if (!ParseOptions(argc, argv, options, positional, &vm, out, err, usage, &code)) return code;
  if (action != "suggest") {
    return Fail(err, Status::InvalidArgument("cli.unknown_command",
                                             "cpv " + action + ": the cpv command is 'suggest'"));
  }
  if (Status s = InRange("top", top, 1, 1000); !s.ok()) return Fail(err, s);
  auto labels = LoadLabels(labels_path);
  if (!labels.ok()) return Fail(err, labels.status());
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : labels->Suggest(text, top)) {
    const auto* e = labels->Find(s.code8);
    list.push_back({{"code", e->code},
                    {"score", std::round(s.score * 1e4) / 1e4},
                    {"label_it", e->label_it},
                    {"label_en", e->label_en}});
  }
  out << nlohmann::json{{"text", scoring::ValidUtf8(text)}, {"suggestions", list}}.dump(2) << "\n";
  return kExitOk;
}

constexpr const char* kDefaultData = "./incontra-data";

std::optional<storage::RecordKind> RecordKindFromName(const std::string& name) {
  using storage::RecordKind;
  for (RecordKind k :
       {RecordKind::kParticipant, RecordKind::kNeed, RecordKind::kRequest, RecordKind::kMeeting}) {
    if (storage::RecordKindName(k) == name) return k;
  }
  return std::nullopt;
}

int Import(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string file, event, kind_name = "participant", data = kDefaultData;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "file", po::value(&file)->required(), "JSON Lines of participants or needs (FORMATS.md)")(
      "event", po::value(&event)->required(), "the event (created when missing)")(
      "kind", po::value(&kind_name)->default_value("participant"), "participant or need")(
      "data", po::value(&data)->default_value(kDefaultData), "the database folder");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  int code = kExitOk;
  const char* usage =
      "Usage: incontra import FILE.jsonl --event E [--kind participant|need] [--data DIR]\n\n"
      "Stores every record of FILE in the event, all or nothing: a bad line refuses the whole\n"
      "file (exit 2) with its line number and reason, and nothing is written.\n";
  if (!ParseOptions(argc, argv, options, positional, &vm, out, err, usage, &code)) return code;
  if (kind_name != "participant" && kind_name != "need") {
    return Fail(err, Status::InvalidArgument("cli.bad_option", "--kind: participant or need"));
  }
  if (!engine::ValidId(event)) {
    return Fail(
        err, Status::InvalidArgument("cli.bad_option", std::string("--event: ") + engine::kIdRule));
  }
  auto text = ReadInput(file);
  if (!text.ok()) return Fail(err, text.status());
  std::vector<nlohmann::json> records;
  if (kind_name == "participant") {
    auto parsed = engine::ParseParticipantsJsonl(*text);
    if (!parsed.ok()) return Fail(err, InFile(file, parsed.status()));
    for (const auto& p : *parsed) records.push_back(engine::ParticipantToJson(p));
  } else {
    auto parsed = engine::ParseNeedsJsonl(*text);
    if (!parsed.ok()) return Fail(err, InFile(file, parsed.status()));
    for (const auto& n : *parsed) records.push_back(engine::NeedToJson(n));
  }
  auto store = storage::Store::Open(data);
  if (!store.ok()) return Fail(err, store.status());
  const storage::RecordKind kind = *RecordKindFromName(kind_name);
  if (Status s = CheckPaRule(**store, event, kind, records); !s.ok()) {
    return Fail(err, s.kind() == Status::Kind::kInvalidArgument ? InFile(file, s) : s);
  }
  if (Status s = (*store)->Import(event, kind, records); !s.ok()) return Fail(err, s);
  out << nlohmann::json{{"event", event},
                        {"kind", kind_name},
                        {"imported", records.size()},
                        {"seq", (*store)->last_sequence()}}
             .dump()
      << "\n";
  return kExitOk;
}

int Export(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string event, kind_name, data = kDefaultData, output;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("event", po::value(&event)->required(),
                                                    "the event")(
      "kind", po::value(&kind_name),
      "participant, need, request or meeting: the records alone, as import reads them; "
      "without it every kind, each line {\"kind\": ..., \"record\": ...}")(
      "data", po::value(&data)->default_value(kDefaultData), "the database folder")(
      "output,o", po::value(&output), "write here (default: standard output)");
  po::positional_options_description none;
  po::variables_map vm;
  int code = kExitOk;
  const char* usage = "Usage: incontra export --event E [--kind KIND] [--data DIR] [-o FILE]\n";
  if (!ParseOptions(argc, argv, options, none, &vm, out, err, usage, &code)) return code;
  std::vector<storage::RecordKind> kinds;
  if (!kind_name.empty()) {
    auto kind = RecordKindFromName(kind_name);
    if (!kind) {
      return Fail(err, Status::InvalidArgument("cli.bad_option",
                                               "--kind: participant, need, request or meeting"));
    }
    kinds.push_back(*kind);
  } else {
    kinds = {storage::RecordKind::kParticipant, storage::RecordKind::kNeed,
             storage::RecordKind::kRequest, storage::RecordKind::kMeeting};
  }
  if (Status s = CheckWritable(output); !s.ok()) return Fail(err, s);
  // Read only: it may run beside a server that holds the folder, and never keeps one from
  // starting.
  auto store =
      storage::Store::Open(data, {.sync = true, .create_if_missing = false, .read_only = true});
  if (!store.ok()) return Fail(err, store.status());
  if (auto e = (*store)->GetEvent(event); !e.ok()) {
    return Fail(err, Status::NotFound("storage.unknown_event", "no event '" + event + "'"));
  }
  std::string text;
  for (storage::RecordKind kind : kinds) {
    auto records = (*store)->List(kind, event);
    if (!records.ok()) return Fail(err, records.status());
    for (const auto& r : *records) {
      text += (kind_name.empty()
                   ? nlohmann::json{{"kind", storage::RecordKindName(kind)}, {"record", r}}
                   : r)
                  .dump();
      text += "\n";
    }
  }
  if (Status s = WriteOutput(output, std::move(text), out); !s.ok()) return Fail(err, s);
  return kExitOk;
}

// backup and restore: one folder argument and --data.
int BackupOrRestore(bool backup, int argc, const char* const* argv, std::ostream& out,
                    std::ostream& err) {
  std::string dir, data = kDefaultData;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "dir", po::value(&dir)->required(), backup ? "the backup folder to create" : "the backup")(
      "data", po::value(&data)->default_value(kDefaultData), "the database folder");
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  int code = kExitOk;
  const char* usage = backup ? "Usage: incontra backup DIR [--data DIR]\n"
                             : "Usage: incontra restore BACKUP [--data DIR]\n";
  if (!ParseOptions(argc, argv, options, positional, &vm, out, err, usage, &code)) return code;
  if (!backup) {
    if (Status s = storage::RestoreBackup(dir, data); !s.ok()) return Fail(err, s);
    out << "restored " << dir << " into " << data << "\n";
    return kExitOk;
  }
  auto store = storage::Store::Open(data, {.sync = true, .create_if_missing = false});
  if (!store.ok() && store.status().code() == "storage.locked") {
    return Fail(err, Status::IoError("storage.locked",
                                     store.status().message() +
                                         "; while a server holds it, back up through the server: "
                                         "serve --backup-dir DIR, then POST /v1/backups"));
  }
  if (!store.ok()) return Fail(err, store.status());
  if (Status s = (*store)->Backup(dir); !s.ok()) return Fail(err, s);
  out << "backed up " << data << " (seq " << (*store)->last_sequence() << ") to " << dir << "\n";
  return kExitOk;
}

int Keys(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string action, event, role = "organiser", participant, data = kDefaultData;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "action", po::value(&action)->required(), "create")(
      "event", po::value(&event)->required(), "the event the key is for")(
      "role", po::value(&role)->default_value("organiser"), "organiser or frontend")(
      "participant", po::value(&participant), "make a participant token for this participant")(
      "data", po::value(&data)->default_value(kDefaultData), "the database folder");
  po::positional_options_description positional;
  positional.add("action", 1);
  po::variables_map vm;
  int code = kExitOk;
  const char* usage =
      "Usage: incontra keys create --event E [--role organiser|frontend] [--participant P]\n"
      "                            [--data DIR]\n\n"
      "Prints {\"id\", \"key\", \"scope\"} as JSON. Only a hash of the key is stored: keep it.\n";
  if (!ParseOptions(argc, argv, options, positional, &vm, out, err, usage, &code)) return code;
  if (action != "create") {
    return Fail(err, Status::InvalidArgument("cli.bad_option", "keys: the action is 'create'"));
  }
  nlohmann::json scope = {{"role", role}, {"event", event}};
  if (vm.count("participant")) {
    scope = {{"role", "participant"}, {"event", event}, {"participant", participant}};
  } else if (role != "organiser" && role != "frontend") {
    return Fail(err, Status::InvalidArgument("cli.bad_option", "--role: organiser or frontend"));
  }
  auto store = storage::Store::Open(data, {.sync = true, .create_if_missing = false});
  if (!store.ok()) return Fail(err, store.status());
  if (auto e = (*store)->GetEvent(event); !e.ok()) return Fail(err, e.status());
  if (vm.count("participant")) {
    auto p = (*store)->Get(storage::RecordKind::kParticipant, event, participant);
    if (!p.ok()) return Fail(err, p.status());
  }
  auto key = CreateKey(**store, scope);
  if (!key.ok()) return Fail(err, key.status());
  out << key->dump() << "\n";
  return kExitOk;
}

int Serve(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  std::string data = kDefaultData, bind = "127.0.0.1", log_file, backup_dir;
  int port = 8080, threads = 2, workers = 4;
  double rate = 100;
  bool quiet = false;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "data", po::value(&data)->default_value(kDefaultData), "the database folder")(
      "port", po::value(&port)->default_value(8080), "TCP port; 0 picks a free one")(
      "bind", po::value(&bind)->default_value("127.0.0.1"), "address to listen on")(
      "threads", po::value(&threads)->default_value(2), "I/O threads: connections, reads, writes")(
      "workers", po::value(&workers)->default_value(4),
      "threads that run requests: a long one (a schedule run) holds one of these, not the I/O; "
      "half of them at most run schedules at once")(
      "log-file", po::value(&log_file), "append the access and error log here, not to stderr")(
      "quiet", po::bool_switch(&quiet), "log only warnings and errors, not every request")(
      "rate-limit", po::value(&rate)->default_value(100),
      "requests per second per key (the admin's excepted), bursts of twice that; 0: none")(
      "backup-dir", po::value(&backup_dir),
      "where POST /v1/backups (admin key) writes checkpoints of the live database");
  po::positional_options_description none;
  po::variables_map vm;
  int code = kExitOk;
  const char* usage =
      "Usage: incontra serve [--data DIR] [--port 8080] [--bind 127.0.0.1] [--threads 2]\n"
      "                      [--workers 4] [--log-file F] [--quiet] [--backup-dir DIR]\n\n"
      "Serves the API over HTTP. The admin key comes from the INCONTRA_ADMIN_KEY environment\n"
      "variable (at least 16 characters). SIGTERM or SIGINT stops it after answering the\n"
      "requests in flight.\n";
  if (!ParseOptions(argc, argv, options, none, &vm, out, err, usage, &code)) return code;
  if (Status s = FirstFailed({InRange("port", port, 0, 65535), InRange("threads", threads, 1, 256),
                              InRange("workers", workers, 1, 256)});
      !s.ok()) {
    return Fail(err, s);
  }
  const char* key = std::getenv("INCONTRA_ADMIN_KEY");
  std::string admin_key = key ? key : "";
  if (!admin_key.empty() && admin_key.size() < 16) {
    return Fail(err, Status::InvalidArgument("cli.bad_option",
                                             "INCONTRA_ADMIN_KEY: at least 16 characters"));
  }
  auto store = storage::Store::Open(data);
  if (!store.ok()) return Fail(err, store.status());
  if (rate < 0) return Fail(err, Status::InvalidArgument("cli.bad_option", "--rate-limit: 0 or more"));
  // Half the workers at most make schedules, so the other half always answers the rest.
  Api api(**store, {.admin_key = admin_key,
                    .rate_per_second = rate,
                    .rate_burst = 2 * rate,
                    .max_schedule_runs = std::max(1, workers / 2),
                    .backup_dir = backup_dir});
  ServerOptions server_options;
  server_options.bind = bind;
  server_options.port = static_cast<uint16_t>(port);
  server_options.threads = threads;
  server_options.workers = workers;
  server_options.log_file = log_file;
  server_options.quiet = quiet;
  Status s = server::Serve(api, server_options, [&](uint16_t actual) {
    out << "incontra: listening on http://" << bind << ":" << actual << "\n" << std::flush;
  });
  if (!s.ok()) return Fail(err, s);
  out << "incontra: stopped\n";
  return kExitOk;
}

int Dispatch(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  if (argc < 2) {
    err << kUsage;
    return kExitBadInput;
  }
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    out << kUsage;
    return kExitOk;
  }
  // Each subcommand sees its own name as argv[0].
  if (command == "schedule") return Schedule(argc - 1, argv + 1, out, err);
  if (command == "demo") return Demo(argc - 1, argv + 1, out, err);
  if (command == "match") return Match(argc - 1, argv + 1, out, err);
  if (command == "cpv") return Cpv(argc - 1, argv + 1, out, err);
  if (command == "import") return Import(argc - 1, argv + 1, out, err);
  if (command == "serve") return Serve(argc - 1, argv + 1, out, err);
  if (command == "keys") return Keys(argc - 1, argv + 1, out, err);
  if (command == "export") return Export(argc - 1, argv + 1, out, err);
  if (command == "backup") return BackupOrRestore(true, argc - 1, argv + 1, out, err);
  if (command == "restore") return BackupOrRestore(false, argc - 1, argv + 1, out, err);
  err << "error: cli.unknown_command: '" << command << "' is not a command\n\n" << kUsage;
  return kExitBadInput;
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  const int code = Dispatch(argc, argv, out, err);
  // Standard output is buffered: a full disk or a closed descriptor shows only now, and a
  // ranking cut short must not pass for a whole one (`match > ranking.jsonl` exited 0).
  out.flush();
  if (code == kExitOk && !out) {
    return Fail(err, Status::IoError("output.unwritable", "standard output: cannot be written"));
  }
  return code;
}

}  // namespace incontra::server
