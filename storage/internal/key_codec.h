// Keys of the store, built by one codec so every family sorts and splits the same way.
//
// A key is a sequence of parts. Strings are written with 0x00 escaped as 0x00 0xFF and end
// with 0x00 0x01, so no string is a prefix of another's encoding and keys sort by their parts
// in order; numbers are 8 bytes big-endian, so they sort numerically.
//
//   std::string key = KeyBuilder().Str("connext-2027").Str("IT0275").Take();
//   KeyReader r(key); std::string event, id; r.Str(&event) && r.Str(&id);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace incontra::storage::internal {

class KeyBuilder {
 public:
  KeyBuilder& Str(std::string_view s);
  KeyBuilder& U64(uint64_t v);
  std::string Take() { return std::move(key_); }

 private:
  std::string key_;
};

class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : rest_(key) {}
  bool Str(std::string* out);
  bool U64(uint64_t* out);
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace incontra::storage::internal
