// bench_schedule: the scheduler against the first-fit baseline on generated events; prints one
// JSON document on stdout (see bench/README.md for the figures) and progress on stderr.
//
//   bench_schedule [--seed N] [--threads N] [--time-limit-ms N] [--large] [--only NAME]
//                  [--write-problem DIR]
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/check_schedule.h"
#include "bench/first_fit.h"
#include "engine/event_generator.h"
#include "engine/schedule_json.h"
#include "engine/scheduler.h"

namespace incontra::bench {
namespace {

namespace po = boost::program_options;
// Ordered, so that a scenario reads name first, as a person would write it.
using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr int64_t kSmallTimeLimitMs = 10'000;
constexpr int64_t kLargeTimeLimitMs = 45'000;

struct Scenario {
  std::string name;
  bool large = false;
  std::function<engine::ScheduleProblem(uint64_t seed)> generate;
};

std::vector<Scenario> Scenarios() {
  auto forum = [](int participants, int slots, int meetings) {
    return [=](uint64_t seed) {
      return engine::GenerateTightForum(seed, participants, slots, meetings);
    };
  };
  return {
      {"tight-forum-40", false, forum(40, 16, 200)},
      {"tight-forum-60", false, forum(60, 20, 300)},
      {"tight-forum-80", false, forum(80, 24, 300)},
      {"connext", false,
       [](uint64_t seed) { return engine::GenerateEvent(engine::ConnextLike(seed)); }},
      {"large", true, [](uint64_t seed) { return engine::GenerateEvent(engine::Large(seed)); }},
  };
}

struct Flags {
  uint64_t seed = 1;
  int threads = 2;
  int64_t time_limit_ms = 0;  // 0: per scenario default
  bool large = false;
  std::string only;
  std::string write_problem;  // directory
};

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

// a / b, 1 when both are 0, null when only b is 0 (the baseline is infinitely worse).
json Ratio(int a, int b) {
  if (b == 0) return a == 0 ? json(1.0) : json(nullptr);
  return static_cast<double>(a) / b;
}

json Figures(const engine::ScheduleResult& r, int64_t solve_ms, bool with_bound,
             const std::vector<std::string>& violations) {
  json j = {{"solve_ms", solve_ms},
            {"scheduled", r.stats.scheduled},
            {"unscheduled", r.stats.unscheduled},
            {"breaks_total", r.stats.breaks_total},
            {"breaks_max", r.stats.breaks_max}};
  if (with_bound) {
    j["lower_bound_breaks"] = r.stats.lower_bound_breaks;
    j["proven_optimal"] = r.stats.proven_optimal;
  }
  j["valid"] = violations.empty();
  if (!violations.empty()) j["violations"] = violations;
  constexpr size_t kReasons = 3;
  for (size_t i = 0; i < r.unscheduled.size() && i < kReasons; ++i) {
    j["unscheduled_examples"].push_back(r.unscheduled[i].id + ": " + r.unscheduled[i].reason);
  }
  return j;
}

json RunScenario(const Scenario& scenario, const Flags& flags) {
  json out = {{"name", scenario.name}};
  std::cerr << "bench_schedule: " << scenario.name << ": generating\n";
  Clock::time_point start = Clock::now();
  const engine::ScheduleProblem problem = scenario.generate(flags.seed);
  out["generate_ms"] = MillisSince(start);
  out["participants"] = problem.participants.size();
  out["meetings"] = problem.meetings.size();
  out["slots"] = problem.slots.size();
  out["tables"] = problem.table_ids.size();

  if (!flags.write_problem.empty()) {
    const std::string path = flags.write_problem + "/" + scenario.name + ".json";
    std::ofstream file(path);
    file << engine::ScheduleProblemToJson(problem).dump() << "\n";
    if (!file) std::cerr << "bench_schedule: cannot write " << path << "\n";
  }
  if (Status s = engine::ValidateProblem(problem); !s.ok()) {
    out["error"] = json::parse(engine::ErrorToJson(s)["error"].dump());
    return out;
  }

  engine::SolveOptions options;
  options.seed = flags.seed;
  options.threads = flags.threads;
  options.time_limit_ms = flags.time_limit_ms > 0
                              ? flags.time_limit_ms
                              : (scenario.large ? kLargeTimeLimitMs : kSmallTimeLimitMs);
  std::cerr << "bench_schedule: " << scenario.name << ": solving (limit "
            << Seconds(options.time_limit_ms) << " s)\n";
  start = Clock::now();
  const engine::ScheduleResult incontra = engine::Solve(problem, options);
  const int64_t incontra_ms = MillisSince(start);
  out["incontra"] = Figures(incontra, incontra_ms, true, CheckSchedule(problem, incontra));

  std::cerr << "bench_schedule: " << scenario.name << ": first fit\n";
  start = Clock::now();
  Result<engine::ScheduleResult> first_fit = FirstFit(problem);
  const int64_t first_fit_ms = MillisSince(start);
  if (!first_fit.ok()) {
    out["first_fit"] = {{"error", first_fit.status().ToString()}};
    return out;
  }
  out["first_fit"] = Figures(*first_fit, first_fit_ms, false,
                             CheckSchedule(problem, *first_fit, {.check_lower_bound = false}));
  out["ratio"] = {{"unscheduled_first_fit_over_incontra",
                   Ratio(first_fit->stats.unscheduled, incontra.stats.unscheduled)},
                  {"breaks_first_fit_over_incontra",
                   Ratio(first_fit->stats.breaks_total, incontra.stats.breaks_total)}};
  out["saved"] = {{"meetings", incontra.stats.scheduled - first_fit->stats.scheduled},
                  {"breaks", first_fit->stats.breaks_total - incontra.stats.breaks_total}};
  return out;
}

// Returns the exit code when the program should stop now (help, bad flags).
std::optional<int> ParseFlags(int argc, char** argv, Flags* flags) {
  po::options_description desc("bench_schedule: Incontra's scheduler against first fit");
  desc.add_options()("help,h", "show this help")("seed", po::value(&flags->seed)->default_value(1),
                                                 "generator and solver seed")(
      "threads", po::value(&flags->threads)->default_value(2), "solver threads")(
      "time-limit-ms", po::value(&flags->time_limit_ms)->default_value(0),
      "solver time limit; 0: 10000 for small scenarios, 45000 for large")(
      "large", po::bool_switch(&flags->large), "also run the large scenario (about a minute)")(
      "only", po::value(&flags->only), "run only this scenario")(
      "write-problem", po::value(&flags->write_problem),
      "write each scenario's problem to DIR/NAME.json, for `incontra schedule`");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "bench_schedule: " << e.what() << "\n" << desc;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\nScenarios:";
    for (const Scenario& s : Scenarios()) std::cout << " " << s.name;
    std::cout << "\n";
    return 0;
  }
  if (flags->threads < 1) {
    std::cerr << "bench_schedule: --threads must be at least 1\n";
    return 2;
  }
  return std::nullopt;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (std::optional<int> exit_code = ParseFlags(argc, argv, &flags)) return *exit_code;
  json scenarios = json::array();
  bool found = false;
  for (const Scenario& scenario : Scenarios()) {
    const bool wanted =
        flags.only.empty() ? (!scenario.large || flags.large) : scenario.name == flags.only;
    if (!wanted) continue;
    found = true;
    scenarios.push_back(RunScenario(scenario, flags));
  }
  if (!found) {
    std::cerr << "bench_schedule: no scenario named '" << flags.only << "'\n";
    return 2;
  }
  json out = {{"seed", flags.seed}, {"threads", flags.threads}, {"scenarios", scenarios}};
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace
}  // namespace incontra::bench

int main(int argc, char** argv) { return incontra::bench::Main(argc, argv); }
