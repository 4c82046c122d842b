// The CPV labels list: parsing the TSV, looking codes up, suggesting codes for a free text in
// Italian or English, and refusing malformed files with a message that names the line.
#include "scoring/cpv_labels.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace incontra::scoring {
namespace {

const char* kHeader = "code\tcode8\tparent\tlevel\ttype\tlabel_en\tlabel_it\n";

// Rows of the official list (../shared/data/cpv), enough for a cleaning and a school branch.
const char* kRows =
    "45000000-7\t45000000\t\t1\t2\tConstruction work\tLavori di costruzione\n"
    "45210000-2\t45210000\t45200000-9\t3\t2\tBuilding construction work\t"
    "Lavori generali di costruzione di edifici\n"
    "45214200-2\t45214200\t45214000-0\t5\t2\tConstruction work for school buildings\t"
    "Lavori di costruzione di edifici scolastici\n"
    "80000000-4\t80000000\t\t1\t3\tEducation and training services\t"
    "Servizi di istruzione e formazione\n"
    "80110000-8\t80110000\t80100000-5\t3\t3\tPre-school education services\t"
    "Servizi di istruzione prescolastica\n"
    "90000000-7\t90000000\t\t1\t3\tSewage, refuse, cleaning and environmental services\t"
    "Servizi fognari, di raccolta dei rifiuti, di pulizia e ambientali\n"
    "90910000-9\t90910000\t90900000-6\t3\t3\tCleaning services\tServizi di pulizia\n"
    "90911200-8\t90911200\t90911000-6\t5\t3\tBuilding-cleaning services\t"
    "Servizi di pulizia di edifici\n"
    "90919000-2\t90919000\t90910000-9\t4\t3\tOffice, school and office equipment cleaning "
    "services\tServizi di pulizia di uffici, scuole e apparecchiature per ufficio\n"
    "90919200-4\t90919200\t90919000-2\t5\t3\tOffice cleaning services\t"
    "Servizi di pulizia di uffici\n"
    "90919300-5\t90919300\t90919000-2\t5\t3\tSchool cleaning services\t"
    "Servizi di pulizia di scuole\n";

CpvLabels Labels() {
  auto labels = CpvLabels::Parse(std::string(kHeader) + kRows);
  REQUIRE_MESSAGE(labels.ok(), labels.status().ToString());
  return std::move(*labels);
}

// The suggestions as "code8 code8 ...", best first.
std::string Codes(const std::vector<CpvLabels::Suggestion>& suggestions) {
  std::string out;
  for (const auto& s : suggestions) out += (out.empty() ? "" : " ") + s.code8;
  return out;
}

TEST_CASE("cpv labels: parse, find and label text") {
  const CpvLabels labels = Labels();
  CHECK(labels.size() == 11);
  const CpvLabels::Entry* e = labels.Find("90919300");
  REQUIRE(e != nullptr);
  CHECK(e->code == "90919300-5");
  CHECK(e->code8 == "90919300");
  CHECK(e->label_it == "Servizi di pulizia di scuole");
  CHECK(e->label_en == "School cleaning services");
  CHECK(labels.Find("90919301") == nullptr);
  CHECK(labels.Find("90919300-5") == nullptr);  // Find takes the 8 digits
  CHECK(labels.LabelText("90910000") == "Servizi di pulizia Cleaning services");
  CHECK(labels.LabelText("99999999") == "");
}

TEST_CASE("cpv labels: CRLF line ends and blank lines are accepted") {
  auto labels = CpvLabels::Parse(
      "\r\ncode8\tlabel_it\tlabel_en\r\n\r\n90910000-9\tServizi di pulizia\tCleaning services\r\n");
  REQUIRE_MESSAGE(labels.ok(), labels.status().ToString());
  REQUIRE(labels->size() == 1);
  const CpvLabels::Entry* e = labels->Find("90910000");
  REQUIRE(e != nullptr);
  CHECK(e->label_en == "Cleaning services");  // no '\r' kept
  CHECK(e->code == "90910000");               // no code column: the 8 digits
}

TEST_CASE("cpv labels: suggest ranks the school cleaning services first, in either language") {
  const CpvLabels labels = Labels();
  for (const char* text : {"pulizia scuole", "Servizi di pulizia delle scuole",
                           "cleaning of schools", "cleaning services for the schools"}) {
    CAPTURE(text);
    const auto s = labels.Suggest(text, 5);
    REQUIRE_FALSE(s.empty());
    CHECK(s[0].code8 == "90919300");
    CHECK(labels.Find(s[0].code8)->label_it == "Servizi di pulizia di scuole");
    CHECK(s.size() <= 5);
    for (size_t k = 0; k < s.size(); ++k) {
      CAPTURE(k);
      CHECK(s[k].score > 0.0);
      CHECK(s[k].score <= 1.0);
      if (k > 0) CHECK(s[k].score <= s[k - 1].score);
    }
  }
}

TEST_CASE("cpv labels: a short English query without stop words finds the English label") {
  const CpvLabels labels = Labels();
  const auto s = labels.Suggest("school cleaning", 3);
  REQUIRE_FALSE(s.empty());
  CHECK(s[0].code8 == "90919300");
}

TEST_CASE("cpv labels: an English query read as Italian still finds the English label") {
  // "cleaning services" has no stop word, so it reads as Italian: stemmed only that way, it
  // missed "clean" and led with the shortest label that says "services".
  auto labels = CpvLabels::Parse(std::string(kHeader) + kRows +
                                 "32344210-1\t32344210\t32344200-8\t5\t2\tFamily Radio Services "
                                 "(FRS)\tFamily Radio Services (FRS)\n");
  REQUIRE_MESSAGE(labels.ok(), labels.status().ToString());
  CHECK(Codes(labels->Suggest("cleaning services", 1)) == "90910000");
  CHECK(Codes(labels->Suggest("servizi di pulizia", 1)) == "90910000");
}

TEST_CASE("cpv labels: suggest keeps k and is empty when no label word occurs") {
  const CpvLabels labels = Labels();
  CHECK(labels.Suggest("pulizia", 2).size() == 2);
  CHECK(labels.Suggest("pulizia", 0).empty());
  CHECK(labels.Suggest("zanzariere fotovoltaiche", 5).empty());
  CHECK(labels.Suggest("", 5).empty());
  // The ancestors' labels reach a code whose own label lacks the word, below the code that has
  // it: "generali" is only in 45210000's label, an ancestor of 45214200.
  CHECK(Codes(labels.Suggest("generali", 5)) == "45210000 45214200");
}

// Parses `tsv`, expects cpv_labels.malformed and returns the message.
std::string Malformed(const std::string& tsv) {
  auto labels = CpvLabels::Parse(tsv);
  REQUIRE_FALSE(labels.ok());
  CHECK(labels.status().code() == "cpv_labels.malformed");
  return labels.status().message();
}

TEST_CASE("cpv labels malformed: wrong column count names the line and both counts") {
  const std::string message =
      Malformed(std::string(kHeader) + "90910000-9\t90910000\t\t3\t3\tCleaning services\n");
  CHECK(message == "line 2: expected 7 tab-separated columns, got 6");
  // Blank lines count: header 1, blank 2, eleven rows 3 to 13, blank 14, the bad row 15.
  CHECK(Malformed(std::string(kHeader) + "\n" + kRows + "\n" + "90919300-5\t90919300\n") ==
        "line 15: expected 7 tab-separated columns, got 2");
}

TEST_CASE("cpv labels malformed: a header without code8, label_en or label_it") {
  for (const char* header : {"code\tparent\tlevel\ttype\tlabel_en\tlabel_it\n",
                             "code\tcode8\tparent\tlevel\ttype\tlabel_it\n",
                             "code\tcode8\tparent\tlevel\ttype\tlabel_en\n"}) {
    CAPTURE(header);
    const std::string message = Malformed(std::string(header) + "90910000-9\t90910000\n");
    CHECK(message == "line 1: the header must name the columns code8, label_en, label_it");
  }
}

TEST_CASE("cpv labels malformed: a bad code names the line and the code") {
  const std::string message = Malformed(
      std::string(kHeader) + "90910000-9\t9091000X\t\t3\t3\tCleaning services\tServizi di pulizia\n");
  CHECK(message.find("line 2: '9091000X'") == 0);
}

TEST_CASE("cpv labels malformed: a duplicate code names the line of the second one") {
  const std::string message =
      Malformed(std::string(kHeader) + kRows +
                "90919300-5\t90919300-5\t\t5\t3\tSchool cleaning\tPulizia scuole\n");
  CHECK(message == "line 13: code 90919300 appears twice");
}

TEST_CASE(
    "cpv labels malformed: a label that is not UTF-8 names its line, a byte order mark is fine") {
  // Regression: such a label crashed `cpv suggest` when it was written out as JSON.
  CHECK(Malformed(std::string(kHeader) + kRows +
                  "72212000-4\t72212000\t\t5\t3\tSoftware\tSoft\xffware\n") ==
        "line 13: not valid UTF-8");
  auto labels = CpvLabels::Parse("\xEF\xBB\xBF" + std::string(kHeader) + kRows);
  REQUIRE_MESSAGE(labels.ok(), labels.status().ToString());
  CHECK(labels->Find("90919300")->code == "90919300-5");  // the first column kept its name
}

TEST_CASE("cpv labels malformed: a file without codes") {
  // Regression: an empty file was reported at "line 0", a line that does not exist.
  CHECK(Malformed(kHeader) == "the list has no codes");
  CHECK(Malformed("") == "the list has no codes");
  CHECK(Malformed("\n\n") == "the list has no codes");
}

}  // namespace
}  // namespace incontra::scoring
