#include "server/csv.h"

#include <csv.h>

#include <cctype>
#include <set>

#include "scoring/text.h"

namespace incontra::server {
namespace {

using nlohmann::json;

struct Reader {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
};

void OnField(void* data, size_t size, void* out) {
  static_cast<Reader*>(out)->row.emplace_back(static_cast<const char*>(data), size);
}

void OnRow(int, void* out) {
  auto* reader = static_cast<Reader*>(out);
  reader->rows.push_back(std::move(reader->row));
  reader->row.clear();
}

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return std::string(s.substr(a, b - a));
}

}  // namespace

std::string CsvRow(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    std::string f = fields[i];
    // A NUL or another control character (from a name, say) ends or garbles a cell in
    // spreadsheets: a space instead. Tabs and line breaks are text a quoted cell keeps.
    for (char& c : f) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t' && c != '\r' && c != '\n') || u == 0x7f) c = ' ';
    }
    // A text a spreadsheet would run as a formula ("=HYPERLINK(...)") is kept as text.
    // A plain negative number ("-12.5") is left alone; "-2+3+cmd|..." is not one.
    const bool number = f.size() > 1 && f[0] == '-' &&
                        f.find_first_not_of("0123456789.", 1) == std::string::npos;
    if (!f.empty() && !number &&
        (f[0] == '=' || f[0] == '+' || f[0] == '@' || f[0] == '\t' || f[0] == '\r' || f[0] == '-')) {
      f.insert(0, 1, '\'');
    }
    std::string quoted(f.size() * 2 + 2, '\0');
    quoted.resize(csv_write(quoted.data(), quoted.size(), f.data(), f.size()));
    out += quoted;
  }
  out += "\r\n";
  return out;
}

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return Status::IoError("csv.io", "cannot start the CSV parser");
  }
  Reader reader;
  const size_t parsed = csv_parse(&parser, text.data(), text.size(), OnField, OnRow, &reader);
  const bool ok = parsed == text.size() && csv_fini(&parser, OnField, OnRow, &reader) == 0;
  const int error = csv_error(&parser);
  csv_free(&parser);
  if (!ok) {
    return Status::InvalidArgument(
        "csv.malformed", "row " + std::to_string(reader.rows.size() + 1) + ": " + csv_strerror(error));
  }
  return reader.rows;
}

Result<std::vector<CsvRecord>> ParticipantsFromCsv(std::string_view text) {
  auto rows = ParseCsv(text);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::InvalidArgument("csv.missing_header", "row 1: a header row naming the fields");
  std::vector<std::string> header;
  std::set<std::string> seen;
  for (const std::string& h : (*rows)[0]) {
    std::string name = Trim(h);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.empty() || !seen.insert(name).second) {
      return Status::InvalidArgument("csv.bad_header", "row 1: column names must be non-empty and distinct ('" + name + "')");
    }
    header.push_back(name);
  }
  static const std::set<std::string> kLists = {"offers", "seeks", "cpv", "languages", "tags"};
  std::vector<CsvRecord> out;
  for (size_t r = 0; r < rows->size(); ++r) {
    for (const std::string& cell : (*rows)[r]) {
      if (scoring::ValidUtf8(cell) != cell) {
        return Status::InvalidArgument(
            "csv.invalid_utf8", "row " + std::to_string(r + 1) +
                                    ": not UTF-8 (save the spreadsheet as CSV UTF-8)");
      }
    }
  }
  for (size_t r = 1; r < rows->size(); ++r) {
    const auto& row = (*rows)[r];
    const std::string where = "row " + std::to_string(r + 1);
    if (row.size() == 1 && Trim(row[0]).empty()) continue;  // a blank line
    if (row.size() != header.size()) {
      return Status::InvalidArgument("csv.wrong_width", where + ": " + std::to_string(row.size()) +
                                                            " fields, the header has " +
                                                            std::to_string(header.size()));
    }
    json record = json::object();
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string cell = Trim(row[c]);
      if (cell.empty()) continue;
      const std::string& name = header[c];
      if (kLists.count(name)) {
        json list = json::array();
        size_t start = 0;
        while (start <= cell.size()) {
          size_t stop = cell.find_first_of(";|", start);
          if (stop == std::string::npos) stop = cell.size();
          if (std::string item = Trim(std::string_view(cell).substr(start, stop - start)); !item.empty()) {
            list.push_back(item);
          }
          start = stop + 1;
        }
        record[name] = list;
      } else if (name == "max_meetings") {
        // The codec's rule, said the same way, for a number too long to read as well.
        if (cell.empty() || cell.size() > 7 ||
            cell.find_first_not_of("0123456789") != std::string::npos || std::stoi(cell) > 1'000'000) {
          return Status::InvalidArgument("csv.invalid_value",
                                         where + ", max_meetings: a whole number from 0 to 1000000");
        }
        record[name] = std::stoi(cell);
      } else {
        record[name] = cell;
      }
    }
    out.push_back({r + 1, std::move(record)});
  }
  return out;
}

}  // namespace incontra::server
