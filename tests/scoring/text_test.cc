#include "scoring/text.h"

#include <doctest/doctest.h>
#include <utf8proc.h>

#include <cstdlib>
#include <random>
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

// The whole text through utf8proc at once: what Fold's pieces must add up to.
std::string FoldWhole(const std::string& text, bool strip_accents) {
  int options = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                UTF8PROC_STRIPCC | UTF8PROC_IGNORE | UTF8PROC_LUMP;
  if (strip_accents) options |= UTF8PROC_STRIPMARK;
  utf8proc_uint8_t* mapped = nullptr;
  const std::string valid = ValidUtf8(text);
  utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid.data()),
                                    static_cast<utf8proc_ssize_t>(valid.size()), &mapped,
                                    static_cast<utf8proc_option_t>(options));
  REQUIRE(n >= 0);
  std::string out(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
  std::free(mapped);
  return out;
}

TEST_CASE("fold: ASCII folded by hand and the rest by utf8proc give the whole text's words") {
  // Fold sends only the non-ASCII runs (with the character before each) through utf8proc.
  // Random mixes of ASCII, precomposed and combining accents, ligatures, fullwidth and Greek
  // capitals, controls and stray bytes must tokenize as utf8proc on the whole text does.
  const std::vector<std::string> pieces = {
      "a", "E", "z", "7", " ", "'", "-", "\t", "\r\n", "\n", "\r", "\f", "\v", "\x01", "\x7f",
      "\xC3\x80",          // À
      "\xCC\x81",          // combining acute, composes with the character before
      "\xEF\xAC\x81",     // ﬁ ligature
      "\xEF\xBC\xA1",     // fullwidth A
      "\xCE\xA3",          // Σ
      "\xC2\xA0",          // no-break space
      "\xE2\x80\x99",     // right single quotation mark
      "\xFF",               // not UTF-8
  };
  std::mt19937 random(11);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int length = 1 + static_cast<int>(random() % 12);
    for (int k = 0; k < length; ++k) text += pieces[random() % pieces.size()];
    for (const bool strip : {false, true}) {
      CAPTURE(text);
      CAPTURE(strip);
      CHECK(Join(Tokenize(Fold(text, strip))) == Join(Tokenize(FoldWhole(text, strip))));
    }
  }
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

TEST_CASE("tokenize: a dotted abbreviation is one word, as it is without dots (regression: its "
          "letters were dropped one by one)") {
  CHECK(Join(Tokenize(Fold("Fornitura D.P.I. alla O.A.M.I. S.p.A.", true))) ==
        "fornitura dpi alla oami spa");
  CHECK(Join(Tokenize(Fold("S.p.A, R.S.A. Sistemi; l¿U.O.", true))) == "spa rsa sistemi l u o");
  // Not abbreviations: an initial before a word, a letter before a number, spaced letters.
  CHECK(Join(Tokenize("via a. visconti, n.1000, a. b. c")) == "via a visconti n 1000 a b c");
  Analyzer a;
  CHECK(a.Terms("Fornitura D.P.I.") == a.Terms("Fornitura DPI"));
}

TEST_CASE("tokenize: two dotted letters stay apart (regression: 'A.S.', anno scolastico, read as "
          "the English 'as' made an Italian title English)") {
  CHECK(Join(Tokenize("refezione scolastica a.s. 2019")) == "refezione scolastica a s 2019");
  CHECK(DetectLanguage(Tokenize("refezione scolastica a.s. 2019")) == Language::kItalian);
  Analyzer a;
  CHECK(a.Terms("Refezione scolastica A.S. 2019-2020")[1] == a.Terms("Refezione scolastica")[1]);
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

TEST_CASE("language detection: initials and 'via' tell nothing (regression: short Italian titles "
          "were stemmed as English)") {
  // "a" and "s" are English stop words and "via" is one too, but here they are pieces of
  // "S.p.A.", an initial and the street of an address.
  CHECK(DetectLanguage(Tokenize("videoproiettori via a visconti")) == Language::kItalian);
  CHECK(DetectLanguage(Tokenize("noleggio s p a")) == Language::kItalian);
  CHECK(DetectLanguage(Tokenize("shipped via the port of genoa")) == Language::kEnglish);
  // "On line" is Italian usage: it made this title English, its words stemmed as English, and
  // it no longer matched "abbonamenti a riviste giuridiche".
  CHECK(DetectLanguage(Tokenize("abbonamento a rivista giuridica on line")) == Language::kItalian);
  CHECK(DetectLanguage(Tokenize("services on demand for the city")) == Language::kEnglish);
  Analyzer a;
  CHECK(a.Terms("Fornitura videoproiettori via A. Visconti")[1] ==
        a.Terms("Fornitura di videoproiettori")[1]);
}

// One English stop word made an Italian text English, and its Italian words were stemmed
// unlike everywhere else: "Servizi IT" missed "servizi informatici" (regression).
TEST_CASE("language detection: one English stop word among Italian words keeps a text Italian") {
  for (const char* italian :
       {"servizi it", "assistenza sistemistica it per gli uffici comunali",
        "fornitura espositore roll up", "affidamento servizio catering evento upper ready to start",
        "noleggio fotocopiatrici sede di cagliari or", "rinnovo dominio it dedicato a fellini"}) {
    CHECK_MESSAGE(DetectLanguage(Tokenize(italian)) == Language::kItalian, italian);
  }
  // English words or two English stop words ahead still make a text English.
  for (const char* english : {"the universal key", "cloud services for schools",
                              "software licences for the city", "video surveillance of the area"}) {
    CHECK_MESSAGE(DetectLanguage(Tokenize(english)) == Language::kEnglish, english);
  }
  Analyzer a;
  CHECK(a.Terms("Servizi IT")[0] == a.Terms("Servizi informatici")[0]);
  CHECK(a.Terms("Cloud services for schools")[1] == a.Terms("The service of the school")[0]);
}

// "IT" (information technology, in Italian tenders as in English ones) was dropped as the
// English pronoun: "IT services" matched cemetery services on "services" alone (regression).
TEST_CASE("stop words: 'it' is a term, the rest of the pronouns are not") {
  CHECK_FALSE(IsStopWord("it", Language::kEnglish));
  CHECK(IsStopWord("its", Language::kEnglish));
  Analyzer a;
  CHECK(Join(a.Terms("Servizi IT")) == "serviz it");
  CHECK(a.Terms("IT services for the city")[0] == "it");
  CHECK(a.Terms("IT services for the city")[1] == "servic");
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

TEST_CASE("terms: the tokens of ASCII text are the same with accents stripped or kept") {
  // The scorer reads word pairs and name grams from Tokenize(Fold(text, true)) and takes the
  // analyzer's tokens (Fold(text, false)) for them when the text is ASCII: random ASCII,
  // controls, dots of abbreviations and all, must tokenize alike both ways.
  std::mt19937 random(3);
  const std::string alphabet = "aZ9 .'\t\n\x01\x7f-S.p.A.e";
  Analyzer a;
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    for (int k = static_cast<int>(random() % 30); k > 0; --k) {
      text.push_back(alphabet[random() % alphabet.size()]);
    }
    REQUIRE(IsAscii(text));
    std::vector<std::string> tokens;
    a.Terms(text, std::nullopt, nullptr, &tokens);
    REQUIRE(tokens == Tokenize(Fold(text, true)));
  }
  CHECK_FALSE(IsAscii("città"));
}

TEST_CASE("terms: a word remembered from one language is stemmed afresh in the other") {
  // The analyzer remembers each word's stems per language; one stem must not stand for both.
  Analyzer a, fresh_en, fresh_it;
  const std::vector<std::string> english = a.Terms("the trainers of the engineers");
  const std::vector<std::string> italian = a.Terms("trainers per gli engineers");
  CHECK(english == fresh_en.Terms("the trainers of the engineers"));
  CHECK(italian == fresh_it.Terms("trainers per gli engineers"));
  CHECK(english[0] == fresh_en.Stem("trainers", Language::kEnglish));
  CHECK(italian[0] == fresh_it.Stem("trainers", Language::kItalian));
  CHECK(english[0] != italian[0]);
  // Stem and Terms share what they remember: the order of calls changes nothing.
  Analyzer b;
  CHECK(b.Stem("engineers", Language::kItalian) == fresh_it.Stem("engineers", Language::kItalian));
  CHECK(b.Terms("the engineers") == fresh_en.Terms("the engineers"));
}

}  // namespace
}  // namespace incontra::scoring
