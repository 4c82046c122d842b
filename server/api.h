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
// Auth: `Authorization: Bearer <key>`. The admin key (INCONTRA_ADMIN_KEY) may do everything;
// a stored key with scope {"role": "organiser", "event": E} everything within event E.
// No or unknown key: 401 api.unauthorized; outside the key's scope: 403 api.forbidden.
//
// Thread-safety: Handle may be called from any number of threads (the Store serialises writes).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/store.h"

namespace incontra::server {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path and query: "/v1/events/e1/changes?since=3"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

struct ApiOptions {
  std::string admin_key;  // empty: no admin key
};

class Api {
 public:
  // `store` must outlive the Api.
  Api(storage::Store& store, ApiOptions options);
  HttpResponse Handle(const HttpRequest& request) const;

 private:
  struct Matchers;  // per event, rebuilt after a write to it
  storage::Store& store_;
  ApiOptions options_;
  std::shared_ptr<Matchers> matchers_;
  HttpResponse Requests(const std::string& method, const std::string& event,
                        const std::vector<std::string>& seg, const HttpRequest& request) const;
};

// The error body and HTTP status of a Status: InvalidArgument 400, NotFound 404,
// api.unauthorized 401, api.forbidden 403, api.conflict and request.transition, .duplicate,
// .quota 409, api.method_not_allowed 405,
// storage I/O 503, anything else 500.
HttpResponse ErrorResponse(const Status& status);

}  // namespace incontra::server
