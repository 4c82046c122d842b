#include "scoring/cpv.h"

#include <algorithm>

namespace incontra::scoring {

Result<CpvCode> ParseCpv(std::string_view text) {
  auto invalid = [&](const std::string& rule) {
    return Status::InvalidArgument("cpv.invalid", "'" + std::string(text) + "': " + rule);
  };
  std::string_view digits = text;
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    std::string_view check = text.substr(dash + 1);
    if (check.size() != 1 || check[0] < '0' || check[0] > '9') {
      return invalid("the check digit after '-' is one digit");
    }
    digits = text.substr(0, dash);
  }
  if (digits.size() != 8 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid("a CPV code has 8 digits, with an optional check digit: 72212000-5");
  }
  size_t significant = digits.find_last_not_of('0') + 1;  // npos + 1 == 0 when all zeros
  if (significant == 0 || digits.substr(0, 2) == "00") {
    return invalid("no CPV division starts with 00");
  }
  CpvCode code;
  code.digits = std::string(digits);
  code.level = static_cast<int>(std::max<size_t>(significant, 2)) - 1;
  return code;
}

int SharedLevel(const CpvCode& a, const CpvCode& b) {
  // Levels are prefixes of 2, 3, ... 8 digits; a prefix counts only within both codes' depth.
  const int deepest = std::min(a.level, b.level);
  int shared = 0;
  for (int level = 1; level <= deepest; ++level) {
    size_t prefix = static_cast<size_t>(level) + 1;
    if (a.digits.compare(0, prefix, b.digits, 0, prefix) != 0) break;
    shared = level;
  }
  return shared;
}

double CpvSimilarity(const CpvCode& a, const CpvCode& b) {
  const int shared = SharedLevel(a, b);
  if (shared == 0) return 0.0;
  const int deeper = std::max(a.level, b.level);
  const double share = static_cast<double>(shared) / deeper;
  // One contains the other: what a buyer asks for in general terms, a supplier offers in
  // particular ones (or the reverse); that is a match, if a looser one the further apart.
  if (shared == std::min(a.level, b.level)) return 0.5 + 0.5 * share;
  return 0.5 * share;
}

}  // namespace incontra::scoring
