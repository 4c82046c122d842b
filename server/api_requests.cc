// Meeting requests (create, list, accept, decline, cancel) and a participant's erasure: the
// routes that change who meets whom, so they run one at a time under requests_mutex.
#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/profile.h"
#include "server/api.h"
#include "server/internal/api_common.h"

namespace incontra::server {
namespace {

using nlohmann::json;
using storage::RecordKind;

Status RequestError(const char* code, const std::string& message) {
  return Status::InvalidArgument(std::string("request.") + code, message);
}

bool InRequest(const json& r, const std::string& participant) {
  return r.value("from", "") == participant || r.value("to", "") == participant;
}

}  // namespace

HttpResponse Api::Erase(const std::string& event, const std::string& participant) const {
  std::lock_guard<std::mutex> lock(cache_->requests_mutex);
  if (auto p = store_.Get(RecordKind::kParticipant, event, participant); !p.ok()) {
    return ErrorResponse(p.status());
  }
  // The counterparts keep their side of a scheduled meeting, cancelled and without the erased
  // participant's id, so their calendars learn it is off; the store's cascade removes every
  // other record naming the participant, in the same batch. A meeting with nobody left goes
  // too; the organisers still hear it is cancelled.
  auto meetings = store_.List(RecordKind::kMeeting, event);
  if (!meetings.ok()) return ErrorResponse(meetings.status());
  std::vector<json> kept, gone;
  for (json m : *meetings) {
    std::vector<std::string> people = api::People(m);
    if (std::find(people.begin(), people.end(), participant) == people.end()) continue;
    people.erase(std::remove(people.begin(), people.end(), participant), people.end());
    m["participants"] = people;
    if (m.value("status", "") != "cancelled") {
      m["status"] = "cancelled";
      m["sequence"] = m.value("sequence", 0) + 1;
    }
    (people.empty() ? gone : kept).push_back(std::move(m));
  }
  auto requests = store_.List(RecordKind::kRequest, event);
  if (!requests.ok()) return ErrorResponse(requests.status());
  std::vector<storage::Change> committed;
  Status deleted = store_.Delete(RecordKind::kParticipant, event, participant, kept, &committed);
  cache_->requests.erase(event);  // the store's cascade removed some
  if (!deleted.ok()) return ErrorResponse(deleted);
  cache_->Invalidate(event);
  // Its tokens are gone with it; so are the WebSockets they opened.
  hub_->Drop(event, participant);
  std::vector<Told> told;
  for (const json& r : *requests) {
    const std::string state = r.value("state", "");
    if (!InRequest(r, participant) || (state != "pending" && state != "accepted")) continue;
    const std::string id = r.value("id", "");
    const std::string other = r.value("from", "") == participant ? r.value("to", "") : r.value("from", "");
    told.push_back({"request.cancelled",
                    RecordKind::kRequest,
                    id,
                    {{"id", id}, {"state", "cancelled"}, {"reason", "participant erased"}},
                    {other}});
  }
  for (const json& m : kept) {
    told.push_back(
        {"meeting.cancelled", RecordKind::kMeeting, m.value("id", ""), m, api::People(m)});
  }
  // Concerning nobody left, such a push reaches the organisers only (an empty list would mean
  // everyone in the event).
  for (const json& m : gone) {
    told.push_back(
        {"meeting.cancelled", RecordKind::kMeeting, m.value("id", ""), m, {participant}});
  }
  Tell(event, committed, std::move(told));
  return {204, "application/json", ""};
}

HttpResponse Api::Requests(const Caller& caller, const HttpRequest& request,
                           const std::string& event, const std::vector<std::string>& seg) const {
  const std::string& method = request.method;
  auto not_allowed = [&] {
    return ErrorResponse(Status::InvalidArgument("api.method_not_allowed", method + ": not allowed"));
  };
  if (caller.role == Role::kFrontend) {
    return ErrorResponse(api::Forbidden("meeting requests are for participants and organisers"));
  }
  if (seg.size() == 4 && method == "GET") {
    auto list = store_.List(RecordKind::kRequest, event);
    if (!list.ok()) return ErrorResponse(list.status());
    json out = json::array();
    for (json& r : *list) {
      if (caller.Organises() || InRequest(r, caller.participant)) out.push_back(std::move(r));
    }
    return api::Json(200, {{"requests", out}});
  }
  if (seg.size() == 5) {
    if (method != "GET") return not_allowed();
    auto r = store_.Get(RecordKind::kRequest, event, seg[4]);
    if (!r.ok()) return ErrorResponse(r.status());
    if (!caller.Organises() && !InRequest(*r, caller.participant)) {
      return ErrorResponse(api::Forbidden("not a request of this participant"));
    }
    return api::Json(200, *r);
  }
  if (method != "POST") return not_allowed();
  std::lock_guard<std::mutex> lock(cache_->requests_mutex);
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
    const std::string from = r->value("from", ""), to = r->value("to", "");
    // The receiver answers; either side may call it off.
    const bool may = caller.Organises() ||
                     (action == "cancel" ? InRequest(*r, caller.participant) : to == caller.participant);
    if (!may) return ErrorResponse(api::Forbidden(action + ": not this participant's to do"));
    const std::string state = r->value("state", "");
    const auto& allowed = move->second.first;
    if (std::find(allowed.begin(), allowed.end(), state) == allowed.end()) {
      return ErrorResponse(RequestError(
          "transition", "a " + state + " request cannot be " + move->second.second));
    }
    if (action == "accept") {
      // The receiver's quota counts too: accepting must not take it past its limit.
      auto existing = EventRequests(event);
      if (!existing.ok()) return ErrorResponse(existing.status());
      if (Status s = CheckQuota(event, to, **existing, r->value("id", "")); !s.ok()) {
        return ErrorResponse(s);
      }
    }
    (*r)["state"] = move->second.second;
    (*r)["history"].push_back({{"state", move->second.second}, {"at", api::NowUtc()}});
    std::vector<std::pair<RecordKind, json>> writes = {{RecordKind::kRequest, *r}};
    std::vector<Told> told = {
        {"request." + move->second.second, RecordKind::kRequest, seg[4], *r, {from, to}}};
    if (action == "cancel") {
      // A scheduled meeting of this request is called off in every agenda at once, in the
      // request's batch: a crash between two writes left the request cancelled and its meeting
      // on, and a retried cancel was refused as a transition (regression).
      auto m = store_.Get(RecordKind::kMeeting, event, seg[4]);
      if (!m.ok() && m.status().kind() != Status::Kind::kNotFound) return ErrorResponse(m.status());
      if (m.ok() && m->value("status", "") != "cancelled") {
        (*m)["status"] = "cancelled";
        (*m)["sequence"] = m->value("sequence", 0) + 1;
        writes.emplace_back(RecordKind::kMeeting, *m);
        told.push_back({"meeting.cancelled", RecordKind::kMeeting, seg[4], *m, api::People(*m)});
      }
    }
    std::vector<storage::Change> committed;
    Status written = store_.Put(event, writes, &committed);
    cache_->Invalidate(event);
    if (!written.ok()) {
      cache_->requests.erase(event);
      return ErrorResponse(written);
    }
    if (auto known = cache_->requests.find(event); known != cache_->requests.end()) {
      known->second[seg[4]] = *r;
    }
    Tell(event, committed, std::move(told));
    return api::Json(200, *r);
  }
  if (seg.size() != 4) return ErrorResponse(Status::NotFound("api.not_found", "no such route"));
  auto body = api::Body(request);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!body->is_object()) return ErrorResponse(RequestError("wrong_type", "(body): an object"));
  for (const char* key : {"from", "to"}) {
    if (!body->contains(key) || !(*body)[key].is_string()) {
      return ErrorResponse(RequestError("missing_field", std::string(key) + ": a participant id"));
    }
  }
  const std::string from = (*body)["from"], to = (*body)["to"];
  if (!caller.ActsFor(from)) {
    return ErrorResponse(api::Forbidden("from: a participant token sends as itself"));
  }
  std::string message;
  if (body->contains("message")) {
    if (!(*body)["message"].is_string() ||
        (*body)["message"].get_ref<const std::string&>().size() > 4096) {
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
  auto existing = EventRequests(event);
  if (!existing.ok()) return ErrorResponse(existing.status());
  for (const auto& [rid, r] : **existing) {
    const std::string rf = r.value("from", ""), rt = r.value("to", "");
    const std::string state = r.value("state", "");
    if ((state == "pending" || state == "accepted") &&
        ((rf == from && rt == to) || (rf == to && rt == from))) {
      return ErrorResponse(RequestError("duplicate", "a " + state + " request between '" + from +
                                                         "' and '" + to + "' exists: " +
                                                         r.value("id", "")));
    }
  }
  if (Status s = CheckQuota(event, from, **existing, ""); !s.ok()) return ErrorResponse(s);
  const std::string now = api::NowUtc();
  json record = {{"id", api::NewId("r-")}, {"from", from},      {"to", to},
                 {"message", message},      {"state", "pending"},
                 {"created", now},          {"history", json::array({{{"state", "pending"}, {"at", now}}})}};
  std::vector<storage::Change> committed;
  Status written = store_.Put(RecordKind::kRequest, event, record, &committed);
  if (!written.ok()) {
    cache_->requests.erase(event);
    return ErrorResponse(written);
  }
  (**existing)[record["id"].get<std::string>()] = record;
  Tell(event, committed,
       {{"request.created", RecordKind::kRequest, record["id"], record, {from, to}}});
  return api::Json(201, record);
}

Result<std::map<std::string, json>*> Api::EventRequests(const std::string& event) const {
  if (auto it = cache_->requests.find(event); it != cache_->requests.end()) return &it->second;
  auto list = store_.List(RecordKind::kRequest, event);
  if (!list.ok()) return list.status();
  std::map<std::string, json>& requests = cache_->requests[event];
  for (json& r : *list) {
    std::string id = r.value("id", "");
    requests.emplace(std::move(id), std::move(r));
  }
  return &requests;
}

Status Api::CheckQuota(const std::string& event, const std::string& participant,
                       const std::map<std::string, json>& requests, const std::string& skip) const {
  auto p = store_.Get(RecordKind::kParticipant, event, participant);
  if (!p.ok()) return RequestError("unknown_participant", "no participant '" + participant + "'");
  auto e = cache_->Event(store_, event);
  if (!e.ok()) return e.status();
  const std::optional<int64_t> limit = api::MeetingLimit(*p, **e);
  if (!limit) return Status::Ok();
  const int64_t quota = *limit;
  int64_t open = 0;
  for (const auto& [id, r] : requests) {
    const std::string state = r.value("state", "");
    if (id == skip || !InRequest(r, participant)) continue;
    // Accepting counts the receiver's commitments: its meetings and the requests it sent, not
    // the invitations still waiting for its answer.
    const bool counts = state == "accepted" ||
                        (state == "pending" && (skip.empty() || r.value("from", "") == participant));
    if (counts) ++open;
  }
  if (open >= quota) {
    return RequestError("quota", "'" + participant + "' has " + std::to_string(open) +
                                     " meetings and requests, its limit");
  }
  return Status::Ok();
}

}  // namespace incontra::server
