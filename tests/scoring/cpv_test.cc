#include "scoring/cpv.h"

#include <doctest/doctest.h>

namespace incontra::scoring {
namespace {

CpvCode Code(std::string_view text) {
  auto code = ParseCpv(text);
  REQUIRE_MESSAGE(code.ok(), code.status().ToString());
  return *code;
}

TEST_CASE("cpv: parse codes with and without the check digit, and their levels") {
  CHECK(Code("72212000-5").digits == "72212000");
  CHECK(Code("72212000").level == 4);
  CHECK(Code("72000000").level == 1);
  CHECK(Code("72200000").level == 2);
  CHECK(Code("72210000").level == 3);
  CHECK(Code("03111100").level == 5);
  CHECK(Code("03111111").level == 7);
}

TEST_CASE("cpv: malformed codes are refused with the rule") {
  for (const char* bad : {"7221200", "722120000", "72212000-55", "72212000-x", "7221200a",
                          "", "00000000", "00100000", "-5"}) {
    CAPTURE(bad);
    auto code = ParseCpv(bad);
    REQUIRE_FALSE(code.ok());
    CHECK(code.status().code() == "cpv.invalid");
    CHECK(code.status().message().find(std::string("'") + bad + "'") == 0);
  }
}

TEST_CASE("cpv: the hierarchy decides similarity") {
  const CpvCode software = Code("72212000"), it = Code("72000000"), works = Code("45000000");
  const CpvCode other_it = Code("72260000"), sibling = Code("72211000");
  CHECK(CpvSimilarity(software, software) == 1.0);
  CHECK(CpvSimilarity(software, works) == 0.0);
  CHECK(CpvSimilarity(software, it) > 0.5);  // a code and its division
  CHECK(CpvSimilarity(software, it) == CpvSimilarity(it, software));
  CHECK(CpvSimilarity(software, sibling) > CpvSimilarity(software, other_it));
  CHECK(CpvSimilarity(software, other_it) > CpvSimilarity(software, works));
  CHECK(SharedLevel(software, sibling) == 3);
  CHECK(SharedLevel(software, other_it) == 2);
  CHECK(SharedLevel(software, works) == 0);
}

}  // namespace
}  // namespace incontra::scoring
