#include "engine/event_generator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace incontra::engine {
namespace {

// std::mt19937_64's sequence is fixed by the standard, but std:: distributions are not, so the
// distributions are our own: the same seed gives the same event with any standard library.
class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n) for 0 < n < 2^32, by multiply-shift of the high 32 bits.
  int Below(size_t n) {
    return static_cast<int>(((engine_() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }

  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

// Sampling by inverse CDF over a cumulative table that supports removing an item (a Fenwick
// tree), so hosts that are full drop out of the popularity draw instead of being rejected
// over and over.
class WeightedPicker {
 public:
  explicit WeightedPicker(const std::vector<double>& weights)
      : weight_(weights), tree_(weights.size() + 1, 0.0) {
    const size_t n = weights.size();
    for (size_t i = 1; i <= n; ++i) {
      tree_[i] += weights[i - 1];
      size_t parent = i + (i & (~i + 1));
      if (parent <= n) tree_[parent] += tree_[i];
    }
    for (double w : weights) live_ += w > 0;
    top_ = 1;
    while (top_ * 2 <= n) top_ *= 2;
  }

  bool Empty() const { return live_ == 0; }

  void Remove(int i) {
    if (weight_[i] <= 0) return;
    const double w = weight_[i];
    weight_[i] = 0;
    --live_;
    for (size_t k = static_cast<size_t>(i) + 1; k < tree_.size(); k += k & (~k + 1)) {
      tree_[k] -= w;
    }
  }

  // An item with probability proportional to its weight; -1 when the draw lands on a
  // removed item (rounding residue), which the caller treats as a failed attempt.
  int Pick(Draw& draw) const {
    double u = draw.Unit() * Total();
    size_t pos = 0;
    for (size_t step = top_; step > 0; step /= 2) {
      if (pos + step < tree_.size() && tree_[pos + step] <= u) {
        pos += step;
        u -= tree_[pos];
      }
    }
    if (pos >= weight_.size() || weight_[pos] <= 0) return -1;
    return static_cast<int>(pos);
  }

 private:
  double Total() const {
    double total = 0;
    for (size_t k = tree_.size() - 1; k > 0; k -= k & (~k + 1)) total += tree_[k];
    return total;
  }

  std::vector<double> weight_;
  std::vector<double> tree_;  // 1-based Fenwick tree of the weights
  size_t top_ = 1;
  int live_ = 0;
};

// A set of indices with O(1) insert, erase and uniform pick.
class OpenSet {
 public:
  explicit OpenSet(int universe) : pos_(universe, -1) {}
  void Insert(int i) {
    if (pos_[i] >= 0) return;
    pos_[i] = static_cast<int>(items_.size());
    items_.push_back(i);
  }
  void Erase(int i) {
    if (pos_[i] < 0) return;
    int last = items_.back();
    items_[pos_[i]] = last;
    pos_[last] = pos_[i];
    items_.pop_back();
    pos_[i] = -1;
  }
  size_t size() const { return items_.size(); }
  int Pick(Draw& draw) const { return items_[draw.Below(items_.size())]; }
  const std::vector<int>& items() const { return items_; }

 private:
  std::vector<int> items_;
  std::vector<int> pos_;
};

// Open-addressing set of 64-bit keys: a million pairs in one flat array instead of a million
// hash nodes.
class KeySet {
 public:
  explicit KeySet(size_t expected) {
    size_t capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    slots_.assign(capacity, 0);
  }
  // Returns false when the key was already there.
  bool Insert(uint64_t key) {
    ++key;  // 0 marks an empty slot
    size_t mask = slots_.size() - 1;
    for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == key) return false;
      if (slots_[i] == 0) {
        slots_[i] = key;
        if (++size_ * 2 > slots_.size()) Grow();
        return true;
      }
    }
  }
  bool Contains(uint64_t key) const {
    ++key;
    size_t mask = slots_.size() - 1;
    for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == key) return true;
      if (slots_[i] == 0) return false;
    }
  }

 private:
  static size_t Hash(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return static_cast<size_t>(x);
  }
  void Grow() {
    std::vector<uint64_t> old;
    old.swap(slots_);
    slots_.assign(old.size() * 2, 0);
    size_ = 0;
    for (uint64_t k : old) {
      if (k != 0) Insert(k - 1);
    }
  }

  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

uint64_t PairKey(int a, int b, int n) {
  if (a > b) std::swap(a, b);
  return static_cast<uint64_t>(a) * static_cast<uint64_t>(n) + static_cast<uint64_t>(b);
}

int Digits(int64_t n) {
  int d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

std::string PaddedId(const char* prefix, int number, int width) {
  std::string digits = std::to_string(number);
  if (static_cast<int>(digits.size()) < width) {
    digits.insert(0, static_cast<size_t>(width) - digits.size(), '0');
  }
  return prefix + digits;
}

// A calendar date, enough to step forward day by day for multi-day events.
struct Date {
  int year = 0, month = 0, day = 0;
};

bool ParseDate(const std::string& text, Date* out) {
  int y, m, d;
  char tail;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  *out = {y, m, d};
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

Date AddDays(Date date, int days) {
  for (int i = 0; i < days; ++i) {
    if (++date.day > DaysInMonth(date.year, date.month)) {
      date.day = 1;
      if (++date.month > 12) {
        date.month = 1;
        ++date.year;
      }
    }
  }
  return date;
}

// RFC 3339 local time at offset +01:00; empty past midnight, where a slot has no honest time.
std::string Timestamp(const Date& date, int minutes) {
  if (minutes >= 24 * 60) return "";
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:00+01:00", date.year, date.month,
                date.day, minutes / 60, minutes % 60);
  return text;
}

Slot MakeSlot(int index, const Date* date, int start_minutes, int length_minutes,
              std::string session) {
  Slot slot;
  slot.id = std::to_string(index + 1);
  if (date != nullptr) {
    slot.start = Timestamp(*date, start_minutes);
    slot.end = Timestamp(*date, start_minutes + length_minutes);
    if (slot.start.empty() || slot.end.empty()) {
      slot.start.clear();
      slot.end.clear();
    }
  }
  slot.session = std::move(session);
  return slot;
}

std::vector<std::string> TableIds(int count) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(std::max(0, count)));
  for (int i = 1; i <= count; ++i) ids.push_back(PaddedId("T", i, 1));
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Connext-like events.

constexpr int kSlotMinutes = 30;
constexpr int kMorningStart = 9 * 60;
constexpr int kAfternoonStart = 14 * 60;
constexpr double kCompanyPaShare = 0.8;  // of meetings; the rest are company-company
// Company-PA requests stop at this share of the PA hosts' capacity: with 15% hosts and 20
// meetings per participant (Large), 80% host meetings would not even fit.
constexpr double kPaFill = 0.9;
constexpr double kMaxMeetingsShare = 0.2;  // of companies; their max_meetings is one day's slots
constexpr double kPriorityShare = 0.1;
constexpr int kAttemptsPerRequest = 20;
constexpr int kMaxConsecutiveFailures = 2000;
constexpr int kExhaustiveLimit = 3000;  // open participants, for the last-resort pairing
constexpr int kFixedSlotAttempts = 8;

// The layout of days and half-day sessions: session k is day k / 2, morning when k is even.
struct Calendar {
  int slots = 0;
  std::vector<int> session_of_slot;
  std::vector<int> session_begin;  // first slot of each session, plus the end
  int SessionSize(int k) const { return session_begin[k + 1] - session_begin[k]; }
  int Sessions() const { return static_cast<int>(session_begin.size()) - 1; }
};

Calendar BuildCalendar(const GeneratorOptions& o, ScheduleProblem* problem) {
  Calendar cal;
  const int days = std::max(0, o.days);
  const int per_day = std::max(0, o.slots_per_day);
  const int morning = per_day / 2;
  Date first;
  const bool dated = ParseDate(o.date, &first);
  cal.session_begin.push_back(0);
  for (int d = 0; d < days; ++d) {
    Date date = dated ? AddDays(first, d) : Date{};
    const int afternoon_start = std::max(kAfternoonStart, kMorningStart + morning * kSlotMinutes);
    for (int half = 0; half < 2; ++half) {
      const int count = half == 0 ? morning : per_day - morning;
      std::string label = PaddedId("d", d + 1, 1);
      label += half == 0 ? "-morning" : "-afternoon";
      const int start = half == 0 ? kMorningStart : afternoon_start;
      for (int i = 0; i < count; ++i) {
        problem->slots.push_back(MakeSlot(cal.slots, dated ? &date : nullptr,
                                          start + i * kSlotMinutes, kSlotMinutes, label));
        cal.session_of_slot.push_back(2 * d + half);
        ++cal.slots;
      }
      cal.session_begin.push_back(cal.slots);
    }
  }
  return cal;
}

// Requested meetings as participant pairs, under each participant's capacity (available slots,
// max_meetings). Participants [0, n_pa) are PA hosts, the rest companies.
class PairBuilder {
 public:
  PairBuilder(const Calendar& cal, int n_pa, std::vector<int> capacity, std::vector<int> away,
              std::vector<char> has_table, size_t expected)
      : cal_(cal),
        n_(static_cast<int>(capacity.size())),
        left_(std::move(capacity)),
        away_(std::move(away)),
        has_table_(std::move(has_table)),
        open_(n_),
        open_companies_(n_),
        seen_(expected) {
    pairs_.reserve(expected);
    for (int p = 0; p < n_; ++p) {
      if (left_[p] <= 0) continue;
      open_.Insert(p);
      if (p >= n_pa) open_companies_.Insert(p);
    }
  }

  // Whether a and b may be asked to meet: both have room, they are not paired yet, they share
  // a slot, and they do not both keep a host table (a meeting cannot be at two tables).
  bool Allowed(int a, int b) const {
    if (a == b || left_[a] <= 0 || left_[b] <= 0) return false;
    if (has_table_[a] && has_table_[b]) return false;
    int shared = cal_.slots;
    if (away_[a] >= 0) shared -= cal_.SessionSize(away_[a]);
    if (away_[b] >= 0 && away_[b] != away_[a]) shared -= cal_.SessionSize(away_[b]);
    return shared > 0 && !seen_.Contains(PairKey(a, b, n_));
  }

  // Records the pair; a participant that becomes full is appended to `filled`.
  void Add(int a, int b, std::vector<int>* filled) {
    seen_.Insert(PairKey(a, b, n_));
    pairs_.push_back({a, b});
    for (int p : {a, b}) {
      if (--left_[p] == 0) {
        open_.Erase(p);
        open_companies_.Erase(p);
        if (filled != nullptr) filled->push_back(p);
      }
    }
  }

  int size() const { return static_cast<int>(pairs_.size()); }
  const OpenSet& open() const { return open_; }
  const OpenSet& open_companies() const { return open_companies_; }
  std::vector<std::pair<int, int>> TakePairs() { return std::move(pairs_); }

 private:
  const Calendar& cal_;
  int n_;
  std::vector<int> left_;
  std::vector<int> away_;
  std::vector<char> has_table_;
  OpenSet open_;
  OpenSet open_companies_;
  KeySet seen_;
  std::vector<std::pair<int, int>> pairs_;
};

// Company-PA requests: a random company asks for a host drawn by Zipf popularity. The
// popularity ranks are a random permutation, so the popular hosts are not the first ids.
void DrawCompanyPaPairs(int n_pa, int target, double exponent, Draw& draw, PairBuilder& b) {
  if (n_pa <= 0) return;
  std::vector<int> rank(n_pa);
  for (int i = 0; i < n_pa; ++i) rank[i] = i;
  draw.Shuffle(rank);
  std::vector<double> weight(n_pa, 0.0);
  for (int pa : b.open().items()) {
    if (pa < n_pa) weight[pa] = std::pow(static_cast<double>(rank[pa] + 1), -exponent);
  }
  WeightedPicker hosts(weight);
  std::vector<int> filled;
  int failures = 0;
  while (b.size() < target && !hosts.Empty() && b.open_companies().size() > 0 &&
         failures < kMaxConsecutiveFailures) {
    const int company = b.open_companies().Pick(draw);
    bool added = false;
    for (int attempt = 0; attempt < kAttemptsPerRequest && !added; ++attempt) {
      const int pa = hosts.Pick(draw);
      if (pa >= 0 && b.Allowed(company, pa)) {
        b.Add(company, pa, &filled);
        added = true;
      }
    }
    for (int p : filled) {
      if (p < n_pa) hosts.Remove(p);
    }
    filled.clear();
    failures = added ? 0 : failures + 1;
  }
}

// Uniform random pairs from `pool` until `target` or until pairs keep failing.
void DrawUniformPairs(const OpenSet& pool, int target, Draw& draw, PairBuilder& b) {
  int failures = 0;
  while (b.size() < target && pool.size() >= 2 && failures < kMaxConsecutiveFailures) {
    const int x = pool.Pick(draw);
    const int y = pool.Pick(draw);
    if (b.Allowed(x, y)) {
      b.Add(x, y, nullptr);
      failures = 0;
    } else {
      ++failures;
    }
  }
}

// The last few requests, when random draws keep failing: every open pair in a fixed order.
void PairRemaining(int target, PairBuilder& b) {
  if (b.size() >= target || b.open().size() > static_cast<size_t>(kExhaustiveLimit)) return;
  std::vector<int> open = b.open().items();
  std::sort(open.begin(), open.end());
  for (size_t i = 0; i < open.size() && b.size() < target; ++i) {
    for (size_t j = i + 1; j < open.size() && b.size() < target; ++j) {
      if (b.Allowed(open[i], open[j])) b.Add(open[i], open[j], nullptr);
    }
  }
}

std::vector<std::string> SessionSlotIds(const Calendar& cal, const ScheduleProblem& problem,
                                        int session) {
  std::vector<std::string> ids;
  for (int s = cal.session_begin[session]; s < cal.session_begin[session + 1]; ++s) {
    ids.push_back(problem.slots[s].id);
  }
  return ids;
}

// Gives a meeting a fixed slot that both participants are available in, that neither of them
// (nor so a host table: each belongs to one host) has fixed already, and that has a table left
// among the fixed meetings. Leaves it free when a few tries find none.
class SlotFixer {
 public:
  SlotFixer(const Calendar& cal, const std::vector<int>& away, const std::vector<char>& has_table,
            int free_tables, size_t expected)
      : cal_(cal),
        away_(away),
        has_table_(has_table),
        free_tables_(free_tables),
        load_(cal.slots, 0),
        busy_(expected) {}

  int TryFix(int a, int b, Draw& draw) {
    if (cal_.slots == 0) return -1;
    const bool needs_table = !has_table_[a] && !has_table_[b];
    for (int attempt = 0; attempt < kFixedSlotAttempts; ++attempt) {
      const int s = draw.Below(static_cast<size_t>(cal_.slots));
      const int session = cal_.session_of_slot[s];
      if (away_[a] == session || away_[b] == session) continue;
      if (needs_table && load_[s] >= free_tables_) continue;
      if (busy_.Contains(Key(a, s)) || busy_.Contains(Key(b, s))) continue;
      busy_.Insert(Key(a, s));
      busy_.Insert(Key(b, s));
      if (needs_table) ++load_[s];
      return s;
    }
    return -1;
  }

 private:
  uint64_t Key(int p, int s) const {
    return static_cast<uint64_t>(p) * static_cast<uint64_t>(cal_.slots) + static_cast<uint64_t>(s);
  }

  const Calendar& cal_;
  const std::vector<int>& away_;
  const std::vector<char>& has_table_;
  int free_tables_;
  std::vector<int> load_;
  KeySet busy_;
};

// ---------------------------------------------------------------------------------------------
// Tight forums.

constexpr int kForumSlotMinutes = 20;
constexpr double kForumBusyShare = 0.35;
constexpr double kForumFixedShare = 0.03;
constexpr int kMatchingTries = 200;

struct Window {
  int first = 0;
  int length = 0;  // covers [first, first + length); 0: no planted meeting at all
  int last() const { return first + length - 1; }
  bool Covers(int s) const { return length > 0 && s >= first && s <= last(); }
};

// Window lengths that add up to `total` meeting seats: busy participants almost every slot,
// the others shorter, in random order over the participants.
std::vector<int> ForumLengths(int n, int max_length, int total, Draw& draw) {
  std::vector<int> length(n, 0);
  const int busy = std::clamp(
      static_cast<int>(std::lround(std::min(kForumBusyShare * n, 0.5 * total / max_length))), 0, n);
  int sum = 0;
  for (int i = 0; i < busy; ++i) {
    length[i] = std::max(1, max_length - draw.Below(static_cast<size_t>(std::min(3, max_length))));
    sum += length[i];
  }
  const int others = n - busy;
  const int cap = std::max(1, max_length - 1);
  const int remaining = std::max(0, total - sum);
  if (others > 0 && remaining > 0) {
    std::vector<double> raw(others);
    double raw_sum = 0;
    for (double& r : raw) raw_sum += (r = 0.25 + draw.Unit());
    int others_sum = 0;
    for (int i = 0; i < others; ++i) {
      int l = static_cast<int>(std::lround(raw[i] * remaining / raw_sum));
      length[busy + i] = std::clamp(l, 1, cap);
      others_sum += length[busy + i];
    }
    // Nudge random lengths by one until the seats add up (or nothing can move).
    for (int step = 0; step < 100 * n && others_sum != remaining; ++step) {
      int& l = length[busy + draw.Below(static_cast<size_t>(others))];
      if (others_sum < remaining && l < cap) {
        ++l;
        ++others_sum;
      } else if (others_sum > remaining && l > 1) {
        --l;
        --others_sum;
      }
    }
  }
  draw.Shuffle(length);
  return length;
}

// Places the windows longest first, each where the slots are least covered so far, so every
// slot holds about as many meetings as the busiest and the tables are nearly full everywhere.
std::vector<Window> PlaceWindows(const std::vector<int>& length, int slots, Draw& draw) {
  const int n = static_cast<int>(length.size());
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  draw.Shuffle(order);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return length[a] > length[b]; });
  std::vector<Window> windows(n);
  std::vector<int> cover(slots, 0);
  for (int p : order) {
    const int l = length[p];
    if (l <= 0) continue;
    int best_cost = std::numeric_limits<int>::max();
    int best = 0, ties = 0;
    for (int o = 0; o + l <= slots; ++o) {
      int cost = 0;
      for (int s = o; s < o + l; ++s) cost += cover[s];
      if (cost < best_cost) {
        best_cost = cost;
        best = o;
        ties = 1;
      } else if (cost == best_cost && draw.Below(static_cast<size_t>(++ties)) == 0) {
        best = o;
      }
    }
    windows[p] = {best, l};
    for (int s = best; s < best + l; ++s) ++cover[s];
  }
  return windows;
}

// Makes the number of windows covering each slot even, so each slot's participants pair up.
// Slots are fixed left to right with moves that change only the current slot: trim or grow a
// window at the current slot. When the count at s is odd, such a move always exists: else every
// window covering s also covers s - 1, and s - 1 would be odd too.
void EvenOut(std::vector<Window>& windows, int slots, int max_length, int target_seats,
             Draw& draw) {
  int seats = 0;
  for (const Window& w : windows) seats += w.length;
  for (int s = 0; s < slots; ++s) {
    int count = 0;
    for (const Window& w : windows) count += w.Covers(s);
    if (count % 2 == 0) continue;
    std::vector<int> trims, grows, any_grows;  // participant indices
    for (int p = 0; p < static_cast<int>(windows.size()); ++p) {
      const Window& w = windows[p];
      if (w.length > 0 && (w.first == s || w.last() == s)) trims.push_back(p);
      const bool grows_here =
          w.length == 0 || (w.length > 0 && (w.last() == s - 1 || w.first == s + 1));
      if (grows_here) {
        any_grows.push_back(p);
        if (w.length < max_length) grows.push_back(p);
      }
    }
    if (grows.empty()) grows = any_grows;
    const bool grow = !grows.empty() && (seats < target_seats || trims.empty());
    const std::vector<int>& pick_from = grow ? grows : trims;
    Window& w = windows[pick_from[draw.Below(pick_from.size())]];
    if (grow) {
      if (w.length == 0) {
        w = {s, 1};
      } else {
        if (w.first == s + 1) w.first = s;
        ++w.length;
      }
      ++seats;
    } else {
      if (w.first == s) ++w.first;
      --w.length;
      --seats;
    }
  }
}

// Pairs up `members` (an even number) so that no two have met before: randomized greedy, then
// two-for-one swaps for the leftovers. Falls back to allowing a repeated pair, which the
// benchmarks can live with, only when every try fails.
void MatchSlot(std::vector<int> members, int n, std::vector<char>& met, Draw& draw,
               std::vector<std::pair<int, int>>* out) {
  auto has_met = [&](int a, int b) { return met[static_cast<size_t>(a) * n + b] != 0; };
  std::vector<std::pair<int, int>> pairs;
  bool done = false;
  for (int attempt = 0; attempt < kMatchingTries && !done; ++attempt) {
    draw.Shuffle(members);
    pairs.clear();
    std::vector<char> taken(members.size(), 0);
    std::vector<int> loose;
    for (size_t i = 0; i < members.size(); ++i) {
      if (taken[i]) continue;
      taken[i] = 1;
      int chosen = -1, seen = 0;
      for (size_t j = i + 1; j < members.size(); ++j) {
        if (!taken[j] && !has_met(members[i], members[j]) &&
            draw.Below(static_cast<size_t>(++seen)) == 0) {
          chosen = static_cast<int>(j);
        }
      }
      if (chosen < 0) {
        loose.push_back(members[i]);
      } else {
        taken[chosen] = 1;
        pairs.push_back({members[i], members[chosen]});
      }
    }
    done = true;
    while (done && loose.size() >= 2) {
      const int u = loose.back();
      loose.pop_back();
      const int w = loose.back();
      loose.pop_back();
      if (!has_met(u, w)) {
        pairs.push_back({u, w});
        continue;
      }
      done = false;
      for (size_t k = 0; k < pairs.size() && !done; ++k) {
        const auto [x, y] = pairs[k];
        if (!has_met(u, x) && !has_met(w, y)) {
          pairs[k] = {u, x};
          pairs.push_back({w, y});
          done = true;
        } else if (!has_met(u, y) && !has_met(w, x)) {
          pairs[k] = {u, y};
          pairs.push_back({w, x});
          done = true;
        }
      }
    }
  }
  if (!done) {
    pairs.clear();
    for (size_t i = 0; i + 1 < members.size(); i += 2)
      pairs.push_back({members[i], members[i + 1]});
  }
  for (auto [a, b] : pairs) {
    met[static_cast<size_t>(a) * n + b] = met[static_cast<size_t>(b) * n + a] = 1;
    out->push_back({a, b});
  }
}

}  // namespace

GeneratorOptions ConnextLike(uint64_t seed) {
  GeneratorOptions o;
  o.seed = seed;
  o.participants = 500;
  o.meetings = 2500;
  o.days = 2;
  o.slots_per_day = 16;
  o.tables = 100;
  return o;
}

GeneratorOptions Large(uint64_t seed) {
  GeneratorOptions o = ConnextLike(seed);
  o.participants = 100'000;
  o.meetings = 1'000'000;
  o.tables = 40'000;
  return o;
}

ScheduleProblem GenerateEvent(const GeneratorOptions& o) {
  Draw draw(o.seed);
  ScheduleProblem problem;
  const Calendar cal = BuildCalendar(o, &problem);
  const int n = std::max(0, o.participants);
  const int n_pa = std::clamp(static_cast<int>(std::lround(o.pa_share * n)), 0, n);
  const int tables = std::max(0, o.tables);
  problem.table_ids = TableIds(tables);
  problem.tables_as_count = true;

  // Participants: who is away for a half day, who has a limit, which hosts keep a table.
  std::vector<int> away(n, -1), capacity(n, 0), table(n, -1);
  std::vector<char> has_table(n, 0);
  std::vector<std::optional<int>> max_meetings(n);
  std::vector<int> hosts(n_pa);
  for (int i = 0; i < n_pa; ++i) hosts[i] = i;
  draw.Shuffle(hosts);
  const int host_tables =
      std::clamp(static_cast<int>(std::lround(o.host_table_share * n_pa)), 0, tables / 2);
  for (int i = 0; i < host_tables; ++i) {
    table[hosts[i]] = i;
    has_table[hosts[i]] = 1;
  }
  const int sessions = cal.Sessions();
  for (int p = 0; p < n; ++p) {
    if (sessions > 0 && draw.Chance(o.away_half_day)) {
      const int session = draw.Below(static_cast<size_t>(sessions));
      if (cal.SessionSize(session) > 0) away[p] = session;
    }
    if (p >= n_pa && o.slots_per_day > 0 && draw.Chance(kMaxMeetingsShare)) {
      max_meetings[p] = o.slots_per_day;
    }
    capacity[p] = cal.slots - (away[p] >= 0 ? cal.SessionSize(away[p]) : 0);
    if (max_meetings[p]) capacity[p] = std::min(capacity[p], *max_meetings[p]);
  }

  // Requests.
  const int target = std::max(0, o.meetings);
  int64_t pa_capacity = 0;
  for (int p = 0; p < n_pa; ++p) pa_capacity += capacity[p];
  const int company_pa_target = static_cast<int>(std::min<int64_t>(
      std::lround(kCompanyPaShare * target), static_cast<int64_t>(kPaFill * pa_capacity)));
  PairBuilder builder(cal, n_pa, std::move(capacity), away, has_table, static_cast<size_t>(target));
  DrawCompanyPaPairs(n_pa, company_pa_target, o.popularity, draw, builder);
  DrawUniformPairs(builder.open_companies(), target, draw, builder);
  DrawUniformPairs(builder.open(), target, draw, builder);
  PairRemaining(target, builder);
  std::vector<std::pair<int, int>> pairs = builder.TakePairs();
  draw.Shuffle(pairs);

  // Participant records.
  problem.participants.resize(n);
  const int pa_width = std::max(4, Digits(n_pa));
  const int company_width = std::max(5, Digits(n - n_pa));
  std::vector<std::vector<std::string>> session_ids(sessions);
  for (int k = 0; k < sessions; ++k) session_ids[k] = SessionSlotIds(cal, problem, k);
  for (int p = 0; p < n; ++p) {
    ScheduleParticipant& q = problem.participants[p];
    q.id =
        p < n_pa ? PaddedId("pa-", p + 1, pa_width) : PaddedId("co-", p - n_pa + 1, company_width);
    if (away[p] >= 0) q.unavailable = session_ids[away[p]];
    q.max_meetings = max_meetings[p];
    if (table[p] >= 0) q.table = problem.table_ids[table[p]];
  }

  // Meeting records: priorities, a few restricted to a session, a few fixed to a slot.
  SlotFixer fixer(cal, away, has_table, tables - host_tables,
                  static_cast<size_t>(o.fixed_share * static_cast<double>(pairs.size()) * 2) + 16);
  problem.meetings.resize(pairs.size());
  const int meeting_width = std::max(5, Digits(static_cast<int64_t>(pairs.size())));
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto [a, b] = pairs[i];
    Meeting& m = problem.meetings[i];
    m.id = PaddedId("m-", static_cast<int>(i) + 1, meeting_width);
    m.participants = {problem.participants[a].id, problem.participants[b].id};
    m.priority = draw.Chance(kPriorityShare) ? 1 : 0;
    const double r = draw.Unit();
    if (r < o.fixed_share) {
      if (int s = fixer.TryFix(a, b, draw); s >= 0) m.slot = problem.slots[s].id;
    } else if (r < o.fixed_share + o.session_share && sessions > 0) {
      const int start = draw.Below(static_cast<size_t>(sessions));
      for (int k = 0; k < sessions; ++k) {
        const int session = (start + k) % sessions;
        if (cal.SessionSize(session) > 0 && away[a] != session && away[b] != session) {
          m.session = problem.slots[cal.session_begin[session]].session;
          break;
        }
      }
    }
  }
  return problem;
}

ScheduleProblem GenerateTightForum(uint64_t seed, int participants, int slots, int meetings) {
  Draw draw(seed);
  ScheduleProblem problem;
  const int n = std::max(0, participants);
  const int slot_count = std::max(0, slots);
  Date day;
  const bool dated = ParseDate(GeneratorOptions().date, &day);
  for (int s = 0; s < slot_count; ++s) {
    problem.slots.push_back(MakeSlot(s, dated ? &day : nullptr,
                                     kMorningStart + s * kForumSlotMinutes, kForumSlotMinutes,
                                     "forum"));
  }
  problem.participants.resize(n);
  const int width = std::max(3, Digits(n));
  for (int p = 0; p < n; ++p) problem.participants[p].id = PaddedId("p-", p + 1, width);
  problem.tables_as_count = true;
  if (n < 2 || slot_count == 0) {
    problem.table_ids = TableIds(1);
    return problem;
  }

  // The planted agenda: contiguous windows, even in every slot, paired slot by slot.
  const int max_length = std::min(slot_count, n - 1);
  const int64_t seats = std::min<int64_t>(
      {2 * static_cast<int64_t>(std::max(0, meetings)), static_cast<int64_t>(n) * max_length});
  std::vector<Window> windows =
      PlaceWindows(ForumLengths(n, max_length, static_cast<int>(seats), draw), slot_count, draw);
  EvenOut(windows, slot_count, max_length, static_cast<int>(seats), draw);
  struct Planted {
    int a, b, slot;
  };
  std::vector<Planted> planted;
  std::vector<char> met(static_cast<size_t>(n) * n, 0);
  int busiest = 0;
  for (int s = 0; s < slot_count; ++s) {
    std::vector<int> members;
    for (int p = 0; p < n; ++p) {
      if (windows[p].Covers(s)) members.push_back(p);
    }
    std::vector<std::pair<int, int>> pairs;
    MatchSlot(members, n, met, draw, &pairs);
    for (auto [a, b] : pairs) planted.push_back({a, b, s});
    busiest = std::max(busiest, static_cast<int>(pairs.size()));
  }
  problem.table_ids = TableIds(std::max(1, busiest));

  // A few unavailable slots each, never inside the planted window.
  for (int p = 0; p < n; ++p) {
    std::vector<int> outside;
    for (int s = 0; s < slot_count; ++s) {
      if (!windows[p].Covers(s)) outside.push_back(s);
    }
    draw.Shuffle(outside);
    outside.resize(std::min(outside.size(), static_cast<size_t>(draw.Below(3))));
    std::sort(outside.begin(), outside.end());
    for (int s : outside) problem.participants[p].unavailable.push_back(problem.slots[s].id);
  }

  // Meetings in random order, free to move but for a few fixed at their planted slot.
  draw.Shuffle(planted);
  const int meeting_width = std::max(3, Digits(static_cast<int64_t>(planted.size())));
  problem.meetings.resize(planted.size());
  for (size_t i = 0; i < planted.size(); ++i) {
    Meeting& m = problem.meetings[i];
    m.id = PaddedId("m-", static_cast<int>(i) + 1, meeting_width);
    m.participants = {problem.participants[planted[i].a].id, problem.participants[planted[i].b].id};
    if (draw.Chance(kForumFixedShare)) m.slot = problem.slots[planted[i].slot].id;
  }
  return problem;
}

}  // namespace incontra::engine
