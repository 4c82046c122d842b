// Sets of slot indices as bit words, and the break count of such a set.
//
// Breaks of a participant = maximal runs of free slots between its first and last meeting =
// (runs of busy slots) - 1. A run ends at every busy bit whose next bit is free, so the count is
// a popcount per word, which makes evaluating a move O(words) instead of O(slots).
#pragma once

#include <bit>
#include <cstdint>

#include "engine/schedule.h"

namespace incontra::engine::internal {

constexpr int kMaxWords = kMaxSlots / 64;

inline int WordsFor(int slots) { return (slots + 63) / 64; }

inline bool Test(const uint64_t* w, int s) { return (w[s >> 6] >> (s & 63)) & 1; }
inline void Set(uint64_t* w, int s) { w[s >> 6] |= uint64_t{1} << (s & 63); }
inline void Clear(uint64_t* w, int s) { w[s >> 6] &= ~(uint64_t{1} << (s & 63)); }

inline int Count(const uint64_t* w, int words) {
  int n = 0;
  for (int i = 0; i < words; ++i) n += std::popcount(w[i]);
  return n;
}

inline int Breaks(const uint64_t* w, int words) {
  int runs = 0;
  for (int i = 0; i < words; ++i) {
    uint64_t next_low = (i + 1 < words) ? (w[i + 1] & 1) : 0;
    runs += std::popcount(w[i] & ~((w[i] >> 1) | (next_low << 63)));
  }
  return runs > 0 ? runs - 1 : 0;
}

// Breaks after moving one meeting: `clear` and `set` are slot indices or -1 for none.
inline int BreaksAfter(const uint64_t* w, int words, int clear, int set) {
  if (words == 1) {
    uint64_t x = w[0];
    if (clear >= 0) x &= ~(uint64_t{1} << clear);
    if (set >= 0) x |= uint64_t{1} << set;
    int runs = std::popcount(x & ~(x >> 1));
    return runs > 0 ? runs - 1 : 0;
  }
  uint64_t tmp[kMaxWords];
  for (int i = 0; i < words; ++i) tmp[i] = w[i];
  if (clear >= 0) Clear(tmp, clear);
  if (set >= 0) Set(tmp, set);
  return Breaks(tmp, words);
}

// Index of the first set bit at or after `from`, or -1.
inline int NextSet(const uint64_t* w, int words, int from) {
  if (from < 0) from = 0;
  int i = from >> 6;
  if (i >= words) return -1;
  uint64_t x = w[i] & (~uint64_t{0} << (from & 63));
  while (true) {
    if (x) return i * 64 + std::countr_zero(x);
    if (++i >= words) return -1;
    x = w[i];
  }
}

}  // namespace incontra::engine::internal
