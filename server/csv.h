// CSV (RFC 4180) for organisers' spreadsheets, through libcsv: writing rows of a schedule and
// reading a participants file with a header row.
//
// Thread-safety: stateless functions.
//
// Usage:
//   std::string line = CsvRow({"m1", "Quagliata, Srl"});  // "\"m1\",\"Quagliata, Srl\"\r\n"
//   auto participants = ParticipantsFromCsv(text);       // JSON records, FORMATS.md shape
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/status.h"

namespace incontra::server {

// One CSV record: every field quoted, quotes doubled, CRLF at the end. A field a spreadsheet
// would take for a formula (=, +, @, -, tab, CR; a plain negative number excepted) gets a
// leading '.
std::string CsvRow(const std::vector<std::string>& fields);

// The records of a CSV text (strict RFC 4180 quoting; a UTF-8 byte order mark is skipped).
// csv.malformed with the row number when the quoting is broken.
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text);

// Participants from a CSV with a header row naming the fields: id, kind, name, description,
// region as text; offers, seeks, cpv, languages, tags as lists separated by ';' or '|';
// max_meetings as an integer; any other column kept as a text field. Empty cells are absent.
// Errors name the row and the column: "row 3, max_meetings: an integer" (csv.* codes).
// The records are not validated as participants here: the caller runs the participant codec.
struct CsvRecord {
  size_t row = 0;  // 1-based, the header is row 1
  nlohmann::json record;
};
Result<std::vector<CsvRecord>> ParticipantsFromCsv(std::string_view text);

}  // namespace incontra::server
