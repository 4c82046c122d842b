#include "server/api.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/id.h"
#include "engine/matching.h"
#include "engine/profile_json.h"
#include "engine/schedule.h"
#include "scoring/text.h"
#include "server/calendar.h"
#include "server/internal/api_common.h"
#include "server/internal/pa_rule.h"

namespace incontra::server {
namespace {

using nlohmann::json;
using storage::RecordKind;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The path's segments, percent-decoded ("p%201" is "p 1"); an id must come out as UTF-8.
Result<std::vector<std::string>> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) {
      std::string segment;
      for (size_t i = start; i < slash; ++i) {
        if (path[i] != '%') {
          segment.push_back(path[i]);
          continue;
        }
        int hi = i + 2 < slash ? HexValue(path[i + 1]) : -1;
        int lo = i + 2 < slash ? HexValue(path[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          return Status::InvalidArgument("api.invalid_path", "a '%' must start a %XX escape");
        }
        segment.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      }
      if (!engine::ValidId(segment) || scoring::ValidUtf8(segment) != segment) {
        return Status::InvalidArgument(
            "api.invalid_path",
            "a path segment is 1 to 128 bytes of UTF-8 without control characters");
      }
      out.push_back(std::move(segment));
    }
    start = slash + 1;
  }
  return out;
}

// Constant-time comparison, so the admin key cannot be guessed byte by byte from timings.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Result<Caller> Authenticate(const HttpRequest& request, const storage::Store& store,
                            const ApiOptions& options) {
  auto it = request.headers.find("authorization");
  constexpr std::string_view kBearer = "bearer ";  // the scheme name is case-insensitive
  auto is_bearer = [&](const std::string& value) {
    if (value.size() < kBearer.size()) return false;
    for (size_t i = 0; i < kBearer.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(value[i])) != kBearer[i]) return false;
    }
    return true;
  };
  if (it == request.headers.end() || !is_bearer(it->second)) {
    return Status::InvalidArgument("api.unauthorized", "Authorization: Bearer <key> required");
  }
  const std::string key = it->second.substr(kBearer.size());
  if (!options.admin_key.empty() && SameSecret(key, options.admin_key)) {
    return Caller{Role::kAdmin, "", "", "admin"};
  }
  auto found = store.FindApiKey(key);
  if (!found.ok()) return Status::InvalidArgument("api.unauthorized", "unknown key");
  const json& scope = (*found)["scope"];
  Caller caller;
  caller.key_id = found->value("id", "");
  if (!scope.is_object() || !scope.contains("event") || !scope["event"].is_string()) {
    return api::Forbidden("this key has no event scope");
  }
  caller.event = scope["event"].get<std::string>();
  const std::string role = scope.value("role", "");
  if (role == "organiser") {
    caller.role = Role::kOrganiser;
  } else if (role == "frontend") {
    caller.role = Role::kFrontend;
  } else if (role == "participant" && scope.contains("participant") &&
             scope["participant"].is_string()) {
    caller.role = Role::kParticipant;
    caller.participant = scope["participant"].get<std::string>();
  } else {
    return api::Forbidden("this key has no role the API knows");
  }
  return caller;
}


// The record of a PUT: its id must be the path's (or absent, then taken from the path).
Result<json> RecordWithId(json body, const std::string& id) {
  if (!body.is_object()) return Status::InvalidArgument("api.wrong_type", "(body): expected an object");
  if (!body.contains("id")) body["id"] = id;
  if (!body["id"].is_string() || body["id"] != id) {
    return Status::InvalidArgument("api.id_mismatch", "id: must be '" + id + "', as in the path");
  }
  return body;
}

Status ValidateEvent(const json& event) {
  if (!event.is_object()) return Status::InvalidArgument("event.wrong_type", "(body): expected an object");
  auto id = event.find("id");
  if (id == event.end() || !id->is_string() ||
      !engine::ValidId(id->get_ref<const std::string&>())) {
    return Status::InvalidArgument("event.invalid_id", std::string("id: ") + engine::kIdRule);
  }
  for (const char* key : {"name", "timezone"}) {
    if (event.contains(key) && !event[key].is_string()) {
      return Status::InvalidArgument("event.wrong_type", std::string(key) + ": expected a string");
    }
  }
  for (const char* key : {"slot_minutes", "max_meetings_per_participant"}) {
    if (event.contains(key) && (!event[key].is_number_integer() || event[key].get<int64_t>() < 1)) {
      return Status::InvalidArgument("event.invalid_value",
                                     std::string(key) + ": a positive integer");
    }
  }
  if (auto t = event.find("tables"); t != event.end()) {
    std::set<std::string> ids;
    bool valid = t->is_number_integer()
                     ? t->get<int64_t>() >= 1 && t->get<int64_t>() <= engine::kMaxTables
                     : t->is_array() && !t->empty();
    if (t->is_array()) {
      for (const json& id : *t) {
        valid = valid && id.is_string() && !id.get_ref<const std::string&>().empty() &&
                id.get_ref<const std::string&>().size() <= 128 && ids.insert(id.get<std::string>()).second;
      }
    }
    if (!valid) {
      return Status::InvalidArgument("event.invalid_value", "tables: a count from 1 to " +
                                                                std::to_string(engine::kMaxTables) +
                                                                " or a list of distinct ids");
    }
  }
  // Days, sessions, slots and the time zone are checked now, not when a schedule is asked for.
  if (auto slots = EventSlots(event); !slots.ok()) return slots.status();
  return Status::Ok();
}

// An id in the query, percent-decoded like a path segment ("p%201" is "p 1"); empty when absent.
Result<std::string> IdParam(std::string_view query, const char* name) {
  auto value = api::QueryParam(query, name);
  if (!value) return std::string();
  auto segments = Segments("/" + *value);
  if (!segments.ok() || segments->size() != 1) {
    return Status::InvalidArgument("api.invalid_query",
                                   std::string(name) + ": 1 to 128 bytes of UTF-8, %XX-escaped");
  }
  return (*segments)[0];
}

// What `caller` may see of a stored participant or need: organisers everything; a participant
// its own record and its own needs whole; everyone else a participant's public profile and a
// need's known fields (what organisers add to them is theirs).
Result<json> VisiblePart(const Caller& caller, bool participant, const json& record) {
  if (caller.Organises()) return record;
  const std::string id = record.value("id", "");
  if (participant) return caller.ActsFor(id) ? record : api::PublicProfile(record);
  auto need = engine::NeedFromJson(record);
  if (!need.ok()) return need.status();
  if (caller.role == Role::kParticipant && need->owner == caller.participant) return record;
  engine::Need known = *need;
  known.extra = json::object();
  return engine::NeedToJson(known);
}

// The route a target matches, as a pattern with no ids in it, for logs and metrics.
std::string RoutePattern(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string_view> seg;
  size_t start = 1;
  while (start <= target.size()) {
    size_t slash = target.find('/', start);
    if (slash == std::string_view::npos) slash = target.size();
    if (slash > start) seg.push_back(target.substr(start, slash - start));
    start = slash + 1;
  }
  auto one_of = [](std::string_view s, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), s) != names.end();
  };
  if (seg.size() == 1 && one_of(seg[0], {"healthz", "metrics"})) return "/" + std::string(seg[0]);
  if (seg.size() < 2 || seg[0] != "v1") return "(unknown)";
  if (seg.size() == 2 && one_of(seg[1], {"openapi.json", "ws", "events", "backups"})) {
    return "/v1/" + std::string(seg[1]);
  }
  if (seg[1] != "events") return "(unknown)";
  std::string out = "/v1/events/{event}";
  if (seg.size() == 3) return out;
  if (!one_of(seg[3], {"participants", "needs", "requests", "changes", "keys", "schedule",
                       "schedule.csv", "participants:import"})) {
    return "(unknown)";
  }
  out += "/" + std::string(seg[3]);
  if (seg.size() == 4) return out;
  out += "/{id}";
  if (seg.size() == 5) return out;
  if (seg.size() == 6 && one_of(seg[5], {"suggestions", "agenda", "agenda.ics", "tokens", "accept",
                                         "decline", "cancel"})) {
    return out + "/" + std::string(seg[5]);
  }
  return "(unknown)";
}

}  // namespace

namespace api {

HttpResponse Json(int status, const json& body) {
  return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

Status Forbidden(const std::string& what) { return Status::InvalidArgument("api.forbidden", what); }

Result<json> Body(const HttpRequest& request) {
  if (request.body.empty()) return Status::InvalidArgument("api.empty_body", "a JSON body is required");
  return engine::ParseJsonDocument(request.body, "api");
}

// The value of `name` in a query string ("since=3&limit=10"), if present.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(start, amp - start);
    if (pair.substr(0, name.size()) == name && pair.size() > name.size() && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    start = amp + 1;
  }
  return std::nullopt;
}

Result<uint64_t> ParseCount(const std::optional<std::string>& text, uint64_t fallback,
                            const char* name) {
  if (!text) return fallback;
  if (text->empty() || text->size() > 19 ||
      text->find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("api.invalid_query",
                                   std::string(name) + ": a whole number of at most 19 digits");
  }
  return std::stoull(*text);
}

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string NewId(const char* prefix) {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no entropy: nothing safe to do
  std::string id = prefix;
  char hex[3];
  for (unsigned char b : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    id += hex;
  }
  return id;
}

std::vector<std::string> People(const json& meeting) {
  std::vector<std::string> out;
  if (auto it = meeting.find("participants"); it != meeting.end() && it->is_array()) {
    for (const json& p : *it) {
      if (p.is_string()) out.push_back(p.get<std::string>());
    }
  }
  return out;
}

std::optional<int64_t> MeetingLimit(const json& participant, const json& event) {
  for (const auto& [record, key] : {std::pair{&participant, "max_meetings"},
                                    std::pair{&event, "max_meetings_per_participant"}}) {
    if (auto it = record->find(key); it != record->end() && it->is_number_integer() &&
                                     it->get<int64_t>() >= 0) {
      return it->get<int64_t>();
    }
  }
  return std::nullopt;
}

json PublicEvent(const json& event) {
  static const char* const kKnown[] = {"id",    "name",   "timezone",
                                       "days",  "slot_minutes", "slots",
                                       "tables", "max_meetings_per_participant"};
  json out = json::object();
  for (const char* key : kKnown) {
    if (auto it = event.find(key); it != event.end()) out[key] = *it;
  }
  return out;
}

json PublicProfile(const json& participant) {
  static const char* const kPublic[] = {"id",  "kind",   "name",      "description", "offers",
                                        "seeks", "cpv", "region", "languages", "tags"};
  json out = json::object();
  for (const char* key : kPublic) {
    if (auto it = participant.find(key); it != participant.end()) out[key] = *it;
  }
  return out;
}

}  // namespace api


void Api::Cache::Invalidate(const std::string& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& e = entries_[event];
  e = Entry{nullptr, nullptr, nullptr, {}, 0, e.generation + 1, std::move(e.building)};
}

uint64_t Api::Cache::Generation(const std::string& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_[event].generation;
}

template <typename T, typename Build>
Result<std::shared_ptr<const T>> Api::Cache::Get(const std::string& event,
                                                 std::shared_ptr<const T> Entry::*slot,
                                                 Build build) {
  // One build per event and slot at a time: the others wait for it instead of building the
  // same again (a matcher of 17,000 profiles is half a CPU second, and every write drops it).
  std::unique_lock<std::mutex> lock(mutex_);
  Entry* e = &entries_[event];
  const void* key = &(e->*slot);  // entries_ is a map: an entry does not move
  built_.wait(lock, [&] { return e->*slot || !e->building.count(key); });
  if (e->*slot) return e->*slot;
  const uint64_t seen = e->generation;
  e->building.insert(key);
  struct Done {  // also when build() throws, or the waiters would wait for ever
    std::unique_lock<std::mutex>& lock;
    Entry* e;
    const void* key;
    std::condition_variable& built;
    ~Done() {
      if (!lock.owns_lock()) lock.lock();
      e->building.erase(key);
      built.notify_all();
    }
  } done{lock, e, key, built_};
  lock.unlock();
  Result<T> built = build();
  lock.lock();
  if (!built.ok()) return built.status();
  auto shared = std::make_shared<const T>(std::move(*built));
  if (e->generation == seen) e->*slot = shared;
  return shared;
}

Result<std::shared_ptr<const json>> Api::Cache::Event(const storage::Store& store,
                                                      const std::string& event) {
  return Get<json>(event, &Entry::event, [&]() -> Result<json> {
    auto e = store.GetEvent(event);
    if (!e.ok() && e.status().kind() == Status::Kind::kNotFound) {
      return Status::NotFound("storage.unknown_event", "no event '" + event + "'");
    }
    return e;
  });
}

Result<std::shared_ptr<const engine::Matcher>> Api::Cache::Matcher(const storage::Store& store,
                                                                   const std::string& event) {
  return Get<engine::Matcher>(event, &Entry::matcher, [&]() -> Result<engine::Matcher> {
    auto participants = store.List(RecordKind::kParticipant, event);
    if (!participants.ok()) return participants.status();
    auto needs = store.List(RecordKind::kNeed, event);
    if (!needs.ok()) return needs.status();
    std::vector<engine::Participant> ps;
    for (const json& j : *participants) {
      auto p = engine::ParticipantFromJson(j);
      if (!p.ok()) return p.status();
      ps.push_back(std::move(*p));
    }
    std::vector<engine::Need> ns;
    for (const json& j : *needs) {
      auto n = engine::NeedFromJson(j);
      if (!n.ok()) return n.status();
      ns.push_back(std::move(*n));
    }
    if (metrics) metrics->MatcherBuilt();
    return engine::Matcher::Create(std::move(ps), std::move(ns), nullptr);
  });
}

Result<std::shared_ptr<const Api::Cache::Agendas>> Api::Cache::AgendasOf(
    const storage::Store& store, const std::string& event) {
  return Get<Agendas>(event, &Entry::agendas, [&]() -> Result<Agendas> {
    Agendas out;
    auto meetings = store.List(RecordKind::kMeeting, event);
    if (!meetings.ok()) return meetings.status();
    auto participants = store.List(RecordKind::kParticipant, event);
    if (!participants.ok()) return participants.status();
    for (const json& p : *participants) {
      out.people[p.value("id", "")] = {p.value("name", ""), p.value("kind", "")};
    }
    if (auto schedule = store.GetSchedule(event); schedule.ok()) {
      out.version = schedule->value("version", 0);
    }
    for (const json& m : *meetings) {
      for (const std::string& p : api::People(m)) out.by_participant[p].push_back(m);
    }
    for (auto& [id, list] : out.by_participant) {
      std::sort(list.begin(), list.end(), [](const json& a, const json& b) {
        return std::pair(a.value("start", ""), a.value("id", "")) <
               std::pair(b.value("start", ""), b.value("id", ""));
      });
    }
    return out;
  });
}

std::optional<std::string> Api::Cache::Answer(const std::string& event, const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Entry& e = entries_[event];
  auto it = e.answers.find(key);
  if (it == e.answers.end()) return std::nullopt;
  return it->second;
}

void Api::Cache::KeepAnswer(const std::string& event, const std::string& key, std::string text,
                            uint64_t generation) {
  // Bounded: past this many answers an event starts over (a full set for 20,000 participants
  // with a few option sets each fits).
  constexpr size_t kMaxAnswers = 100000;
  constexpr size_t kMaxBytes = size_t{256} << 20;  // and this much text
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& e = entries_[event];
  if (e.generation != generation) return;
  if (e.answers.size() >= kMaxAnswers || e.answer_bytes + text.size() > kMaxBytes) {
    e.answers.clear();
    e.answer_bytes = 0;
  }
  e.answer_bytes += text.size();
  e.answers[key] = std::move(text);
}

HttpResponse ErrorResponse(const Status& status) {
  int http = 500;
  const std::string& code = status.code();
  if (code == "api.unauthorized") {
    http = 401;
  } else if (code == "api.forbidden") {
    http = 403;
  } else if (code == "api.conflict" || code == "schedule.conflict" || code == "schedule.running" ||
             code == "request.transition" || code == "request.duplicate" ||
             code == "request.quota") {
    http = 409;
  } else if (code == "api.too_large") {
    http = 413;
  } else if (code == "api.header_too_large") {
    http = 431;
  } else if (code == "api.rate_limited") {
    http = 429;
  } else if (code == "api.upgrade_required") {
    http = 426;
  } else if (code == "api.unsupported_media_type") {
    http = 415;
  } else if (code == "api.method_not_allowed") {
    http = 405;
  } else if (code == "api.not_found") {
    http = 404;
  } else if (status.kind() == Status::Kind::kInvalidArgument) {
    http = 400;
  } else if (status.kind() == Status::Kind::kNotFound) {
    http = 404;
  } else if (status.kind() == Status::Kind::kIoError) {
    http = 503;
  }
  return api::Json(http, {{"error", {{"code", code}, {"message", status.message()}}}});
}

Result<json> CreateKey(storage::Store& store, const json& scope) {
  const std::string id = api::NewId("k-");
  std::string secret = "ik_";
  for (int i = 0; i < 3; ++i) secret += api::NewId("");  // 192 random bits
  if (Status s = store.PutApiKey(id, secret, scope); !s.ok()) return s;
  return json{{"id", id}, {"key", secret}, {"token", secret}, {"scope", scope}};
}

namespace {

// The answer to a key or token creation: the secret is shown once, here.
HttpResponse MakeKey(storage::Store& store, const json& scope) {
  auto key = CreateKey(store, scope);
  return key.ok() ? api::Json(201, *key) : ErrorResponse(key.status());
}

}  // namespace

// A token bucket per key: `burst` requests at once, refilled at `rate` per second.
struct Api::Limiter {
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  Limiter(double rate, double burst) : rate(rate), burst(burst) {}
  // 0 when the key may go on, else the seconds until it may.
  double Take(const std::string& key) {
    if (rate <= 0) return 0;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mutex);
    auto [it, fresh] = buckets.try_emplace(key, Bucket{burst, now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(burst, b.tokens + rate * std::chrono::duration<double>(now - b.last).count());
      b.last = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / rate;
  }

  const double rate, burst;
  std::mutex mutex;
  std::map<std::string, Bucket> buckets;  // one per key id: bounded by the keys stored
};

Api::Api(storage::Store& store, ApiOptions options)
    : store_(store),
      options_(std::move(options)),
      cache_(std::make_shared<Cache>()),
      hub_(std::make_shared<Hub>()),
      metrics_(std::make_shared<Metrics>()),
      limiter_(std::make_shared<Limiter>(options_.rate_per_second, options_.rate_burst)) {
  cache_->metrics = metrics_;
}

void Api::Tell(const std::string& event, const std::vector<storage::Change>& committed,
               std::vector<Told> pushes) const {
  std::unordered_map<std::string, uint64_t> seq_of;  // "kind id" -> its entry's seq
  for (const storage::Change& c : committed) seq_of[c.kind + ' ' + c.id] = c.seq;
  const uint64_t last = committed.empty() ? 0 : committed.back().seq;
  std::vector<std::pair<uint64_t, size_t>> order;
  for (size_t k = 0; k < pushes.size(); ++k) {
    auto it =
        seq_of.find(std::string(storage::RecordKindName(pushes[k].kind)) + ' ' + pushes[k].id);
    order.emplace_back(it == seq_of.end() ? last : it->second, k);
  }
  std::stable_sort(order.begin(), order.end());
  for (auto [seq, k] : order) {
    Told& p = pushes[k];
    hub_->Publish({event, p.type, seq, std::move(p.data), std::move(p.participants)});
  }
}

Result<Subscription> Api::Subscribe(const HttpRequest& request, std::string* key_id) const {
  const uint64_t checked_at = hub_->drops();  // before the checks, so no erasure slips between
  auto caller = Authenticate(request, store_, options_);
  if (!caller.ok()) return caller.status();
  if (key_id) *key_id = caller->key_id;
  if (caller->role != Role::kAdmin && limiter_->Take(caller->key_id) > 0) {
    return Status::InvalidArgument("api.rate_limited", "this key is over its request rate; retry later");
  }
  const size_t question = request.target.find('?');
  auto subscription =
      SubscriptionFor(*caller, question == std::string::npos
                                   ? std::string_view()
                                   : std::string_view(request.target).substr(question + 1));
  if (subscription.ok()) subscription->checked_at = checked_at;
  return subscription;
}

Result<Subscription> Api::SubscriptionFor(const Caller& caller, std::string_view query) const {
  auto event = IdParam(query, "event");
  if (!event.ok()) return event.status();
  if (event->empty()) return Status::InvalidArgument("api.invalid_query", "event: required");
  auto participant = IdParam(query, "participant");
  if (!participant.ok()) return participant.status();
  Subscription subscription{*event, *participant, caller.key_id};
  if (caller.role != Role::kAdmin && caller.event != subscription.event) {
    return api::Forbidden("this key is for another event");
  }
  if (caller.role == Role::kFrontend) return api::Forbidden("frontend keys do not subscribe");
  if (caller.role == Role::kParticipant) {
    if (subscription.participant.empty()) subscription.participant = caller.participant;
    if (subscription.participant != caller.participant) {
      return api::Forbidden("a participant token follows only its own participant");
    }
  }
  if (auto e = cache_->Event(store_, subscription.event); !e.ok()) return e.status();
  return subscription;
}

HttpResponse Api::Handle(const HttpRequest& request) const {
  // HEAD is GET without the body (RFC 9110, 9.3.2): the same status and header fields, which
  // monitors and link checkers ask for.
  if (request.method == "HEAD") {
    HttpRequest get = request;
    get.method = "GET";
    HttpResponse response = Handle(get);
    response.head = true;
    return response;
  }
  std::string key_id;
  HttpResponse response;
  try {
    response = Route(request, &key_id);
  } catch (const std::exception& e) {
    // A slip in one route fails that request, not the server with every event and connection
    // on it. What went wrong is for the log, not for the caller.
    response = ErrorResponse(
        Status::Internal("api.internal", "the server failed on this request (logged)"));
    response.failure = e.what();
  }
  response.route = RoutePattern(request.target);
  response.key_id = std::move(key_id);
  return response;
}

HttpResponse Api::Route(const HttpRequest& request, std::string* key_id) const {
  const size_t question = request.target.find('?');
  const std::string path = request.target.substr(0, question);
  const std::string query = question == std::string::npos ? "" : request.target.substr(question + 1);
  auto segments = Segments(path);
  if (!segments.ok()) return ErrorResponse(segments.status());
  const std::vector<std::string>& seg = *segments;
  const std::string& method = request.method;
  auto not_allowed = [&] {
    return ErrorResponse(Status::InvalidArgument("api.method_not_allowed",
                                                 method + " " + path + ": not allowed"));
  };

  if (seg.size() == 1 && seg[0] == "healthz") {
    return method == "GET" ? api::Json(200, {{"status", "ok"}}) : not_allowed();
  }
  if (seg.size() == 2 && seg[0] == "v1" && seg[1] == "openapi.json") {
    return method == "GET" ? HttpResponse(200, "application/json", std::string(OpenApiJson()))
                           : not_allowed();
  }
  const bool metrics = seg.size() == 1 && seg[0] == "metrics";
  if (!metrics && (seg.size() < 2 || seg[0] != "v1" ||
                   (seg[1] != "events" && seg[1] != "ws" && seg[1] != "backups"))) {
    return ErrorResponse(Status::NotFound("api.not_found", path + ": no such route"));
  }
  auto caller = Authenticate(request, store_, options_);
  if (!caller.ok()) return ErrorResponse(caller.status());
  *key_id = caller->key_id;
  if (caller->role != Role::kAdmin) {
    if (double wait = limiter_->Take(caller->key_id); wait > 0) {
      HttpResponse r = ErrorResponse(Status::InvalidArgument(
          "api.rate_limited", "this key is over its request rate; retry later"));
      r.headers.push_back({"Retry-After", std::to_string(static_cast<int>(wait) + 1)});
      return r;
    }
  }
  if (metrics) {
    if (method != "GET") return not_allowed();
    if (caller->role != Role::kAdmin) return ErrorResponse(api::Forbidden("metrics are for the admin key"));
    return HttpResponse(200, "text/plain; version=0.0.4; charset=utf-8", metrics_->Render());
  }
  if (seg[1] == "ws") {
    if (seg.size() != 2) return ErrorResponse(Status::NotFound("api.not_found", path + ": no such route"));
    if (method != "GET") return not_allowed();
    // Authenticated and counted against its rate above: only the subscription is left to check.
    if (auto s = SubscriptionFor(*caller, query); !s.ok()) return ErrorResponse(s.status());
    return ErrorResponse(Status::InvalidArgument(
        "api.upgrade_required", "/v1/ws: a WebSocket upgrade request is required"));
  }

  if (seg[1] == "backups") {
    if (seg.size() != 2)
      return ErrorResponse(Status::NotFound("api.not_found", path + ": no such route"));
    if (method != "POST") return not_allowed();
    if (caller->role != Role::kAdmin)
      return ErrorResponse(api::Forbidden("backups are for the admin key"));
    return Backup();
  }
  if (seg.size() == 2) {  // /v1/events
    if (method != "POST") return not_allowed();
    if (caller->role != Role::kAdmin) {
      return ErrorResponse(api::Forbidden("only the admin key creates events"));
    }
    auto body = api::Body(request);
    if (!body.ok()) return ErrorResponse(body.status());
    if (Status s = ValidateEvent(*body); !s.ok()) return ErrorResponse(s);
    if (Status s = store_.CreateEvent(*body); !s.ok()) {
      return ErrorResponse(s.code() == "storage.exists"
                               ? Status::InvalidArgument("api.conflict", s.message())
                               : s);
    }
    return api::Json(201, *body);
  }
  const std::string& event = seg[2];
  if (caller->role != Role::kAdmin && caller->event != event) {
    return ErrorResponse(api::Forbidden("this key is for another event"));
  }

  if (seg.size() == 3) {  // /v1/events/{event}
    if (method == "GET") {
      auto e = cache_->Event(store_, event);
      if (!e.ok()) return ErrorResponse(e.status());
      // Fields organisers add are theirs (notes, contacts), as with participants and needs:
      // the others read the event's known fields.
      return api::Json(200, caller->Organises() ? **e : api::PublicEvent(**e));
    }
    if (method != "PUT") return not_allowed();
    if (!caller->Organises()) return ErrorResponse(api::Forbidden("only organisers edit events"));
    // Only the admin creates events, by POST or by PUT; an organiser edits its own.
    if (caller->role != Role::kAdmin && !store_.GetEvent(event).ok()) {
      return ErrorResponse(api::Forbidden("only the admin key creates events"));
    }
    auto body = api::Body(request);
    if (!body.ok()) return ErrorResponse(body.status());
    auto record = RecordWithId(std::move(*body), event);
    if (!record.ok()) return ErrorResponse(record.status());
    if (Status s = ValidateEvent(*record); !s.ok()) return ErrorResponse(s);
    if (Status s = store_.PutEvent(*record); !s.ok()) return ErrorResponse(s);
    cache_->Invalidate(event);
    return api::Json(200, *record);
  }
  if (auto e = cache_->Event(store_, event); !e.ok()) return ErrorResponse(e.status());
  if (seg.size() == 4 && seg[3] == "changes") {
    if (method != "GET") return not_allowed();
    if (!caller->Organises()) return ErrorResponse(api::Forbidden("the feed is for organisers"));
    auto since = api::ParseCount(api::QueryParam(query, "since"), 0, "since");
    if (!since.ok()) return ErrorResponse(since.status());
    auto limit = api::ParseCount(api::QueryParam(query, "limit"), 1000, "limit");
    if (!limit.ok()) return ErrorResponse(limit.status());
    if (*limit == 0) {
      return ErrorResponse(Status::InvalidArgument("api.invalid_query", "limit: at least 1"));
    }
    auto changes = store_.Changes(*since, static_cast<size_t>(std::min<uint64_t>(*limit, 10000)));
    if (!changes.ok()) return ErrorResponse(changes.status());
    json list = json::array();
    uint64_t last = *since;
    for (const auto& c : *changes) {
      last = c.seq;
      if (c.event != event) continue;
      list.push_back({{"seq", c.seq}, {"kind", c.kind}, {"id", c.id}, {"op", c.op}});
    }
    return api::Json(200, {{"event", event}, {"changes", list}, {"next", last}});
  }
  if (seg.size() == 4 && seg[3] == "keys") {  // frontend and organiser keys of the event
    if (method != "POST") return not_allowed();
    if (!caller->Organises()) return ErrorResponse(api::Forbidden("only organisers make keys"));
    auto body = api::Body(request);
    if (!body.ok()) return ErrorResponse(body.status());
    const auto given = body->is_object() ? body->find("role") : body->end();
    const std::string role =
        given != body->end() && given->is_string() ? given->get<std::string>() : "";
    if (role != "frontend" && role != "organiser") {
      return ErrorResponse(
          Status::InvalidArgument("api.invalid_value", "role: \"frontend\" or \"organiser\""));
    }
    return MakeKey(store_, {{"role", role}, {"event", event}});
  }
  if (seg.size() == 6 && seg[3] == "participants" && seg[5] == "tokens") {
    if (method != "POST") return not_allowed();
    if (!caller->Organises()) return ErrorResponse(api::Forbidden("only organisers make tokens"));
    if (!store_.Get(RecordKind::kParticipant, event, seg[4]).ok()) {
      return ErrorResponse(Status::NotFound("storage.not_found", "participant '" + seg[4] + "': not found"));
    }
    return MakeKey(store_, {{"role", "participant"}, {"event", event}, {"participant", seg[4]}});
  }
  if (seg.size() == 4 && seg[3] == "participants:import") {
    if (method != "POST") return not_allowed();
    if (!caller->Organises()) return ErrorResponse(api::Forbidden("only organisers import"));
    return Import(request, event);
  }
  if (seg.size() == 6 && seg[3] == "participants" &&
      (seg[5] == "agenda" || seg[5] == "agenda.ics")) {
    if (method != "GET") return not_allowed();
    if (!caller->ActsFor(seg[4])) {
      return ErrorResponse(api::Forbidden("an agenda is for its participant and the organisers"));
    }
    auto accept = request.headers.find("accept");
    const bool ics = seg[5] == "agenda.ics" || (accept != request.headers.end() &&
                                                 accept->second.find("text/calendar") != std::string::npos);
    return Agenda(*caller, request, event, seg[4], ics);
  }
  if (seg.size() == 4 && (seg[3] == "schedule" || seg[3] == "schedule.csv")) {
    if (!caller->Organises()) return ErrorResponse(api::Forbidden("schedules are for organisers"));
    return Schedule(*caller, request, event, seg, query);
  }
  if (seg.size() == 6 && seg[5] == "suggestions" &&
      (seg[3] == "participants" || seg[3] == "needs")) {
    if (method != "GET") return not_allowed();
    return Suggestions(*caller, event, seg[3] == "participants", seg[4], query);
  }
  if (seg.size() == 4 && (seg[3] == "participants" || seg[3] == "needs")) {
    if (method != "GET") return not_allowed();
    return List(*caller, event, seg[3] == "participants", query);
  }
  if (seg.size() == 5 && (seg[3] == "participants" || seg[3] == "needs")) {
    return Records(*caller, request, event, seg);
  }
  if (seg.size() >= 4 && seg[3] == "requests") return Requests(*caller, request, event, seg);
  return ErrorResponse(Status::NotFound("api.not_found", path + ": no such route"));
}

HttpResponse Api::Suggestions(const Caller& caller, const std::string& event,
                              bool for_participant, const std::string& id,
                              std::string_view query) const {
  auto top = api::ParseCount(api::QueryParam(query, "top"), 20, "top");
  if (!top.ok()) return ErrorResponse(top.status());
  if (*top > 1000) {  // the documented maximum, refused as the lists' limit is, not cut silently
    return ErrorResponse(Status::InvalidArgument("api.invalid_query", "top: 0 to 1000"));
  }
  engine::MatchOptions options;
  options.top = static_cast<int>(*top);
  if (auto kind = api::QueryParam(query, "kind")) {
    options.kind = engine::KindFromName(*kind);
    if (!options.kind) {
      return ErrorResponse(Status::InvalidArgument("api.invalid_query",
                                                   "kind: one of pa, company, research, other"));
    }
  }
  if (for_participant && caller.role == Role::kParticipant && caller.participant != id) {
    return ErrorResponse(api::Forbidden("a participant token sees its own suggestions"));
  }
  // Answers are kept until the event changes: browsing asks the same ones again and again.
  const uint64_t generation = cache_->Generation(event);
  const std::string key = std::string(for_participant ? "p " : "n ") + std::to_string(options.top) +
                          " " + std::string(api::QueryParam(query, "kind").value_or("")) + " " + id;
  auto matcher = cache_->Matcher(store_, event);
  if (!matcher.ok()) return ErrorResponse(matcher.status());
  const engine::Matcher& m = **matcher;
  if (for_participant) {
    if (auto answer = cache_->Answer(event, key)) return {200, "application/json", std::move(*answer)};
    for (size_t i = 0; i < m.participants().size(); ++i) {
      if (m.participants()[i].id != id) continue;
      std::string text = engine::MatchesJsonLine("participant", id, m.ForParticipant(i, options),
                                                 m.participants());
      cache_->KeepAnswer(event, key, text, generation);
      return {200, "application/json", std::move(text)};
    }
  } else {
    for (size_t i = 0; i < m.needs().size(); ++i) {
      if (m.needs()[i].id != id) continue;
      if (caller.role == Role::kParticipant && caller.participant != m.needs()[i].owner) {
        return ErrorResponse(api::Forbidden("a participant token sees its own needs' suggestions"));
      }
      if (auto answer = cache_->Answer(event, key)) return {200, "application/json", std::move(*answer)};
      std::string text = engine::MatchesJsonLine("need", id, m.ForNeed(i, options), m.participants());
      cache_->KeepAnswer(event, key, text, generation);
      return {200, "application/json", std::move(text)};
    }
  }
  return ErrorResponse(Status::NotFound(
      "storage.not_found", (for_participant ? "participant '" : "need '") + id + "': not found"));
}

HttpResponse Api::Backup() const {
  if (options_.backup_dir.empty()) {
    return ErrorResponse(
        Status::InvalidArgument("backup.disabled", "the server was started without --backup-dir"));
  }
  // Named by the time in UTC, so they sort; a second one in the same second gets a suffix.
  // Backups are made one at a time: the name is chosen and taken under one lock.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char name[40];
  std::strftime(name, sizeof name, "incontra-%Y%m%dT%H%M%SZ", &tm);
  std::error_code ec;
  std::filesystem::create_directories(options_.backup_dir, ec);
  std::string chosen = name;
  for (int n = 2; std::filesystem::exists(std::filesystem::path(options_.backup_dir) / chosen, ec);
       ++n) {
    chosen = std::string(name) + "-" + std::to_string(n);
  }
  const std::string path = (std::filesystem::path(options_.backup_dir) / chosen).string();
  if (Status s = store_.Backup(path); !s.ok()) return ErrorResponse(s);
  return api::Json(201, {{"backup", chosen}, {"path", path}});
}

HttpResponse Api::List(const Caller& caller, const std::string& event, bool participants,
                       std::string_view query) const {
  auto limit = api::ParseCount(api::QueryParam(query, "limit"), 100, "limit");
  if (!limit.ok()) return ErrorResponse(limit.status());
  if (*limit == 0 || *limit > 1000) {
    return ErrorResponse(Status::InvalidArgument("api.invalid_query", "limit: 1 to 1000"));
  }
  auto after = IdParam(query, "after");
  if (!after.ok()) return ErrorResponse(after.status());
  auto records = store_.List(participants ? RecordKind::kParticipant : RecordKind::kNeed, event);
  if (!records.ok()) return ErrorResponse(records.status());
  // The store lists in id order (bytes, as std::string compares): a page starts after `after`.
  auto it = std::upper_bound(
      records->begin(), records->end(), *after,
      [](const std::string& id, const json& r) { return id < r.value("id", std::string()); });
  json page = json::array();
  for (; it != records->end() && page.size() < *limit; ++it) {
    auto visible = VisiblePart(caller, participants, *it);
    if (!visible.ok()) return ErrorResponse(visible.status());
    page.push_back(std::move(*visible));
  }
  // `next`: the `after` of the following page, null on the last one.
  const json next = it == records->end() ? json() : json(page.back()["id"]);
  return api::Json(200, {{participants ? "participants" : "needs", page}, {"next", next}});
}

HttpResponse Api::Records(const Caller& caller, const HttpRequest& request,
                          const std::string& event, const std::vector<std::string>& seg) const {
  const std::string& method = request.method;
  const bool participant = seg[3] == "participants";
  const RecordKind kind = participant ? RecordKind::kParticipant : RecordKind::kNeed;
  const std::string& id = seg[4];
  if (method == "GET") {
    auto r = store_.Get(kind, event, id);
    if (!r.ok()) return ErrorResponse(r.status());
    auto visible = VisiblePart(caller, participant, *r);
    return visible.ok() ? api::Json(200, *visible) : ErrorResponse(visible.status());
  }
  if (caller.role == Role::kFrontend) return ErrorResponse(api::Forbidden("frontend keys only read"));
  if (method == "DELETE" && participant) {
    if (!caller.ActsFor(id)) return ErrorResponse(api::Forbidden("not this participant's key"));
    return Erase(event, id);
  }
  if (method == "DELETE") {  // a need withdrawn: by its owner or the organisers
    std::lock_guard<std::mutex> lock(cache_->requests_mutex);
    auto before = store_.Get(kind, event, id);
    if (!before.ok()) return ErrorResponse(before.status());
    if (!caller.Organises() &&
        !(caller.role == Role::kParticipant && before->value("owner", "") == caller.participant)) {
      return ErrorResponse(api::Forbidden("a participant withdraws only needs it owns"));
    }
    if (Status s = store_.Delete(kind, event, id); !s.ok()) return ErrorResponse(s);
    cache_->Invalidate(event);
    return {204, "application/json", ""};
  }
  if (method != "PUT") {
    return ErrorResponse(Status::InvalidArgument("api.method_not_allowed", method + ": not allowed"));
  }
  auto body = api::Body(request);
  if (!body.ok()) return ErrorResponse(body.status());
  auto record = RecordWithId(std::move(*body), id);
  if (!record.ok()) return ErrorResponse(record.status());
  // Checked and written under the lock an erasure holds, so a write that read the participant
  // (or a need's owner) before it was erased cannot bring it back afterwards.
  std::lock_guard<std::mutex> lock(cache_->requests_mutex);
  auto before = store_.Get(kind, event, id);
  json stored;
  if (participant) {
    if (!caller.ActsFor(id)) return ErrorResponse(api::Forbidden("not this participant's key"));
    auto p = engine::ParticipantFromJson(*record);
    if (!p.ok()) return ErrorResponse(p.status());
    stored = engine::ParticipantToJson(*p);
    // Needs belong to a pa: a pa that turns into a company, or an owner the needs named before
    // it was registered. (One stored as another kind owns none: the rule held at its write.)
    if (p->kind != engine::Kind::kPa && (!before.ok() || before->value("kind", "") == "pa")) {
      if (Status s = CheckPaRule(store_, event, kind, {stored}); !s.ok()) return ErrorResponse(s);
    }
    if (!caller.Organises()) {
      // A participant edits its public profile; kind and quota are the organisers' call, and
      // what else the organisers keep on the record (a host table, notes) stays as it was.
      if (!before.ok()) return ErrorResponse(api::Forbidden("only organisers add participants"));
      for (const char* key : {"kind", "max_meetings"}) {
        if (stored.value(key, json()) != before->value(key, json())) {
          return ErrorResponse(api::Forbidden(std::string(key) + ": set by the organisers"));
        }
      }
      const json editable = api::PublicProfile(stored);
      stored = *before;
      for (const char* key : {"name", "description", "offers", "seeks", "cpv", "region", "languages", "tags"}) {
        if (editable.contains(key)) {
          stored[key] = editable[key];
        } else {
          stored.erase(key);
        }
      }
    }
  } else {
    auto n = engine::NeedFromJson(*record);
    if (!n.ok()) return ErrorResponse(n.status());
    stored = engine::NeedToJson(*n);
    // A participant writes the needs it owns, and cannot take over someone else's.
    if (!caller.Organises() &&
        (n->owner != caller.participant ||
         (before.ok() && before->value("owner", "") != caller.participant))) {
      return ErrorResponse(api::Forbidden("a participant writes only needs it owns"));
    }
    // A participant token's own record must be there; organisers may name an owner not
    // registered yet (CheckPaRule).
    if (!caller.Organises()) {
      auto owner = store_.Get(RecordKind::kParticipant, event, n->owner);
      if (!owner.ok()) return ErrorResponse(owner.status());
    }
    if (Status s = CheckPaRule(store_, event, kind, {stored}); !s.ok()) return ErrorResponse(s);
  }
  if (Status s = store_.Put(kind, event, stored); !s.ok()) return ErrorResponse(s);
  cache_->Invalidate(event);
  return api::Json(200, stored);
}

}  // namespace incontra::server
