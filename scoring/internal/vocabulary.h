// Strings to dense ids (0, 1, 2, ... in the order first added), for the scorer's indexes: a
// flat open-addressing table over one buffer of characters. Looking a word up costs one hash
// and, mostly, one probe; a node-based std::unordered_map<std::string, int> chases a pointer to
// a node and another to a long string's characters, and building it allocates per entry.
//
// Thread-safety: const functions may be called from any number of threads; Add needs the
// only access.
//
// Usage:
//   Vocabulary words;
//   auto [id, added] = words.Add("manutenzion");  // 0, true
//   words.Find("manutenzion");                    // 0
//   words.Find("verd");                           // -1
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace incontra::scoring::internal {

class Vocabulary {
 public:
  // The id of `word`, -1 when it was never added.
  int Find(std::string_view word) const;
  // The id of `word`, added with the next id when new; `second` tells whether it was.
  std::pair<int, bool> Add(std::string_view word);
  // Add and Find for each word, ids[k] for words[k]. Slots and characters are fetched a few
  // words ahead, so the memory waits of a large vocabulary overlap instead of adding up.
  void AddAll(std::span<const std::string> words, int* ids);
  void AddAll(std::span<const std::string_view> words, int* ids);
  void FindAll(std::span<const std::string_view> words, int* ids) const;
  int size() const { return static_cast<int>(starts_.size()) - 1; }
  // The word of an id in [0, size()); valid until the next Add.
  std::string_view word(int id) const;

 private:
  struct Slot {
    uint32_t hash = 0;  // the hash's low bits, to skip most comparisons
    int id = -1;        // -1: empty
    uint32_t start = 0, size = 0;  // the word's characters, so a probe needs no starts_
  };
  static uint64_t Hash(std::string_view word);
  bool Holds(const Slot& slot, uint64_t h, std::string_view word) const;
  int FindHashed(std::string_view word, uint64_t h) const;
  std::pair<int, bool> AddHashed(std::string_view word, uint64_t h);
  // Hashes words[b, b + m) into h and fetches their first slots and those slots' characters.
  template <typename Words>
  void Fetch(const Words& words, size_t b, size_t m, uint64_t* h) const;
  template <typename Words>
  void AddEach(const Words& words, int* ids);
  void MakeRoom(size_t more);  // grows the table so `more` words go in without it moving
  void Grow();
  std::vector<Slot> slots_;              // a power of two, at most half full
  std::vector<uint32_t> starts_{0};      // word id's characters: [starts_[id], starts_[id + 1])
  std::string chars_;
};

}  // namespace incontra::scoring::internal
