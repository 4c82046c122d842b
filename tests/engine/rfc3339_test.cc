// RFC 3339 times and the order of a problem's slots: what ParseRfc3339 reads and refuses, and
// the messages of CheckSlotTimes (also reached through ValidateProblem and the event API).
#include "engine/rfc3339.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace incontra::engine {
namespace {

std::string Parsed(const std::string& text) {
  auto seconds = ParseRfc3339(text);
  return seconds.ok() ? std::to_string(*seconds) : seconds.status().code();
}

TEST_CASE("ParseRfc3339 reads Z, offsets and fractions as epoch seconds") {
  CHECK(Parsed("1970-01-01T00:00:00Z") == "0");
  CHECK(Parsed("2027-02-25T08:00:00Z") == "1803542400");
  CHECK(Parsed("2027-02-25T08:00:00z") == "1803542400");
  CHECK(Parsed("2027-02-25T09:00:00+01:00") == "1803542400");
  CHECK(Parsed("2027-02-25T03:00:00-05:00") == "1803542400");
  CHECK(Parsed("2027-02-25T13:30:00+05:30") == "1803542400");
  CHECK(Parsed("2027-02-25T08:00:00+00:00") == "1803542400");
  CHECK(Parsed("2027-02-25T08:00:00-00:00") == "1803542400");
  CHECK(Parsed("2027-02-25T09:00:00.5+01:00") == "1803542400");  // fractions are dropped
  CHECK(Parsed("2027-02-25T09:00:00.123456789+01:00") == "1803542400");
  CHECK(Parsed("2028-02-29T00:00:00Z") == "1835395200");  // a leap day
  CHECK(Parsed("2027-02-25T09:00:00+01:00") == Parsed("2027-02-25T08:00:00Z"));
}

TEST_CASE("ParseRfc3339 refuses what is not RFC 3339 with an offset") {
  std::string table;
  for (const char* text :
       {"", "2027-02-25", "2027-02-25T09:00:00", "2027-02-25T09:00Z", "2027-02-25 09:00:00Z",
        "2027-02-25T09:00:00+0100", "2027-02-25T09:00:00+01", "2027-02-25T09:00:00+01:00x",
        "2027-02-25T09:00:00+24:00", "2027-02-29T09:00:00Z", "2027-13-01T09:00:00Z",
        "2027-02-25T24:00:00Z", "2027-02-25T09:60:00Z", "27-02-25T09:00:00Z", "tomorrow"}) {
    table += std::string("'") + text + "' " + Parsed(text) + "\n";
  }
  CHECK(table ==
        "'' time.invalid\n"
        "'2027-02-25' time.invalid\n"
        "'2027-02-25T09:00:00' time.invalid\n"
        "'2027-02-25T09:00Z' time.invalid\n"
        "'2027-02-25 09:00:00Z' time.invalid\n"
        "'2027-02-25T09:00:00+0100' time.invalid\n"
        "'2027-02-25T09:00:00+01' time.invalid\n"
        "'2027-02-25T09:00:00+01:00x' time.invalid\n"
        "'2027-02-25T09:00:00+24:00' time.invalid\n"
        "'2027-02-29T09:00:00Z' time.invalid\n"
        "'2027-13-01T09:00:00Z' time.invalid\n"
        "'2027-02-25T24:00:00Z' time.invalid\n"
        "'2027-02-25T09:60:00Z' time.invalid\n"
        "'27-02-25T09:00:00Z' time.invalid\n"
        "'tomorrow' time.invalid\n");
}

// Bug: sscanf's %2d skips blanks and reads signs, so a space or a sign inside a field passed and
// "+-1:00" was read as the offset -01:00; and "." without digits passed as a fraction.
TEST_CASE("ParseRfc3339 refuses blanks, signs and empty fractions in fields") {
  std::string table;
  for (const char* text : {"2027-02-25T 9:00:00Z", "2027-+2-25T09:00:00Z", "2027-02-25T09:-1:00Z",
                           "2027-02-25T09:00:00+-1:00", "2027-02-25T09:00:00+ 1:00",
                           "2027-02-25T09:00:00.Z", " 2027-02-25T09:00:00Z"}) {
    table += std::string("'") + text + "' " + Parsed(text) + "\n";
  }
  CHECK(table ==
        "'2027-02-25T 9:00:00Z' time.invalid\n"
        "'2027-+2-25T09:00:00Z' time.invalid\n"
        "'2027-02-25T09:-1:00Z' time.invalid\n"
        "'2027-02-25T09:00:00+-1:00' time.invalid\n"
        "'2027-02-25T09:00:00+ 1:00' time.invalid\n"
        "'2027-02-25T09:00:00.Z' time.invalid\n"
        "' 2027-02-25T09:00:00Z' time.invalid\n");
}

// "id start end" per slot; an empty time is not given.
std::string Checked(const std::vector<std::vector<std::string>>& rows) {
  std::vector<Slot> slots;
  for (const auto& r : rows)
    slots.push_back({.id = r[0], .start = r[1], .end = r[2], .session = ""});
  Status s = CheckSlotTimes(slots);
  return s.ok() ? "ok" : s.code() + ": " + s.message();
}

TEST_CASE("CheckSlotTimes accepts slots in order, back to back, with gaps or without times") {
  CHECK(Checked({{"1", "2027-02-25T09:00:00+01:00", "2027-02-25T09:30:00+01:00"},
                 {"2", "2027-02-25T09:30:00+01:00", "2027-02-25T10:00:00+01:00"},
                 {"x", "", ""},
                 {"3", "2027-02-25T14:00:00+01:00", ""},
                 {"4", "2027-02-25T13:30:00Z", "2027-02-25T14:00:00Z"}}) == "ok");
  CHECK(Checked({}) == "ok");
}

TEST_CASE("CheckSlotTimes names the slot, the field and the rule (regression)") {
  // Any text was accepted as a time, in any order; agendas then came out wrong or not at all.
  CHECK(Checked({{"1", "9am", ""}}) ==
        "schedule.invalid_value: slots[0].start: '9am': not an RFC 3339 time "
        "(YYYY-MM-DDTHH:MM:SS with an offset)");
  CHECK(Checked({{"1", "", "2027-02-25T09:30:00+0100"}}) ==
        "schedule.invalid_value: slots[0].end: '2027-02-25T09:30:00+0100': an RFC 3339 time needs "
        "an "
        "offset, Z or +HH:MM");
  CHECK(Checked({{"1", "2027-02-25T09:30:00Z", "2027-02-25T09:30:00Z"}}) ==
        "schedule.invalid_value: slots[0].end: '2027-02-25T09:30:00Z' is not after its start "
        "'2027-02-25T09:30:00Z'");
  CHECK(Checked({{"1", "2027-02-25T09:00:00Z", "2027-02-25T09:30:00Z"},
                 {"x", "", ""},
                 {"2", "2027-02-25T10:15:00+01:00", "2027-02-25T10:45:00+01:00"}}) ==
        "schedule.invalid_value: slots[2].start: '2027-02-25T10:15:00+01:00' is before slots[0] "
        "ends: slots are listed in time order and do not overlap");
  CHECK(Checked({{"1", "2027-02-25T09:00:00Z", ""}, {"2", "2027-02-25T09:00:00Z", ""}}) ==
        "schedule.invalid_value: slots[1].start: '2027-02-25T09:00:00Z' is not after slots[0] "
        "starts: slots are listed in time order and do not overlap");
}

}  // namespace
}  // namespace incontra::engine
