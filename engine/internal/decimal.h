// Numbers as a person compares them in output lines: fixed notation, 4 decimals, trailing zeros
// dropped, "-0" written "0". PutDecimal writes exactly what std::to_chars(fixed, 4) would,
// trimmed so, but most numbers by integer arithmetic: a batch of matches prints millions of
// scores, and to_chars' exact decimal expansion was most of the cost of writing one.
//
// Thread-safety: pure functions.
//
// Usage:
//   char buffer[22];  // DecimalBound(0.31234)
//   char* end = PutDecimal(buffer, 0.31234);  // "0.3123"
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace incontra::engine::internal {

// How long PutDecimal(v) can be: below 1e15 in size, a sign, 15 digits (rounding cannot carry
// into a 16th: there a double's fraction is in eighths), a point and 4 decimals; else the
// largest double's 309 digits and the rest.
inline size_t DecimalBound(double v) { return std::isfinite(v) && std::fabs(v) < 1e15 ? 22 : 320; }

// Writes v at p (at most DecimalBound(v) characters) and returns the end. NaN and infinities
// come out as to_chars writes them ("nan", "inf"): not JSON, so scores must be finite.
inline char* PutDecimal(char* p, double v) {
  // |v| x 10^4 below 2^31 is off the exact product by half an ulp at most, under 2^-23: where
  // it is further than 10^-6 from a rounding tie, it rounds as the exact value does. Exact
  // ties (0.03125) and numbers near one go to to_chars, which rounds them half to even.
  const double x = std::fabs(v) * 1e4;
  if (x < 2147483648.0) {  // false for NaN
    const double whole = std::floor(x);
    const double rest = x - whole;  // exact
    if (std::fabs(rest - 0.5) > 1e-6) {
      const auto n = static_cast<uint64_t>(whole) + (rest > 0.5 ? 1 : 0);
      if (n == 0) {
        *p++ = '0';
        return p;
      }
      if (v < 0) *p++ = '-';
      p = std::to_chars(p, p + 12, n / 10000).ptr;
      uint64_t decimals = n % 10000;
      if (decimals == 0) return p;
      *p++ = '.';
      int digits = 4;
      while (decimals % 10 == 0) {
        decimals /= 10;
        --digits;
      }
      for (int d = digits - 1; d >= 0; --d) {
        p[d] = static_cast<char>('0' + decimals % 10);
        decimals /= 10;
      }
      return p + digits;
    }
  }
  // Ties and large numbers: to_chars rounds exactly as printf's %.4f does, without the locale
  // and format parsing.
  auto [end, error] = std::to_chars(p, p + DecimalBound(v), v, std::chars_format::fixed, 4);
  if (error != std::errc()) return p;
  while (end - p > 1 && end[-1] == '0') --end;
  if (end - p > 1 && end[-1] == '.') --end;
  if (end - p == 2 && p[0] == '-' && p[1] == '0') {
    *p++ = '0';
    return p;
  }
  return end;
}

}  // namespace incontra::engine::internal
