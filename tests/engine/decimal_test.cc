#include "engine/internal/decimal.h"

#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace incontra::engine::internal {
namespace {

// The reference: to_chars' fixed notation with 4 decimals, trailing zeros and a bare point
// dropped, "-0" as "0".
std::string Reference(double v) {
  char buffer[400];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed, 4);
  if (error != std::errc()) return "";
  std::string s(buffer, end);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (s.size() > 1 && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string Decimal(double v) {
  std::vector<char> buffer(DecimalBound(v));
  return std::string(buffer.data(), PutDecimal(buffer.data(), v));
}

TEST_CASE("PutDecimal writes what to_chars writes, trimmed") {
  CHECK(Decimal(0.31234) == "0.3123");
  CHECK(Decimal(0.31235001) == "0.3124");
  CHECK(Decimal(1.0) == "1");
  CHECK(Decimal(10.5) == "10.5");
  CHECK(Decimal(0.0) == "0");
  CHECK(Decimal(-0.0) == "0");
  CHECK(Decimal(-0.00004) == "0");
  CHECK(Decimal(-2.5) == "-2.5");
  CHECK(Decimal(0.03125) == "0.0312");  // an exact tie: half to even, as to_chars
  CHECK(Decimal(0.09375) == "0.0938");
  CHECK(Decimal(1e20) == Reference(1e20));
  CHECK(Decimal(std::numeric_limits<double>::max()) ==
        Reference(std::numeric_limits<double>::max()));
  CHECK(Decimal(std::numeric_limits<double>::denorm_min()) == "0");
  CHECK(Decimal(std::nan("")) == Reference(std::nan("")));
  CHECK(Decimal(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("PutDecimal agrees with to_chars on random numbers and near every rounding tie") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_real_distribution<double> exponent(-8.0, 16.0);
  size_t mismatches = 0;
  auto check = [&](double v) {
    if (Decimal(v) != Reference(v)) {
      if (++mismatches <= 5) CHECK(Decimal(v) == Reference(v));
    }
  };
  for (int k = 0; k < 300000; ++k) check(unit(rng));
  for (int k = 0; k < 300000; ++k) check(unit(rng) * std::pow(10.0, exponent(rng)));
  // Ties k.5 / 10^4 and the doubles next to them, over the scores' range and around 2^31 / 10^4.
  for (int k = 0; k < 200000; ++k) {
    for (double base : {0.0, 214748.0}) {
      double tie = base + (k + 0.5) / 1e4;
      for (int step = 0; step < 3; ++step) {
        check(tie);
        check(-tie);
        tie = std::nextafter(tie, 1e300);
      }
      tie = base + (k + 0.5) / 1e4;
      for (int step = 0; step < 3; ++step) {
        tie = std::nextafter(tie, -1e300);
        check(tie);
      }
    }
  }
  CHECK(mismatches == 0);
}

}  // namespace
}  // namespace incontra::engine::internal
