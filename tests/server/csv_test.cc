// server/csv.h: CSV rows for spreadsheets (every field quoted, formulas defused), strict RFC 4180
// reading, and participants from a CSV with a header row.
#include "server/csv.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace incontra::server {
namespace {

using nlohmann::json;

// The records as JSON, or "code: message".
std::string Parsed(std::string_view text) {
  auto rows = ParseCsv(text);
  if (!rows.ok()) return rows.status().code() + ": " + rows.status().message();
  return json(*rows).dump();
}

// "row N: record" per participant, one a line; or "code: message".
std::string Participants(std::string_view text) {
  auto records = ParticipantsFromCsv(text);
  if (!records.ok()) return records.status().code() + ": " + records.status().message();
  std::string out;
  for (const CsvRecord& r : *records)
    out += "row " + std::to_string(r.row) + ": " + r.record.dump() + "\n";
  return out;
}

TEST_CASE("csv CsvRow quotes every field, doubles quotes and ends with CRLF") {
  CHECK(CsvRow({"m1", "Quagliata, Srl"}) == "\"m1\",\"Quagliata, Srl\"\r\n");
  CHECK(CsvRow({"say \"ciao\"", "", "two\r\nlines", "semi;colon"}) ==
        "\"say \"\"ciao\"\"\",\"\",\"two\r\nlines\",\"semi;colon\"\r\n");
  CHECK(CsvRow({"Società “Verde”"}) == "\"Società “Verde”\"\r\n");
  CHECK(CsvRow({}) == "\r\n");
}

// A NUL in a participant's name reached schedule.csv as is, and spreadsheets cut the cell
// there (regression).
TEST_CASE("csv CsvRow writes control characters but tab and line breaks as spaces") {
  CHECK(CsvRow({std::string("Alfa\0Srl", 8),
                "a\x01\x1f\x7f"
                "b",
                "tab\there"}) == "\"Alfa Srl\",\"a   b\",\"tab\there\"\r\n");
}

TEST_CASE("csv CsvRow keeps a field a spreadsheet would run as a formula as text") {
  std::string table;
  for (const char* field : {"=HYPERLINK(\"http://x\")", "+39 070 123", "@SUM(A1)", "-", "-x", "\tx",
                            "\rx", "-5", "-0.5", "a=b", "", "5"}) {
    table += CsvRow({field});
  }
  CHECK(table ==
        "\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"
        "\"'+39 070 123\"\r\n"
        "\"'@SUM(A1)\"\r\n"
        "\"'-\"\r\n"
        "\"'-x\"\r\n"
        "\"'\tx\"\r\n"
        "\"'\rx\"\r\n"
        "\"-5\"\r\n"  // a negative number stays a number
        "\"-0.5\"\r\n"
        "\"a=b\"\r\n"
        "\"\"\r\n"
        "\"5\"\r\n");
}

// Bug (CSV injection): '-' before a digit was let through, so a participant named
// "-2+3+cmd|' /C calc'!A0" (a name participants set themselves) reached organisers'
// spreadsheets in schedule.csv as a live formula. Only a plain number may start with '-'.
TEST_CASE("csv CsvRow defuses a formula that starts with a minus and a digit") {
  CHECK(CsvRow({"-2+3+cmd|' /C calc'!A0"}) == "\"'-2+3+cmd|' /C calc'!A0\"\r\n");
  CHECK(CsvRow({"-1+1"}) == "\"'-1+1\"\r\n");
  CHECK(CsvRow({"-5"}) == "\"-5\"\r\n");
}

TEST_CASE("csv CsvRow output reads back through ParseCsv, the formula guard aside") {
  const std::vector<std::string> fields = {"m1", "a,b", "say \"ciao\"", "two\r\nlines", "", "x y"};
  CHECK(Parsed(CsvRow(fields) + CsvRow({"m2"})) == json({fields, {"m2"}}).dump());
}

TEST_CASE("csv ParseCsv reads quoted commas, doubled quotes, quoted newlines, LF or CRLF rows") {
  CHECK(Parsed("id,name\r\np1,\"Quagliata, Srl\"\r\n") ==
        R"([["id","name"],["p1","Quagliata, Srl"]])");
  CHECK(Parsed("a,b\nc,d\n") == R"([["a","b"],["c","d"]])");
  CHECK(Parsed("a,b\r\nc,d") == R"([["a","b"],["c","d"]])");  // no line end after the last row
  CHECK(Parsed("\"say \"\"ciao\"\"\",x\r\n") == R"([["say \"ciao\"","x"]])");
  CHECK(Parsed("id,note\r\np1,\"two\r\nlines\"\r\np2,\"one\nmore\"\r\n") ==
        R"([["id","note"],["p1","two\r\nlines"],["p2","one\nmore"]])");
  CHECK(Parsed("a,,b\r\n,\r\n") == R"([["a","","b"],["",""]])");
  CHECK(Parsed("a\r\n\r\nb\r\n") == R"([["a"],["b"]])");  // blank lines are no rows
  CHECK(Parsed("") == "[]");
}

TEST_CASE("csv ParseCsv skips a UTF-8 byte order mark") {
  CHECK(Parsed("\xEF\xBB\xBFid,kind\r\np1,pa\r\n") == R"([["id","kind"],["p1","pa"]])");
  CHECK(Parsed("\xEF\xBB\xBF\"id\",kind\r\n") == R"([["id","kind"]])");
}

TEST_CASE("csv ParseCsv refuses broken quoting with csv.malformed and the row") {
  std::string table;
  for (const char* text : {"a,b\r\n\"x\"y,z\r\n", "a,b\r\nx\"y,z\r\n", "a,b\r\np1,\"Quagliata",
                           "\"a\"b\r\n", "a,b\r\n\"two\nlines\",c\r\nd,\"e\"f\r\n"}) {
    table += Parsed(text) + "\n";
  }
  const std::string e = ": error parsing data while strict checking enabled\n";
  CHECK(table == "csv.malformed: row 2" + e +      // text after a closing quote
                     "csv.malformed: row 2" + e +  // a quote inside a plain field
                     "csv.malformed: row 2" + e +  // a quote never closed
                     "csv.malformed: row 1" + e +  // the same in the header
                     "csv.malformed: row 3" + e);  // rows, not lines, are counted
}

TEST_CASE("csv ParticipantsFromCsv maps the header, splits lists, keeps other columns") {
  const std::string text =
      "ID, Kind ,name,offers,seeks,cpv,languages,tags,max_meetings,region,description,Website\r\n"
      "IT02751560836,company,\"Quagliata, Srl\",cancelleria; arredi per scuole|toner ,partner MePA,"
      "30192000|39160000-5,it;en,pmi,12,ITG13,Forniture per ufficio,https://quagliata.it\r\n"
      "00147990923,pa,Comune di Alghero,,verde urbano,,,,0,,,\r\n";
  CHECK(Participants(text) ==
        "row 2: "
        R"({"cpv":["30192000","39160000-5"],"description":"Forniture per ufficio",)"
        R"("id":"IT02751560836",)"
        R"("kind":"company","languages":["it","en"],"max_meetings":12,"name":"Quagliata, Srl",)"
        R"("offers":["cancelleria","arredi per scuole","toner"],"region":"ITG13",)"
        R"("seeks":["partner MePA"],)"
        R"("tags":["pmi"],"website":"https://quagliata.it"})"
        "\n"
        "row 3: "
        R"({"id":"00147990923","kind":"pa","max_meetings":0,"name":"Comune di Alghero",)"
        R"("seeks":["verde urbano"]})"
        "\n");
}

TEST_CASE("csv ParticipantsFromCsv leaves empty cells and empty list items out") {
  CHECK(Participants("id,kind,name,offers,max_meetings\r\np1,pa,  ,; | ;,\r\n") ==
        "row 2: "
        R"({"id":"p1","kind":"pa","offers":[]})"
        "\n");
  // A blank line is skipped, and the rows after it keep their numbers as records.
  CHECK(Participants("id,kind\r\np1,pa\r\n\r\np2,company\r\n") ==
        "row 2: "
        R"({"id":"p1","kind":"pa"})"
        "\nrow 3: "
        R"({"id":"p2","kind":"company"})"
        "\n");
  CHECK(Participants("id,kind\r\n") == "");
}

TEST_CASE("csv ParticipantsFromCsv refuses a file whole, naming the row and column") {
  std::string table;
  for (const char* text : {
           "",
           "id,kind,ID\r\np1,pa,p1\r\n",
           "id,,kind\r\np1,x,pa\r\n",
           "id,kind\r\np1,pa\r\np2\r\n",
           "id,kind\r\np1,pa,extra\r\n",
           "id,max_meetings\r\np1,twelve\r\n",
           "id,max_meetings\r\np1,-1\r\n",
           "id,max_meetings\r\np1,1.5\r\n",
           "id,max_meetings\r\np1,9999999\r\n",
           "id,max_meetings\r\np1,1000001\r\n",
           "id,kind\r\np1,\"pa\r\n",
       }) {
    table += Participants(text) + "\n";
  }
  CHECK(table ==
        "csv.missing_header: row 1: a header row naming the fields\n"
        "csv.bad_header: row 1: column names must be non-empty and distinct ('id')\n"
        "csv.bad_header: row 1: column names must be non-empty and distinct ('')\n"
        "csv.wrong_width: row 3: 1 fields, the header has 2\n"
        "csv.wrong_width: row 2: 3 fields, the header has 2\n"
        "csv.invalid_value: row 2, max_meetings: a whole number from 0 to 1000000\n"
        "csv.invalid_value: row 2, max_meetings: a whole number from 0 to 1000000\n"
        "csv.invalid_value: row 2, max_meetings: a whole number from 0 to 1000000\n"
        "csv.invalid_value: row 2, max_meetings: a whole number from 0 to 1000000\n"
        "csv.invalid_value: row 2, max_meetings: a whole number from 0 to 1000000\n"
        "csv.malformed: row 2: error parsing data while strict checking enabled\n");
}

}  // namespace
}  // namespace incontra::server
