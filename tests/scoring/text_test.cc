#include "scoring/text.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace incontra::scoring {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

TEST_CASE("fold: case, accents, compatibility forms and controls") {
  CHECK(Fold("CITTÀ di Perugia", true) == "citta di perugia");
  CHECK(Fold("CITTÀ", false) == "città");
  CHECK(Fold("e\xCC\x81", false) == "é");  // decomposed accent composed
  CHECK(Fold("\xEF\xAC\x81nanza", true) == "finanza");  // the "fi" ligature
  CHECK(Fold("a\tb\x01" "c", true) == "a bc");
}

TEST_CASE("fold: invalid UTF-8 is dropped, never passed on") {
  CHECK(Fold("ab\xFF\xFE" "cd", true) == "abcd");
  CHECK(Fold("\xC3", true) == "");  // a truncated sequence
  CHECK(Fold("", true) == "");
}

TEST_CASE("tokenize: letters and digits, everything else separates") {
  CHECK(Join(Tokenize("l'ufficio, 2027-03 (lotto n.2)")) == "l ufficio 2027 03 lotto n 2");
  CHECK(Join(Tokenize("città-stato")) == "città stato");
  CHECK(Tokenize("!!! --- ...").empty());
}

TEST_CASE("stop words of each language") {
  CHECK(IsStopWord("della", Language::kItalian));
  CHECK(IsStopWord("the", Language::kEnglish));
  CHECK_FALSE(IsStopWord("verde", Language::kItalian));
  CHECK_FALSE(IsStopWord("della", Language::kEnglish));
}

TEST_CASE("language detection from stop words") {
  CHECK(DetectLanguage(Tokenize("supply of furniture for the schools of the city")) ==
        Language::kEnglish);
  CHECK(DetectLanguage(Tokenize("fornitura di arredi per le scuole della citta")) ==
        Language::kItalian);
  CHECK(DetectLanguage({}) == Language::kItalian);
}

TEST_CASE("stems: inflections meet, accents do not matter") {
  Analyzer a;
  CHECK(a.Stem("manutenzione", Language::kItalian) == a.Stem("manutenzioni", Language::kItalian));
  CHECK(a.Stem("scolastici", Language::kItalian) == a.Stem("scolastico", Language::kItalian));
  CHECK(a.Stem("città", Language::kItalian) == a.Stem("CITTA", Language::kItalian));
  CHECK(a.Stem("services", Language::kEnglish) == a.Stem("service", Language::kEnglish));
  CHECK(a.Stem("manutenzione", Language::kItalian) != a.Stem("fornitura", Language::kItalian));
  CHECK(a.Stem("2027", Language::kItalian) == "2027");
}

TEST_CASE("terms: stop words of both languages go, the rest is stemmed") {
  Analyzer a;
  std::vector<std::string> terms = a.Terms("Manutenzione del verde pubblico e dei parchi");
  CHECK(terms.size() == 4);
  CHECK(terms[0] == a.Stem("manutenzioni", Language::kItalian));
  // An English word in an Italian text is still a stop word.
  CHECK(a.Terms("servizio di cloud for the PA").size() == 3);
  CHECK(a.Terms("the of and della").empty());
  CHECK(a.Terms("").empty());
}

}  // namespace
}  // namespace incontra::scoring
