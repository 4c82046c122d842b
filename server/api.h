// The HTTP API as a plain function from request to response (Beast's shape without sockets),
// so every route is tested without a network: http_server.h only moves bytes.
//
// Routes (JSON bodies in FORMATS.md shapes; errors {"error": {"code", "message"}}):
//   GET  /healthz
//   POST /v1/events                                  create (409 api.conflict if it exists)
//   GET|PUT /v1/events/{event}
//   PUT|GET|DELETE /v1/events/{event}/participants/{id}
//   PUT|GET /v1/events/{event}/needs/{id}
//   GET  /v1/events/{event}/changes?since=SEQ&limit=N
//   POST /v1/events/{event}/requests {from, to, message}; GET .../requests, .../requests/{id}
//   POST /v1/events/{event}/requests/{id}/accept|decline|cancel
//        states pending -> accepted | declined, pending | accepted -> cancelled; refused with
//        request.self, request.kinds, request.duplicate (a pending request between the same
//        two), request.quota (the sender's max_meetings, else the event's
//        max_meetings_per_participant, counting pending and accepted), request.transition
//   GET  /v1/events/{event}/participants/{id}/suggestions?top=20&kind=pa
//   GET  /v1/events/{event}/needs/{id}/suggestions?top=20
//        ranked counterparts with `why` (engine/matching.h), as one batch match result line
// Auth: `Authorization: Bearer <key>`. Keys, stored hashed, carry a scope:
//   admin       INCONTRA_ADMIN_KEY: everything;
//   organiser   {"role": "organiser", "event": E}: everything within event E;
//   participant {"role": "participant", "event": E, "participant": P} (a token an organiser
//               makes with POST .../participants/{P}/tokens): acts only as P: its own profile,
//               agenda, requests and suggestions, and the public profiles of the others;
//   frontend    {"role": "frontend", "event": E}: reads suggestions and public profiles.
// No or unknown key: 401 api.unauthorized; outside the key's scope: 403 api.forbidden.
//
// Thread-safety: Handle may be called from any number of threads (the Store serialises writes).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/hub.h"
#include "server/metrics.h"
#include "storage/store.h"

namespace incontra::server {

struct Caller;  // internal/api_common.h

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path and query: "/v1/events/e1/changes?since=3"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct HttpResponse {
  HttpResponse() = default;
  HttpResponse(int status, std::string content_type, std::string body)
      : status(status), content_type(std::move(content_type)), body(std::move(body)) {}

  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones, e.g. Retry-After
  // For logs and metrics: the route's pattern ("/v1/events/{event}/participants/{id}") and
  // the id of the key that called (empty when none). Never the key itself.
  std::string route;
  std::string key_id;
  // For the log only, when the route failed unexpectedly (500 api.internal): what failed.
  std::string failure;
  // The answer to a HEAD: `body` is what GET would send, for the Content-Length; the server
  // sends the header alone.
  bool head = false;
};

// What a WebSocket connection follows: an event, all of it or one participant's part.
struct Subscription {
  std::string event;
  std::string participant;  // empty: the whole event (organisers)
  std::string key_id;
  uint64_t checked_at = 0;  // Hub::drops() before the key and participant were checked
};

struct ApiOptions {
  std::string admin_key;  // empty: no admin key
  // Per key but the admin's: `rate_burst` requests at once, then `rate_per_second`; beyond,
  // 429 api.rate_limited with Retry-After. 0: no limit.
  double rate_per_second = 100;
  double rate_burst = 200;
  // Schedule runs under way at once, across events; beyond, 503 schedule.busy with
  // Retry-After. Each holds a request worker for up to its time limit, so this stays below the
  // server's workers for the other routes to keep answering.
  int max_schedule_runs = 2;
  // Where POST /v1/backups writes (a checkpoint of the live database per call, in a folder
  // named by the time); empty: backups over the API are off.
  std::string backup_dir;
};

class Api {
 public:
  // `store` must outlive the Api.
  Api(storage::Store& store, ApiOptions options);
  // Routes a request (README's table). HEAD is answered as GET, marked `head`.
  HttpResponse Handle(const HttpRequest& request) const;
  // Authorises `GET /v1/ws?event=E[&participant=P]` (same header as every route): organisers
  // of E may follow all of it or any participant, a participant token only itself.
  // `key_id`, when given, receives the caller's key id once the key is known, refused or not
  // (for the access log).
  Result<Subscription> Subscribe(const HttpRequest& request, std::string* key_id = nullptr) const;
  // Where the API publishes what changed, for the WebSocket sessions to subscribe to.
  Hub& hub() const { return *hub_; }
  // What the server records per request and renders at GET /metrics (admin key).
  Metrics& metrics() const { return *metrics_; }

 private:
  struct Cache;  // per event, dropped by a write to it
  storage::Store& store_;
  ApiOptions options_;
  std::shared_ptr<Cache> cache_;
  std::shared_ptr<Hub> hub_;
  std::shared_ptr<Metrics> metrics_;
  struct Limiter;
  std::shared_ptr<Limiter> limiter_;

  HttpResponse Route(const HttpRequest& request, std::string* key_id) const;
  // The subscription an authenticated caller asks for with `query` ("event=E&participant=P").
  Result<Subscription> SubscriptionFor(const Caller& caller, std::string_view query) const;
  // Route groups, each in its own file; `caller` is already checked to be in the event.
  HttpResponse Records(const Caller& caller, const HttpRequest& request, const std::string& event,
                       const std::vector<std::string>& seg) const;  // api.cc
  // POST /v1/backups: a checkpoint of the live database in options_.backup_dir.
  HttpResponse Backup() const;  // api.cc
  // GET /participants and /needs: what `caller` may see of each, in id order, a page at a time.
  HttpResponse List(const Caller& caller, const std::string& event, bool participants,
                    std::string_view query) const;  // api.cc
  HttpResponse Suggestions(const Caller& caller, const std::string& event, bool for_participant,
                           const std::string& id, std::string_view query) const;  // api.cc
  // Deletes a participant and what it is in; its counterparts' meetings stay, cancelled and
  // without its id, and they are told.  // api_requests.cc
  HttpResponse Erase(const std::string& event, const std::string& participant) const;
  HttpResponse Requests(const Caller& caller, const HttpRequest& request,
                        const std::string& event,
                        const std::vector<std::string>& seg) const;  // api_requests.cc
  // request.quota when `participant` is at its max_meetings (else the event's
  // max_meetings_per_participant). Sending (`skip` empty) counts its pending and accepted
  // requests; accepting request `skip` counts its accepted ones and those it sent.
  Status CheckQuota(const std::string& event, const std::string& participant,
                    const std::map<std::string, nlohmann::json>& requests,
                    const std::string& skip) const;
  // The event's requests by id (under requests_mutex): Cache::requests, read from the store
  // the first time. Valid until the lock is released.
  Result<std::map<std::string, nlohmann::json>*> EventRequests(const std::string& event) const;
  HttpResponse Schedule(const Caller& caller, const HttpRequest& request,
                        const std::string& event, const std::vector<std::string>& seg,
                        std::string_view query) const;  // api_schedule.cc
  HttpResponse Agenda(const Caller& caller, const HttpRequest& request, const std::string& event,
                      const std::string& participant, bool ics) const;  // api_schedule.cc
  HttpResponse Import(const HttpRequest& request, const std::string& event) const;  // api_import.cc
  // One push of a write: its type, the record it is about (kind and id), its data and whom it
  // concerns (Push::participants).
  struct Told {
    std::string type;
    storage::RecordKind kind;
    std::string id;
    nlohmann::json data;
    std::vector<std::string> participants;
  };
  // Tells the event's subscribers what one write committed (Store's `committed`). Each push
  // carries the seq of its own record's feed entry and they go out in the feed's order, so a
  // client resuming from any push's seq (changes?since=seq) misses nothing of the same write
  // (all of a write's pushes carried its last seq, and a client that dropped after the first
  // skipped the rest). A push whose record has no entry takes the write's last seq.
  void Tell(const std::string& event, const std::vector<storage::Change>& committed,
            std::vector<Told> pushes) const;
};

// A new API key with `scope` ({"role": "organiser"|"frontend", "event": E} or a participant
// token's {"role": "participant", "event": E, "participant": P}): {"id", "key", "token",
// "scope"}. The secret ("key", the same as "token") is random and returned only here; the
// store keeps its SHA-256.
Result<nlohmann::json> CreateKey(storage::Store& store, const nlohmann::json& scope);

// The OpenAPI 3.1 description of every route (server/openapi.json, built in).
std::string_view OpenApiJson();

// The error body and HTTP status of a Status: InvalidArgument 400, NotFound 404,
// api.unauthorized 401, api.forbidden 403, api.conflict, schedule.conflict and
// request.transition, .duplicate,
// .quota 409, api.method_not_allowed 405, api.unsupported_media_type 415,
// api.too_large 413, api.upgrade_required 426, api.rate_limited 429,
// api.header_too_large 431,
// storage I/O 503, anything else 500.
HttpResponse ErrorResponse(const Status& status);

}  // namespace incontra::server
