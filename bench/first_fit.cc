#include "bench/first_fit.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "bench/problem_index.h"

namespace incontra::bench {
namespace {

// Occupancy while placing: who meets when, which tables are taken.
class Agenda {
 public:
  explicit Agenda(const ProblemIndex& x)
      : x_(x),
        busy_(static_cast<size_t>(x.participants) * x.slots, 0),
        count_(x.participants, 0),
        table_busy_(x.is_host_table.size() * x.slots, 0),
        shared_used_(x.slots, 0) {}

  bool Fits(int m, int s) const {
    for (int p : x_.members[m]) {
      if (!x_.Available(p, s) || busy_[Cell(p, s)]) return false;
    }
    const int table = x_.meeting_table[m];
    if (table >= 0) return !table_busy_[static_cast<size_t>(table) * x_.slots + s];
    return shared_used_[s] < static_cast<int>(x_.shared_tables.size());
  }

  // Marks m as held in s; returns the table it gets.
  int Place(int m, int s) {
    for (int p : x_.members[m]) {
      busy_[Cell(p, s)] = 1;
      ++count_[p];
    }
    const int table = x_.meeting_table[m];
    if (table >= 0) {
      table_busy_[static_cast<size_t>(table) * x_.slots + s] = 1;
      return table;
    }
    return x_.shared_tables[shared_used_[s]++];
  }

  bool Full(int p) const { return count_[p] >= x_.max_meetings[p]; }
  const std::vector<char>& busy() const { return busy_; }

 private:
  size_t Cell(int p, int s) const { return static_cast<size_t>(p) * x_.slots + s; }

  const ProblemIndex& x_;
  std::vector<char> busy_;
  std::vector<int> count_;
  std::vector<char> table_busy_;
  std::vector<int> shared_used_;
};

// Why no slot was found, in the words of the rule that stopped it.
std::string Reason(const ProblemIndex& x, const engine::ScheduleProblem& problem, int m,
                   int earliest) {
  for (int s = earliest; s < x.slots; ++s) {
    if (!x.InSession(m, s)) continue;
    bool all_available = true;
    for (int p : x.members[m]) all_available = all_available && x.Available(p, s);
    if (all_available) return "every slot it could use was taken when first fit reached it";
  }
  return "no slot " + std::string(earliest > 0 ? "after its predecessors " : "") +
         "is in its session or fixed slot and free for all of " + problem.meetings[m].id +
         "'s participants";
}

}  // namespace

Result<engine::ScheduleResult> FirstFit(const engine::ScheduleProblem& problem) {
  const auto start = std::chrono::steady_clock::now();
  Result<ProblemIndex> indexed = IndexProblem(problem);
  if (!indexed.ok()) return indexed.status();
  const ProblemIndex& x = *indexed;

  engine::ScheduleResult result;
  Agenda agenda(x);
  std::vector<int> slot_of(x.meetings, -1);
  for (int m = 0; m < x.meetings; ++m) {
    const engine::Meeting& meeting = problem.meetings[m];
    std::string reason;
    int earliest = 0;
    for (int pred : x.preds[m]) {
      if (slot_of[pred] < 0) {
        reason = "it must follow " + problem.meetings[pred].id + ", which was not placed before it";
        break;
      }
      earliest = std::max(earliest, slot_of[pred] + 1);
    }
    if (reason.empty() && x.meeting_table[m] == ProblemIndex::kTwoHostTables) {
      reason = "its participants keep different host tables";
    }
    for (size_t k = 0; k < x.members[m].size() && reason.empty(); ++k) {
      if (agenda.Full(x.members[m][k])) {
        reason = meeting.participants[k] + " already has as many meetings as max_meetings allows";
      }
    }
    if (reason.empty()) {
      for (int s = earliest; s < x.slots; ++s) {
        if (x.InSession(m, s) && agenda.Fits(m, s)) {
          slot_of[m] = s;
          break;
        }
      }
      if (slot_of[m] < 0) reason = Reason(x, problem, m, earliest);
    }
    if (slot_of[m] >= 0) {
      const int table = agenda.Place(m, slot_of[m]);
      result.meetings.push_back(
          {meeting.id, problem.slots[slot_of[m]].id, problem.table_ids[table]});
    } else {
      result.unscheduled.push_back({meeting.id, reason});
    }
  }

  engine::ScheduleStats& stats = result.stats;
  stats.scheduled = static_cast<int>(result.meetings.size());
  stats.unscheduled = static_cast<int>(result.unscheduled.size());
  for (int p = 0; p < x.participants; ++p) {
    const int breaks = CountBreaks(agenda.busy(), static_cast<size_t>(p) * x.slots, x.slots);
    stats.breaks_total += breaks;
    stats.breaks_max = std::max(stats.breaks_max, breaks);
  }
  stats.solve_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  return result;
}

}  // namespace incontra::bench
