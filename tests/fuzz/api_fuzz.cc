// libFuzzer target for the HTTP API (issue 5): malformed input of any kind gets a 4xx with a
// code, never a crash, a hang or a 5xx. Api::Handle runs over a Store in a temp folder, opened
// once per process (and again after every 200 schedule publications, see Reset).
//
// An input is (method and caller selector, route selector, body bytes); tests/fuzz/README.md
// has the tables:
//   byte 0  method kMethods[b % 8], caller kCallers[(b >> 3) % 16]: '0'..'7' are the admin
//           calling GET, PUT, POST, DELETE, PATCH, HEAD, "get", ""
//   byte 1  route kRoutes[b % 64]: the real routes over ids that exist and ids that do not;
//           a few take the rest of their target, or a header, from the body's first line
//   rest    body
// A call that wrote something is followed by the reads that see the write (records, feed,
// suggestions, agendas, the schedule as JSON and CSV), which rebuild the matcher and the
// calendars over it; then the store is put back, so every input starts from the same state.
//
// Aborts (so libFuzzer reports the input) when a response is 5xx, when an error (status >= 400)
// has no JSON body with a string error.code and error.message, or when a JSON success body is
// not JSON.
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/api.h"
#include "storage/store.h"
#include "tests/temp_dir.h"

namespace incontra::server {
namespace {

using nlohmann::json;
using storage::RecordKind;

constexpr const char* kAdminKey = "fuzz-admin-key-0123456789";
constexpr const char* kOrganiserKey = "fuzz-organiser-e1-012345";
constexpr const char* kOtherKey = "fuzz-organiser-e2-012345";
constexpr const char* kFrontendKey = "fuzz-frontend-e1-0123456";
constexpr const char* kTokenP1 = "fuzz-token-e1-p1-0123456";
constexpr const char* kTokenP2 = "fuzz-token-e1-p2-0123456";
constexpr const char* kViewerKey = "fuzz-viewer-e1-012345678";

constexpr const char* kMethods[8] = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "get", ""};

// Authorization header values, by rows of 8 byte values: '0'..'7' admin, '@'..'G' the token of
// p1, 'H'..'O' the frontend key, 'P'..'W' the token of p2, '`'..'g' the organiser of e1.
const std::optional<std::string> kCallers[16] = {
    std::nullopt,
    std::string("Bearer ") + kOrganiserKey,
    std::string("Bearer ") + kOtherKey,
    std::string("Bearer not-a-key"),
    std::string("Basic ") + kAdminKey,
    std::string("Bearer "),
    std::string("Bearer ") + kAdminKey,
    std::string("bEaReR ") + kAdminKey,
    std::string("Bearer ") + kTokenP1,
    std::string("Bearer ") + kFrontendKey,
    std::string("Bearer ") + kTokenP2,
    std::string("Bearer ") + kViewerKey,
    std::string("Bearer ") + kOrganiserKey,
    std::string("Bearer ") + kOtherKey,
    std::nullopt,
    std::string("Bearer ") + kAdminKey,
};

// What a route takes from the body's first line (the line is then no longer body).
enum class Line { kNone, kTarget, kHeader };

struct Route {
  const char* target;  // with kTarget, the line is appended
  Line line = Line::kNone;
  const char* header = nullptr;  // with kHeader, its value is the line
  const char* value = nullptr;
};

// Indexed by the route byte % 64: '@' is 0, 'A'..'Z' 1..26, '`' 32, 'a'..'z' 33..58.
const Route kRoutes[64] = {
    {"/healthz"},                                                   // '@'
    {"/v1/events"},                                                 // 'A'
    {"/v1/events/e1"},                                              // 'B'
    {"/v1/events/e2"},                                              // 'C'
    {"/v1/events/e9"},                                              // 'D' no such event
    {"/v1/events/e1/participants/p1"},                              // 'E'
    {"/v1/events/e1/participants/p2"},                              // 'F'
    {"/v1/events/e1/participants/p9"},                              // 'G' no such participant
    {"/v1/events/e1/needs/n1"},                                     // 'H'
    {"/v1/events/e1/needs/n9"},                                     // 'I' no such need
    {"/v1/events/e1/changes"},                                      // 'J'
    {"/v1/events/e1/changes?since=1&limit=3"},                      // 'K'
    {"/v1/events/e1/requests"},                                     // 'L'
    {"/v1/events/e1/requests/r-base"},                              // 'M'
    {"/v1/events/e1/requests/r-base/accept"},                       // 'N'
    {"/v1/events/e1/requests/r-base/decline"},                      // 'O'
    {"/v1/events/e1/requests/r-base/cancel"},                       // 'P'
    {"/v1/events/e1/requests/r-accepted/cancel"},                   // 'Q'
    {"/v1/events/e1/participants/p1/suggestions"},                  // 'R'
    {"/v1/events/e1/participants/p2/suggestions?top=3&kind=company"},  // 'S'
    {"/v1/events/e1/needs/n1/suggestions?top=5"},                   // 'T'
    {"/v1/events/e9/participants/p1"},                              // 'U'
    {"/v1/events/e2/participants/p1"},                              // 'V'
    {"/v1/events/e1/requests/r-base/explode"},                      // 'W'
    {"/v1/events/e1/participants/p%201"},                           // 'X'
    {"", Line::kTarget},                                            // 'Y' any target
    {"/v1/events/e1/", Line::kTarget},                              // 'Z'
    {"/v1/events/e1/participants/p1/suggestions?", Line::kTarget},  // '['
    {"/v1/events/e1/changes?", Line::kTarget},                      // '\'
    {"/v1/events/e2/needs/n1"},                                     // ']'
    {"/v1/events/e1/participants"},                                 // '^'
    {"/v1/events/e1/requests/r-base/accept/x"},                     // '_'
    {"/metrics"},                                                   // '`'
    {"/v1/openapi.json"},                                           // 'a'
    {"/v1/ws?event=e1"},                                            // 'b'
    {"/v1/ws?", Line::kTarget},                                     // 'c'
    {"/v1/events/e1/keys"},                                         // 'd'
    {"/v1/events/e1/participants/p1/tokens"},                       // 'e'
    {"/v1/events/e1/participants/p9/tokens"},                       // 'f'
    {"/v1/events/e1/participants:import", Line::kNone, "content-type", "application/x-ndjson"},
    {"/v1/events/e1/participants:import", Line::kNone, "content-type", "text/csv"},  // 'h'
    {"/v1/events/e1/participants:import", Line::kNone, "content-type",
     "application/jsonl; charset=utf-8"},                           // 'i'
    {"/v1/events/e1/participants:import", Line::kHeader, "content-type"},  // 'j'
    {"/v1/events/e1/participants/p1/agenda"},                       // 'k'
    {"/v1/events/e1/participants/p1/agenda.ics"},                   // 'l'
    {"/v1/events/e1/participants/p3/agenda", Line::kNone, "accept", "text/calendar"},  // 'm'
    {"/v1/events/e1/schedule"},                                     // 'n'
    {"/v1/events/e1/schedule.csv"},                                 // 'o'
    {"/v1/events/e1/schedule", Line::kNone, "accept", "text/csv"},  // 'p'
    {"/v1/events/e2/schedule"},                                     // 'q'
    {"/v1/events/e1/schedule?", Line::kTarget},                     // 'r'
    {"/v1/events/e1/participants/p2/agenda", Line::kHeader, "accept"},  // 's'
    {"/v1/events/e1/requests/r-accepted"},                          // 't'
    {"/v1/events/e1/participants/p3/agenda"},                       // 'u'
    {"/v1/events/e1/needs/n1/suggestions"},                         // 'v'
    {"/v1/events/e2/participants/p1/suggestions"},                  // 'w'
    {"/v1/events/e1/participants/p3"},                              // 'x'
    {"/v1/events/e1/participants/p3/suggestions?kind=pa"},          // 'y'
    {"/v1/events/e1/participants/p9/agenda"},                       // 'z'
    {"/v1/events/e1/schedule", Line::kHeader, "content-type"},      // '{'
    {"/v1/ws"},                                                     // '|'
    {"/v1/events/e2/participants/p1/tokens"},                       // '}'
    {"/v1/events/e2/keys"},                                         // '~'
    {"/v1/events/e1/requests?", Line::kTarget},                     // DEL
};

// What every input starts from: e1 with two days of slots, p1 and p2 who may meet (company,
// pa), r-base pending between them, r-accepted accepted between p1 and p3, and a published
// schedule; e2 with one participant and no slots.
const json& Events() {
  static const json events = json::array({
      {{"id", "e1"},
       {"name", "Fuzz fair"},
       {"timezone", "Europe/Rome"},
       {"slot_minutes", 20},
       {"tables", 3},
       {"max_meetings_per_participant", 3},
       {"days",
        {{{"date", "2027-03-27"},
          {"sessions", {{{"name", "morning"}, {"start", "09:00"}, {"end", "10:00"}}}}},
         {{"date", "2027-03-28"},  // the DST change in Rome
          {"sessions", {{{"start", "01:20"}, {"end", "03:20"}}}}}}}},
      {{"id", "e2"}, {"name", "Other fair"}},
  });
  return events;
}
struct Seeded {
  RecordKind kind;
  const char* event;
  json record;
};
const std::vector<Seeded>& Records() {
  static const std::vector<Seeded> records = {
      {RecordKind::kParticipant, "e1",
       {{"id", "p1"}, {"kind", "company"}, {"name", "Verde Srl"},
        {"offers", {"manutenzione del verde urbano", "potature"}}, {"cpv", {"77310000"}},
        {"region", "ITC4"}, {"languages", {"it"}}, {"max_meetings", 2},
        {"unavailable", {"2027-03-27T09:00"}}, {"table", "T2"}}},
      {RecordKind::kParticipant, "e1",
       {{"id", "p2"}, {"kind", "pa"}, {"name", "Comune di Milano"},
        {"seeks", {"verde pubblico", "parchi"}}, {"cpv", {"77300000"}}}},
      {RecordKind::kParticipant, "e1",
       {{"id", "p3"}, {"kind", "research"}, {"description", "sensori IoT per parchi"},
        {"seeks", {"manutenzione del verde"}}}},
      {RecordKind::kNeed, "e1",
       {{"id", "n1"}, {"owner", "p2"}, {"title", "Manutenzione parchi"}, {"cpv", {"77310000"}},
        {"budget_eur", 120000.5}, {"procedure", "open"}, {"deadline", "2027-03-01"}}},
      {RecordKind::kRequest, "e1",
       {{"id", "r-base"}, {"from", "p1"}, {"to", "p2"}, {"message", "ciao"}, {"state", "pending"},
        {"created", "2027-01-01T00:00:00Z"},
        {"history", {{{"state", "pending"}, {"at", "2027-01-01T00:00:00Z"}}}}}},
      {RecordKind::kRequest, "e1",
       {{"id", "r-accepted"}, {"from", "p1"}, {"to", "p3"}, {"message", ""}, {"state", "accepted"},
        {"created", "2027-01-01T00:00:00Z"},
        {"history", {{{"state", "pending"}, {"at", "2027-01-01T00:00:00Z"}},
                     {{"state", "accepted"}, {"at", "2027-01-01T00:01:00Z"}}}}}},
      {RecordKind::kParticipant, "e2", {{"id", "p1"}, {"kind", "other"}}},
  };
  return records;
}

std::string Printable(const std::string& bytes) {
  return json(bytes).dump(-1, ' ', true, json::error_handler_t::replace);
}

[[noreturn]] void Fail(const char* what, const HttpRequest& request, const HttpResponse& response) {
  std::string headers;
  for (const auto& [name, value] : request.headers) headers += " " + name + ": " + Printable(value);
  std::fprintf(stderr, "api_fuzz: %s\n  %s %s\n  headers:%s\n  body: %s\n  -> %d %s\n", what,
               Printable(request.method).c_str(), Printable(request.target).c_str(),
               headers.c_str(), Printable(request.body).c_str(), response.status,
               response.body.c_str());
  std::abort();
}

void Check(const HttpRequest& request, const HttpResponse& response) {
  if (response.status < 100 || response.status >= 500) Fail("5xx or no status", request, response);
  const bool is_json = response.content_type.rfind("application/json", 0) == 0;
  if (response.status < 400 && (!is_json || response.status == 204)) return;
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) Fail("the body is not JSON", request, response);
  if (response.status < 400) return;
  const auto error = body.find("error");
  if (!is_json || !body.is_object() || error == body.end() || !error->is_object() ||
      !error->contains("code") || !(*error)["code"].is_string() ||
      (*error)["code"].get_ref<const std::string&>().empty() || !error->contains("message") ||
      !(*error)["message"].is_string()) {
    Fail("an error without error.code and error.message", request, response);
  }
}

class World {
 public:
  World() { Open(); }

  void Run(const uint8_t* data, size_t size) {
    if (size < 2) return;
    HttpRequest request;
    request.method = kMethods[data[0] % 8];
    if (const auto& caller = kCallers[(data[0] >> 3) % 16]) {
      request.headers["authorization"] = *caller;
    }
    const Route& route = kRoutes[data[1] % 64];
    std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
    request.target = route.target;
    if (route.line != Line::kNone) {
      const size_t newline = body.find('\n');
      std::string line = body.substr(0, newline);
      body = newline == std::string::npos ? "" : body.substr(newline + 1);
      if (route.line == Line::kTarget) {
        request.target += line;
      } else {
        request.headers[route.header] = line;
      }
    } else if (route.header != nullptr) {
      request.headers[route.header] = route.value;
    }
    request.body = std::move(body);

    const uint64_t before = store_->last_sequence();
    Call(request);
    if (store_->last_sequence() == before) return;
    auto changes = store_->Changes(before, std::numeric_limits<size_t>::max());
    Require(changes.status());
    std::set<std::string> events;
    bool scheduled = false;
    for (const storage::Change& c : *changes) {
      if (c.kind != "api_key") events.insert(c.kind == "event" ? c.id : c.event);
      scheduled |= c.kind == "schedule" || c.kind == "meeting";
    }
    for (const std::string& event : events) ReadBack(event);
    Reset(scheduled);
  }

 private:
  struct Published {
    std::string event;
    json schedule;
    std::vector<json> meetings;
  };

  static void Require(const Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "api_fuzz: setup: %s\n", s.ToString().c_str());
      std::abort();
    }
  }

  static HttpRequest Admin(const char* method, const std::string& target,
                           const std::string& body = "") {
    return {method, target, {{"authorization", std::string("Bearer ") + kAdminKey}}, body};
  }

  HttpResponse Call(const HttpRequest& request) const {
    HttpResponse response = api_->Handle(request);
    Check(request, response);
    return response;
  }

  // Every read that sees what the last call wrote, so a record the codec accepted but a reader
  // chokes on (the matcher, the scheduler's tables, the calendar) is found too.
  void ReadBack(const std::string& event) const {
    const std::string base = "/v1/events/" + Escaped(event);
    for (const char* tail : {"", "/requests", "/changes?since=0&limit=50", "/schedule",
                             "/schedule.csv"}) {
      Call(Admin("GET", base + tail));
    }
    for (RecordKind kind : {RecordKind::kParticipant, RecordKind::kNeed}) {
      auto list = store_->List(kind, event);
      if (!list.ok()) continue;
      const bool participant = kind == RecordKind::kParticipant;
      for (const json& record : *list) {
        const std::string path =
            base + (participant ? "/participants/" : "/needs/") + Escaped(record.value("id", ""));
        Call(Admin("GET", path));
        Call(Admin("GET", path + "/suggestions?top=50"));
        if (participant) {
          Call(Admin("GET", path + "/agenda"));
          Call(Admin("GET", path + "/agenda.ics"));
        }
      }
    }
  }

  // An id as a path segment: every byte but letters, digits and -_. percent-encoded.
  static std::string Escaped(const std::string& id) {
    std::string out;
    for (unsigned char c : id) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        out.push_back(static_cast<char>(c));
      } else {
        char buffer[4];
        std::snprintf(buffer, sizeof buffer, "%%%02X", c);
        out += buffer;
      }
    }
    return out;
  }

  // The seeded events and records: what an input added goes, what it changed is written again.
  void Restore() {
    for (const json& e : Events()) Require(store_->PutEvent(e));
    for (const json& e : Events()) {
      const std::string event = e["id"];
      for (RecordKind kind : {RecordKind::kParticipant, RecordKind::kNeed, RecordKind::kRequest}) {
        auto list = store_->List(kind, event);
        Require(list.status());
        for (const json& record : *list) {
          const std::string id = record.value("id", "");
          bool seeded = false;
          for (const Seeded& s : Records()) {
            seeded |= s.kind == kind && s.event == event && s.record["id"] == id;
          }
          // A participant's deletion takes its requests along; the seeded ones are put back.
          if (!seeded) store_->Delete(kind, event, id).PermitUnchecked();
        }
      }
    }
    for (const Seeded& s : Records()) Require(store_->Put(s.kind, s.event, s.record));
  }

  // Back to the seeded state, publishing the seeded schedule again when the input changed
  // meetings. A fresh Api forgets the matchers built over the input's data.
  void Reset(bool scheduled) {
    Restore();
    if (scheduled) {
      // Schedule versions cannot be taken back, and reading the latest reads them all: after
      // a few hundred, start over in a new store rather than slow down.
      if (++publications_ > kMaxPublications) return Open();
      for (const Published& p : schedules_) {
        if (!p.schedule.empty()) Require(store_->PublishSchedule(p.event, p.schedule, p.meetings).status());
      }
    }
    NewApi();
  }

  // A new store in a new folder: the keys, the seeded records and the schedule the API
  // publishes over them, which every input starts from.
  void Open() {
    api_.reset();
    store_.reset();
    dir_ = std::make_unique<test::TempDir>();
    publications_ = 0;
    auto opened = storage::Store::Open(*dir_ / "data", {.sync = false});
    if (!opened.ok()) {
      std::fprintf(stderr, "api_fuzz: %s\n", opened.status().ToString().c_str());
      std::abort();
    }
    store_ = std::move(*opened);
    Require(store_->PutApiKey("k-e1", kOrganiserKey, {{"role", "organiser"}, {"event", "e1"}}));
    Require(store_->PutApiKey("k-e2", kOtherKey, {{"role", "organiser"}, {"event", "e2"}}));
    Require(store_->PutApiKey("k-front", kFrontendKey, {{"role", "frontend"}, {"event", "e1"}}));
    Require(store_->PutApiKey("k-p1", kTokenP1,
                              {{"role", "participant"}, {"event", "e1"}, {"participant", "p1"}}));
    Require(store_->PutApiKey("k-p2", kTokenP2,
                              {{"role", "participant"}, {"event", "e1"}, {"participant", "p2"}}));
    Require(store_->PutApiKey("k-view", kViewerKey, {{"role", "viewer"}, {"event", "e1"}}));
    Restore();
    NewApi();
    Call(Admin("POST", "/v1/events/e1/schedule", R"({"fill": true})"));
    schedules_.clear();
    for (const json& e : Events()) {
      const std::string event = e["id"];
      auto schedule = store_->GetSchedule(event);
      auto meetings = store_->List(RecordKind::kMeeting, event);
      Require(meetings.status());
      schedules_.push_back({event, schedule.ok() ? *schedule : json::object(), *meetings});
    }
  }

  void NewApi() {
    // No rate limit: a fuzzer calls far faster than any client may.
    ApiOptions options;
    options.admin_key = kAdminKey;
    options.rate_per_second = options.rate_burst = 0;
    api_.emplace(*store_, options);
  }

  static constexpr int kMaxPublications = 200;

  std::unique_ptr<test::TempDir> dir_;  // outlives the store
  std::unique_ptr<storage::Store> store_;
  std::optional<Api> api_;
  std::vector<Published> schedules_;
  int publications_ = 0;
};

}  // namespace
}  // namespace incontra::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static incontra::server::World world;
  world.Run(data, size);
  return 0;
}
