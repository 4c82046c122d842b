#include "engine/rfc3339.h"

#include <optional>
#include <string>
#include <tuple>

namespace incontra::engine {
namespace {

bool Digits(std::string_view s, size_t from, size_t count) {
  if (from + count > s.size()) return false;
  for (size_t i = from; i < from + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int Number(std::string_view s, size_t from, size_t count) {  // after Digits said yes
  int n = 0;
  for (size_t i = from; i < from + count; ++i) n = n * 10 + (s[i] - '0');
  return n;
}

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ValidDate(int year, int month, int day) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) {
    return false;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month != 2 || day <= 28 || leap;
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  auto bad = [&](const char* rule) {
    return Status::InvalidArgument("time.invalid", "'" + std::string(text) + "': " + rule);
  };
  if (text.size() < 20 || !Digits(text, 0, 4) || text[4] != '-' || !Digits(text, 5, 2) ||
      text[7] != '-' || !Digits(text, 8, 2) || (text[10] != 'T' && text[10] != 't') ||
      !Digits(text, 11, 2) || text[13] != ':' || !Digits(text, 14, 2) || text[16] != ':' ||
      !Digits(text, 17, 2)) {
    return bad("not an RFC 3339 time (YYYY-MM-DDTHH:MM:SS with an offset)");
  }
  const int y = Number(text, 0, 4), mo = Number(text, 5, 2), d = Number(text, 8, 2);
  const int h = Number(text, 11, 2), mi = Number(text, 14, 2), sec = Number(text, 17, 2);
  if (!ValidDate(y, mo, d) || h > 23 || mi > 59 || sec > 60) return bad("no such date or time");
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    const size_t first = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == first) return bad("a fraction of a second needs digits");
  }
  int offset = 0;
  const std::string_view zone = text.substr(i);
  if (zone != "Z" && zone != "z") {
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || !Digits(zone, 1, 2) ||
        zone[3] != ':' || !Digits(zone, 4, 2) || Number(zone, 1, 2) > 23 ||
        Number(zone, 4, 2) > 59) {
      return bad("an RFC 3339 time needs an offset, Z or +HH:MM");
    }
    offset = (Number(zone, 1, 2) * 60 + Number(zone, 4, 2)) * 60 * (zone[0] == '-' ? -1 : 1);
  }
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
}

Status CheckSlotTimes(const std::vector<Slot>& slots) {
  // The last slot with a time: its index, and the time the next one may not start before.
  std::optional<size_t> previous;
  int64_t previous_until = 0;
  bool previous_has_end = false;
  for (size_t i = 0; i < slots.size(); ++i) {
    const std::string at = "slots[" + std::to_string(i) + "]";
    std::optional<int64_t> start, end;
    using Field = std::tuple<const char*, const std::string*, std::optional<int64_t>*>;
    for (auto [name, text, out] :
         {Field{".start", &slots[i].start, &start}, Field{".end", &slots[i].end, &end}}) {
      if (text->empty()) continue;
      auto t = ParseRfc3339(*text);
      if (!t.ok())
        return Status::InvalidArgument("schedule.invalid_value",
                                       at + name + ": " + t.status().message());
      *out = *t;
    }
    if (start && end && *end <= *start) {
      return Status::InvalidArgument(
          "schedule.invalid_value",
          at + ".end: '" + slots[i].end + "' is not after its start '" + slots[i].start + "'");
    }
    if (start && previous &&
        (previous_has_end ? *start < previous_until : *start <= previous_until)) {
      const std::string before = "slots[" + std::to_string(*previous) + "]";
      return Status::InvalidArgument("schedule.invalid_value",
                                     at + ".start: '" + slots[i].start + "' " +
                                         (previous_has_end ? "is before " + before + " ends"
                                                           : "is not after " + before + " starts") +
                                         ": slots are listed in time order and do not overlap");
    }
    if (start || end) {
      previous = i;
      previous_has_end = end.has_value();
      previous_until = end ? *end : *start;
    }
  }
  return Status::Ok();
}

}  // namespace incontra::engine
