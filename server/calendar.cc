#include "server/calendar.h"

#include <libical/ical.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>

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
  return icaltimezone_get_builtin_timezone(name.c_str());
}

Status Invalid(const std::string& where, const std::string& rule) {
  return Status::InvalidArgument("event.invalid_value", where + ": " + rule);
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {  // days since 1970-01-01
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ValidDate(int y, int m, int d) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m != 2 || d <= 28 || leap;
}

// "HH:MM" as minutes after midnight, or -1.
int ParseClock(const json& value) {
  if (!value.is_string()) return -1;
  const std::string& s = value.get_ref<const std::string&>();
  int h = 0, m = 0;
  char tail = 0;
  if (s.size() != 5 || std::sscanf(s.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 || h > 24 ||
      m > 59 || (h == 24 && m != 0)) {
    return -1;
  }
  return h * 60 + m;
}

std::string Rfc3339(int y, int mo, int d, int minute_of_day, int offset_seconds) {
  const int sign = offset_seconds < 0 ? -1 : 1;
  const int off = offset_seconds * sign / 60;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:00%c%02d:%02d", y, mo, d,
                minute_of_day / 60, minute_of_day % 60, sign < 0 ? '-' : '+', off / 60, off % 60);
  return buffer;
}

}  // namespace

Result<int64_t> ParseRfc3339(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) != 6 ||
      consumed != 19 || !ValidDate(y, mo, d) || h > 23 || mi > 59 || s > 60) {
    return Status::InvalidArgument("event.invalid_value", "'" + text + "': not an RFC 3339 time");
  }
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  }
  int offset = 0;
  const std::string zone = text.substr(i);
  if (zone == "Z" || zone == "z") {
    offset = 0;
  } else {
    int oh = 0, om = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') ||
        std::sscanf(zone.c_str() + 1, "%2d:%2d", &oh, &om) != 2 || zone[3] != ':' || oh > 23 ||
        om > 59) {
      return Status::InvalidArgument("event.invalid_value",
                                     "'" + text + "': an RFC 3339 time needs an offset");
    }
    offset = (oh * 60 + om) * 60 * (zone[0] == '-' ? -1 : 1);
  }
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
}

Result<std::vector<engine::Slot>> EventSlots(const json& event) {
  if (event.contains("slots")) {
    json problem = {{"slots", event["slots"]}, {"tables", 1}, {"participants", json::array()},
                    {"meetings", json::array()}};
    auto parsed = engine::ScheduleProblemFromJson(problem);
    if (!parsed.ok()) return Status::InvalidArgument("event.invalid_value", parsed.status().message());
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
  for (size_t i = 0; i < days.size(); ++i) {
    const std::string where = "days[" + std::to_string(i) + "]";
    const json& day = days[i];
    int y = 0, mo = 0, d = 0, consumed = 0;
    const std::string date = day.is_object() ? day.value("date", json()).is_string() ? day["date"].get<std::string>() : "" : "";
    if (std::sscanf(date.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10 ||
        date.size() != 10 || !ValidDate(y, mo, d)) {
      return Invalid(where + ".date", "a date YYYY-MM-DD");
    }
    const json sessions = day.value("sessions", json());
    if (!sessions.is_array()) return Invalid(where + ".sessions", "expected an array");
    for (size_t k = 0; k < sessions.size(); ++k) {
      const std::string at = where + ".sessions[" + std::to_string(k) + "]";
      const json& session = sessions[k];
      if (!session.is_object()) return Invalid(at, "expected an object");
      const int start = ParseClock(session.value("start", json()));
      const int end = ParseClock(session.value("end", json()));
      if (start < 0) return Invalid(at + ".start", "a time HH:MM");
      if (end < 0 || end <= start) return Invalid(at + ".end", "a time HH:MM after start");
      const json name = session.value("name", json());
      if (!name.is_null() && !name.is_string()) return Invalid(at + ".name", "expected a string");
      for (int t = start; t + step <= end; t += step) {
        auto offset = [&](int minute) {
          icaltimetype local = icaltime_null_time();
          local.year = y, local.month = mo, local.day = d;
          local.hour = minute / 60, local.minute = minute % 60;
          int daylight = 0;
          return icaltimezone_get_utc_offset(zone, &local, &daylight);
        };
        engine::Slot slot;
        char id[24];
        std::snprintf(id, sizeof id, "%sT%02d:%02d", date.c_str(), t / 60, t % 60);
        slot.id = id;  // "2027-02-25T09:00"
        slot.start = Rfc3339(y, mo, d, t, offset(t));
        slot.end = Rfc3339(y, mo, d, t + step, offset(t + step));
        slot.session = name.is_string() ? name.get<std::string>() : "";
        slots.push_back(std::move(slot));
      }
    }
  }
  return slots;
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
    auto start = ParseRfc3339(e.start);
    if (!start.ok()) return start.status();
    auto end = ParseRfc3339(e.end);
    if (!end.ok()) return end.status();
    icalcomponent* vevent = icalcomponent_new_vevent();
    icalcomponent_add_property(vevent, icalproperty_new_uid(e.uid.c_str()));
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
    icalcomponent_add_property(vevent, icalproperty_new_summary(e.summary.c_str()));
    if (!e.location.empty()) {
      icalcomponent_add_property(vevent, icalproperty_new_location(e.location.c_str()));
    }
    if (!e.description.empty()) {
      icalcomponent_add_property(vevent, icalproperty_new_description(e.description.c_str()));
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
