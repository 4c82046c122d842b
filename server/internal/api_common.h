// Helpers shared by the API's route files (api.cc, api_requests.cc, api_schedule.cc): who is
// calling, JSON answers, query parsing. Not part of the server's public face.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engine/matching.h"
#include "server/api.h"

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

// Building a matcher costs a pass over the event's profiles, so it is kept per event and
// built again only after a write to that event (every write goes through this Api).
struct Api::Matchers {
  // Meeting requests, schedules and deletions are checked and written one at a time, so two
  // racing requests cannot both pass a duplicate or quota check.
  std::mutex requests_mutex;
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const engine::Matcher>> by_event;
  // Bumped by every write, so a matcher built from data read before a write is not kept.
  std::map<std::string, uint64_t> generation;

  void Invalidate(const std::string& event);
  Result<std::shared_ptr<const engine::Matcher>> For(const storage::Store& store,
                                                     const std::string& event);
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
// The profile everyone in the event may see: the matching fields, not quotas or unknown ones.
nlohmann::json PublicProfile(const nlohmann::json& participant);

}  // namespace api
}  // namespace incontra::server
