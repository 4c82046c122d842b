#include "scoring/internal/vocabulary.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace incontra::scoring::internal {

// Eight bytes at a time, each folded in by a multiply; the final mix spreads the high bits
// down, since the table takes its slot from the low ones. Words are short: this does a word
// in one or two rounds, where a byte-wise hash would take ten.
uint64_t Vocabulary::Hash(std::string_view word) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = word.size() * kMul;
  size_t k = 0;
  for (; k + 8 <= word.size(); k += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, word.data() + k, 8);
    h = (h ^ chunk) * kMul;
    h ^= h >> 29;
  }
  if (k < word.size()) {
    uint64_t chunk = 0;
    std::memcpy(&chunk, word.data() + k, word.size() - k);
    h = (h ^ chunk) * kMul;
  }
  h ^= h >> 32;
  h *= kMul;
  h ^= h >> 29;
  return h;
}

std::string_view Vocabulary::word(int id) const {
  const auto i = static_cast<size_t>(id);
  return std::string_view(chars_).substr(starts_[i], starts_[i + 1] - starts_[i]);
}

bool Vocabulary::Holds(const Slot& slot, uint64_t h, std::string_view word) const {
  // memcmp must not see the null data() of an empty view, even for 0 bytes.
  return slot.hash == static_cast<uint32_t>(h) && slot.size == word.size() &&
         (word.empty() || std::memcmp(chars_.data() + slot.start, word.data(), word.size()) == 0);
}

int Vocabulary::FindHashed(std::string_view word, uint64_t h) const {
  const size_t mask = slots_.size() - 1;
  for (size_t at = h & mask;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.id < 0) return -1;
    if (Holds(slot, h, word)) return slot.id;
  }
}

int Vocabulary::Find(std::string_view word) const {
  return slots_.empty() ? -1 : FindHashed(word, Hash(word));
}

std::pair<int, bool> Vocabulary::Add(std::string_view word) {
  MakeRoom(1);
  return AddHashed(word, Hash(word));
}

void Vocabulary::MakeRoom(size_t more) {
  // At most half full once `more` words are in: probes stay short.
  while (2 * (static_cast<size_t>(size()) + more) > slots_.size()) Grow();
}

namespace {
constexpr size_t kAhead = 16;
}  // namespace

template <typename Words>
void Vocabulary::Fetch(const Words& words, size_t b, size_t m, uint64_t* h) const {
  const size_t mask = slots_.size() - 1;
  for (size_t j = 0; j < m; ++j) {
    h[j] = Hash(words[b + j]);
    __builtin_prefetch(&slots_[h[j] & mask]);
  }
  for (size_t j = 0; j < m; ++j) {
    const Slot& slot = slots_[h[j] & mask];
    if (slot.id >= 0) __builtin_prefetch(chars_.data() + slot.start);
  }
}

void Vocabulary::AddAll(std::span<const std::string> words, int* ids) { AddEach(words, ids); }

void Vocabulary::AddAll(std::span<const std::string_view> words, int* ids) {
  AddEach(words, ids);
}

template <typename Words>
void Vocabulary::AddEach(const Words& words, int* ids) {
  uint64_t h[kAhead];
  for (size_t b = 0; b < words.size(); b += kAhead) {
    const size_t m = std::min(kAhead, words.size() - b);
    MakeRoom(m);  // all of them first: the table must not move between a fetch and its use
    Fetch(words, b, m, h);
    for (size_t j = 0; j < m; ++j) ids[b + j] = AddHashed(words[b + j], h[j]).first;
  }
}

void Vocabulary::FindAll(std::span<const std::string_view> words, int* ids) const {
  if (slots_.empty()) {
    std::fill(ids, ids + words.size(), -1);
    return;
  }
  uint64_t h[kAhead];
  for (size_t b = 0; b < words.size(); b += kAhead) {
    const size_t m = std::min(kAhead, words.size() - b);
    Fetch(words, b, m, h);
    for (size_t j = 0; j < m; ++j) ids[b + j] = FindHashed(words[b + j], h[j]);
  }
}

std::pair<int, bool> Vocabulary::AddHashed(std::string_view word, uint64_t h) {
  const size_t mask = slots_.size() - 1;
  for (size_t at = h & mask;; at = (at + 1) & mask) {
    Slot& slot = slots_[at];
    if (slot.id < 0) {
      if (chars_.size() + word.size() > UINT32_MAX) {
        throw std::length_error("Vocabulary: more than 4 GiB of words");
      }
      slot = {static_cast<uint32_t>(h), size(), static_cast<uint32_t>(chars_.size()),
              static_cast<uint32_t>(word.size())};
      chars_.append(word);
      starts_.push_back(static_cast<uint32_t>(chars_.size()));
      return {slot.id, true};
    }
    if (Holds(slot, h, word)) return {slot.id, false};
  }
}

void Vocabulary::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : 2 * old.size(), Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    size_t at = s.hash & mask;  // the hash's low bits are the slot's, for any table < 2^32
    while (slots_[at].id >= 0) at = (at + 1) & mask;
    slots_[at] = s;
  }
}

}  // namespace incontra::scoring::internal
