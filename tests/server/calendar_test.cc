// server/calendar.h: the slots of an event from its days and sessions (in its time zone) or its
// explicit slot list, RFC 3339 parsing, and iCalendar agendas checked against RFC 5545 (CRLF line
// ends, lines folded at 75 octets, one VTIMEZONE per zone used, TZID-qualified local times).
#include "server/calendar.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "engine/rfc3339.h"

namespace incontra::server {
namespace {

using nlohmann::json;

json Session(const std::string& name, const std::string& start, const std::string& end) {
  json s = {{"start", start}, {"end", end}};
  if (!name.empty()) s["name"] = name;
  return s;
}

json Day(const std::string& date, json sessions) {
  return {{"date", date}, {"sessions", std::move(sessions)}};
}

// "id start end session" per slot, one a line; or "code: message".
std::string Slots(const json& event) {
  auto slots = EventSlots(event);
  if (!slots.ok()) return slots.status().code() + ": " + slots.status().message();
  std::string out;
  for (const engine::Slot& s : *slots)
    out += s.id + " " + s.start + " " + s.end + " " + s.session + "\n";
  return out;
}

TEST_CASE("calendar EventSlots cuts sessions into slots with the day's offset in the zone") {
  const json event = {{"timezone", "Europe/Rome"},
                      {"slot_minutes", 30},
                      {"days",
                       {Day("2027-02-25", {Session("morning", "09:00", "10:00"),
                                           Session("afternoon", "14:00", "15:15")}),
                        Day("2027-07-01", {Session("", "09:00", "10:00")})}}};
  // Winter is +01:00, summer +02:00; a rest shorter than a slot (15:00-15:15) makes no slot.
  CHECK(Slots(event) ==
        "2027-02-25T09:00 2027-02-25T09:00:00+01:00 2027-02-25T09:30:00+01:00 morning\n"
        "2027-02-25T09:30 2027-02-25T09:30:00+01:00 2027-02-25T10:00:00+01:00 morning\n"
        "2027-02-25T14:00 2027-02-25T14:00:00+01:00 2027-02-25T14:30:00+01:00 afternoon\n"
        "2027-02-25T14:30 2027-02-25T14:30:00+01:00 2027-02-25T15:00:00+01:00 afternoon\n"
        "2027-07-01T09:00 2027-07-01T09:00:00+02:00 2027-07-01T09:30:00+02:00 \n"
        "2027-07-01T09:30 2027-07-01T09:30:00+02:00 2027-07-01T10:00:00+02:00 \n");
}

TEST_CASE("calendar EventSlots is UTC without a timezone, other zones get their offsets") {
  CHECK(Slots({{"slot_minutes", 60},
               {"days", {Day("2027-02-25", {Session("", "09:00", "10:00")})}}}) ==
        "2027-02-25T09:00 2027-02-25T09:00:00+00:00 2027-02-25T10:00:00+00:00 \n");
  CHECK(Slots({{"timezone", "America/New_York"},
               {"slot_minutes", 60},
               {"days", {Day("2027-02-25", {Session("", "09:00", "10:00")})}}}) ==
        "2027-02-25T09:00 2027-02-25T09:00:00-05:00 2027-02-25T10:00:00-05:00 \n");
  CHECK(Slots({{"timezone", "Asia/Kolkata"},
               {"slot_minutes", 60},
               {"days", {Day("2027-02-25", {Session("", "09:00", "10:00")})}}}) ==
        "2027-02-25T09:00 2027-02-25T09:00:00+05:30 2027-02-25T10:00:00+05:30 \n");
}

TEST_CASE("calendar EventSlots takes explicit slots as they are, a marketplace has none") {
  const json event = {{"timezone", "Europe/Rome"},
                      {"slots",
                       {{{"id", "1"},
                         {"start", "2027-02-25T09:00:00+01:00"},
                         {"end", "2027-02-25T09:30:00+01:00"},
                         {"session", "morning"}},
                        {{"id", "2"}}}}};
  CHECK(Slots(event) == "1 2027-02-25T09:00:00+01:00 2027-02-25T09:30:00+01:00 morning\n2   \n");
  CHECK(Slots({{"id", "market"}, {"name", "Marketplace"}}) == "");
  CHECK(Slots({{"slot_minutes", 30}, {"days", json::array()}}) == "");
}

TEST_CASE("calendar EventSlots errors name the field and the rule") {
  const json ok_day = Day("2027-02-25", {Session("", "09:00", "10:00")});
  struct Case {
    const char* what;
    json event;
  };
  const Case cases[] = {
      {"end before start",
       {{"slot_minutes", 30},
        {"days",
         {Day("2027-02-25", {Session("", "09:00", "10:00"), Session("", "11:00", "10:30")})}}}},
      {"end missing",
       {{"slot_minutes", 30}, {"days", {Day("2027-02-25", {{{"start", "09:00"}}})}}}},
      {"start not HH:MM",
       {{"slot_minutes", 30}, {"days", {Day("2027-02-25", {Session("", "9:00", "10:00")})}}}},
      {"start 25:00",
       {{"slot_minutes", 30}, {"days", {Day("2027-02-25", {Session("", "25:00", "26:00")})}}}},
      {"session name a number",
       {{"slot_minutes", 30},
        {"days", {Day("2027-02-25", {{{"name", 1}, {"start", "09:00"}, {"end", "10:00"}}})}}}},
      {"no such date",
       {{"slot_minutes", 30}, {"days", {ok_day, Day("2027-02-29", json::array())}}}},
      {"date of another form",
       {{"slot_minutes", 30}, {"days", {Day("25/02/2027", json::array())}}}},
      {"sessions not a list", {{"slot_minutes", 30}, {"days", {Day("2027-02-25", "all day")}}}},
      {"days not a list", {{"slot_minutes", 30}, {"days", "2027-02-25"}}},
      {"unknown timezone",
       {{"timezone", "Europe/Atlantis"}, {"slot_minutes", 30}, {"days", {ok_day}}}},
      {"missing slot_minutes", {{"days", {ok_day}}}},
      {"slot_minutes too small", {{"slot_minutes", 1}, {"days", {ok_day}}}},
      {"slot_minutes not an integer", {{"slot_minutes", "30"}, {"days", {ok_day}}}},
      {"a slot without id", {{"slots", {{{"start", "2027-02-25T09:00:00+01:00"}}}}}},
  };
  std::string table;
  for (const Case& c : cases) table += std::string(c.what) + ": " + Slots(c.event) + "\n";
  CHECK(table ==
        "end before start: event.invalid_value: days[0].sessions[1].end: a time HH:MM after start\n"
        "end missing: event.invalid_value: days[0].sessions[0].end: a time HH:MM after start\n"
        "start not HH:MM: event.invalid_value: days[0].sessions[0].start: a time HH:MM\n"
        "start 25:00: event.invalid_value: days[0].sessions[0].start: a time HH:MM\n"
        "session name a number: event.invalid_value: days[0].sessions[0].name: expected a string\n"
        "no such date: event.invalid_value: days[1].date: a date YYYY-MM-DD\n"
        "date of another form: event.invalid_value: days[0].date: a date YYYY-MM-DD\n"
        "sessions not a list: event.invalid_value: days[0].sessions: expected an array\n"
        "days not a list: event.wrong_type: days: expected an array\n"
        "unknown timezone: event.invalid_value: timezone: 'Europe/Atlantis' is not a known time "
        "zone\n"
        "missing slot_minutes: event.invalid_value: slot_minutes: 5 to 1440 minutes, required with "
        "days\n"
        "slot_minutes too small: event.invalid_value: slot_minutes: 5 to 1440 minutes, required "
        "with days\n"
        "slot_minutes not an integer: event.invalid_value: slot_minutes: 5 to 1440 minutes, "
        "required with days\n"
        "a slot without id: event.invalid_value: slots[0].id: required\n");
}

// Bug: a session ending at midnight ("24:00", which EventSlots accepts) gave its last slot the
// end "2027-07-01T24:00:00+02:00": RFC 3339 has no hour 24, so ParseRfc3339 refuses it and the
// agenda.ics of every participant with a meeting in that slot fails.
TEST_CASE("calendar EventSlots ends a 24:00 session at the next day's 00:00 (RFC 3339)") {
  const json event = {{"timezone", "Europe/Rome"},
                      {"slot_minutes", 30},
                      {"days", {Day("2027-07-01", {Session("evening", "23:30", "24:00")})}}};
  CHECK(Slots(event) ==
        "2027-07-01T23:30 2027-07-01T23:30:00+02:00 2027-07-02T00:00:00+02:00 evening\n");
  auto slots = EventSlots(event);
  REQUIRE(slots.ok());
  REQUIRE(slots->size() == 1);
  CHECK(engine::ParseRfc3339((*slots)[0].end).ok());
}

// Bug: slots came in the order days and sessions were listed, and the scheduler counts breaks
// in slot order; sessions that overlapped without sharing a start were accepted.
TEST_CASE("calendar EventSlots puts days and sessions in time order and refuses overlaps") {
  const json shuffled = {
      {"slot_minutes", 60},
      {"days",
       {Day("2027-02-26", {Session("am", "09:00", "10:00")}),
        Day("2027-02-25", {Session("pm", "14:00", "15:00"), Session("am", "09:00", "10:00")})}}};
  CHECK(Slots(shuffled) ==
        "2027-02-25T09:00 2027-02-25T09:00:00+00:00 2027-02-25T10:00:00+00:00 am\n"
        "2027-02-25T14:00 2027-02-25T14:00:00+00:00 2027-02-25T15:00:00+00:00 pm\n"
        "2027-02-26T09:00 2027-02-26T09:00:00+00:00 2027-02-26T10:00:00+00:00 am\n");
  const json overlap = {
      {"slot_minutes", 60},
      {"days",
       {Day("2027-02-25", {Session("a", "09:00", "11:00"), Session("b", "09:30", "10:30")})}}};
  CHECK(Slots(overlap) ==
        "event.invalid_value: days: slot 2027-02-25T09:30 starts before slot 2027-02-25T09:00 "
        "ends: sessions overlap");
}

// Bug: explicit slots were taken in any order and with any text for a time.
TEST_CASE("calendar EventSlots refuses explicit slots out of time order") {
  const json event = {{"slots",
                       {{{"id", "a"}, {"start", "2027-02-25T10:00:00Z"}},
                        {{"id", "b"}, {"start", "2027-02-25T09:00:00Z"}}}}};
  CHECK(Slots(event) ==
        "event.invalid_value: slots[1].start: '2027-02-25T09:00:00Z' is not after slots[0] "
        "starts: slots are listed in time order and do not overlap");
}

// Bug: slot ids are the local start time, so two sessions that overlap (or a date given twice)
// made two slots with one id; the scheduler then cannot tell them apart. Such days are refused.
TEST_CASE("calendar EventSlots refuses sessions that would give two slots one id") {
  const json overlap = {
      {"slot_minutes", 30},
      {"days",
       {Day("2027-02-25", {Session("a", "09:00", "10:00"), Session("b", "09:30", "10:30")})}}};
  CHECK(Slots(overlap).rfind("event.invalid_value: days[0].sessions[1]", 0) == 0);
  const json twice = {{"slot_minutes", 30},
                      {"days",
                       {Day("2027-02-25", {Session("", "09:00", "10:00")}),
                        Day("2027-02-25", {Session("", "09:00", "09:30")})}}};
  CHECK(Slots(twice).rfind("event.invalid_value: days[1]", 0) == 0);
  const json explicit_twice = {{"slots", {{{"id", "s1"}}, {{"id", "s1"}}}}};
  CHECK(Slots(explicit_twice).rfind("event.invalid_value: slots[1].id", 0) == 0);
}

// Bug: an explicit slot's start and end were not checked, so an event with "start": "yesterday"
// was stored and scheduled, and only the participants' agenda.ics failed later.
TEST_CASE("calendar EventSlots refuses explicit slot times that are not RFC 3339") {
  const json event = {
      {"slots", {{{"id", "s1"}, {"start", "yesterday"}, {"end", "2027-02-25T09:30:00+01:00"}}}}};
  CHECK(Slots(event).rfind("event.invalid_value: slots[0].start", 0) == 0);
}

// Bug: on the night the clocks go forward (Europe/Rome, 2027-03-28 02:00 -> 03:00) the slots of
// a session across the gap got times out of order: 01:30+01:00 "ended" at 02:00+02:00, before
// it started. Whatever the slots, each must end after it starts and follow the one before.
TEST_CASE("calendar EventSlots keeps slots in time order across a DST change") {
  const json event = {{"timezone", "Europe/Rome"},
                      {"slot_minutes", 30},
                      {"days",
                       {Day("2027-03-28", {Session("", "01:00", "04:00")}),
                        Day("2027-10-31", {Session("", "01:00", "04:00")})}}};
  auto slots = EventSlots(event);
  REQUIRE(slots.ok());
  std::string problems;
  int64_t previous_end = 0;
  for (const engine::Slot& s : *slots) {
    auto start = engine::ParseRfc3339(s.start), end = engine::ParseRfc3339(s.end);
    REQUIRE(start.ok());
    REQUIRE(end.ok());
    if (*end <= *start) problems += s.id + " ends before it starts\n";
    if (*start < previous_end) problems += s.id + " starts before the slot before ends\n";
    previous_end = *end;
  }
  CHECK(problems == "");
}

// --- iCalendar

CalendarEntry Entry(const std::string& id, const std::string& start, const std::string& end) {
  CalendarEntry e;
  e.uid = id + "@e1.incontra";
  e.start = start;
  e.end = end;
  e.summary = "Meeting: Comune di Alghero";
  e.location = "Table T3";
  e.description = "Event one, B2B meeting " + id;
  return e;
}

// The physical lines of a text, split at CRLF; "" entries would be empty lines.
std::vector<std::string> PhysicalLines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t crlf = text.find("\r\n", start);
    if (crlf == std::string::npos) crlf = text.size();
    out.push_back(text.substr(start, crlf - start));
    start = crlf + 2;
  }
  return out;
}

// The content lines, unfolded (RFC 5545 3.1: a CRLF followed by one blank is removed).
std::vector<std::string> Unfolded(const std::string& text) {
  std::string joined;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "\r\n ") == 0 || text.compare(i, 3, "\r\n\t") == 0) {
      i += 2;
      continue;
    }
    joined += text[i];
  }
  return PhysicalLines(joined);
}

// The VEVENTs as their content lines, DTSTAMP (the time of writing) left out.
std::string Events(const std::string& text) {
  std::string out;
  bool in_event = false;
  for (const std::string& line : Unfolded(text)) {
    if (line == "BEGIN:VEVENT") in_event = true;
    if (in_event && line.rfind("DTSTAMP:", 0) != 0) out += line + "\n";
    if (line == "END:VEVENT") in_event = false;
  }
  return out;
}

int Count(const std::vector<std::string>& lines, const std::string& line) {
  return static_cast<int>(std::count(lines.begin(), lines.end(), line));
}

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (int k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    }
    i += n;
  }
  return true;
}

TEST_CASE("calendar WriteICalendar writes PUBLISH, the VTIMEZONE and TZID local times") {
  CalendarEntry moved = Entry("m1", "2027-02-25T09:00:00+01:00", "2027-02-25T09:30:00+01:00");
  moved.sequence = 1;
  CalendarEntry cancelled = Entry("m2", "2027-07-01T07:00:00Z", "2027-07-01T07:30:00Z");
  cancelled.sequence = 2;
  cancelled.cancelled = true;
  cancelled.location = "";
  auto ics = WriteICalendar("Europe/Rome", {moved, cancelled});
  REQUIRE_MESSAGE(ics.ok(), ics.status().ToString());
  const std::vector<std::string> lines = Unfolded(*ics);
  REQUIRE(lines.size() > 10);
  CHECK(lines.front() == "BEGIN:VCALENDAR");
  CHECK(lines.back() == "END:VCALENDAR");
  CHECK(Count(lines, "VERSION:2.0") == 1);
  CHECK(Count(lines, "PRODID:-//Incontra//Agenda//EN") == 1);
  CHECK(Count(lines, "METHOD:PUBLISH") == 1);
  CHECK(Count(lines, "BEGIN:VTIMEZONE") == 1);
  CHECK(Count(lines, "END:VTIMEZONE") == 1);
  CHECK(Count(lines, "TZID:Europe/Rome") == 1);
  // The zone has the rules in force in 2027: CET +01:00 in winter, CEST +02:00 in summer.
  CHECK(Count(lines, "TZOFFSETTO:+0100") > 0);
  CHECK(Count(lines, "TZOFFSETTO:+0200") > 0);
  // The VTIMEZONE comes before the events that name it.
  CHECK(std::find(lines.begin(), lines.end(), "END:VTIMEZONE") <
        std::find(lines.begin(), lines.end(), "BEGIN:VEVENT"));
  // DTSTAMP is the time of writing, in UTC.
  int stamps = 0;
  for (const std::string& line : lines) {
    if (line.rfind("DTSTAMP:", 0) != 0) continue;
    ++stamps;
    CHECK(std::regex_match(line, std::regex("DTSTAMP:[0-9]{8}T[0-9]{6}Z")));
  }
  CHECK(stamps == 2);
  // 07:00Z in July is 09:00 in Rome; commas are escaped (RFC 5545 3.3.11).
  CHECK(Events(*ics) ==
        "BEGIN:VEVENT\n"
        "UID:m1@e1.incontra\n"
        "DTSTART;TZID=Europe/Rome:20270225T090000\n"
        "DTEND;TZID=Europe/Rome:20270225T093000\n"
        "SUMMARY:Meeting: Comune di Alghero\n"
        "LOCATION:Table T3\n"
        "DESCRIPTION:Event one\\, B2B meeting m1\n"
        "SEQUENCE:1\n"
        "STATUS:CONFIRMED\n"
        "END:VEVENT\n"
        "BEGIN:VEVENT\n"
        "UID:m2@e1.incontra\n"
        "DTSTART;TZID=Europe/Rome:20270701T090000\n"
        "DTEND;TZID=Europe/Rome:20270701T093000\n"
        "SUMMARY:Meeting: Comune di Alghero\n"
        "DESCRIPTION:Event one\\, B2B meeting m2\n"
        "SEQUENCE:2\n"
        "STATUS:CANCELLED\n"
        "END:VEVENT\n");
}

TEST_CASE("calendar WriteICalendar ends lines with CRLF and folds them at 75 octets") {
  CalendarEntry e = Entry("m1", "2027-02-25T09:00:00+01:00", "2027-02-25T09:30:00+01:00");
  // Long texts of one-, two- and three-octet characters, so folds fall everywhere in them.
  std::string summary = "Meeting: ";
  for (int i = 0; i < 12; ++i) summary += "Società Cooperativa Agricola Perché “Verde”, ";
  e.summary = summary;
  e.description = std::string(300, 'x') + ";\\\n" + std::string(40, 'y');
  e.location = std::string(74, 'L');
  auto ics = WriteICalendar("Europe/Rome", {e});
  REQUIRE(ics.ok());
  const std::string& text = *ics;
  // CRLF only: no bare LF, no bare CR, and the text ends with a line end.
  std::string bare;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
      bare += "LF at " + std::to_string(i) + "\n";
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))
      bare += "CR at " + std::to_string(i) + "\n";
  }
  CHECK(bare == "");
  CHECK(text.substr(text.size() - 2) == "\r\n");
  std::string long_lines;
  int folded = 0;
  for (const std::string& line : PhysicalLines(text)) {
    if (line.size() > 75) long_lines += std::to_string(line.size()) + ": " + line + "\n";
    if (line.empty()) long_lines += "an empty line\n";
    if (!line.empty() && line[0] == ' ') ++folded;
    // A fold never splits a multi-octet character (RFC 5545 3.1).
    if (!ValidUtf8(line)) long_lines += "split UTF-8: " + line + "\n";
  }
  CHECK(long_lines == "");
  CHECK(folded > 5);
  // Unfolded, the texts come back whole, escaped as RFC 5545 3.3.11 says.
  std::string escaped_summary;
  for (char c : summary) {
    if (c == ',' || c == ';' || c == '\\') escaped_summary += '\\';
    escaped_summary += c;
  }
  const std::vector<std::string> lines = Unfolded(text);
  CHECK(Count(lines, "SUMMARY:" + escaped_summary) == 1);
  CHECK(Count(lines,
              "DESCRIPTION:" + std::string(300, 'x') + "\\;\\\\\\n" + std::string(40, 'y')) == 1);
  CHECK(Count(lines, "LOCATION:" + std::string(74, 'L')) == 1);
}

// A NUL in a name cut the SUMMARY there: libical reads C strings (regression).
TEST_CASE("calendar WriteICalendar keeps a text whole past a NUL or a control character") {
  CalendarEntry e = Entry("m1", "2027-02-25T09:00:00+01:00", "2027-02-25T09:30:00+01:00");
  e.summary = std::string("Meeting: Alfa\0Beta\x01Srl", 22);
  e.location = std::string("Table\0T3", 8);
  auto ics = WriteICalendar("Europe/Rome", {e});
  REQUIRE(ics.ok());
  const std::vector<std::string> lines = Unfolded(*ics);
  CHECK(Count(lines, "SUMMARY:Meeting: Alfa Beta Srl") == 1);
  CHECK(Count(lines, "LOCATION:Table T3") == 1);
  CHECK(ics->find('\0') == std::string::npos);
}

TEST_CASE("calendar WriteICalendar in UTC writes no VTIMEZONE and times ending in Z") {
  for (const std::string zone : {"UTC", "Etc/UTC", ""}) {
    CAPTURE(zone);
    auto ics = WriteICalendar(
        zone, {Entry("m1", "2027-02-25T09:00:00+01:00", "2027-02-25T09:30:00+01:00")});
    REQUIRE(ics.ok());
    CHECK(ics->find("VTIMEZONE") == std::string::npos);
    CHECK(ics->find("TZID") == std::string::npos);
    CHECK(Events(*ics) ==
          "BEGIN:VEVENT\n"
          "UID:m1@e1.incontra\n"
          "DTSTART:20270225T080000Z\n"
          "DTEND:20270225T083000Z\n"
          "SUMMARY:Meeting: Comune di Alghero\n"
          "LOCATION:Table T3\n"
          "DESCRIPTION:Event one\\, B2B meeting m1\n"
          "SEQUENCE:0\n"
          "STATUS:CONFIRMED\n"
          "END:VEVENT\n");
  }
}

TEST_CASE("calendar WriteICalendar refuses an unknown zone and a non-RFC 3339 time") {
  auto zone = WriteICalendar("Europe/Atlantis", {});
  CHECK(zone.status().code() == "event.invalid_value");
  CHECK(zone.status().message() == "timezone: 'Europe/Atlantis' is not a known time zone");
  auto time =
      WriteICalendar("Europe/Rome", {Entry("m1", "2027-02-25T09:00", "2027-02-25T09:30:00+01:00")});
  CHECK(time.status().code() == "event.invalid_value");
  CHECK(time.status().message().find("2027-02-25T09:00") != std::string::npos);
}

// Bug (RFC 5545 3.4, 3.6: a VCALENDAR holds at least one component): the agenda of a
// participant without meetings, in a UTC event, was an empty VCALENDAR. In other zones the
// VTIMEZONE is that component.
TEST_CASE("calendar WriteICalendar without entries still writes a component") {
  for (const std::string zone : {"Europe/Rome", "UTC"}) {
    CAPTURE(zone);
    auto ics = WriteICalendar(zone, {});
    REQUIRE(ics.ok());
    const std::vector<std::string> lines = Unfolded(*ics);
    int components = 0;
    for (const std::string& line : lines) {
      if (line.rfind("BEGIN:", 0) == 0 && line != "BEGIN:VCALENDAR") ++components;
    }
    CHECK(components > 0);
    CHECK(Count(lines, "METHOD:PUBLISH") == 1);
  }
}

}  // namespace
}  // namespace incontra::server
