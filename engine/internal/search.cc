#include "engine/internal/search.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "engine/internal/lower_bound.h"
#include "engine/internal/slot_set.h"

namespace incontra::engine::internal {
namespace {

// The k-th (0-based) set bit of a slot set with at least k+1 bits set.
int NthSet(const uint64_t* w, int words, int k) {
  for (int i = 0; i < words; ++i) {
    int n = std::popcount(w[i]);
    if (k < n) {
      uint64_t x = w[i];
      for (int j = 0; j < k; ++j) x &= x - 1;
      return i * 64 + std::countr_zero(x);
    }
    k -= n;
  }
  return -1;
}

// How much one unit of fairness excess weighs against one break during the search.
constexpr int kFairnessWeight = 8;
// Longest Kempe chain a move may swap; longer ones are rarely accepted and cost time.
constexpr size_t kMaxChain = 64;

}  // namespace

Search::Search(const CompiledProblem& problem, uint64_t seed, Clock::time_point deadline,
               Clock::time_point finish, int64_t move_budget)
    : p_(problem),
      rng_(seed),
      deadline_(deadline),
      finish_(finish),
      move_budget_(move_budget),
      S_(problem.slots),
      W_(problem.words) {
  slot_of_.assign(p_.meetings, -1);
  participant_mark_.assign(p_.participants, 0);
  occ_.assign(static_cast<size_t>(p_.resources) * S_, -1);
  busy_.assign(static_cast<size_t>(p_.resources) * W_, 0);
  load_.assign(S_, 0);
  count_.assign(p_.participants, 0);
  breaks_.assign(p_.participants, 0);
  histogram_.assign(S_ + 2, 0);
  histogram_[0] = p_.participants;
  slot_members_.assign(S_, {});
  member_pos_.assign(p_.meetings, -1);
  unscheduled_by_rank_.assign(std::max(1, p_.priority_levels), 0);
  for (int m = 0; m < p_.meetings; ++m) ++unscheduled_by_rank_[p_.priority_rank[m]];
}

bool Search::TimeUp() {
  if (time_up_) return true;
  if ((++clock_checks_ & 255) == 0 && Clock::now() >= deadline_) time_up_ = true;
  return time_up_;
}

void Search::Attach(int m, int s) {
  slot_of_[m] = s;
  for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
    int r = p_.res[i];
    occ_[static_cast<size_t>(r) * S_ + s] = m;
    Set(&busy_[static_cast<size_t>(r) * W_], s);
    if (p_.IsParticipant(r)) {
      ++count_[r];
      UpdateBreaks(r);
    }
  }
  if (p_.table_resource[m] < 0) {
    ++load_[s];
    member_pos_[m] = static_cast<int>(slot_members_[s].size());
    slot_members_[s].push_back(m);
  }
}

void Search::Detach(int m) {
  int s = slot_of_[m];
  slot_of_[m] = -1;
  for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
    int r = p_.res[i];
    occ_[static_cast<size_t>(r) * S_ + s] = -1;
    Clear(&busy_[static_cast<size_t>(r) * W_], s);
    if (p_.IsParticipant(r)) {
      --count_[r];
      UpdateBreaks(r);
    }
  }
  if (p_.table_resource[m] < 0) {
    --load_[s];
    std::vector<int>& members = slot_members_[s];
    int pos = member_pos_[m];
    members[pos] = members.back();
    member_pos_[members[pos]] = pos;
    members.pop_back();
    member_pos_[m] = -1;
  }
}

void Search::UpdateBreaks(int r) {
  int b = Breaks(&busy_[static_cast<size_t>(r) * W_], W_);
  --histogram_[breaks_[r]];
  ++histogram_[b];
  total_breaks_ += b - breaks_[r];
  breaks_[r] = b;
}

void Search::Place(int m, int s) {
  Attach(m, s);
  --unscheduled_by_rank_[p_.priority_rank[m]];
}

void Search::Remove(int m) {
  // `after` is strict: a meeting whose predecessor is not held is not held either.
  for (int succ : p_.succs[m]) {
    if (slot_of_[succ] >= 0) Remove(succ);
  }
  Detach(m);
  ++unscheduled_by_rank_[p_.priority_rank[m]];
}

template <typename SlotOf>
bool Search::OrderHolds(int m, int s, SlotOf slot_of) const {
  for (int a : p_.preds[m]) {
    int sa = slot_of(a);
    if (sa < 0 || sa >= s) return false;
  }
  for (int b : p_.succs[m]) {
    int sb = slot_of(b);
    if (sb >= 0 && sb <= s) return false;
  }
  return true;
}

bool Search::OrderOk(int m, int s) const {
  return OrderHolds(m, s, [&](int x) { return slot_of_[x]; });
}

bool Search::CanPlace(int m, int s) const {
  if (!Test(p_.Domain(m), s)) return false;
  if (p_.table_resource[m] < 0 && load_[s] >= p_.free_tables) return false;
  for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
    int r = p_.res[i];
    if (occ_[static_cast<size_t>(r) * S_ + s] >= 0) return false;
    if (p_.IsParticipant(r) && count_[r] >= p_.max_meetings[r]) return false;
  }
  return OrderOk(m, s);
}

int Search::BreaksDeltaPlace(int m, int s) const {
  int delta = 0;
  for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
    int r = p_.res[i];
    if (!p_.IsParticipant(r)) continue;
    delta += BreaksAfter(&busy_[static_cast<size_t>(r) * W_], W_, -1, s) - breaks_[r];
  }
  return delta;
}

int Search::BestSlot(int m) {
  int best = -1, ties = 0;
  std::tuple<int, int, int> best_key;
  const uint64_t* dom = p_.Domain(m);
  for (int s = NextSet(dom, W_, 0); s >= 0; s = NextSet(dom, W_, s + 1)) {
    if (!CanPlace(m, s)) continue;
    // Fewest new breaks; then next to the participants' other meetings, so agendas grow in
    // blocks; then the emptier slot, so tables stay free where they are scarce.
    int adjacent = 0;
    for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
      const uint64_t* b = &busy_[static_cast<size_t>(p_.res[i]) * W_];
      if ((s > 0 && Test(b, s - 1)) || (s + 1 < S_ && Test(b, s + 1))) ++adjacent;
    }
    std::tuple<int, int, int> key{BreaksDeltaPlace(m, s), -adjacent, load_[s]};
    if (best < 0 || key < best_key) {
      best = s;
      best_key = key;
      ties = 1;
    } else if (key == best_key && rng_.Below(++ties) == 0) {
      best = s;
    }
  }
  return best;
}

void Search::PlaceWithPredecessors(int m, std::vector<char>& done) {
  if (done[m]) return;
  done[m] = 1;
  for (int a : p_.preds[m]) PlaceWithPredecessors(a, done);
  if (!p_.static_reason[m].empty()) return;
  int s = BestSlot(m);
  if (s >= 0) Place(m, s);
}

void Search::Construct() {
  // Most constrained first: fixed slots (they have no other choice; a meeting of higher
  // priority that needs the slot can still eject one in Repair), higher priority,
  // participants with the least slack (available slots minus requested meetings), fewest
  // allowed slots.
  std::vector<int> demand(p_.participants, 0);
  for (int m = 0; m < p_.meetings; ++m) {
    if (!p_.static_reason[m].empty()) continue;
    for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
      if (p_.IsParticipant(p_.res[i])) ++demand[p_.res[i]];
    }
  }
  struct Key {
    int rank, fixed, slack, domain;
    uint32_t noise;
    int m;
  };
  std::vector<Key> keys;
  keys.reserve(p_.meetings);
  for (int m = 0; m < p_.meetings; ++m) {
    int slack = INT32_MAX;
    for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
      int r = p_.res[i];
      if (!p_.IsParticipant(r)) continue;
      int cap = std::min(Count(p_.Available(r), W_), p_.max_meetings[r]);
      slack = std::min(slack, cap - demand[r]);
    }
    keys.push_back({p_.priority_rank[m], p_.fixed_slot[m] >= 0 ? 0 : 1, slack,
                    Count(p_.Domain(m), W_), static_cast<uint32_t>(rng_.Next()), m});
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return std::tie(a.fixed, a.rank, a.slack, a.domain, a.noise, a.m) <
           std::tie(b.fixed, b.rank, b.slack, b.domain, b.noise, b.m);
  });
  std::vector<char> done(p_.meetings, 0);
  for (const Key& k : keys) PlaceWithPredecessors(k.m, done);
}

void Search::Repair() {
  const int levels = static_cast<int>(unscheduled_by_rank_.size());
  std::vector<std::vector<int>> pool(levels);
  std::vector<int> pool_pos(p_.meetings, -1);
  auto add = [&](int m) {
    pool_pos[m] = static_cast<int>(pool[p_.priority_rank[m]].size());
    pool[p_.priority_rank[m]].push_back(m);
  };
  auto drop = [&](int m) {
    std::vector<int>& v = pool[p_.priority_rank[m]];
    int pos = pool_pos[m];
    v[pos] = v.back();
    pool_pos[v[pos]] = pos;
    v.pop_back();
    pool_pos[m] = -1;
  };
  for (int m = 0; m < p_.meetings; ++m) {
    if (slot_of_[m] < 0 && p_.static_reason[m].empty()) add(m);
  }
  // Tabu: a meeting ejected from a slot may not be put back there for a few iterations, so
  // the chain does not run in circles.
  std::unordered_map<int64_t, int64_t> tabu;
  const int64_t max_iterations = 50LL * p_.meetings + 100'000;
  const int64_t patience = 10LL * p_.meetings + 20'000;
  int64_t last_progress = 0;
  // A meeting nothing can make room for now is parked: the next pick is then a less important
  // one, where before the most important unplaced meeting kept every other waiting until the
  // patience ran out. Whatever is placed next may have made room: the parked come back.
  std::vector<int> parked;
  auto park = [&](int m) {
    drop(m);
    parked.push_back(m);
  };
  auto progress = [&](int64_t now) {
    last_progress = now;
    for (int x : parked) add(x);
    parked.clear();
  };
  for (int64_t it = 0; it < max_iterations && it - last_progress < patience; ++it) {
    if (TimeUp()) break;
    int rank = 0;
    while (rank < levels && pool[rank].empty()) ++rank;
    if (rank == levels) break;
    int m = pool[rank][rng_.Below(static_cast<uint32_t>(pool[rank].size()))];
    if (int s = BestSlot(m); s >= 0) {
      Place(m, s);
      drop(m);
      progress(it);
      continue;
    }
    // Put m in a slot where exactly one meeting is in the way, and send that one looking for
    // another slot. One of higher priority may only be moved: it must find a slot at once.
    int best_slot = -1, best_blocker = -1, ties = 0;
    std::pair<int, int> best_key;
    const uint64_t* dom = p_.Domain(m);
    for (int s = NextSet(dom, W_, 0); s >= 0; s = NextSet(dom, W_, s + 1)) {
      if (!OrderOk(m, s)) continue;
      if (auto t = tabu.find(static_cast<int64_t>(m) * S_ + s); t != tabu.end() && t->second > it) {
        continue;
      }
      int blocker = -1;
      bool several = false;
      for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
        int o = occ_[static_cast<size_t>(p_.res[i]) * S_ + s];
        if (o < 0 || o == blocker) continue;
        if (blocker >= 0) several = true;
        blocker = o;
      }
      if (several) continue;
      bool needs_table = p_.table_resource[m] < 0 && load_[s] >= p_.free_tables;
      if (blocker < 0 && needs_table && !slot_members_[s].empty()) {
        // Slot full of others: offer the least important of a few of them.
        const std::vector<int>& members = slot_members_[s];
        for (int k = 0; k < 4; ++k) {
          int e = members[rng_.Below(static_cast<uint32_t>(members.size()))];
          if (blocker < 0 || p_.priority_rank[e] > p_.priority_rank[blocker]) blocker = e;
        }
      }
      if (blocker < 0) continue;
      const bool must_move = p_.priority_rank[blocker] < p_.priority_rank[m];
      if (std::find(p_.preds[m].begin(), p_.preds[m].end(), blocker) != p_.preds[m].end()) continue;
      if (needs_table && p_.table_resource[blocker] >= 0) continue;
      bool has_successor = false;
      for (int succ : p_.succs[blocker]) has_successor |= slot_of_[succ] >= 0;
      if (has_successor) continue;
      bool within_limits = true;
      for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
        int r = p_.res[i];
        if (!p_.IsParticipant(r)) continue;
        bool shared = false;
        for (int j = p_.res_begin[blocker]; j < p_.res_begin[blocker + 1]; ++j) {
          shared |= p_.res[j] == r;
        }
        if (count_[r] - (shared ? 1 : 0) >= p_.max_meetings[r]) within_limits = false;
      }
      if (!within_limits) continue;
      std::pair<int, int> key{must_move                                         ? 2
                              : p_.priority_rank[blocker] > p_.priority_rank[m] ? 0
                                                                                : 1,
                              BreaksDeltaPlace(m, s)};
      if (best_slot < 0 || key < best_key) {
        best_slot = s;
        best_blocker = blocker;
        best_key = key;
        ties = 1;
      } else if (key == best_key && rng_.Below(++ties) == 0) {
        best_slot = s;
        best_blocker = blocker;
      }
    }
    if (best_slot < 0) {
      if (const int out = Displace(m, Displacing::kCapped); out >= 0) {
        drop(m);
        add(out);
        progress(it);
        continue;
      }
      if (MoveTwoAside(m)) {
        drop(m);
        progress(it);
      } else {
        park(m);
      }
      continue;
    }
    Remove(best_blocker);
    Place(m, best_slot);
    if (best_key.first == 2) {
      if (int s2 = BestSlot(best_blocker); s2 >= 0) {
        Place(best_blocker, s2);
        drop(m);
        progress(it);
      } else {
        Remove(m);  // no successor of m is held: m was not
        Place(best_blocker, best_slot);
        park(m);
      }
      continue;
    }
    drop(m);
    add(best_blocker);
    tabu[static_cast<int64_t>(best_blocker) * S_ + best_slot] = it + 7 + rng_.Below(10);
    if (best_key.first == 0) progress(it);
  }
}

int Search::Displace(int m, Displacing how) {
  // The one participant of m at its maximum, if any (two: one removal is not enough).
  int capped = -1;
  for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
    const int r = p_.res[i];
    if (!p_.IsParticipant(r) || count_[r] < p_.max_meetings[r]) continue;
    if (capped >= 0) return -1;
    capped = r;
  }
  if (capped < 0 && how == Displacing::kCapped) return -1;
  // Candidates (rank, slot, meeting): a meeting e less important than m with every scheduled
  // meeting that must follow it (removing e removes them), and a slot of m where nothing but e
  // is in the way: e of m's participant at its maximum, in any slot; else e of one of m's
  // participants in its own slot, or e at a table of a full slot where m's participants are
  // free. The least important first.
  struct Candidate {
    int rank, s, e;
  };
  std::vector<Candidate> candidates;
  const uint64_t* dom = p_.Domain(m);
  auto consider = [&](int rank, int e, int s) {
    if (!Test(dom, s) || !OrderOk(m, s)) return;
    const bool frees_table = slot_of_[e] == s && p_.table_resource[e] < 0;
    if (p_.table_resource[m] < 0 && load_[s] - (frees_table ? 1 : 0) >= p_.free_tables) return;
    for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
      const int o = occ_[static_cast<size_t>(p_.res[i]) * S_ + s];
      if (o >= 0 && o != e) return;
    }
    candidates.push_back({rank, s, e});
  };
  // e's rank with the meetings that must follow it when e may make way for m (less important,
  // not one m must follow), else -1.
  auto yields = [&](int e) {
    const int rank = CascadeRank(e);
    if (rank <= p_.priority_rank[m]) return -1;
    if (std::find(p_.preds[m].begin(), p_.preds[m].end(), e) != p_.preds[m].end()) return -1;
    return rank;
  };
  // take(e, rank, t) for each meeting e of participant q that may make way, at its slot t.
  auto each_yielding = [&](int q, auto take) {
    const uint64_t* b = &busy_[static_cast<size_t>(q) * W_];
    for (int t = NextSet(b, W_, 0); t >= 0; t = NextSet(b, W_, t + 1)) {
      const int e = occ_[static_cast<size_t>(q) * S_ + t];
      if (const int rank = yields(e); rank >= 0) take(e, rank, t);
    }
  };
  for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
    const int q = p_.res[i];
    if (!p_.IsParticipant(q) || (capped >= 0 && q != capped)) continue;
    each_yielding(q, [&](int e, int rank, int t) {
      if (q != capped) return consider(rank, e, t);
      for (int s = NextSet(dom, W_, 0); s >= 0; s = NextSet(dom, W_, s + 1)) consider(rank, e, s);
    });
  }
  // A slot where m's participants are free but every table is taken: a less important
  // meeting at a table there may make room (which one, the fairness rule may decide).
  if (how != Displacing::kCapped && p_.table_resource[m] < 0) {
    for (int s = NextSet(dom, W_, 0); s >= 0; s = NextSet(dom, W_, s + 1)) {
      if (load_[s] < p_.free_tables) continue;
      bool free = true;
      for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1] && free; ++i) {
        free = occ_[static_cast<size_t>(p_.res[i]) * S_ + s] < 0;
      }
      if (!free) continue;
      for (int e : slot_members_[s]) {
        if (const int rank = yields(e); rank >= 0) consider(rank, e, s);
      }
    }
  }
  // A slot where m fits as things stand but for the fairness rule: a less important meeting of
  // one of m's participants, wherever it is, may take the break that was in the way.
  if (how == Displacing::kAnyFairly && p_.source->max_break_spread) {
    for (int s = NextSet(dom, W_, 0); s >= 0; s = NextSet(dom, W_, s + 1)) {
      if (!CanPlace(m, s)) continue;
      for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
        if (!p_.IsParticipant(p_.res[i])) continue;
        each_yielding(p_.res[i], [&](int e, int rank, int) { candidates.push_back({rank, s, e}); });
      }
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& x, const Candidate& y) { return x.rank > y.rank; });
  // For a capped participant the first does; else the first that fits (and keeps the fairness
  // rule, when asked to).
  const size_t tries =
      how == Displacing::kCapped ? std::min<size_t>(candidates.size(), 1) : candidates.size();
  for (size_t k = 0; k < tries; ++k) {
    const auto [rank, s, e] = candidates[k];
    // What Remove takes out (e and its scheduled followers), to put back if m still does not
    // fit (a follower of e among m's predecessors) or the exchange is not fair.
    std::vector<std::pair<int, int>> taken;  // (slot, meeting)
    for (int x : Cascade(e)) taken.push_back({slot_of_[x], x});
    Remove(e);
    if (CanPlace(m, s)) {
      Place(m, s);
      if (how != Displacing::kAnyFairly || FairnessExcess() == 0) return e;
      Remove(m);  // nothing follows m: it was out until now
    }
    std::sort(taken.begin(), taken.end());  // predecessors hold earlier slots
    for (auto [slot, x] : taken) Place(x, slot);
  }
  return -1;
}

bool Search::MoveTwoAside(int m) {
  // m's slot is taken by two meetings (a fixed meeting's only slot, typically): move both
  // elsewhere at once, or leave everything as it was.
  const uint64_t* dom = p_.Domain(m);
  const int allowed = Count(dom, W_);
  for (int attempt = 0; attempt < 4 && allowed > 0; ++attempt) {
    int s = NthSet(dom, W_, static_cast<int>(rng_.Below(static_cast<uint32_t>(allowed))));
    if (!OrderOk(m, s)) continue;
    int blockers[2] = {-1, -1}, n = 0;
    bool too_many = false;
    for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
      int o = occ_[static_cast<size_t>(p_.res[i]) * S_ + s];
      if (o < 0 || o == blockers[0] || o == blockers[1]) continue;
      if (n == 2) too_many = true;
      if (n < 2) blockers[n++] = o;
    }
    if (too_many || n != 2) continue;
    bool movable = true;
    for (int e : blockers) {
      for (int succ : p_.succs[e]) movable &= slot_of_[succ] < 0;
      movable &= std::find(p_.preds[m].begin(), p_.preds[m].end(), e) == p_.preds[m].end();
    }
    if (!movable) continue;
    Remove(blockers[0]);
    Remove(blockers[1]);
    if (!CanPlace(m, s)) {
      Place(blockers[0], s);
      Place(blockers[1], s);
      continue;
    }
    Place(m, s);
    int to0 = BestSlot(blockers[0]);
    if (to0 >= 0) Place(blockers[0], to0);
    int to1 = to0 >= 0 ? BestSlot(blockers[1]) : -1;
    if (to1 >= 0) {
      Place(blockers[1], to1);
      return true;
    }
    if (to0 >= 0) Remove(blockers[0]);
    Remove(m);
    Place(blockers[0], s);
    Place(blockers[1], s);
  }
  return false;
}

int Search::FairnessExcess() const {
  if (!p_.source->max_break_spread || p_.participants == 0) return 0;
  int lo = 0, hi = static_cast<int>(histogram_.size()) - 1;
  while (histogram_[lo] == 0) ++lo;
  while (histogram_[hi] == 0) --hi;
  return std::max(0, hi - lo - *p_.source->max_break_spread);
}

void Search::Rebuild(const std::vector<int>& slot_of) {
  for (int m = 0; m < p_.meetings; ++m) {
    if (slot_of_[m] >= 0) {
      Detach(m);
      ++unscheduled_by_rank_[p_.priority_rank[m]];
    }
  }
  for (int m = 0; m < p_.meetings; ++m) {
    if (slot_of[m] >= 0) Place(m, slot_of[m]);
  }
}

void Search::NextStamp() {
  if (++stamp_ == 0) {  // wrapped: old marks could match again
    std::fill(mark_.begin(), mark_.end(), 0);
    std::fill(participant_mark_.begin(), participant_mark_.end(), 0);
    stamp_ = 1;
  }
}

bool Search::KempeChain(int m, int t, std::vector<int>* chain) {
  // The meetings of slots s and t that are linked to m through a shared resource: swapping the
  // slot of all of them keeps every resource in at most one meeting per slot.
  const int s = slot_of_[m];
  NextStamp();
  chain->clear();
  auto grow = [&](int start) {
    if (mark_[start] == stamp_) return true;
    mark_[start] = stamp_;
    chain->push_back(start);
    for (size_t k = chain->size() - 1; k < chain->size(); ++k) {
      int x = (*chain)[k];
      int other = slot_of_[x] == s ? t : s;
      for (int i = p_.res_begin[x]; i < p_.res_begin[x + 1]; ++i) {
        int y = occ_[static_cast<size_t>(p_.res[i]) * S_ + other];
        if (y < 0 || mark_[y] == stamp_) continue;
        if (chain->size() >= kMaxChain) return false;
        mark_[y] = stamp_;
        chain->push_back(y);
      }
    }
    return true;
  };
  if (!grow(m)) return false;
  // Tables: as many free-table meetings may enter a slot as leave it, plus its spare tables.
  auto balance = [&](int* into_t, int* into_s) {
    *into_t = *into_s = 0;
    for (int x : *chain) {
      if (p_.table_resource[x] >= 0) continue;
      (slot_of_[x] == s ? *into_t : *into_s) += 1;
    }
  };
  int into_t, into_s;
  balance(&into_t, &into_s);
  if (load_[t] + into_t - into_s > p_.free_tables) {
    // Slot t is full: take one of its free-table meetings along the other way.
    const std::vector<int>& members = slot_members_[t];
    if (members.empty()) return false;
    if (!grow(members[rng_.Below(static_cast<uint32_t>(members.size()))])) return false;
    balance(&into_t, &into_s);
  }
  if (load_[t] + into_t - into_s > p_.free_tables) return false;
  if (load_[s] + into_s - into_t > p_.free_tables) return false;
  auto moved_to = [&](int x) {
    if (mark_[x] != stamp_ || slot_of_[x] < 0) return slot_of_[x];
    return slot_of_[x] == s ? t : s;
  };
  for (int x : *chain) {
    int to = moved_to(x);
    if (!Test(p_.Domain(x), to) || !OrderHolds(x, to, moved_to)) return false;
  }
  return true;
}

void Search::Anneal() {
  const bool fair = p_.source->max_break_spread.has_value();
  auto cost = [&] { return total_breaks_ + (fair ? kFairnessWeight * FairnessExcess() : 0); };
  int current = cost();
  int best = current;
  const bool snapshots = p_.meetings <= 200'000;
  if (snapshots) best_slot_of_ = slot_of_;
  const double t_start = 0.6, t_end = 0.03;
  double temperature = t_start;
  mark_.assign(p_.meetings, 0);
  const auto anneal_start = Clock::now();

  std::vector<int> chain, touched, after;
  for (int64_t it = 0; it < move_budget_; ++it) {
    if (current == lower_bound_ && (!fair || FairnessExcess() == 0)) break;
    if ((it & 1023) == 0) {
      // Cool by moves made or by time spent, whichever is further along, so a search the
      // time limit cuts short still ends cold.
      auto now = Clock::now();
      if (now >= deadline_) break;
      double progress = std::max(static_cast<double>(it) / move_budget_,
                                 std::chrono::duration<double>(now - anneal_start) /
                                     std::chrono::duration<double>(deadline_ - anneal_start));
      temperature = t_start * std::pow(t_end / t_start, progress);
    }
    // Most of the time: a participant with breaks, one of its meetings, and a slot that closes
    // one of its gaps. Otherwise any meeting to any slot it may use.
    int q = -1;
    for (int k = 0; k < 4 && q < 0; ++k) {
      int r = static_cast<int>(rng_.Below(static_cast<uint32_t>(p_.participants)));
      if (count_[r] > 0 && (breaks_[r] > 0 || k == 3)) q = r;
    }
    if (q < 0) continue;
    const uint64_t* qb = &busy_[static_cast<size_t>(q) * W_];
    int m, t;
    const uint32_t kind = breaks_[q] > 0 ? rng_.Below(4) : 3;
    if (kind <= 2) {
      // Into a gap of q's span: kind 0 takes q's first or last meeting and a slot at a gap's
      // edge, which shortens the span; kind 1 a random meeting and a random gap slot.
      int first = NextSet(qb, W_, 0), last = first, free_slots = 0;
      t = -1;
      for (int x = first; x >= 0; x = NextSet(qb, W_, x + 1)) last = x;
      for (int x = first + 1; x < last; ++x) {
        if (Test(qb, x)) continue;
        if (kind == 0 && !Test(qb, x - 1) && !Test(qb, x + 1)) continue;
        if (rng_.Below(++free_slots) == 0) t = x;
      }
      if (t < 0) continue;
      int from = kind == 0 ? (rng_.Below(2) ? first : last)
                           : NthSet(qb, W_,
                                    static_cast<int>(rng_.Below(static_cast<uint32_t>(count_[q]))));
      m = occ_[static_cast<size_t>(q) * S_ + from];
      if (!Test(p_.Domain(m), t)) continue;
    } else {
      m = occ_[static_cast<size_t>(q) * S_ +
               NthSet(qb, W_, static_cast<int>(rng_.Below(static_cast<uint32_t>(count_[q]))))];
      const uint64_t* dom = p_.Domain(m);
      t = NthSet(dom, W_, static_cast<int>(rng_.Below(static_cast<uint32_t>(Count(dom, W_)))));
    }
    const int s = slot_of_[m];
    if (t == s) continue;
    if (!KempeChain(m, t, &chain)) continue;

    // Every participant of the chain has its meetings at s and t in the chain, so its new
    // agenda is its old one with slots s and t exchanged.
    touched.clear();
    after.clear();
    int delta = 0;
    NextStamp();
    for (int x : chain) {
      for (int i = p_.res_begin[x]; i < p_.res_begin[x + 1]; ++i) {
        int r = p_.res[i];
        if (!p_.IsParticipant(r) || participant_mark_[r] == stamp_) continue;
        participant_mark_[r] = stamp_;
        const uint64_t* b = &busy_[static_cast<size_t>(r) * W_];
        bool at_s = Test(b, s), at_t = Test(b, t);
        if (at_s == at_t) continue;
        int nb = BreaksAfter(b, W_, at_s ? s : t, at_s ? t : s);
        touched.push_back(r);
        after.push_back(nb);
        delta += nb - breaks_[r];
      }
    }
    if (fair) delta += kFairnessWeight * (ExcessWith(touched, after) - FairnessExcess());
    if (delta > 0 && rng_.Unit() >= std::exp(-delta / temperature)) continue;

    for (int& x : chain) {
      int to = slot_of_[x] == s ? t : s;
      Detach(x);
      x = x * 2 + (to == t);  // remember the destination while every meeting is out
    }
    for (int x : chain) Attach(x / 2, (x & 1) ? t : s);
    current += delta;
    if (current < best) {
      best = current;
      if (snapshots) best_slot_of_ = slot_of_;
    }
  }
  if (snapshots && best < current) Rebuild(best_slot_of_);
}

void Search::EnforceFairness() {
  if (!p_.source->max_break_spread) return;
  const int d = *p_.source->max_break_spread;
  for (int guard = 0; guard < p_.meetings && FairnessExcess() > 0; ++guard) {
    int hi = static_cast<int>(histogram_.size()) - 1;
    while (histogram_[hi] == 0) --hi;
    // Remove a meeting of a participant with the most breaks: the least important one whose
    // removal takes one of that participant's breaks away (a priority outranks the fairness
    // gain: dropping two meetings of priority 0 is better than one of priority 1); among
    // equals, the one that helps most.
    // Past the time limit, the choice is made among the meetings of the first such participant
    // only: each removal still puts priorities first for that participant, but a large agenda
    // no longer costs a scan of everyone per removal (30,000 meetings took 20 s more).
    const bool hurry = Clock::now() >= finish_;
    int best_m = -1;
    std::tuple<int, int, int, int> best_key;
    for (int q = 0; q < p_.participants && !(hurry && best_m >= 0); ++q) {
      if (breaks_[q] != hi) continue;
      const uint64_t* b = &busy_[static_cast<size_t>(q) * W_];
      for (int s = NextSet(b, W_, 0); s >= 0; s = NextSet(b, W_, s + 1)) {
        int m = occ_[static_cast<size_t>(q) * S_ + s];
        const bool helps = BreaksAfter(b, W_, s, -1) < breaks_[q];
        std::tuple<int, int, int, int> key{helps ? 0 : 1, -CascadeRank(m), 0,
                                           static_cast<int>(p_.succs[m].size())};
        // The excess costs most to find: only when the rest of the key could still win.
        if (best_m >= 0 && std::tie(std::get<0>(key), std::get<1>(key)) >
                               std::tie(std::get<0>(best_key), std::get<1>(best_key))) {
          continue;
        }
        std::get<2>(key) = ExcessIfMoved(m, s, -1);
        if (best_m < 0 || key < best_key) {
          best_m = m;
          best_key = key;
        }
      }
    }
    if (best_m < 0) break;
    int lo = 0;
    while (histogram_[lo] == 0) ++lo;
    std::string reason = "left out to keep the agenda fair (fairness.max_break_spread " +
                         std::to_string(d) + "): with it, a participant would have " +
                         std::to_string(hi) + " breaks while another has " + std::to_string(lo);
    // Only best_m is left out for fairness; its successors follow it out, and their reason
    // is that they must follow it.
    Remove(best_m);
    removed_for_fairness_[best_m] = reason;
  }
}

std::vector<int> Search::Cascade(int m) const {
  std::vector<int> out{m};
  if (p_.succs[m].empty()) return out;
  std::vector<char> seen(static_cast<size_t>(p_.meetings), 0);
  seen[static_cast<size_t>(m)] = 1;
  for (size_t k = 0; k < out.size(); ++k) {
    for (int succ : p_.succs[out[k]]) {
      if (seen[static_cast<size_t>(succ)] || slot_of_[succ] < 0) continue;
      seen[static_cast<size_t>(succ)] = 1;
      out.push_back(succ);
    }
  }
  return out;
}

int Search::CascadeRank(int m) const {
  if (p_.succs[m].empty()) return p_.priority_rank[m];  // most meetings: nothing to walk
  int rank = p_.priority_rank[m];
  for (int x : Cascade(m)) rank = std::min(rank, p_.priority_rank[x]);
  return rank;
}

int Search::ExcessWith(const std::vector<int>& who, const std::vector<int>& breaks_after) {
  for (size_t k = 0; k < who.size(); ++k) {
    --histogram_[breaks_[who[k]]];
    ++histogram_[breaks_after[k]];
  }
  int excess = FairnessExcess();
  for (size_t k = 0; k < who.size(); ++k) {
    ++histogram_[breaks_[who[k]]];
    --histogram_[breaks_after[k]];
  }
  return excess;
}

int Search::ExcessIfMoved(int m, int from, int to) {
  std::vector<int>& who = excess_who_;
  std::vector<int>& breaks_after = excess_after_;
  who.clear();
  breaks_after.clear();
  for (int i = p_.res_begin[m]; i < p_.res_begin[m + 1]; ++i) {
    int r = p_.res[i];
    if (!p_.IsParticipant(r)) continue;
    who.push_back(r);
    breaks_after.push_back(BreaksAfter(&busy_[static_cast<size_t>(r) * W_], W_, from, to));
  }
  return ExcessWith(who, breaks_after);
}

void Search::ExchangeAndRefill(bool fair) {
  // Repair gives its time to the most important meetings first: in an over-full event the less
  // important levels may never get their turn, and a meeting can stay out while a less
  // important one holds a slot it could have. Removing meetings for fairness can leave room for
  // others that keep it too. Most important first, each may take a less important one's place
  // (fairly, under a fairness rule); then whatever fits (fairly) goes in. Each filling changes
  // breaks, so an exchange refused before may keep the rule now: again while anything changes
  // (every change holds more important meetings or more meetings, so it ends), and while the
  // time limit allows; past it only the filling, which is cheap, still runs.
  for (int round = 0; round < 8; ++round) {
    bool changed = false;
    for (int m : OutByPriority()) {
      if (Clock::now() >= finish_) break;
      if (slot_of_[m] < 0 && Displace(m, fair ? Displacing::kAnyFairly : Displacing::kAny) >= 0) {
        removed_for_fairness_.erase(m);
        changed = true;
      }
    }
    changed |= FillWhereFits(fair);
    if (!changed || Clock::now() >= finish_) return;
  }
}

bool Search::FillWhereFits(bool fair) {
  bool any = false;
  for (bool placed = true; placed;) {
    placed = false;
    for (int m : OutByPriority()) {
      int best = -1;
      if (!fair || !p_.source->max_break_spread) {
        best = BestSlot(m);
      } else {
        const uint64_t* dom = p_.Domain(m);
        for (int s = NextSet(dom, W_, 0); s >= 0 && best < 0; s = NextSet(dom, W_, s + 1)) {
          if (CanPlace(m, s) && ExcessIfMoved(m, -1, s) == 0) best = s;
        }
      }
      if (best < 0) continue;
      Place(m, best);
      removed_for_fairness_.erase(m);
      placed = any = true;
    }
  }
  return any;
}

std::vector<int> Search::OutByPriority() const {
  std::vector<int> out;
  for (int m = 0; m < p_.meetings; ++m) {
    if (slot_of_[m] < 0 && p_.static_reason[m].empty()) out.push_back(m);
  }
  std::stable_sort(out.begin(), out.end(),
                   [&](int a, int b) { return p_.priority_rank[a] < p_.priority_rank[b]; });
  return out;
}

SearchOutcome Search::Run() {
  Construct();
  return Finish();
}

SearchOutcome Search::Improve(const std::vector<int>& slot_of) {
  Rebuild(slot_of);
  // Never worse than the agenda given: annealing may break the fairness rule, and restoring
  // it may cost more meetings than it gave.
  ExchangeAndRefill(/*fair=*/true);
  SearchOutcome refilled{slot_of_, unscheduled_by_rank_, total_breaks_, removed_for_fairness_};
  SearchOutcome searched = Finish();
  return Better(searched, refilled) ? searched : refilled;
}

bool Better(const SearchOutcome& a, const SearchOutcome& b) {
  if (a.unscheduled_by_rank != b.unscheduled_by_rank) {
    return a.unscheduled_by_rank < b.unscheduled_by_rank;
  }
  return a.breaks < b.breaks;
}

SearchOutcome Search::Finish() {
  Repair();
  // Before annealing, so that it mends the breaks the exchanges make; fairness is a penalty
  // there, restored at the end.
  ExchangeAndRefill(/*fair=*/false);
  lower_bound_ = LowerBoundBreaks(p_, slot_of_);
  Anneal();
  // When time cut Repair short, meetings that fit as things stand may still be out.
  FillWhereFits(/*fair=*/false);
  // A meeting kept out only by a participant at its max_meetings takes that participant's less
  // important meeting's place, most important first (Repair may have parked it, or stopped).
  // What a displaced meeting takes out with it (the meetings that must follow it) leaves room
  // in other slots: filled again.
  bool displaced = false;
  for (int m : OutByPriority()) {
    if (slot_of_[m] < 0) displaced |= Displace(m, Displacing::kCapped) >= 0;
  }
  if (displaced) FillWhereFits(/*fair=*/false);
  EnforceFairness();
  ExchangeAndRefill(/*fair=*/true);
  return {slot_of_, unscheduled_by_rank_, total_breaks_, removed_for_fairness_};
}

}  // namespace incontra::engine::internal
