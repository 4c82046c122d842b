#include "engine/internal/lower_bound.h"

#include <algorithm>
#include <climits>

#include "engine/internal/slot_set.h"

namespace incontra::engine::internal {
namespace {

// Fewest runs of chosen slots among k slots out of `allowed` that include `forced`: a dynamic
// program over slots with states (chosen so far, previous slot chosen). Breaks = runs - 1.
int MinBreaks(const uint64_t* allowed, const uint64_t* forced, int slots, int k,
              std::vector<int>& dp) {
  if (k <= 1) return 0;
  constexpr int kInf = INT_MAX / 2;
  // dp[j * 2 + b]
  dp.assign(static_cast<size_t>(k + 1) * 2, kInf);
  std::vector<int> next(dp.size());
  dp[0] = 0;
  for (int s = 0; s < slots; ++s) {
    std::fill(next.begin(), next.end(), kInf);
    bool can = Test(allowed, s), must = Test(forced, s);
    for (int j = 0; j <= k; ++j) {
      for (int b = 0; b < 2; ++b) {
        int v = dp[j * 2 + b];
        if (v >= kInf) continue;
        if (!must) next[j * 2] = std::min(next[j * 2], v);
        if (can && j < k) next[(j + 1) * 2 + 1] = std::min(next[(j + 1) * 2 + 1], v + (b ? 0 : 1));
      }
    }
    dp.swap(next);
  }
  int runs = std::min(dp[k * 2], dp[k * 2 + 1]);
  return runs >= kInf ? 0 : runs - 1;
}

int LongestRun(const uint64_t* w, int slots) {
  int best = 0, run = 0;
  for (int s = 0; s < slots; ++s) {
    run = Test(w, s) ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

}  // namespace

int LowerBoundBreaks(const CompiledProblem& p, const std::vector<int>& slot_of) {
  const int W = p.words;
  std::vector<uint64_t> allowed(static_cast<size_t>(p.participants) * W, 0);
  std::vector<uint64_t> forced(static_cast<size_t>(p.participants) * W, 0);
  std::vector<int> k(p.participants, 0);
  for (int m = 0; m < p.meetings; ++m) {
    if (slot_of[m] < 0) continue;
    const uint64_t* dom = p.Domain(m);
    for (int i = p.res_begin[m]; i < p.res_begin[m + 1]; ++i) {
      int r = p.res[i];
      if (!p.IsParticipant(r)) continue;
      ++k[r];
      uint64_t* a = &allowed[static_cast<size_t>(r) * W];
      for (int w = 0; w < W; ++w) a[w] |= dom[w];
      if (p.fixed_slot[m] >= 0) Set(&forced[static_cast<size_t>(r) * W], p.fixed_slot[m]);
    }
  }
  int total = 0;
  std::vector<int> dp;
  for (int r = 0; r < p.participants; ++r) {
    if (k[r] <= 1) continue;
    const uint64_t* a = &allowed[static_cast<size_t>(r) * W];
    const uint64_t* f = &forced[static_cast<size_t>(r) * W];
    if (Count(f, W) == 0 && LongestRun(a, p.slots) >= k[r]) continue;  // the common case
    total += MinBreaks(a, f, p.slots, k[r], dp);
  }
  return total;
}

AgendaBreaks CountBreaks(const CompiledProblem& p, const std::vector<int>& slot_of) {
  std::vector<uint64_t> busy(static_cast<size_t>(p.participants) * p.words, 0);
  for (int m = 0; m < p.meetings; ++m) {
    if (slot_of[m] < 0) continue;
    for (int i = p.res_begin[m]; i < p.res_begin[m + 1]; ++i) {
      if (p.IsParticipant(p.res[i])) {
        Set(&busy[static_cast<size_t>(p.res[i]) * p.words], slot_of[m]);
      }
    }
  }
  AgendaBreaks out;
  for (int r = 0; r < p.participants; ++r) {
    int b = Breaks(&busy[static_cast<size_t>(r) * p.words], p.words);
    out.total += b;
    out.max = std::max(out.max, b);
  }
  return out;
}

}  // namespace incontra::engine::internal
