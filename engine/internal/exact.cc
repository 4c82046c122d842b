#include "engine/internal/exact.h"

#include <cadical.hpp>

#include <algorithm>

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
    for (int l : lits) solver_.add(l);
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
    if (lits.empty()) return {};
    return Build(lits, 0, lits.size(), cap);
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
  std::vector<int> Build(const std::vector<int>& lits, size_t lo, size_t hi, size_t cap) {
    if (hi - lo == 1) return {lits[lo]};
    size_t mid = (lo + hi) / 2;
    std::vector<int> a = Build(lits, lo, mid, cap), b = Build(lits, mid, hi, cap);
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

int BreaksOf(const CompiledProblem& p, const std::vector<int>& slot_of, std::vector<int>* each) {
  std::vector<uint64_t> busy(static_cast<size_t>(p.participants) * p.words, 0);
  for (int m = 0; m < p.meetings; ++m) {
    if (slot_of[m] < 0) continue;
    for (int i = p.res_begin[m]; i < p.res_begin[m + 1]; ++i) {
      if (p.IsParticipant(p.res[i])) Set(&busy[static_cast<size_t>(p.res[i]) * p.words], slot_of[m]);
    }
  }
  int total = 0;
  each->assign(p.participants, 0);
  for (int r = 0; r < p.participants; ++r) {
    (*each)[r] = Breaks(&busy[static_cast<size_t>(r) * p.words], p.words);
    total += (*each)[r];
  }
  return total;
}

}  // namespace

bool ExactFits(const CompiledProblem& p, const std::vector<int>& slot_of) {
  int64_t vars = 0;
  for (int m = 0; m < p.meetings; ++m) {
    if (slot_of[m] >= 0) vars += Count(p.Domain(m), p.words);
  }
  return vars <= 40'000 && p.slots <= 128;
}

ExactOutcome ImproveExactly(const CompiledProblem& p, std::vector<int> slot_of, int breaks,
                            int lower_bound, std::chrono::steady_clock::time_point deadline) {
  ExactOutcome out{slot_of, breaks, lower_bound};
  if (breaks <= lower_bound) return out;
  const int S = p.slots;
  CaDiCaL::Solver solver;
  Cnf cnf(solver);

  // x[m][s]: meeting m in slot s, for the scheduled meetings and their allowed slots.
  std::vector<std::vector<int>> x(p.meetings);
  std::vector<std::vector<int>> by_resource_slot(static_cast<size_t>(p.resources) * S);
  std::vector<std::vector<int>> free_table_slot(S);
  for (int m = 0; m < p.meetings; ++m) {
    if (slot_of[m] < 0) continue;
    x[m].assign(S, 0);
    std::vector<int> choices;
    const uint64_t* dom = p.Domain(m);
    for (int s = NextSet(dom, p.words, 0); s >= 0; s = NextSet(dom, p.words, s + 1)) {
      int v = cnf.NewVar();
      x[m][s] = v;
      choices.push_back(v);
      for (int i = p.res_begin[m]; i < p.res_begin[m + 1]; ++i) {
        by_resource_slot[static_cast<size_t>(p.res[i]) * S + s].push_back(v);
      }
      if (p.table_resource[m] < 0) free_table_slot[s].push_back(v);
    }
    cnf.Clause(choices);
    cnf.AtMostOne(choices);
  }
  // One meeting per participant and host table per slot; tables per slot.
  for (const auto& lits : by_resource_slot) cnf.AtMostOne(lits);
  for (int s = 0; s < S; ++s) cnf.AtMost(free_table_slot[s], static_cast<size_t>(p.free_tables));
  // `after`: m in s needs each predecessor in a slot before s (prefix "placed before s").
  for (int m = 0; m < p.meetings; ++m) {
    if (x[m].empty()) continue;
    for (int a : p.preds[m]) {
      std::vector<int> before(S + 1, 0);
      before[0] = 0;
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
          cnf.Clause({-x[m][s]});
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
    bool any = false;
    for (int s = 0; s < S; ++s) {
      const auto& lits = by_resource_slot[static_cast<size_t>(r) * S + s];
      if (lits.empty()) continue;
      any = true;
      busy[s] = cnf.NewVar();
      std::vector<int> some = {-busy[s]};
      for (int v : lits) {
        cnf.Clause({-v, busy[s]});
        some.push_back(v);
      }
      cnf.Clause(some);
    }
    if (!any) continue;
    std::vector<int> later(S, 0);  // later[s]: busy in some slot after s
    for (int s = S - 2; s >= 0; --s) {
      if (!busy[s + 1] && !later[s + 1]) continue;
      later[s] = cnf.NewVar();
      if (busy[s + 1]) cnf.Clause({-busy[s + 1], later[s]});
      if (later[s + 1]) cnf.Clause({-later[s + 1], later[s]});
    }
    for (int s = 1; s < S; ++s) {
      if (!busy[s - 1] || !later[s]) continue;
      int g = cnf.NewVar();
      std::vector<int> clause = {-busy[s - 1], -later[s], g};
      if (busy[s]) clause.push_back(busy[s]);
      cnf.Clause(clause);
      gaps.push_back(g);
      gaps_of[r].push_back(g);
    }
  }
  std::vector<int> current_breaks;
  BreaksOf(p, slot_of, &current_breaks);
  // Fairness: when some participant surely has no break (a meeting or none), the spread rule
  // is "at most d breaks each", which the encoding can carry.
  bool fairness_encoded = !p.source->max_break_spread.has_value();
  if (p.source->max_break_spread) {
    std::vector<int> meetings_of(p.participants, 0);
    for (int m = 0; m < p.meetings; ++m) {
      if (slot_of[m] < 0) continue;
      for (int i = p.res_begin[m]; i < p.res_begin[m + 1]; ++i) {
        if (p.IsParticipant(p.res[i])) ++meetings_of[p.res[i]];
      }
    }
    if (std::any_of(meetings_of.begin(), meetings_of.end(), [](int n) { return n <= 1; })) {
      for (int r = 0; r < p.participants; ++r) {
        cnf.AtMost(gaps_of[r], static_cast<size_t>(*p.source->max_break_spread));
      }
      fairness_encoded = true;
    }
  }
  std::vector<int> total = cnf.Count(gaps, static_cast<size_t>(breaks));
  Deadline stop(deadline);
  solver.connect_terminator(&stop);
  // Start from the known agenda: the solver's first guesses are its slots.
  for (int m = 0; m < p.meetings; ++m) {
    if (!x[m].empty() && x[m][slot_of[m]]) solver.phase(x[m][slot_of[m]]);
  }
  while (out.breaks > out.lower_bound) {
    int k = out.breaks - 1;  // ask for at most k breaks
    if (static_cast<size_t>(k) < total.size()) solver.assume(-total[k]);
    int answer = solver.solve();
    if (answer == 20) {
      out.lower_bound = out.breaks;  // no agenda with fewer: proven optimal
      break;
    }
    if (answer != 10) break;  // out of time
    std::vector<int> found(p.meetings, -1);
    for (int m = 0; m < p.meetings; ++m) {
      for (int s = 0; s < static_cast<int>(x[m].size()); ++s) {
        if (x[m][s] && solver.val(x[m][s]) > 0) found[m] = s;
      }
    }
    std::vector<int> each;
    int b = BreaksOf(p, found, &each);
    if (b >= out.breaks) break;  // cannot happen with a sound encoding; never loop on it
    if (!fairness_encoded) {
      auto [lo, hi] = std::minmax_element(each.begin(), each.end());
      if (*hi - *lo > *p.source->max_break_spread) break;
    }
    out.slot_of = std::move(found);
    out.breaks = b;
  }
  solver.disconnect_terminator();
  return out;
}

}  // namespace incontra::engine::internal
