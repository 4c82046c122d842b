// RFC 3339 times as FORMATS.md writes them ("2027-02-25T09:00:00+01:00", always with an offset
// or Z) and the civil-date arithmetic under them, for the slots of a schedule problem and the
// agendas made from them.
//
// Thread-safety: pure functions.
//
// Usage:
//   auto t = ParseRfc3339("2027-02-25T09:00:00+01:00");  // 1803542400: seconds since the epoch
//   Status s = CheckSlotTimes(problem.slots);            // each time's form, and their order
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/schedule.h"
#include "scoring/status.h"

namespace incontra::engine {

// Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// Whether year-month-day is a date, with years 1900 to 9999.
bool ValidDate(int year, int month, int day);

// Seconds since the epoch of an RFC 3339 time with an offset (a fraction of a second is read and
// dropped). InvalidArgument "time.invalid" with "'<text>': <rule>" otherwise; callers give it
// their own code and path.
Result<int64_t> ParseRfc3339(std::string_view text);

// The slots' optional start and end: each RFC 3339, an end after its start, and every slot
// after the one before it in the list (FORMATS.md: "ordered in time"): not starting before that
// one ends (or starts, when it gives no end). Slots without times are not compared.
// InvalidArgument "schedule.invalid_value" naming the slot: "slots[3].start: ...".
Status CheckSlotTimes(const std::vector<Slot>& slots);

}  // namespace incontra::engine
