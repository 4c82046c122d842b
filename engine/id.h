// Ids as FORMATS.md has them: a non-empty string of at most 128 bytes. Control characters
// (U+0000 to U+001F and U+007F) are refused too: no URL path, CSV cell or log line carries them
// faithfully, so a record with one could be stored but never addressed.
//
// Thread-safety: pure functions.
//
// Usage:
//   if (!ValidId(id)) return Status::InvalidArgument("participant.invalid_id", kIdRule);
#pragma once

#include <cstddef>
#include <string_view>

namespace incontra::engine {

inline constexpr size_t kMaxIdBytes = 128;
inline constexpr const char* kIdRule =
    "an id is a non-empty string of at most 128 bytes, without control characters";

inline bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace incontra::engine
