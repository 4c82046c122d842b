// Time and calendars for events: the slots of an event (from its days and sessions in its time
// zone, or its explicit slot list) and iCalendar agendas (RFC 5545, written with libical).
//
// Time zones come from the system's zoneinfo (Debian's tzdata) through libical.
//
// Thread-safety: the functions may be called from any thread (libical's zone cache is guarded).
//
// Usage:
//   auto slots = EventSlots(event_json);          // [{id "2027-02-25T09:00", start, end, session}]
//   auto ics = WriteICalendar("Europe/Rome", entries);
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/schedule.h"
#include "scoring/status.h"

namespace incontra::server {

// An event's slots in time order. With "slots", those (as in the schedule problem); with
// "days" [{date, sessions: [{name, start "HH:MM", end}]}] and "slot_minutes", one slot per
// slot length in each session, id "YYYY-MM-DDTHH:MM" (local time, stable across re-runs),
// start and end RFC 3339 with the offset the event's "timezone" (default UTC) has that day.
// Errors (event.invalid_value, event.wrong_type) name the field: "days[0].sessions[1].end".
// An event with neither has no slots (a marketplace).
Result<std::vector<engine::Slot>> EventSlots(const nlohmann::json& event);

struct CalendarEntry {
  std::string uid;          // stable across versions
  std::string start, end;   // RFC 3339
  std::string summary, location, description;
  int sequence = 0;         // bumped when the meeting moves or is cancelled
  bool cancelled = false;
};

// A VCALENDAR (METHOD:PUBLISH) with the zone's VTIMEZONE and one VEVENT per entry, times in
// that zone (TZID). event.invalid_value when the zone is unknown or a time is not RFC 3339.
Result<std::string> WriteICalendar(const std::string& timezone,
                                   const std::vector<CalendarEntry>& entries);

}  // namespace incontra::server
