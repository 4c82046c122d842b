#include "engine/scheduler.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "engine/internal/compiled_problem.h"
#include "engine/internal/exact.h"
#include "engine/internal/lower_bound.h"
#include "engine/internal/search.h"
#include "engine/internal/slot_set.h"

namespace incontra::engine {
namespace {

using internal::Better;
using internal::CompiledProblem;
using internal::SearchOutcome;
using Clock = std::chrono::steady_clock;

constexpr int64_t kDefaultTimeLimitMs = 10'000;
// Restarts with fresh seeds pay off on forum-sized problems; larger ones use the whole time
// limit in one round anyway.
constexpr int kRestartMaxMeetings = 1'000;
constexpr int kMaxRounds = 12;
// CaDiCaL conflicts per question of the exact phase, per unit of SolveOptions::effort.
constexpr int64_t kConflictsPerEffort = 250;

uint64_t SeedFor(uint64_t seed, int worker) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(worker + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  return z ^ (z >> 27);
}

std::vector<int> UnscheduledByRank(const CompiledProblem& c, const std::vector<int>& slot_of) {
  std::vector<int> counts(std::max(1, c.priority_levels), 0);
  for (int m = 0; m < c.meetings; ++m) {
    if (slot_of[m] < 0) ++counts[c.priority_rank[m]];
  }
  return counts;
}

// Tables for the meetings of each slot: a host's meetings at its table; the others at the table
// one of their participants sat at before, when free, so people move as little as possible.
std::vector<int> AssignTables(const CompiledProblem& c, const std::vector<int>& slot_of) {
  const ScheduleProblem& p = *c.source;
  std::vector<int> table(c.meetings, -1);
  std::vector<char> reserved(p.table_ids.size(), 0);
  for (int t : c.host_tables) reserved[t] = 1;
  std::vector<std::vector<int>> by_slot(c.slots);
  for (int m = 0; m < c.meetings; ++m) {
    if (slot_of[m] >= 0) by_slot[slot_of[m]].push_back(m);
  }
  std::vector<int> last_table(c.participants, -1);
  std::vector<int> meetings_of(c.participants, 0);
  for (int m = 0; m < c.meetings; ++m) {
    if (slot_of[m] < 0) continue;
    for (int i = c.res_begin[m]; i < c.res_begin[m + 1]; ++i) {
      if (c.IsParticipant(c.res[i])) ++meetings_of[c.res[i]];
    }
  }
  std::vector<char> taken(p.table_ids.size(), 0);
  std::vector<int> taken_now;
  auto busiest = [&](int m) {
    int most = 0;
    for (int i = c.res_begin[m]; i < c.res_begin[m + 1]; ++i) {
      if (c.IsParticipant(c.res[i])) most = std::max(most, meetings_of[c.res[i]]);
    }
    return most;
  };
  for (int s = 0; s < c.slots; ++s) {
    for (int t : taken_now) taken[t] = 0;  // only what the last slot took: tables may be many
    taken_now.clear();
    std::vector<int> waiting;
    // The busiest participants claim their seats first.
    std::stable_sort(by_slot[s].begin(), by_slot[s].end(),
                     [&](int a, int b) { return busiest(a) > busiest(b); });
    for (int m : by_slot[s]) {
      if (int h = c.table_resource[m]; h >= 0) {
        table[m] = c.host_tables[h - c.participants];
        continue;
      }
      // The busiest participant stays seated; the others come to it.
      int keeper = -1;
      for (int i = c.res_begin[m]; i < c.res_begin[m + 1]; ++i) {
        int r = c.res[i];
        if (c.IsParticipant(r) && last_table[r] >= 0 &&
            (keeper < 0 || meetings_of[r] > meetings_of[keeper])) {
          if (!taken[last_table[r]]) keeper = r;
        }
      }
      if (keeper >= 0) {
        table[m] = last_table[keeper];
        taken[table[m]] = 1;
        taken_now.push_back(table[m]);
      }
      if (table[m] < 0) waiting.push_back(m);
    }
    size_t next = 0;
    for (int m : waiting) {
      while (reserved[next] || taken[next]) ++next;  // the search kept within free_tables
      table[m] = static_cast<int>(next);
      taken[next] = 1;
      taken_now.push_back(table[m]);
    }
    for (int m : by_slot[s]) {
      if (c.table_resource[m] >= 0) continue;  // host tables are not anyone else's seat
      for (int i = c.res_begin[m]; i < c.res_begin[m + 1]; ++i) {
        if (c.IsParticipant(c.res[i])) last_table[c.res[i]] = table[m];
      }
    }
  }
  return table;
}

// Why meeting m is not in the final agenda, in words an organiser can act on.
std::string Explain(const CompiledProblem& c, const SearchOutcome& o, int m,
                    const std::vector<int>& occ, const std::vector<int>& load,
                    const std::vector<int>& count) {
  const ScheduleProblem& p = *c.source;
  if (!c.static_reason[m].empty()) return c.static_reason[m];
  if (auto it = o.removed_for_fairness.find(m); it != o.removed_for_fairness.end()) {
    return it->second;
  }
  for (int a : c.preds[m]) {
    if (o.slot_of[a] < 0) {
      return "it must follow " + p.meetings[a].id + ", which is not scheduled";
    }
  }
  for (int i = c.res_begin[m]; i < c.res_begin[m + 1]; ++i) {
    int r = c.res[i];
    if (c.IsParticipant(r) && count[r] >= c.max_meetings[r]) {
      return p.participants[r].id + " already has its maximum of " +
             std::to_string(c.max_meetings[r]) + " meetings";
    }
  }
  // Every allowed slot is blocked: say by whom, and how often.
  std::map<int, int> busy_in;  // resource -> allowed slots where it meets someone else
  int full = 0, order = 0, allowed = 0;
  const uint64_t* dom = c.Domain(m);
  for (int s = internal::NextSet(dom, c.words, 0); s >= 0;
       s = internal::NextSet(dom, c.words, s + 1)) {
    ++allowed;
    for (int i = c.res_begin[m]; i < c.res_begin[m + 1]; ++i) {
      if (occ[static_cast<size_t>(c.res[i]) * c.slots + s] >= 0) ++busy_in[c.res[i]];
    }
    if (c.table_resource[m] < 0 && load[s] >= c.free_tables) ++full;
    bool order_ok = true;
    for (int a : c.preds[m]) order_ok &= o.slot_of[a] < s;
    for (int b : c.succs[m]) order_ok &= o.slot_of[b] < 0 || o.slot_of[b] > s;
    if (!order_ok) ++order;
  }
  std::string parts;
  auto add = [&](const std::string& part) { parts += (parts.empty() ? "" : ", ") + part; };
  for (auto [r, n] : busy_in) {
    std::string who = c.IsParticipant(r)
                          ? p.participants[r].id
                          : "host table " + p.table_ids[c.host_tables[r - c.participants]];
    add(who + " is busy in " + std::to_string(n));
  }
  if (full) add("all tables are taken in " + std::to_string(full));
  if (order) add("the order set by `after` rules out " + std::to_string(order));
  if (parts.empty()) {
    // Nothing blocks it now: it was left out for fairness, or the time limit cut the search.
    return "a slot is free for it now, but adding it would break fairness.max_break_spread or "
           "the search ran out of time before placing it";
  }
  return "no slot suits everyone: of the " + std::to_string(allowed) + " slots it may use, " +
         parts;
}

// The numbers of an agenda (solve_ms aside). `proven_lower_bound`: a bound on breaks proven by
// the exact search, or 0; `scheduling_proven`: the exact search proved no agenda holds more
// meetings.
ScheduleStats StatsOf(const CompiledProblem& c, const std::vector<int>& slot_of,
                      int proven_lower_bound, bool scheduling_proven) {
  ScheduleStats st;
  bool all_hopeless = true;  // every unscheduled meeting has no slot at all
  for (int m = 0; m < c.meetings; ++m) {
    if (slot_of[m] >= 0) {
      ++st.scheduled;
    } else {
      ++st.unscheduled;
      all_hopeless &= !c.static_reason[m].empty();
    }
  }
  internal::AgendaBreaks breaks = internal::CountBreaks(c, slot_of);
  st.breaks_total = breaks.total;
  st.breaks_max = breaks.max;
  st.lower_bound_breaks = std::max(internal::LowerBoundBreaks(c, slot_of), proven_lower_bound);
  // The set's own bound only proves anything when the set cannot change (everything left out
  // is hopeless); when the exact phase proved the counts, only its own bound (over every set
  // with those counts) does.
  st.proven_optimal = (all_hopeless && st.breaks_total == st.lower_bound_breaks) ||
                      (scheduling_proven && st.breaks_total == proven_lower_bound);
  return st;
}

ScheduleResult BuildResult(const CompiledProblem& c, const SearchOutcome& o, int proven_lower_bound,
                           bool scheduling_proven) {
  const ScheduleProblem& p = *c.source;
  ScheduleResult result;
  std::vector<int> table = AssignTables(c, o.slot_of);
  std::vector<int> occ(static_cast<size_t>(c.resources) * c.slots, -1);
  std::vector<int> load(c.slots, 0), count(c.participants, 0);
  for (int m = 0; m < c.meetings; ++m) {
    int s = o.slot_of[m];
    if (s < 0) continue;
    result.meetings.push_back({p.meetings[m].id, p.slots[s].id, p.table_ids[table[m]]});
    if (c.table_resource[m] < 0) ++load[s];
    for (int i = c.res_begin[m]; i < c.res_begin[m + 1]; ++i) {
      int r = c.res[i];
      occ[static_cast<size_t>(r) * c.slots + s] = m;
      if (c.IsParticipant(r)) ++count[r];
    }
  }
  for (int m = 0; m < c.meetings; ++m) {
    if (o.slot_of[m] >= 0) continue;
    result.unscheduled.push_back({p.meetings[m].id, Explain(c, o, m, occ, load, count)});
  }
  result.stats = StatsOf(c, o.slot_of, proven_lower_bound, scheduling_proven);
  return result;
}

}  // namespace

Status ValidateProblem(const ScheduleProblem& problem) {
  auto compiled = internal::Compile(problem);
  return compiled.ok() ? Status::Ok() : compiled.status();
}

ScheduleResult Solve(const ScheduleProblem& problem, const SolveOptions& options) {
  const auto start = Clock::now();
  auto compiled = internal::Compile(problem);
  if (!compiled.ok()) {
    ScheduleResult refused;
    for (const Meeting& m : problem.meetings) {
      refused.unscheduled.push_back({m.id, "invalid problem: " + compiled.status().message()});
    }
    refused.stats.unscheduled = static_cast<int>(refused.unscheduled.size());
    return refused;
  }
  const CompiledProblem& c = *compiled;
  int64_t limit_ms = options.time_limit_ms > 0
                         ? options.time_limit_ms
                         : problem.time_limit_ms.value_or(kDefaultTimeLimitMs);
  limit_ms = std::min(limit_ms, kMaxTimeLimitMs);  // options are not checked like a file
  // Leave a tenth of the time (at most two seconds) to pick the winner and write the result.
  const auto deadline =
      start + std::chrono::milliseconds(limit_ms - std::min<int64_t>(limit_ms / 10, 2000));
  const auto finish = start + std::chrono::milliseconds(limit_ms);
  // Annealing moves: a floor that tiny problems do not need in full, plus effort per meeting.
  const int64_t budget = std::min<int64_t>(2'000'000, 20'000LL * c.meetings) +
                         static_cast<int64_t>(options.effort) * c.meetings;
  const int threads = std::clamp(options.threads, 1, kMaxSolveThreads);

  // One round: `threads` independent searches side by side, from scratch or from `start`; the
  // best agenda wins.
  auto run_round = [&](int round, const std::vector<int>* start) {
    std::vector<SearchOutcome> outcomes(threads);
    auto work = [&](int worker) {
      internal::Search search(c, SeedFor(options.seed, round * threads + worker), deadline, finish,
                              budget);
      outcomes[worker] = start ? search.Improve(*start) : search.Run();
    };
    std::vector<std::thread> pool;
    for (int w = 1; w < threads; ++w) pool.emplace_back(work, w);
    work(0);
    for (std::thread& t : pool) t.join();
    int best = 0;
    for (int w = 1; w < threads; ++w) {
      if (Better(outcomes[w], outcomes[best])) best = w;
    }
    return std::move(outcomes[best]);
  };
  auto round_start = Clock::now();
  SearchOutcome winner = run_round(0, nullptr);
  auto round_time = Clock::now() - round_start;

  // What the exact phase proved about the winner's numbers of meetings per priority.
  int proven = 0;
  bool scheduling_proven = false;
  auto optimal = [&] {
    return StatsOf(c, winner.slot_of, proven, scheduling_proven).proven_optimal;
  };
  const bool exact_fits = options.exact && internal::ExactFits(c);
  // Small problems: CaDiCaL either finds a better agenda or proves there is none. Its agenda
  // answers the last question it was asked ("one more meeting of this priority"), which binds
  // nothing less important: the meetings it left out that fit, and the breaks, are then the
  // searches' to mend, from that agenda (`polish`: the round numbers after the restarts').
  int polish = kMaxRounds;
  auto run_exact = [&](int64_t conflicts) {
    internal::ExactOutcome exact = internal::ImproveExactly(c, winner.slot_of, conflicts, deadline);
    const bool changed = exact.slot_of != winner.slot_of;
    winner.slot_of = std::move(exact.slot_of);
    winner.breaks = exact.breaks;
    winner.unscheduled_by_rank = UnscheduledByRank(c, winner.slot_of);
    winner.removed_for_fairness.clear();  // the exact agenda's choices are its own
    proven = exact.lower_bound;
    scheduling_proven = exact.scheduling_proven;
    // Past the deadline too: the searches' passes then stop at once but for the greedy refill,
    // which is cheap at the exact phase's sizes and must not be skipped.
    if (!changed || optimal()) return;
    SearchOutcome mended = run_round(polish++, &winner.slot_of);
    if (!Better(mended, winner)) return;
    if (mended.unscheduled_by_rank != winner.unscheduled_by_rank) {
      proven = 0;  // a bound for other numbers of meetings per priority does not carry over
      scheduling_proven = false;
    }
    winner = std::move(mended);
  };
  // Budgets in conflicts and rounds, not time, so a seed reproduces its agenda; the time limit
  // only cuts them short on a slow machine.
  const int64_t conflicts = static_cast<int64_t>(options.effort) * kConflictsPerEffort;
  if (exact_fits && !optimal()) run_exact(conflicts / 32);
  // Forum-sized problems: more rounds with fresh seeds find the rare agendas one annealing run
  // misses; then the exact phase again, from the best agenda, with a larger budget.
  for (int round = 1; round < kMaxRounds && c.meetings <= kRestartMaxMeetings && !optimal();
       ++round) {
    if (Clock::now() + round_time > deadline) break;
    round_start = Clock::now();
    SearchOutcome next = run_round(round, nullptr);
    round_time = Clock::now() - round_start;
    if (Better(next, winner)) {
      // A bound proven for other numbers of meetings per priority does not carry over.
      if (next.unscheduled_by_rank != winner.unscheduled_by_rank) {
        proven = 0;
        scheduling_proven = false;
      }
      winner = std::move(next);
    }
  }
  if (exact_fits && !optimal() && Clock::now() < deadline) run_exact(conflicts);
  ScheduleResult result = BuildResult(c, winner, proven, scheduling_proven);
  result.stats.solve_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  return result;
}

}  // namespace incontra::engine
