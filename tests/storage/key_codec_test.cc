// The key codec: what every family's keys are built with. Round trips, order (keys compare like
// their parts, byte by byte as RocksDB's default comparator does), prefix safety and refusal of
// malformed keys.
#include "storage/internal/key_codec.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace incontra::storage::internal {
namespace {

using namespace std::string_literals;

// RocksDB's BytewiseComparator: unsigned bytes, shorter first on a common prefix.
// std::string::compare does the same (char_traits<char> compares as unsigned char).
int Bytewise(const std::string& a, const std::string& b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string Hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
    out += ' ';
  }
  return out;
}

std::string Key2(const std::string& a, const std::string& b) {
  return KeyBuilder().Str(a).Str(b).Take();
}

TEST_CASE("key codec: strings round trip, with embedded NULs, 0xFF bytes and empty ones") {
  const std::vector<std::string> samples = {
      ""s,       "a"s,        "\0"s,       "\0\0"s,          "\xff"s,       "\xff\xff"s,
      "\0\xff"s, "\xff\0"s,   "a\0b"s,     "\0\x01"s,        "a\0\x01z"s,   "ev"s,
      "ev2"s,    "connext-2027"s, "caf\xc3\xa9"s, std::string(300, '\0'), std::string(200, '\xff')};
  for (const std::string& s : samples) {
    CAPTURE(Hex(s));
    const std::string key = KeyBuilder().Str(s).Take();
    KeyReader r(key);
    std::string back = "junk";
    REQUIRE(r.Str(&back));
    CHECK(back == s);
    CHECK(r.done());
  }
}

TEST_CASE("key codec: several parts round trip in order, strings and numbers mixed") {
  const std::string key = KeyBuilder().Str("").Str("a\0b"s).U64(0).Str("\xff"s).U64(~uint64_t{0})
                              .Str("").Take();
  KeyReader r(key);
  std::string s1, s2, s3, s4;
  uint64_t n1 = 1, n2 = 0;
  REQUIRE(r.Str(&s1));
  REQUIRE(r.Str(&s2));
  REQUIRE(r.U64(&n1));
  REQUIRE(r.Str(&s3));
  REQUIRE(r.U64(&n2));
  REQUIRE(r.Str(&s4));
  CHECK(r.done());
  CHECK(s1 == "");
  CHECK(s2 == "a\0b"s);
  CHECK(n1 == 0);
  CHECK(s3 == "\xff"s);
  CHECK(n2 == ~uint64_t{0});
  CHECK(s4 == "");
}

TEST_CASE("key codec: numbers are 8 bytes big-endian and round trip") {
  CHECK(KeyBuilder().U64(0x0102030405060708ull).Take() == "\x01\x02\x03\x04\x05\x06\x07\x08"s);
  CHECK(KeyBuilder().U64(0).Take() == std::string(8, '\0'));
  CHECK(KeyBuilder().U64(255).Take() == "\0\0\0\0\0\0\0\xff"s);
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{255}, uint64_t{256}, uint64_t{1} << 32,
                     (uint64_t{1} << 63) - 1, uint64_t{1} << 63, ~uint64_t{0}}) {
    const std::string key = KeyBuilder().U64(v).Take();
    CHECK(key.size() == 8);
    KeyReader r(key);
    uint64_t back = 12345;
    REQUIRE(r.U64(&back));
    CHECK(back == v);
    CHECK(r.done());
  }
}

TEST_CASE("key codec: numbers sort numerically, including across the sign bit") {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values = {0, 1, 255, 256, 65535, 65536, (uint64_t{1} << 63) - 1,
                                  uint64_t{1} << 63, ~uint64_t{0} - 1, ~uint64_t{0}};
  for (int i = 0; i < 200; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t a : values) {
    for (uint64_t b : values) {
      const int expected = a < b ? -1 : (a > b ? 1 : 0);
      CHECK_MESSAGE(Bytewise(KeyBuilder().U64(a).Take(), KeyBuilder().U64(b).Take()) == expected,
                    a << " vs " << b);
    }
  }
}

TEST_CASE("key codec: keys compare like their parts, at the tricky places") {
  // Each pair: the first sorts strictly before the second, part by part.
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> less = {
      {"a", "b", "a\0"s, "a"},        // "a" < "a\0": a shorter string first, whatever follows
      {"a", "\xff"s, "a\0"s, ""},     // ... even when what follows is as large as it gets
      {"a", "zzz", "ab", ""},         // "a" < "ab"
      {"", "\xff\xff"s, "\0"s, ""},   // "" < "\0"
      {"\0"s, "\xff"s, "\0\0"s, ""},  // "\0" < "\0\0"
      {"a\0"s, "z", "a\x01", ""},     // "a\0" < "a\x01"
      {"a\0\xff"s, "", "a\x01", ""},  // escaped NUL then 0xFF still below 0x01
      {"a\xfe", "", "a\xff", ""},     // unsigned bytes
      {"a\x7f", "", "a\x80", ""},     // across the sign bit of char
      {"ev", "zz", "ev2", ""},        // the event prefix case
      {"ev", "a", "ev", "a\0"s},      // second part decides when the first is equal
      {"ev", "", "ev", "\0"s},
  };
  for (const auto& [a1, a2, b1, b2] : less) {
    CAPTURE(Hex(a1));
    CAPTURE(Hex(a2));
    CAPTURE(Hex(b1));
    CAPTURE(Hex(b2));
    CHECK(Bytewise(Key2(a1, a2), Key2(b1, b2)) == -1);
    CHECK(Bytewise(Key2(b1, b2), Key2(a1, a2)) == 1);
  }
}

// Strings over a small alphabet full of the bytes that matter to the escaping.
std::string RandomString(std::mt19937& rng) {
  static const std::string alphabet = "\0\x01\x02\xfe\xff" "ab"s;
  std::uniform_int_distribution<int> length(0, 5), pick(0, static_cast<int>(alphabet.size()) - 1);
  std::string s;
  for (int n = length(rng); n > 0; --n) s += alphabet[static_cast<size_t>(pick(rng))];
  return s;
}

TEST_CASE("key codec: random part lists sort like the lists of parts") {
  std::mt19937 rng(20270);
  for (int i = 0; i < 20000; ++i) {
    const std::string a1 = RandomString(rng), a2 = RandomString(rng);
    const std::string b1 = rng() % 4 == 0 ? a1 : RandomString(rng), b2 = RandomString(rng);
    const uint64_t an = rng() % 3, bn = rng() % 3;
    // Reference: lexicographic over the parts, each part compared on its own.
    const int expected =
        Bytewise(a1, b1) != 0 ? Bytewise(a1, b1)
        : Bytewise(a2, b2) != 0 ? Bytewise(a2, b2)
                                : (an < bn ? -1 : (an > bn ? 1 : 0));
    const std::string ka = KeyBuilder().Str(a1).Str(a2).U64(an).Take();
    const std::string kb = KeyBuilder().Str(b1).Str(b2).U64(bn).Take();
    CAPTURE(Hex(ka));
    CAPTURE(Hex(kb));
    REQUIRE(Bytewise(ka, kb) == expected);
  }
}

TEST_CASE("key codec: no string's encoding is a prefix of another's") {
  // A prefix scan for event "ev" must never see keys of "ev2", "ev\0" or "ev\xff".
  std::mt19937 rng(99);
  std::vector<std::string> strings = {"", "ev", "ev2", "ev\0"s, "ev\0\x01"s, "ev\xff"s, "e",
                                      "\0"s, "\0\x01"s, "\xff"s};
  for (int i = 0; i < 300; ++i) strings.push_back(RandomString(rng));
  for (const std::string& a : strings) {
    const std::string prefix = KeyBuilder().Str(a).Take();
    for (const std::string& b : strings) {
      if (a == b) continue;
      const std::string key = KeyBuilder().Str(b).Str("id").Take();
      CAPTURE(Hex(a));
      CAPTURE(Hex(b));
      REQUIRE(key.compare(0, prefix.size(), prefix) != 0);
    }
  }
}

TEST_CASE("key codec: malformed keys are refused") {
  const std::vector<std::string> bad_strings = {
      ""s,            // nothing at all
      "abc"s,         // no terminator
      "abc\0"s,       // half a terminator
      "\0"s,          // half a terminator alone
      "a\0\x02"s,     // NUL followed by neither 0xFF nor 0x01
      "a\0\0\x01"s,   // NUL followed by NUL
      "a\0\xff"s,     // an escaped NUL, then nothing
      "\0\xff\0"s,    // an escaped NUL, then half a terminator
  };
  for (const std::string& key : bad_strings) {
    CAPTURE(Hex(key));
    KeyReader r(key);
    std::string out;
    CHECK_FALSE(r.Str(&out));
  }
  for (size_t size = 0; size < 8; ++size) {
    KeyReader r(std::string(size, '\x01'));
    uint64_t v = 0;
    CHECK_FALSE(r.U64(&v));
  }
  {  // a whole first part, then a truncated second one
    std::string key = KeyBuilder().Str("ev").Str("p1").Take();
    key.pop_back();
    KeyReader r(key);
    std::string event, id;
    CHECK(r.Str(&event));
    CHECK(event == "ev");
    CHECK_FALSE(r.Str(&id));
  }
  {  // trailing bytes are left over, not silently accepted as part of the key
    const std::string key = KeyBuilder().Str("ev").Take() + "x";
    KeyReader r(key);
    std::string event;
    CHECK(r.Str(&event));
    CHECK_FALSE(r.done());
  }
  {  // a number where a string is expected in a (event, version) key
    const std::string key = KeyBuilder().Str("ev").U64(3).Take();
    KeyReader r(key);
    std::string event, version;
    CHECK(r.Str(&event));
    CHECK_FALSE(r.Str(&version));
  }
}

}  // namespace
}  // namespace incontra::storage::internal
