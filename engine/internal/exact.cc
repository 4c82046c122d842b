#include "engine/internal/exact.h"

#include <algorithm>
#include <cadical.hpp>
#include <cassert>
#include <climits>

#include "engine/internal/lower_bound.h"
#include "engine/internal/slot_set.h"

namespace incontra::engine::internal {
namespace {

// Variables and clauses; literals are CaDiCaL's (non-zero ints, negative = negated).
class Cnf {
 public:
  explicit Cnf(CaDiCaL::Solver& solver) : solver_(solver) {}
  int NewVar() { return next_++; }
  void Clause(std::initializer_list<int> lits) { Clause(std::vector<int>(lits)); }
  void Clause(const std::vector<int>& lits) {
    for (int l : lits) {
      assert(l != 0 && "0 ends a clause in CaDiCaL's API: a missing variable slipped in");
      solver_.add(l);
    }
    solver_.add(0);
  }

  // At most one of `lits` (pairwise when short, a sequential counter otherwise).
  void AtMostOne(const std::vector<int>& lits) {
    const size_t n = lits.size();
    if (n <= 1) return;
    if (n <= 5) {
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = i + 1; j < n; ++j) Clause({-lits[i], -lits[j]});
      }
      return;
    }
    int prev = NewVar();
    Clause({-lits[0], prev});
    for (size_t i = 1; i + 1 < n; ++i) {
      int cur = NewVar();
      Clause({-lits[i], cur});
      Clause({-prev, cur});
      Clause({-lits[i], -prev});
      prev = cur;
    }
    Clause({-lits[n - 1], -prev});
  }

  // A totalizer over `lits` counting up to `cap`: out[i] is true whenever at least i + 1 of
  // them are (only that direction is needed for upper bounds).
  std::vector<int> Count(const std::vector<int>& lits, size_t cap) {
    if (lits.empty() || cap == 0) return {};
    return Build(lits, 0, lits.size(), cap, false);
  }

  // A full totalizer: out[i] is true exactly when at least i + 1 of `lits` are.
  std::vector<int> CountExactly(const std::vector<int>& lits) {
    if (lits.empty()) return {};
    return Build(lits, 0, lits.size(), lits.size(), true);
  }

  // At most k of `lits`.
  void AtMost(const std::vector<int>& lits, size_t k) {
    if (lits.size() <= k) return;
    if (k == 0) {
      for (int l : lits) Clause({-l});
      return;
    }
    std::vector<int> out = Count(lits, k + 1);
    Clause({-out[k]});
  }

 private:
  std::vector<int> Build(const std::vector<int>& lits, size_t lo, size_t hi, size_t cap,
                         bool both_ways) {
    if (hi - lo == 1) return {lits[lo]};
    size_t mid = (lo + hi) / 2;
    std::vector<int> a = Build(lits, lo, mid, cap, both_ways);
    std::vector<int> b = Build(lits, mid, hi, cap, both_ways);
    size_t n = std::min(a.size() + b.size(), cap);
    std::vector<int> out(n);
    for (int& v : out) v = NewVar();
    for (size_t i = 0; i <= a.size(); ++i) {
      for (size_t j = 0; j <= b.size(); ++j) {
        if (i + j == 0) continue;
        size_t k = std::min(i + j, n);
        std::vector<int> clause;
        if (i) clause.push_back(-a[i - 1]);
        if (j) clause.push_back(-b[j - 1]);
        clause.push_back(out[k - 1]);
        Clause(clause);
      }
    }
    if (both_ways) {
      // Sum >= k + 1 holds iff for every split i + j = k, a >= i + 1 or b >= j + 1 (else
      // a <= i and b <= j would sum to at most k). a >= i + 1 is a[i]; past a's size, false.
      for (size_t k = 0; k < n; ++k) {
        for (size_t i = 0; i <= k; ++i) {
          size_t j = k - i;
          std::vector<int> clause = {-out[k]};
          if (i < a.size()) clause.push_back(a[i]);
          if (j < b.size()) clause.push_back(b[j]);
          Clause(clause);
        }
      }
    }
    return out;
  }

  CaDiCaL::Solver& solver_;
  int next_ = 1;
};

class Deadline : public CaDiCaL::Terminator {
 public:
  explicit Deadline(std::chrono::steady_clock::time_point at) : at_(at) {}
  bool terminate() override { return std::chrono::steady_clock::now() >= at_; }

 private:
  std::chrono::steady_clock::time_point at_;
};

}  // namespace

bool ExactFits(const CompiledProblem& p) {
  int64_t vars = 0;
  for (int m = 0; m < p.meetings; ++m) vars += Count(p.Domain(m), p.words);
  return vars <= 40'000 && p.slots <= 128;
}

ExactOutcome ImproveExactly(const CompiledProblem& p, std::vector<int> slot_of,
                            int64_t conflicts_per_question,
                            std::chrono::steady_clock::time_point deadline) {
  const int S = p.slots;
  const int levels = std::max(1, p.priority_levels);
  ExactOutcome out;
  out.slot_of = std::move(slot_of);
  out.breaks = CountBreaks(p, out.slot_of).total;
  auto unscheduled_by_rank = [&](const std::vector<int>& agenda) {
    std::vector<int> u(levels, 0);
    for (int m = 0; m < p.meetings; ++m) {
      if (agenda[m] < 0 && p.static_reason[m].empty()) ++u[p.priority_rank[m]];
    }
    return u;
  };
  std::vector<int> best_unscheduled = unscheduled_by_rank(out.slot_of);

  CaDiCaL::Solver solver;
  Cnf cnf(solver);
  // x[m][s]: meeting m in slot s; held[m]: m is scheduled.
  std::vector<std::vector<int>> x(p.meetings);
  std::vector<int> held(p.meetings, 0);
  std::vector<std::vector<int>> by_resource_slot(static_cast<size_t>(p.resources) * S);
  std::vector<std::vector<int>> free_table_slot(S);
  std::vector<std::vector<int>> of_participant(p.participants);
  std::vector<std::vector<int>> out_by_rank(levels);  // "not held", per priority rank
  for (int m = 0; m < p.meetings; ++m) {
    if (!p.static_reason[m].empty()) continue;
    x[m].assign(S, 0);
    held[m] = cnf.NewVar();
    std::vector<int> choices = {-held[m]};
    const uint64_t* dom = p.Domain(m);
    for (int s = NextSet(dom, p.words, 0); s >= 0; s = NextSet(dom, p.words, s + 1)) {
      int v = cnf.NewVar();
      x[m][s] = v;
      choices.push_back(v);
      cnf.Clause({-v, held[m]});
      for (int i = p.res_begin[m]; i < p.res_begin[m + 1]; ++i) {
        by_resource_slot[static_cast<size_t>(p.res[i]) * S + s].push_back(v);
        if (p.IsParticipant(p.res[i])) of_participant[p.res[i]].push_back(v);
      }
      if (p.table_resource[m] < 0) free_table_slot[s].push_back(v);
    }
    cnf.Clause(choices);
    choices.erase(choices.begin());
    cnf.AtMostOne(choices);
    out_by_rank[p.priority_rank[m]].push_back(-held[m]);
  }
  // One meeting per participant and host table per slot; tables per slot; max_meetings.
  for (const auto& lits : by_resource_slot) cnf.AtMostOne(lits);
  for (int s = 0; s < S; ++s) cnf.AtMost(free_table_slot[s], static_cast<size_t>(p.free_tables));
  for (int r = 0; r < p.participants; ++r) {
    if (p.max_meetings[r] < INT32_MAX) {
      cnf.AtMost(of_participant[r], static_cast<size_t>(p.max_meetings[r]));
    }
  }
  // `after`: m in s needs each predecessor held in a slot before s.
  for (int m = 0; m < p.meetings; ++m) {
    if (x[m].empty()) continue;
    for (int a : p.preds[m]) {
      if (x[a].empty()) {  // a can never be held, so neither can m
        cnf.Clause({-held[m]});
        continue;
      }
      std::vector<int> before(S + 1, 0);  // before[s]: a is held in a slot before s
      for (int s = 1; s <= S; ++s) {
        before[s] = cnf.NewVar();
        std::vector<int> why = {-before[s]};
        if (before[s - 1]) why.push_back(before[s - 1]);
        if (x[a][s - 1]) why.push_back(x[a][s - 1]);
        cnf.Clause(why);
      }
      for (int s = 0; s < S; ++s) {
        if (!x[m][s]) continue;
        if (s == 0) {
          cnf.Clause({-x[m][s]});  // nothing comes before the first slot
        } else {
          cnf.Clause({-x[m][s], before[s]});
        }
      }
    }
  }
  // Busy and gap starts per participant: a gap starts at s when the participant meets in s-1,
  // not in s, and again later.
  std::vector<int> gaps;
  std::vector<std::vector<int>> gaps_of(p.participants);
  for (int r = 0; r < p.participants; ++r) {
    std::vector<int> busy(S, 0);
    for (int s = 0; s < S; ++s) {
      const auto& lits = by_resource_slot[static_cast<size_t>(r) * S + s];
      if (lits.empty()) continue;
      busy[s] = cnf.NewVar();
      std::vector<int> some = {-busy[s]};
      for (int v : lits) {
        cnf.Clause({-v, busy[s]});
        some.push_back(v);
      }
      cnf.Clause(some);
    }
    std::vector<int> later(S, 0);  // later[s]: busy in some slot after s
    for (int s = S - 2; s >= 0; --s) {
      if (!busy[s + 1] && !later[s + 1]) continue;
      later[s] = cnf.NewVar();
      if (busy[s + 1]) cnf.Clause({-busy[s + 1], later[s]});
      if (later[s + 1]) cnf.Clause({-later[s + 1], later[s]});
      // And only then, so that gap starts are exact (fairness counts them both ways).
      std::vector<int> why = {-later[s]};
      if (busy[s + 1]) why.push_back(busy[s + 1]);
      if (later[s + 1]) why.push_back(later[s + 1]);
      cnf.Clause(why);
    }
    for (int s = 1; s < S; ++s) {
      if (!busy[s - 1] || !later[s]) continue;
      int g = cnf.NewVar();
      std::vector<int> clause = {-busy[s - 1], -later[s], g};
      if (busy[s]) clause.push_back(busy[s]);
      cnf.Clause(clause);
      cnf.Clause({-g, busy[s - 1]});
      cnf.Clause({-g, later[s]});
      if (busy[s]) cnf.Clause({-g, -busy[s]});
      gaps.push_back(g);
      gaps_of[r].push_back(g);
    }
  }
  // Fairness: every participant's breaks within [lo, lo + d] for some lo. at_least[k] says
  // "everyone has at least k + 1 breaks"; a participant with j breaks forces lo >= j - d.
  if (p.source->max_break_spread) {
    const int d = *p.source->max_break_spread;
    std::vector<std::vector<int>> count_of(p.participants);
    size_t most = 0;
    for (int r = 0; r < p.participants; ++r) {
      count_of[r] = cnf.CountExactly(gaps_of[r]);
      most = std::max(most, count_of[r].size());
    }
    std::vector<int> at_least(most);
    for (size_t k = 0; k < most; ++k) {
      at_least[k] = cnf.NewVar();
      if (k > 0) cnf.Clause({-at_least[k], at_least[k - 1]});
      for (int r = 0; r < p.participants; ++r) {
        if (k < count_of[r].size()) {
          cnf.Clause({-at_least[k], count_of[r][k]});
        } else {
          cnf.Clause({-at_least[k]});  // r cannot have k + 1 breaks
        }
      }
    }
    for (int r = 0; r < p.participants; ++r) {
      for (size_t j = static_cast<size_t>(d) + 1; j <= count_of[r].size(); ++j) {
        cnf.Clause({-count_of[r][j - 1], at_least[j - d - 1]});
      }
    }
  }

  Deadline stop(deadline);
  solver.connect_terminator(&stop);
  for (int m = 0; m < p.meetings; ++m) {  // start from the known agenda
    if (!x[m].empty() && out.slot_of[m] >= 0 && x[m][out.slot_of[m]]) {
      solver.phase(x[m][out.slot_of[m]]);
    }
  }
  // Counters of meetings left out, per rank; each is built when its rank comes up, counting up
  // to the best count then + 1 (counts only go down from there).
  std::vector<std::vector<int>> left_out(levels);
  auto at_most_left_out = [&](int r, int k) {
    if (static_cast<size_t>(k) < left_out[r].size()) solver.assume(-left_out[r][k]);
  };
  // Returns 10 with a better agenda in out, 20 when there is none, 0 when time is up.
  auto ask = [&]() {
    // A conflict budget (not time) bounds each question, so the same input gives the same
    // answers on any machine; the deadline only guards against a slow one.
    solver.limit("conflicts",
                 static_cast<int>(std::min<int64_t>(conflicts_per_question, INT32_MAX)));
    int answer = solver.solve();
    if (answer != 10) return answer;
    std::vector<int> found(p.meetings, -1);
    for (int m = 0; m < p.meetings; ++m) {
      for (int s = 0; s < static_cast<int>(x[m].size()); ++s) {
        if (x[m][s] && solver.val(x[m][s]) > 0) found[m] = s;
      }
    }
    int b = CountBreaks(p, found).total;
    out.slot_of = std::move(found);
    out.breaks = b;
    best_unscheduled = unscheduled_by_rank(out.slot_of);
    return 10;
  };

  // 1. As many meetings as possible, highest priority first.
  bool scheduling_proven = true;
  for (int r = 0; r < levels && scheduling_proven; ++r) {
    left_out[r] = cnf.Count(out_by_rank[r], static_cast<size_t>(best_unscheduled[r]) + 1);
    while (best_unscheduled[r] > 0) {
      for (int q = 0; q < r; ++q) at_most_left_out(q, best_unscheduled[q]);
      at_most_left_out(r, best_unscheduled[r] - 1);
      int answer = ask();
      if (answer == 20) break;
      if (answer != 10) {
        scheduling_proven = false;
        break;
      }
    }
  }
  // 2. Fewest breaks for that many meetings of each priority (any of them: the per-participant
  // bound of one set of meetings does not hold for another, so the floor here is 0).
  if (scheduling_proven && out.breaks > out.lower_bound) {
    std::vector<int> total = cnf.Count(gaps, static_cast<size_t>(out.breaks));
    while (out.breaks > out.lower_bound) {
      for (int q = 0; q < levels; ++q) at_most_left_out(q, best_unscheduled[q]);
      if (out.breaks - 1 < static_cast<int>(total.size())) solver.assume(-total[out.breaks - 1]);
      int answer = ask();
      if (answer == 20) out.lower_bound = out.breaks;
      if (answer != 10) break;
    }
  }
  out.scheduling_proven = scheduling_proven;
  solver.disconnect_terminator();
  return out;
}

}  // namespace incontra::engine::internal
