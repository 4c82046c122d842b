// Text analysis for matching, in Italian and English: Unicode folding (utf8proc), tokens, stop
// words and Snowball stems (libstemmer), with the language given or detected per text.
//
// Terms are what the scorer compares: "Manutenzione del verde pubblico" becomes
// {"manutenzion", "verd", "pubblic"} in Italian. Stems are computed on the case-folded text
// with its accents (Snowball's Italian rules use them) and folded to plain letters afterwards,
// so "città" and "citta" give the same term.
//
// Thread-safety: the free functions are thread-safe. An Analyzer owns stemmers, which are not:
// use one Analyzer per thread.
//
// Usage:
//   Analyzer analyzer;
//   std::vector<std::string> terms = analyzer.Terms("Fornitura di arredi scolastici");
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace incontra::scoring {

enum class Language { kItalian, kEnglish };

// The well-formed UTF-8 of a text: invalid sequences dropped, byte by byte.
std::string ValidUtf8(std::string_view text);

// NFKC, case folding, control characters removed; accents stripped too when `strip_accents`.
// Invalid UTF-8 sequences are dropped, never passed on.
std::string Fold(std::string_view text, bool strip_accents);

// Splits folded text into words: maximal runs of letters and digits. Apostrophes and every
// other character separate ("l'ufficio" -> "l", "ufficio"), except the dots of an abbreviation
// of single letters, which is one word ("d.p.i." -> "dpi", as "dpi" written without dots).
std::vector<std::string> Tokenize(std::string_view folded);

// Whether a text is plain ASCII. Folding it is then the same with accents stripped or kept.
bool IsAscii(std::string_view text);

// Whether a token has a digit: a number, a year, a code.
bool HasDigit(std::string_view token);

// Whether a folded token (accents stripped) is a stop word of the language.
bool IsStopWord(std::string_view token, Language language);

// The language whose stop words occur more often among folded tokens; Italian on a tie (the
// market's seed language), and when English leads by one stop word only but a quarter or more
// of the other words end as Italian ones do ("servizi it", "fornitura espositore roll up").
Language DetectLanguage(const std::vector<std::string>& tokens);

class Analyzer {
 public:
  Analyzer();
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Terms of a text: folded, tokenized, without stop words, stemmed in `language` (detected
  // when not given), accents stripped. Order and repeats are kept.
  // When `words` is given, it receives the word each term was made from (folded, accents
  // kept: "manutenzione" for "manutenzion"), one per term. When `tokens` is given, it
  // receives every token of the text, stop words too: Tokenize(Fold(text, false)).
  std::vector<std::string> Terms(std::string_view text,
                                 std::optional<Language> language = std::nullopt,
                                 std::vector<std::string>* words = nullptr,
                                 std::vector<std::string>* tokens = nullptr);

  // One word's stem (the word folded first), accents stripped.
  std::string Stem(std::string_view word, Language language);

 private:
  struct Stemmers;
  struct Word;  // what a word is, remembered (text.cc)
  Word& Lookup(std::string_view word);
  const std::string& StemOf(Word& w, std::string_view word, Language language);
  std::string StemUncached(std::string_view word, Language language);
  std::unique_ptr<Stemmers> stemmers_;
};

}  // namespace incontra::scoring
