#include "storage/internal/key_codec.h"

namespace incontra::storage::internal {

KeyBuilder& KeyBuilder::Str(std::string_view s) {
  for (char c : s) {
    key_.push_back(c);
    if (c == '\0') key_.push_back('\xff');
  }
  key_.push_back('\0');
  key_.push_back('\x01');
  return *this;
}

KeyBuilder& KeyBuilder::U64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    key_.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  return *this;
}

bool KeyReader::Str(std::string* out) {
  out->clear();
  for (size_t i = 0; i + 1 < rest_.size(); ++i) {
    if (rest_[i] != '\0') {
      out->push_back(rest_[i]);
      continue;
    }
    if (rest_[i + 1] == '\xff') {
      out->push_back('\0');
      ++i;
    } else if (rest_[i + 1] == '\x01') {
      rest_.remove_prefix(i + 2);
      return true;
    } else {
      return false;
    }
  }
  return false;
}

bool KeyReader::U64(uint64_t* out) {
  if (rest_.size() < 8) return false;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(rest_[static_cast<size_t>(i)]);
  rest_.remove_prefix(8);
  *out = v;
  return true;
}

}  // namespace incontra::storage::internal
