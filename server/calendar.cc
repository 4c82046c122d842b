#include "server/calendar.h"

#include <libical/ical.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <set>

#include "engine/rfc3339.h"
#include "engine/schedule_json.h"

namespace incontra::server {
namespace {

using nlohmann::json;

// libical loads zones lazily into a shared cache; one lock keeps that safe on every build.
std::mutex& IcalMutex() {
  static std::mutex mutex;
  return mutex;
}

// Under IcalMutex. UTC for "UTC" or "Etc/UTC"; nullptr when the zone is unknown.
icaltimezone* Zone(const std::string& name) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return icaltimezone_get_utc_timezone();
  // An Olson name ("Europe/Rome", "America/Argentina/Buenos_Aires", "Etc/GMT+1"), never a path
  // that could reach outside the zone folder.
  if (name.empty() || name.size() > 64 || name.find("..") != std::string::npos || name[0] == '/' ||
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") !=
          std::string::npos) {
    return nullptr;
  }
  return icaltimezone_get_builtin_timezone(name.c_str());
}

Status Invalid(const std::string& where, const std::string& rule) {
  return Status::InvalidArgument("event.invalid_value", where + ": " + rule);
}

bool Digits(const std::string& s, size_t from, size_t count) {
  if (from + count > s.size()) return false;
  for (size_t i = from; i < from + count; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

int Number(const std::string& s, size_t from, size_t count) {
  return std::stoi(s.substr(from, count));
}

// "HH:MM" (00:00 to 23:59, or 24:00 for an end) as minutes after midnight, or -1.
int ParseClock(const json& value, bool end) {
  if (!value.is_string()) return -1;
  const std::string& s = value.get_ref<const std::string&>();
  if (s.size() != 5 || !Digits(s, 0, 2) || s[2] != ':' || !Digits(s, 3, 2)) return -1;
  const int h = Number(s, 0, 2), m = Number(s, 3, 2);
  if (end && h == 24 && m == 0) return 24 * 60;
  return h > 23 || m > 59 ? -1 : h * 60 + m;
}

// `seconds` since the epoch as RFC 3339 local time in `zone` ("2027-02-25T09:00:00+01:00").
// Under IcalMutex.
std::string LocalRfc3339(int64_t seconds, icaltimezone* zone) {
  icaltimetype t = icaltime_from_timet_with_zone(static_cast<time_t>(seconds), 0, zone);
  t.zone = nullptr;
  // The wall time read as if it were UTC, less the real instant: the zone's offset then.
  const int offset = static_cast<int>(
      icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone()) - seconds);
  const int sign = offset < 0 ? -1 : 1;
  const int off = offset * sign / 60;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", t.year, t.month,
                t.day, t.hour, t.minute, t.second, sign < 0 ? '-' : '+', off / 60, off % 60);
  return buffer;
}

}  // namespace

Result<std::vector<engine::Slot>> EventSlots(const json& event) {
  // The zone is checked whatever makes the slots: agendas are written in it.
  if (auto tz = event.find("timezone"); tz != event.end() && tz->is_string()) {
    std::lock_guard<std::mutex> lock(IcalMutex());
    if (Zone(tz->get<std::string>()) == nullptr) {
      return Invalid("timezone", "'" + tz->get<std::string>() + "' is not a known time zone");
    }
  }
  if (event.contains("slots")) {
    json problem = {{"slots", event["slots"]}, {"tables", 1}, {"participants", json::array()},
                    {"meetings", json::array()}};
    auto parsed = engine::ScheduleProblemFromJson(problem);
    if (!parsed.ok()) return Status::InvalidArgument("event.invalid_value", parsed.status().message());
    std::set<std::string> ids;
    for (size_t i = 0; i < parsed->slots.size(); ++i) {
      const engine::Slot& slot = parsed->slots[i];
      const std::string at = "slots[" + std::to_string(i) + "]";
      if (!ids.insert(slot.id).second) return Invalid(at + ".id", "'" + slot.id + "' is used twice");
    }
    if (parsed->slots.size() > static_cast<size_t>(engine::kMaxSlots)) {
      return Invalid("slots", "at most " + std::to_string(engine::kMaxSlots) + " slots");
    }
    if (Status s = engine::CheckSlotTimes(parsed->slots); !s.ok()) {
      return Status::InvalidArgument("event.invalid_value", s.message());
    }
    return parsed->slots;
  }
  std::vector<engine::Slot> slots;
  if (!event.contains("days")) return slots;
  const json& days = event["days"];
  if (!days.is_array()) return Status::InvalidArgument("event.wrong_type", "days: expected an array");
  const json minutes = event.value("slot_minutes", json());
  if (!minutes.is_number_integer() || minutes.get<int64_t>() < 5 || minutes.get<int64_t>() > 1440) {
    return Invalid("slot_minutes", "5 to 1440 minutes, required with days");
  }
  const int step = minutes.get<int>();
  const std::string tz = event.value("timezone", json("UTC")).is_string()
                             ? event.value("timezone", std::string("UTC"))
                             : std::string();
  std::lock_guard<std::mutex> lock(IcalMutex());
  icaltimezone* zone = Zone(tz);
  if (zone == nullptr) return Invalid("timezone", "'" + tz + "' is not a known time zone");
  std::set<std::string> ids;
  std::vector<std::pair<int64_t, engine::Slot>> timed;  // by its start, seconds since the epoch
  for (size_t i = 0; i < days.size(); ++i) {
    const std::string where = "days[" + std::to_string(i) + "]";
    const json& day = days[i];
    int y = 0, mo = 0, d = 0, consumed = 0;
    const std::string date = day.is_object() ? day.value("date", json()).is_string() ? day["date"].get<std::string>() : "" : "";
    if (std::sscanf(date.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10 ||
        date.size() != 10 || !engine::ValidDate(y, mo, d)) {
      return Invalid(where + ".date", "a date YYYY-MM-DD");
    }
    const json sessions = day.value("sessions", json());
    if (!sessions.is_array()) return Invalid(where + ".sessions", "expected an array");
    for (size_t k = 0; k < sessions.size(); ++k) {
      const std::string at = where + ".sessions[" + std::to_string(k) + "]";
      const json& session = sessions[k];
      if (!session.is_object()) return Invalid(at, "expected an object");
      const int start = ParseClock(session.value("start", json()), false);
      const int end = ParseClock(session.value("end", json()), true);
      if (start < 0) return Invalid(at + ".start", "a time HH:MM");
      if (end < 0 || end <= start) return Invalid(at + ".end", "a time HH:MM after start");
      const json name = session.value("name", json());
      if (!name.is_null() && !name.is_string()) return Invalid(at + ".name", "expected a string");
      for (int t = start; t + step <= end; t += step) {
        // The slot starts at its local wall time and lasts `step` minutes of real time, so a
        // slot across a clock change still ends after it starts.
        icaltimetype local = icaltime_null_time();
        local.year = y, local.month = mo, local.day = d;
        local.hour = t / 60, local.minute = t % 60;
        int daylight = 0;
        const int64_t begin = engine::DaysFromCivil(y, mo, d) * 86400 + t * 60 -
                              icaltimezone_get_utc_offset(zone, &local, &daylight);
        engine::Slot slot;
        char id[24];
        std::snprintf(id, sizeof id, "%sT%02d:%02d", date.c_str(), t / 60, t % 60);
        slot.id = id;  // "2027-02-25T09:00"
        slot.start = LocalRfc3339(begin, zone);
        // A wall time the clocks skip (02:30 the night they go forward) has no slot.
        if (slot.start.compare(0, 16, slot.id) != 0) continue;
        if (!ids.insert(slot.id).second) {
          return Invalid(at, "slot " + slot.id + " again: sessions overlap or a date repeats");
        }
        // Checked as they are made: a day list of a few hundred kilobytes could otherwise
        // make millions of slots, holding the calendar lock (every agenda.ics) meanwhile.
        if (ids.size() > static_cast<size_t>(engine::kMaxSlots)) {
          return Invalid("days", "at most " + std::to_string(engine::kMaxSlots) +
                                     " slots over all days and sessions");
        }
        slot.end = LocalRfc3339(begin + step * 60, zone);
        slot.session = name.is_string() ? name.get<std::string>() : "";
        timed.push_back({begin, std::move(slot)});
      }
    }
  }
  // Days and sessions may be listed in any order; the scheduler counts breaks in slot order,
  // so the slots are put in time order, where sessions that overlap show.
  std::stable_sort(timed.begin(), timed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < timed.size(); ++i) {
    if (i > 0 && timed[i].first < timed[i - 1].first + step * 60) {
      return Invalid("days", "slot " + timed[i].second.id + " starts before slot " +
                                 slots.back().id + " ends: sessions overlap");
    }
    slots.push_back(std::move(timed[i].second));
  }
  return slots;
}

// libical takes C strings: a NUL in a name (JSON allows \u0000) cut the text there. Control
// characters but line ends and tabs become spaces, which iCalendar TEXT does not escape.
std::string IcalText(std::string text) {
  for (char& c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) c = ' ';
  }
  return text;
}

Result<std::string> WriteICalendar(const std::string& timezone,
                                   const std::vector<CalendarEntry>& entries) {
  std::lock_guard<std::mutex> lock(IcalMutex());
  icaltimezone* zone = Zone(timezone.empty() ? "UTC" : timezone);
  if (zone == nullptr) return Invalid("timezone", "'" + timezone + "' is not a known time zone");
  const bool utc = zone == icaltimezone_get_utc_timezone();
  std::unique_ptr<icalcomponent, void (*)(icalcomponent*)> calendar(
      icalcomponent_new_vcalendar(), icalcomponent_free);
  icalcomponent_add_property(calendar.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_prodid("-//Incontra//Agenda//EN"));
  icalcomponent_add_property(calendar.get(), icalproperty_new_method(ICAL_METHOD_PUBLISH));
  if (utc && entries.empty()) {
    // RFC 5545 wants at least one component: an empty UTC agenda carries UTC's VTIMEZONE.
    icalcomponent* vtimezone = icalcomponent_new_vtimezone();
    icalcomponent_add_property(vtimezone, icalproperty_new_tzid("UTC"));
    icalcomponent* standard = icalcomponent_new_xstandard();
    icalcomponent_add_property(standard, icalproperty_new_dtstart(icaltime_from_string("19700101T000000")));
    icalcomponent_add_property(standard, icalproperty_new_tzoffsetfrom(0));
    icalcomponent_add_property(standard, icalproperty_new_tzoffsetto(0));
    icalcomponent_add_property(standard, icalproperty_new_tzname("UTC"));
    icalcomponent_add_component(vtimezone, standard);
    icalcomponent_add_component(calendar.get(), vtimezone);
  }
  if (!utc) {
    // libical names system zones "/freeassociation.sourceforge.net/Europe/Rome"; calendar
    // clients match the plain Olson name, which is what the events carry.
    icalcomponent* vtimezone = icalcomponent_new_clone(icaltimezone_get_component(zone));
    icalproperty* tzid = icalcomponent_get_first_property(vtimezone, ICAL_TZID_PROPERTY);
    if (tzid != nullptr) icalproperty_set_tzid(tzid, timezone.c_str());
    icalcomponent_add_component(calendar.get(), vtimezone);
  }
  const icaltimetype stamp = icaltime_from_timet_with_zone(std::time(nullptr), 0,
                                                           icaltimezone_get_utc_timezone());
  for (const CalendarEntry& e : entries) {
    auto start = engine::ParseRfc3339(e.start), end = engine::ParseRfc3339(e.end);
    for (const auto* t : {&start, &end}) {
      if (!t->ok()) return Status::InvalidArgument("event.invalid_value", t->status().message());
    }
    icalcomponent* vevent = icalcomponent_new_vevent();
    icalcomponent_add_property(vevent, icalproperty_new_uid(IcalText(e.uid).c_str()));
    icalcomponent_add_property(vevent, icalproperty_new_dtstamp(stamp));
    for (auto [seconds, is_start] : {std::pair{*start, true}, std::pair{*end, false}}) {
      icaltimetype t = icaltime_from_timet_with_zone(static_cast<time_t>(seconds), 0,
                                                     utc ? icaltimezone_get_utc_timezone() : zone);
      icalproperty* p;
      if (utc) {
        p = is_start ? icalproperty_new_dtstart(t) : icalproperty_new_dtend(t);
      } else {
        t.zone = nullptr;  // written as local wall time, named by its TZID
        p = is_start ? icalproperty_new_dtstart(t) : icalproperty_new_dtend(t);
        icalproperty_add_parameter(p, icalparameter_new_tzid(timezone.c_str()));
      }
      icalcomponent_add_property(vevent, p);
    }
    icalcomponent_add_property(vevent, icalproperty_new_summary(IcalText(e.summary).c_str()));
    if (!e.location.empty()) {
      icalcomponent_add_property(vevent, icalproperty_new_location(IcalText(e.location).c_str()));
    }
    if (!e.description.empty()) {
      icalcomponent_add_property(vevent, icalproperty_new_description(IcalText(e.description).c_str()));
    }
    icalcomponent_add_property(vevent, icalproperty_new_sequence(e.sequence));
    icalcomponent_add_property(
        vevent, icalproperty_new_status(e.cancelled ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
    icalcomponent_add_component(calendar.get(), vevent);
  }
  char* text = icalcomponent_as_ical_string_r(calendar.get());
  std::string out = text == nullptr ? "" : text;
  std::free(text);
  return out;
}

}  // namespace incontra::server
