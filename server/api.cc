#include "server/api.h"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <random>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/matching.h"
#include "engine/profile_json.h"
#include "scoring/text.h"

namespace incontra::server {
namespace {

using nlohmann::json;
using storage::RecordKind;

// Bytes that are not UTF-8 (a hostile path echoed in a message) are replaced, never thrown on.
HttpResponse Json(int status, const json& body) {
  return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

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
      if (segment.empty() || segment.size() > 128 || scoring::ValidUtf8(segment) != segment ||
          segment.find('\0') != std::string::npos) {
        return Status::InvalidArgument(
            "api.invalid_path", "a path segment is 1 to 128 bytes of UTF-8 without NUL");
      }
      out.push_back(std::move(segment));
    }
    start = slash + 1;
  }
  return out;
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
                                   std::string(name) + ": a non-negative integer");
  }
  return std::stoull(*text);
}

// Who is asking: the admin, an organiser of one event, or nobody.
struct Caller {
  bool admin = false;
  std::string event;  // organiser scope
};

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
  if (!options.admin_key.empty() && SameSecret(key, options.admin_key)) return Caller{true, ""};
  auto found = store.FindApiKey(key);
  if (!found.ok()) return Status::InvalidArgument("api.unauthorized", "unknown key");
  const json& scope = (*found)["scope"];
  if (scope.is_object() && scope.value("role", "") == "organiser" && scope.contains("event") &&
      scope["event"].is_string()) {
    return Caller{false, scope["event"].get<std::string>()};
  }
  return Status::InvalidArgument("api.forbidden", "this key may not use the organiser API");
}

Status Forbidden(const std::string& what) {
  return Status::InvalidArgument("api.forbidden", what);
}

Result<json> Body(const HttpRequest& request) {
  if (request.body.empty()) return Status::InvalidArgument("api.empty_body", "a JSON body is required");
  return engine::ParseJsonDocument(request.body, "api");
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
  if (id == event.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
      id->get_ref<const std::string&>().size() > 128) {
    return Status::InvalidArgument("event.invalid_id",
                                   "id: a non-empty string of at most 128 bytes");
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
  if (event.contains("tables") && !event["tables"].is_number_integer() &&
      !event["tables"].is_array()) {
    return Status::InvalidArgument("event.wrong_type", "tables: a count or a list of ids");
  }
  return Status::Ok();
}

}  // namespace

// Building a matcher costs a pass over the event's profiles, so it is kept per event and
// built again only after a write to that event (every write goes through this Api).
struct Api::Matchers {
  std::mutex requests_mutex;  // meeting requests are checked and written one at a time
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const engine::Matcher>> by_event;
  // Bumped by every write, so a matcher built from data read before a write is not kept.
  std::map<std::string, uint64_t> generation;

  void Invalidate(const std::string& event) {
    std::lock_guard<std::mutex> lock(mutex);
    by_event.erase(event);
    ++generation[event];
  }

  Result<std::shared_ptr<const engine::Matcher>> For(const storage::Store& store,
                                                     const std::string& event) {
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (auto it = by_event.find(event); it != by_event.end()) return it->second;
      seen = generation[event];
    }
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
    auto matcher = engine::Matcher::Create(std::move(ps), std::move(ns), nullptr);
    if (!matcher.ok()) return matcher.status();
    auto shared = std::make_shared<const engine::Matcher>(std::move(*matcher));
    std::lock_guard<std::mutex> lock(mutex);
    if (generation[event] == seen) by_event[event] = shared;
    return shared;
  }
};

HttpResponse ErrorResponse(const Status& status) {
  int http = 500;
  const std::string& code = status.code();
  if (code == "api.unauthorized") {
    http = 401;
  } else if (code == "api.forbidden") {
    http = 403;
  } else if (code == "api.conflict" || code == "request.transition" ||
             code == "request.duplicate" || code == "request.quota") {
    http = 409;
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
  return Json(http, {{"error", {{"code", code}, {"message", status.message()}}}});
}

Api::Api(storage::Store& store, ApiOptions options)
    : store_(store), options_(std::move(options)), matchers_(std::make_shared<Matchers>()) {}

HttpResponse Api::Handle(const HttpRequest& request) const {
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
    return method == "GET" ? Json(200, {{"status", "ok"}}) : not_allowed();
  }
  if (seg.empty() || seg[0] != "v1" || seg.size() < 2 || seg[1] != "events") {
    return ErrorResponse(Status::NotFound("api.not_found", path + ": no such route"));
  }
  auto caller = Authenticate(request, store_, options_);
  if (!caller.ok()) return ErrorResponse(caller.status());
  auto may = [&](const std::string& event) { return caller->admin || caller->event == event; };

  if (seg.size() == 2) {  // /v1/events
    if (method != "POST") return not_allowed();
    if (!caller->admin) return ErrorResponse(Forbidden("only the admin key creates events"));
    auto body = Body(request);
    if (!body.ok()) return ErrorResponse(body.status());
    if (Status s = ValidateEvent(*body); !s.ok()) return ErrorResponse(s);
    if (Status s = store_.CreateEvent(*body); !s.ok()) {
      return ErrorResponse(s.code() == "storage.exists"
                               ? Status::InvalidArgument("api.conflict", s.message())
                               : s);
    }
    return Json(201, *body);
  }
  const std::string& event = seg[2];
  if (!may(event)) return ErrorResponse(Forbidden("this key is for another event"));

  if (seg.size() == 3) {  // /v1/events/{event}
    if (method == "GET") {
      auto e = store_.GetEvent(event);
      return e.ok() ? Json(200, *e) : ErrorResponse(e.status());
    }
    if (method != "PUT") return not_allowed();
    // Only the admin creates events, by POST or by PUT; an organiser edits its own.
    if (!caller->admin && !store_.GetEvent(event).ok()) {
      return ErrorResponse(Forbidden("only the admin key creates events"));
    }
    auto body = Body(request);
    if (!body.ok()) return ErrorResponse(body.status());
    auto record = RecordWithId(std::move(*body), event);
    if (!record.ok()) return ErrorResponse(record.status());
    if (Status s = ValidateEvent(*record); !s.ok()) return ErrorResponse(s);
    if (Status s = store_.PutEvent(*record); !s.ok()) return ErrorResponse(s);
    matchers_->Invalidate(event);
    return Json(200, *record);
  }
  if (!store_.GetEvent(event).ok()) {
    return ErrorResponse(Status::NotFound("storage.unknown_event", "no event '" + event + "'"));
  }
  if (seg.size() == 4 && seg[3] == "changes") {
    if (method != "GET") return not_allowed();
    auto since = ParseCount(QueryParam(query, "since"), 0, "since");
    if (!since.ok()) return ErrorResponse(since.status());
    auto limit = ParseCount(QueryParam(query, "limit"), 1000, "limit");
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
    return Json(200, {{"event", event}, {"changes", list}, {"next", last}});
  }
  if (seg.size() == 6 && seg[5] == "suggestions" &&
      (seg[3] == "participants" || seg[3] == "needs")) {
    if (method != "GET") return not_allowed();
    const bool for_participant = seg[3] == "participants";
    auto top = ParseCount(QueryParam(query, "top"), 20, "top");
    if (!top.ok()) return ErrorResponse(top.status());
    engine::MatchOptions options;
    options.top = static_cast<int>(std::min<uint64_t>(*top, 1000));
    if (auto kind = QueryParam(query, "kind")) {
      options.kind = engine::KindFromName(*kind);
      if (!options.kind) {
        return ErrorResponse(Status::InvalidArgument(
            "api.invalid_query", "kind: one of pa, company, research, other"));
      }
    }
    auto matcher = matchers_->For(store_, event);
    if (!matcher.ok()) return ErrorResponse(matcher.status());
    const engine::Matcher& m = **matcher;
    const std::string& id = seg[4];
    if (for_participant) {
      for (size_t i = 0; i < m.participants().size(); ++i) {
        if (m.participants()[i].id != id) continue;
        return {200, "application/json",
                engine::MatchesJsonLine("participant", id, m.ForParticipant(i, options),
                                        m.participants())};
      }
    } else {
      for (size_t i = 0; i < m.needs().size(); ++i) {
        if (m.needs()[i].id != id) continue;
        return {200, "application/json",
                engine::MatchesJsonLine("need", id, m.ForNeed(i, options), m.participants())};
      }
    }
    return ErrorResponse(Status::NotFound(
        "storage.not_found", (for_participant ? "participant '" : "need '") + id + "': not found"));
  }
  if (seg.size() == 5 && (seg[3] == "participants" || seg[3] == "needs")) {
    const bool participant = seg[3] == "participants";
    const RecordKind kind = participant ? RecordKind::kParticipant : RecordKind::kNeed;
    const std::string& id = seg[4];
    if (method == "GET") {
      auto r = store_.Get(kind, event, id);
      return r.ok() ? Json(200, *r) : ErrorResponse(r.status());
    }
    if (method == "DELETE" && participant) {
      // Under the requests lock: a request being created for this participant either lands
      // before the cascade (and goes with it) or sees the participant gone.
      std::lock_guard<std::mutex> lock(matchers_->requests_mutex);
      Status s = store_.Delete(kind, event, id);
      matchers_->Invalidate(event);
      return s.ok() ? HttpResponse{204, "application/json", ""} : ErrorResponse(s);
    }
    if (method != "PUT") return not_allowed();
    auto body = Body(request);
    if (!body.ok()) return ErrorResponse(body.status());
    auto record = RecordWithId(std::move(*body), id);
    if (!record.ok()) return ErrorResponse(record.status());
    json stored;
    if (participant) {
      auto p = engine::ParticipantFromJson(*record);
      if (!p.ok()) return ErrorResponse(p.status());
      stored = engine::ParticipantToJson(*p);
    } else {
      auto n = engine::NeedFromJson(*record);
      if (!n.ok()) return ErrorResponse(n.status());
      stored = engine::NeedToJson(*n);
    }
    if (Status s = store_.Put(kind, event, stored); !s.ok()) return ErrorResponse(s);
    matchers_->Invalidate(event);
    return Json(200, stored);
  }
  if (seg.size() >= 4 && seg[3] == "requests") return Requests(method, event, seg, request);
  return ErrorResponse(Status::NotFound("api.not_found", path + ": no such route"));
}

namespace {

std::string NowUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string NewRequestId() {
  static std::mutex mutex;
  static std::mt19937_64 random{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "r-%016llx", static_cast<unsigned long long>(random()));
  return buffer;
}

Status RequestError(const char* code, const std::string& message) {
  return Status::InvalidArgument(std::string("request.") + code, message);
}

}  // namespace

HttpResponse Api::Requests(const std::string& method, const std::string& event,
                           const std::vector<std::string>& seg, const HttpRequest& request) const {
  auto not_allowed = [&] {
    return ErrorResponse(Status::InvalidArgument("api.method_not_allowed", method + ": not allowed"));
  };
  if (seg.size() == 4 && method == "GET") {
    auto list = store_.List(RecordKind::kRequest, event);
    return list.ok() ? Json(200, {{"requests", *list}}) : ErrorResponse(list.status());
  }
  if (seg.size() == 5) {
    if (method != "GET") return not_allowed();
    auto r = store_.Get(RecordKind::kRequest, event, seg[4]);
    return r.ok() ? Json(200, *r) : ErrorResponse(r.status());
  }
  if (method != "POST") return not_allowed();
  // Checks and writes of requests are one at a time, so two racing requests cannot both pass
  // the duplicate or quota check.
  std::lock_guard<std::mutex> lock(matchers_->requests_mutex);
  if (seg.size() == 6) {
    const std::string& action = seg[5];
    static const std::map<std::string, std::pair<std::vector<std::string>, std::string>> kMoves = {
        {"accept", {{"pending"}, "accepted"}},
        {"decline", {{"pending"}, "declined"}},
        {"cancel", {{"pending", "accepted"}, "cancelled"}}};
    auto move = kMoves.find(action);
    if (move == kMoves.end()) {
      return ErrorResponse(Status::NotFound("api.not_found", action + ": no such action"));
    }
    auto r = store_.Get(RecordKind::kRequest, event, seg[4]);
    if (!r.ok()) return ErrorResponse(r.status());
    const std::string state = r->value("state", "");
    const auto& from = move->second.first;
    if (std::find(from.begin(), from.end(), state) == from.end()) {
      return ErrorResponse(RequestError(
          "transition", "a " + state + " request cannot be " + move->second.second));
    }
    (*r)["state"] = move->second.second;
    (*r)["history"].push_back({{"state", move->second.second}, {"at", NowUtc()}});
    if (Status s = store_.Put(RecordKind::kRequest, event, *r); !s.ok()) return ErrorResponse(s);
    return Json(200, *r);
  }
  if (seg.size() != 4) return ErrorResponse(Status::NotFound("api.not_found", "no such route"));
  auto body = Body(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(RequestError("wrong_type", "(body): an object"));
  for (const char* key : {"from", "to"}) {
    if (!body->contains(key) || !(*body)[key].is_string()) {
      return ErrorResponse(RequestError("missing_field", std::string(key) + ": a participant id"));
    }
  }
  const std::string from = (*body)["from"], to = (*body)["to"];
  std::string message;
  if (body->contains("message")) {
    if (!(*body)["message"].is_string() || (*body)["message"].get_ref<const std::string&>().size() > 4096) {
      return ErrorResponse(RequestError("invalid_value", "message: a text of at most 4096 bytes"));
    }
    message = (*body)["message"];
  }
  if (from == to) return ErrorResponse(RequestError("self", "from and to: the same participant"));
  auto a = store_.Get(RecordKind::kParticipant, event, from);
  if (!a.ok()) return ErrorResponse(RequestError("unknown_participant", "from: no participant '" + from + "'"));
  auto b = store_.Get(RecordKind::kParticipant, event, to);
  if (!b.ok()) return ErrorResponse(RequestError("unknown_participant", "to: no participant '" + to + "'"));
  auto ka = engine::KindFromName(a->value("kind", "")), kb = engine::KindFromName(b->value("kind", ""));
  if (!ka || !kb || !engine::KindsMayMeet(*ka, *kb)) {
    return ErrorResponse(RequestError("kinds", "two public administrations do not meet here"));
  }
  auto existing = store_.List(RecordKind::kRequest, event);
  if (!existing.ok()) return ErrorResponse(existing.status());
  int64_t quota = -1;
  if (a->contains("max_meetings") && (*a)["max_meetings"].is_number_integer()) {
    quota = (*a)["max_meetings"];
  } else if (auto e = store_.GetEvent(event);
             e.ok() && e->contains("max_meetings_per_participant") &&
             (*e)["max_meetings_per_participant"].is_number_integer()) {
    quota = (*e)["max_meetings_per_participant"];
  }
  int64_t open = 0;
  for (const json& r : *existing) {
    const std::string state = r.value("state", ""), rf = r.value("from", ""), rt = r.value("to", "");
    const bool live = state == "pending" || state == "accepted";
    if (state == "pending" && ((rf == from && rt == to) || (rf == to && rt == from))) {
      return ErrorResponse(RequestError("duplicate", "a pending request between '" + from +
                                                         "' and '" + to + "' exists: " +
                                                         r.value("id", "")));
    }
    if (live && (rf == from || rt == from)) ++open;
  }
  if (quota >= 0 && open >= quota) {
    return ErrorResponse(RequestError("quota", "'" + from + "' has " + std::to_string(open) +
                                                   " pending or accepted meetings, its limit"));
  }
  const std::string now = NowUtc();
  json record = {{"id", NewRequestId()}, {"from", from},      {"to", to},
                 {"message", message},   {"state", "pending"},
                 {"created", now},       {"history", json::array({{{"state", "pending"}, {"at", now}}})}};
  if (Status s = store_.Put(RecordKind::kRequest, event, record); !s.ok()) return ErrorResponse(s);
  return Json(201, record);
}

}  // namespace incontra::server
