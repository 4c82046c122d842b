#include "bench/check_schedule.h"

#include <algorithm>
#include <climits>

#include "bench/problem_index.h"

namespace incontra::bench {
namespace {

class Report {
 public:
  explicit Report(size_t max_reported) : max_(max_reported) {}
  void Add(std::string line) {
    if (lines_.size() < max_) {
      lines_.push_back(std::move(line));
    } else {
      ++dropped_;
    }
  }
  std::vector<std::string> Take() {
    if (dropped_ > 0) lines_.push_back("... and " + std::to_string(dropped_) + " more");
    return std::move(lines_);
  }

 private:
  size_t max_;
  size_t dropped_ = 0;
  std::vector<std::string> lines_;
};

void CheckStat(Report& report, const char* name, int64_t reported, int64_t actual) {
  if (reported != actual) {
    report.Add(std::string("stats.") + name + " is " + std::to_string(reported) +
               ", the agenda has " + std::to_string(actual));
  }
}

}  // namespace

std::vector<std::string> CheckSchedule(const engine::ScheduleProblem& problem,
                                       const engine::ScheduleResult& result,
                                       const CheckOptions& options) {
  Report report(options.max_reported);
  Result<ProblemIndex> indexed = IndexProblem(problem);
  if (!indexed.ok()) {
    report.Add("problem: " + indexed.status().message());
    return report.Take();
  }
  const ProblemIndex& x = *indexed;
  const int S = x.slots;

  // Every meeting exactly once, scheduled or not, scheduled ones in the problem's order.
  std::vector<int> slot_of(x.meetings, -1);
  std::vector<int> table_of(x.meetings, -1);
  std::vector<char> seen(x.meetings, 0);
  int previous = -1;
  for (const engine::ScheduledMeeting& sm : result.meetings) {
    auto m_it = x.meeting_of.find(sm.id);
    if (m_it == x.meeting_of.end()) {
      report.Add(sm.id + ": no such meeting in the problem");
      continue;
    }
    const int m = m_it->second;
    if (seen[m]++) report.Add(sm.id + ": listed twice");
    if (m < previous) report.Add(sm.id + ": out of the problem's order");
    previous = m;
    auto s_it = x.slot_of.find(sm.slot);
    auto t_it = x.table_of.find(sm.table);
    if (s_it == x.slot_of.end()) report.Add(sm.id + ": no slot '" + sm.slot + "'");
    if (t_it == x.table_of.end()) report.Add(sm.id + ": no table '" + sm.table + "'");
    if (s_it == x.slot_of.end() || t_it == x.table_of.end()) continue;
    slot_of[m] = s_it->second;
    table_of[m] = t_it->second;
  }
  for (const engine::UnscheduledMeeting& um : result.unscheduled) {
    auto it = x.meeting_of.find(um.id);
    if (it == x.meeting_of.end()) {
      report.Add(um.id + ": unscheduled but no such meeting in the problem");
    } else if (seen[it->second]++) {
      report.Add(um.id + ": both scheduled and unscheduled, or unscheduled twice");
    }
    if (um.reason.empty()) report.Add(um.id + ": unscheduled without a reason");
  }
  for (int m = 0; m < x.meetings; ++m) {
    if (!seen[m]) report.Add(problem.meetings[m].id + ": neither scheduled nor unscheduled");
  }

  // Hard rules, meeting by meeting.
  std::vector<int> meeting_at(static_cast<size_t>(x.participants) * S, -1);
  std::vector<int> count(x.participants, 0);
  std::vector<int> table_taken(problem.table_ids.size() * S, -1);  // table * S + slot -> meeting
  for (int m = 0; m < x.meetings; ++m) {
    const int s = slot_of[m];
    if (s < 0) continue;
    const std::string& id = problem.meetings[m].id;
    const std::string at = " in slot " + problem.slots[s].id;
    if (x.meeting_session[m] >= 0 && x.meeting_session[m] != x.slot_session[s]) {
      report.Add(id + ": outside session '" + *problem.meetings[m].session + "'");
    }
    if (x.fixed_slot[m] >= 0 && x.fixed_slot[m] != s) {
      report.Add(id + ": fixed to slot " + *problem.meetings[m].slot + " but held" + at);
    }
    for (int p : x.members[m]) {
      const std::string& who = problem.participants[p].id;
      if (!x.Available(p, s)) report.Add(id + ": " + who + " is unavailable" + at);
      int& other = meeting_at[static_cast<size_t>(p) * S + s];
      if (other >= 0) {
        report.Add(id + ": " + who + " is also in " + problem.meetings[other].id + at);
      }
      other = m;
      ++count[p];
    }
    const int table = table_of[m];
    const int host = x.meeting_table[m];
    if (host == ProblemIndex::kTwoHostTables) {
      report.Add(id + ": scheduled although its participants keep different host tables");
    } else if (host >= 0 && table != host) {
      report.Add(id + ": at table " + problem.table_ids[table] + ", not at host table " +
                 problem.table_ids[host]);
    } else if (host < 0 && x.is_host_table[table]) {
      report.Add(id + ": at table " + problem.table_ids[table] + ", which a host keeps");
    }
    int& holder = table_taken[static_cast<size_t>(table) * S + s];
    if (holder >= 0) {
      report.Add(id + ": table " + problem.table_ids[table] + " is also used by " +
                 problem.meetings[holder].id + at);
    }
    holder = m;
    for (int pred : x.preds[m]) {
      if (slot_of[pred] < 0 || slot_of[pred] >= s) {
        report.Add(id + ": must follow " + problem.meetings[pred].id + ", which is " +
                   (slot_of[pred] < 0 ? std::string("not scheduled")
                                      : "in slot " + problem.slots[slot_of[pred]].id));
      }
    }
  }
  for (int p = 0; p < x.participants; ++p) {
    if (count[p] > x.max_meetings[p]) {
      report.Add(problem.participants[p].id + ": " + std::to_string(count[p]) +
                 " meetings, max_meetings is " + std::to_string(x.max_meetings[p]));
    }
  }

  // Breaks, fairness and the stats.
  std::vector<char> busy(meeting_at.size());
  for (size_t i = 0; i < busy.size(); ++i) busy[i] = meeting_at[i] >= 0;
  int breaks_total = 0, breaks_max = 0, breaks_min = INT_MAX;
  for (int p = 0; p < x.participants; ++p) {
    const int b = CountBreaks(busy, static_cast<size_t>(p) * S, S);
    breaks_total += b;
    breaks_max = std::max(breaks_max, b);
    breaks_min = std::min(breaks_min, b);
  }
  if (problem.max_break_spread && x.participants > 0 &&
      breaks_max - breaks_min > *problem.max_break_spread) {
    report.Add("fairness: break counts range from " + std::to_string(breaks_min) + " to " +
               std::to_string(breaks_max) + ", more than max_break_spread " +
               std::to_string(*problem.max_break_spread));
  }
  const engine::ScheduleStats& st = result.stats;
  CheckStat(report, "scheduled", st.scheduled, static_cast<int64_t>(result.meetings.size()));
  CheckStat(report, "unscheduled", st.unscheduled, static_cast<int64_t>(result.unscheduled.size()));
  CheckStat(report, "breaks_total", st.breaks_total, breaks_total);
  CheckStat(report, "breaks_max", st.breaks_max, breaks_max);
  if (options.check_lower_bound) {
    if (st.lower_bound_breaks < 0 || st.lower_bound_breaks > breaks_total) {
      report.Add("stats.lower_bound_breaks " + std::to_string(st.lower_bound_breaks) +
                 " is not between 0 and breaks_total " + std::to_string(breaks_total));
    }
    if (st.proven_optimal && st.lower_bound_breaks != breaks_total) {
      report.Add("stats.proven_optimal is true but breaks_total is not at the bound");
    }
  }
  return report.Take();
}

}  // namespace incontra::bench
