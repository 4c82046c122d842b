// CPV 2008 procurement codes (Regulation (EC) No 213/2008): parsing and similarity from the
// hierarchy in the digits.
//
// A code has 8 digits and an optional check digit ("72212000-5"). Its level is the number of
// significant digits less one: division "72000000" is level 1, group "72200000" level 2, class
// "72210000" level 3, category "72212000" level 4, and finer codes levels 5 to 7.
//
// The check digit is checked for form only. The check digits of the 2008 list do not follow
// the algorithm its documentation gives (the EU Publications Office confirmed the error and
// will not correct it), so none of the published algorithms accepts the official codes: no
// algorithm tried here (weighted mod 10 and 11, Luhn, Damm, ISO 7064 11,10) matches more than
// 10% of the 9,454 codes of the labels file, chance level. Only the list itself could tell a
// wrong check digit, and users copy codes from that list.
//
// Thread-safety: values and pure functions.
//
// Usage:
//   auto a = ParseCpv("72212000-5"), b = ParseCpv("72000000");
//   double s = CpvSimilarity(*a, *b);  // a child and its division: close
#pragma once

#include <string>
#include <string_view>

#include "scoring/status.h"

namespace incontra::scoring {

struct CpvCode {
  std::string digits;  // exactly 8, without the check digit
  int level = 0;       // 1 (division) to 7
};

// Error code cpv.invalid, with a message naming the rule.
Result<CpvCode> ParseCpv(std::string_view text);

// The level of the deepest code that contains both (0: not even the same division).
int SharedLevel(const CpvCode& a, const CpvCode& b);

// 1 for the same code; for a code and one of its ancestors, from 0.5 (a division and a code
// far below it) up; for codes in different branches, half the share of the deeper code's path
// they have in common; 0 across divisions. Symmetric.
double CpvSimilarity(const CpvCode& a, const CpvCode& b);

}  // namespace incontra::scoring
