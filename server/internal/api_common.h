// Helpers shared by the API's route files (api.cc, api_requests.cc, api_schedule.cc): who is
// calling, JSON answers, query parsing. Not part of the server's public face.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/matching.h"
#include "server/api.h"
#include "server/metrics.h"

namespace incontra::server {

enum class Role { kAdmin, kOrganiser, kParticipant, kFrontend };

// Who is asking, from the key's scope.
struct Caller {
  Role role = Role::kFrontend;
  std::string event;        // every role but the admin is scoped to one event
  std::string participant;  // kParticipant: the participant it acts as
  std::string key_id;

  bool Organises() const { return role == Role::kAdmin || role == Role::kOrganiser; }
  // The caller acts as `id` (its token) or organises the event.
  bool ActsFor(std::string_view id) const {
    return Organises() || (role == Role::kParticipant && participant == id);
  }
};

// What the routes derive from an event's records, kept per event and dropped by every write
// to that event (every write goes through this Api): the event record, the matcher (a pass
// over all profiles to build), the agendas (every meeting, grouped by participant) and the
// suggestion answers already computed. A generation counter, bumped by every write, keeps
// anything built from data read before a write out of the cache.
struct Api::Cache {
  // The published meetings of an event by participant, in time order, with everyone's names.
  struct Agendas {
    uint64_t version = 0;  // of the published schedule; 0 when none
    std::map<std::string, std::vector<nlohmann::json>> by_participant;
    std::map<std::string, std::pair<std::string, std::string>> people;  // id -> name, kind
  };

  // Meeting requests, schedules and deletions are checked and written one at a time, so two
  // racing requests cannot both pass a duplicate or quota check.
  std::mutex requests_mutex;
  // Per event, its requests by id (under requests_mutex): read once, then kept by the routes
  // that write requests, so a create or an accept checks duplicates and quotas without
  // decoding all of the event's requests again (67 ms each at 5,000 requests, serialised
  // across events). Dropped when a write fails or a participant is erased.
  std::map<std::string, std::map<std::string, nlohmann::json>> requests;
  // Events with a schedule run under way (under requests_mutex): one at a time per event, as
  // a second could only be refused at its end, after holding a thread all its time limit.
  std::set<std::string> scheduling;

  std::shared_ptr<Metrics> metrics;  // counts the matchers built

  void Invalidate(const std::string& event);
  // storage.unknown_event when there is no such event.
  Result<std::shared_ptr<const nlohmann::json>> Event(const storage::Store& store,
                                                      const std::string& event);
  Result<std::shared_ptr<const engine::Matcher>> Matcher(const storage::Store& store,
                                                         const std::string& event);
  Result<std::shared_ptr<const Agendas>> AgendasOf(const storage::Store& store,
                                                   const std::string& event);
  // A suggestions answer computed before for `key` (participant or need, top, kind).
  std::optional<std::string> Answer(const std::string& event, const std::string& key);
  // Keeps `text` unless the event changed since `generation` (from Generation()).
  void KeepAnswer(const std::string& event, const std::string& key, std::string text,
                  uint64_t generation);
  uint64_t Generation(const std::string& event);

 private:
  struct Entry {
    std::shared_ptr<const nlohmann::json> event;
    std::shared_ptr<const engine::Matcher> matcher;
    std::shared_ptr<const Agendas> agendas;
    std::map<std::string, std::string> answers;
    size_t answer_bytes = 0;
    uint64_t generation = 0;
    // The slots (&entry.*slot) a request is building now; survives Invalidate.
    std::set<const void*> building;
  };
  template <typename T, typename Build>
  Result<std::shared_ptr<const T>> Get(const std::string& event,
                                       std::shared_ptr<const T> Entry::*slot, Build build);
  std::mutex mutex_;
  std::condition_variable built_;  // a build ended (its result kept or not)
  std::map<std::string, Entry> entries_;
};

namespace api {

// Bytes that are not UTF-8 (a hostile path echoed in a message) are replaced, never thrown on.
HttpResponse Json(int status, const nlohmann::json& body);
Status Forbidden(const std::string& what);
// The request's body as JSON (api.empty_body, or the parser's error naming the place).
Result<nlohmann::json> Body(const HttpRequest& request);
// The value of `name` in a query string ("since=3&limit=10"), if present.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);
Result<uint64_t> ParseCount(const std::optional<std::string>& text, uint64_t fallback,
                            const char* name);
// Now as RFC 3339 UTC, "2027-02-25T08:00:00Z".
std::string NowUtc();
// A fresh random id: prefix + 16 hex digits.
std::string NewId(const char* prefix);
// The participant ids of a meeting record (its "participants" strings).
std::vector<std::string> People(const nlohmann::json& meeting);
// How many meetings a participant may have: its max_meetings, else the event's
// max_meetings_per_participant; none when neither is set.
std::optional<int64_t> MeetingLimit(const nlohmann::json& participant, const nlohmann::json& event);
// The profile everyone in the event may see: the matching fields, not quotas or unknown ones.
nlohmann::json PublicProfile(const nlohmann::json& participant);
// The event as those who do not organise it see it: its known fields (FORMATS.md, openapi.json
// Event), not the ones organisers added.
nlohmann::json PublicEvent(const nlohmann::json& event);

}  // namespace api
}  // namespace incontra::server
