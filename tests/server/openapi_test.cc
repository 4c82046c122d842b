// The OpenAPI document (server/openapi.json, built in and served at /v1/openapi.json) against
// the router it describes: every documented operation is routed, every route the router tells
// apart is documented, and each operation answers the kinds of key its `x-roles` name.
//
// "Routed" means Api::Handle as the admin answers anything but 404 api.not_found and 405
// api.method_not_allowed. A new route cannot slip past undocumented: the routes test below reads
// the path names the router compares segments with from server/api*.cc (`seg[3] == "keys"`,
// RoutePattern's `one_of(seg[5], {...})`), asks the router about every path and method built
// from them, and compares what it routes (under RoutePattern's name) with the document.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "server/api.h"
#include "storage/store.h"
#include "tests/server/api_harness.h"

namespace incontra::server {
namespace {

using nlohmann::json;
using storage::RecordKind;

// What the router serves, as RoutePattern names the paths. Adding a route means adding it here,
// to server/openapi.json and to RoutePattern; the tests below fail until all three agree.
const char* const kServedRoutes[] = {
    "GET /healthz",
    "GET /metrics",
    "GET /v1/openapi.json",
    "GET /v1/ws",
    "POST /v1/backups",
    "POST /v1/events",
    "GET /v1/events/{event}",
    "PUT /v1/events/{event}",
    "GET /v1/events/{event}/changes",
    "POST /v1/events/{event}/keys",
    "GET /v1/events/{event}/participants",
    "GET /v1/events/{event}/participants/{id}",
    "PUT /v1/events/{event}/participants/{id}",
    "DELETE /v1/events/{event}/participants/{id}",
    "POST /v1/events/{event}/participants:import",
    "POST /v1/events/{event}/participants/{id}/tokens",
    "GET /v1/events/{event}/participants/{id}/suggestions",
    "GET /v1/events/{event}/participants/{id}/agenda",
    "GET /v1/events/{event}/participants/{id}/agenda.ics",
    "GET /v1/events/{event}/needs",
    "GET /v1/events/{event}/needs/{id}",
    "PUT /v1/events/{event}/needs/{id}",
    "DELETE /v1/events/{event}/needs/{id}",
    "GET /v1/events/{event}/needs/{id}/suggestions",
    "POST /v1/events/{event}/requests",
    "GET /v1/events/{event}/requests",
    "GET /v1/events/{event}/requests/{id}",
    "POST /v1/events/{event}/requests/{id}/accept",
    "POST /v1/events/{event}/requests/{id}/decline",
    "POST /v1/events/{event}/requests/{id}/cancel",
    "POST /v1/events/{event}/schedule",
    "GET /v1/events/{event}/schedule",
    "GET /v1/events/{event}/schedule.csv",
};

// The WebSocket message types (server/hub.h).
const char* const kPushTypes[] = {"request.created",   "request.accepted",  "request.declined",
                                  "request.cancelled", "meeting.scheduled", "meeting.moved",
                                  "meeting.cancelled", "schedule.published"};

// The operations of an OpenAPI path item, and the methods the router is asked about.
const char* const kOperations[] = {"get",     "put",  "post",  "delete",
                                   "options", "head", "patch", "trace"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Lines(const std::set<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

std::filesystem::path SourceRoot() {
  // tests/server/openapi_test.cc -> the repository (CMake compiles with absolute source paths).
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Not const in the tests: [] on a missing key then gives null instead of undefined behaviour.
json Document() {
  json doc = json::parse(OpenApiJson(), nullptr, /*allow_exceptions=*/false);
  REQUIRE_MESSAGE(!doc.is_discarded(), "OpenApiJson() is not JSON");
  REQUIRE(doc.is_object());
  REQUIRE(doc.contains("paths"));
  return doc;
}

// "GET /v1/events/{event}" for every operation of the document.
std::set<std::string> DocumentedRoutes(const json& doc) {
  std::set<std::string> out;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const char* method : kOperations) {
      if (item.contains(method)) out.insert(Upper(method) + " " + path);
    }
  }
  return out;
}

// Follows a local "$ref" (a JSON pointer into the document); null when it does not resolve.
json Resolve(const json& doc, const json& value) {
  if (!value.is_object() || !value.contains("$ref")) return value;
  if (!value["$ref"].is_string()) return nullptr;
  const std::string ref = value["$ref"].get<std::string>();
  if (ref.rfind("#/", 0) != 0) return nullptr;
  const json::json_pointer pointer(ref.substr(1));
  return doc.contains(pointer) ? doc[pointer] : json(nullptr);
}

void CollectRefs(const json& value, const std::string& where,
                 std::vector<std::pair<std::string, std::string>>* out) {
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      if (key == "$ref") {
        out->push_back({where, child.is_string() ? child.get<std::string>() : child.dump()});
      } else {
        CollectRefs(child, where + "/" + key, out);
      }
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      CollectRefs(value[i], where + "/" + std::to_string(i), out);
  }
}

// A fixture whose e1 has days and slots, participants p1 (company) and p2 (pa), need n1 of p1,
// and request r1 from p2 to p1, pending: every placeholder of the document has a real id.
struct Fixture : ApiFixture {
  Fixture() { Seed(); }

  // Puts the records back as they were (a DELETE or an accept before changes them).
  void Seed() {
    const json history = {{{"state", "pending"}, {"at", "2027-02-20T08:00:00Z"}}};
    const std::pair<RecordKind, json> records[] = {
        {RecordKind::kParticipant,
         {{"id", "p1"}, {"kind", "company"}, {"name", "Quagliata"}, {"offers", {"arredi"}}}},
        {RecordKind::kParticipant,
         {{"id", "p2"}, {"kind", "pa"}, {"name", "Comune"}, {"seeks", {"arredi"}}}},
        {RecordKind::kNeed, {{"id", "n1"}, {"owner", "p1"}, {"title", "Arredi"}}},
        {RecordKind::kRequest,
         {{"id", "r1"},
          {"from", "p2"},
          {"to", "p1"},
          {"message", ""},
          {"state", "pending"},
          {"created", "2027-02-20T08:00:00Z"},
          {"history", history}}},
    };
    for (const auto& [kind, record] : records) REQUIRE(store->Put(kind, "e1", record).ok());
    // Erasing p1 takes its token with it: the next caller gets it back.
    REQUIRE(store->PutApiKey("k-p1", kTokenP1,
                             {{"role", "participant"}, {"event", "e1"}, {"participant", "p1"}})
                .ok());
    // Through the API, so the event's suggestions are built again from the records above.
    const json event = {
        {"id", "e1"},
        {"name", "Event one"},
        {"timezone", "Europe/Rome"},
        {"days",
         {{{"date", "2027-02-25"},
           {"sessions", {{{"name", "morning"}, {"start", "09:00"}, {"end", "10:00"}}}}}}},
        {"slot_minutes", 30},
        {"tables", 2}};
    REQUIRE(Call("PUT", "/v1/events/e1", "admin", event.dump()).status == 200);
  }

  // The path with its placeholders filled: {event} e1, {id} the record the segment before names.
  static std::string Fill(const std::string& pattern) {
    static const std::map<std::string, std::string> kIds = {
        {"participants", "p1"}, {"needs", "n1"}, {"requests", "r1"}};
    std::string out, previous;
    size_t start = 1;
    while (start <= pattern.size()) {
      size_t slash = pattern.find('/', start);
      if (slash == std::string::npos) slash = pattern.size();
      std::string segment = pattern.substr(start, slash - start);
      if (segment == "{event}") {
        segment = "e1";
      } else if (segment == "{id}") {
        auto it = kIds.find(previous);
        segment = it == kIds.end() ? "x1" : it->second;
      }
      previous = pattern.substr(start, slash - start);
      out += "/" + segment;
      start = slash + 1;
    }
    return out;
  }
};

// The target of an operation: the path filled, its required query parameters given.
std::string Target(const json& doc, const std::string& path, const json& operation) {
  std::string target = Fixture::Fill(path), sep = "?";
  for (const json& p : operation.value("parameters", json::array())) {
    const json param = Resolve(doc, p);
    if (param.value("in", "") != "query" || !param.value("required", false)) continue;
    const std::string name = param.value("name", "");
    target += sep + name + "=" + (name == "participant" ? "p1" : "e1");
    sep = "&";
  }
  return target;
}

bool Routed(const HttpResponse& r) {
  return !(r.status == 404 && ErrorCode(r.body) == "api.not_found") && r.status != 405;
}

// "" when the response is one the operation documents (status, media type, error code), else
// what is not.
std::string Undocumented(const json& doc, const json& operation, const HttpResponse& r) {
  const json responses = operation.value("responses", json::object());
  const std::string status = std::to_string(r.status);
  if (!responses.contains(status)) return "status " + status + " (" + ErrorCode(r.body) + ")";
  const json response = Resolve(doc, responses[status]);
  if (response.contains("x-error-codes")) {
    const json& codes = response["x-error-codes"];
    if (std::find(codes.begin(), codes.end(), ErrorCode(r.body)) == codes.end()) {
      return "code " + ErrorCode(r.body) + " of status " + status;
    }
  }
  if (!r.body.empty()) {
    const std::string media = r.content_type.substr(0, r.content_type.find(';'));
    if (!response.contains("content") || !response["content"].contains(media)) {
      return "media type " + media + " of status " + status;
    }
  }
  return "";
}

TEST_CASE("openapi: the document is OpenAPI 3.1.0, served as built, every $ref resolves") {
  json doc = Document();
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["info"]["version"] == "1");
  CHECK(doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
  CHECK(std::string(OpenApiJson()).find(")incontra_openapi\"") == std::string::npos);

  // The binary carries the current file: a stale build would document yesterday's API.
  const bool current = json::parse(ReadFile(SourceRoot() / "server" / "openapi.json")) == doc;
  CHECK_MESSAGE(current, "the built-in document is not server/openapi.json: run cmake again");
  ApiFixture f;
  const HttpResponse served = f.Call("GET", "/v1/openapi.json", "none");
  CHECK(served.status == 200);
  CHECK(served.content_type == "application/json");
  const bool same = json::parse(served.body) == doc;
  CHECK(same);

  std::vector<std::pair<std::string, std::string>> refs;
  CollectRefs(doc, "#", &refs);
  CHECK(refs.size() > 50);
  std::string broken;
  for (const auto& [where, ref] : refs) {
    if (Resolve(doc, {{"$ref", ref}}).is_null()) broken += where + ": " + ref + "\n";
  }
  CHECK(broken == "");

  for (const char* schema : {"Event", "Participant", "Need", "MatchResult", "MeetingRequest",
                             "Meeting", "Schedule", "Agenda", "Error", "PushMessage"}) {
    CHECK_MESSAGE(doc["components"]["schemas"].contains(schema), schema);
  }
  const json& error = doc["components"]["schemas"]["Error"];
  CHECK(error["required"] == json{"error"});
  CHECK(error["properties"]["error"]["required"] == json({"code", "message"}));
}

TEST_CASE("openapi: each operation has an id, roles, path parameters and error codes") {
  json doc = Document();
  const std::set<std::string> kRoles = {"public", "admin", "organiser", "participant", "frontend"};
  std::set<std::string> ids;
  std::string problems;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const char* method : kOperations) {
      if (!item.contains(method)) continue;
      const json& op = item[method];
      const std::string name = Upper(method) + " " + path;
      if (!ids.insert(op.value("operationId", "")).second) problems += name + ": operationId\n";
      const json roles = op.value("x-roles", json::array());
      const bool is_public = roles == json{"public"};
      if (roles.empty() || std::any_of(roles.begin(), roles.end(), [&](const json& r) {
            return !kRoles.count(r.get<std::string>());
          })) {
        problems += name + ": x-roles\n";
      }
      // Who may call it is said in words too, for readers of the rendered document.
      if (op.value("description", "").find("Who may call it") == std::string::npos) {
        problems += name + ": description names no callers\n";
      }
      if (is_public != (op.contains("security") && op["security"].empty())) {
        problems += name + ": public iff security is empty\n";
      }
      const json responses = op.value("responses", json::object());
      if (!is_public && !responses.contains("401")) problems += name + ": no 401\n";
      if (!is_public && !responses.contains("429")) problems += name + ": no 429\n";
      if (op.contains("requestBody") && !responses.contains("413")) problems += name + ": no 413\n";
      // Every {placeholder} is a declared path parameter.
      std::set<std::string> declared;
      for (const json* list : {static_cast<const json*>(&item), &op}) {
        for (const json& p : list->value("parameters", json::array())) {
          const json param = Resolve(doc, p);
          if (param.value("in", "") == "path") declared.insert(param.value("name", ""));
        }
      }
      static const std::regex kPlaceholder(R"(\{([^}]+)\})");
      for (std::sregex_iterator it(path.begin(), path.end(), kPlaceholder), end; it != end; ++it) {
        if (!declared.count((*it)[1])) problems += name + ": no parameter " + (*it)[1].str() + "\n";
      }
      for (const auto& [status, response] : responses.items()) {
        if (status[0] != '4' && status[0] != '5') continue;
        json r = Resolve(doc, response);
        if (!r.contains("x-error-codes") || r["content"]["application/json"]["schema"] !=
                                                json{{"$ref", "#/components/schemas/Error"}}) {
          problems += name + ": " + status + " is not an Error with its codes\n";
        }
      }
    }
  }
  CHECK(problems == "");
}

TEST_CASE("openapi: the documented operations are exactly the routes served") {
  json doc = Document();
  const std::set<std::string> served(std::begin(kServedRoutes), std::end(kServedRoutes));
  CHECK(Lines(DocumentedRoutes(doc)) == Lines(served));
}

TEST_CASE(
    "openapi: every documented operation is routed under its pattern, answers as documented") {
  json doc = Document();
  Fixture f;
  std::string table, expected;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const char* method : kOperations) {
      if (!item.contains(method)) continue;
      const std::string target = Target(doc, path, item[method]);
      const HttpResponse r = f.Call(Upper(method), target, "admin");
      const std::string line = Upper(method) + " " + path;
      expected += line + " -> routed as " + path + "\n";
      table += line + " -> " + (Routed(r) ? "routed as " + r.route : Outcome(r));
      if (std::string what = Undocumented(doc, item[method], r); !what.empty()) {
        table += ", undocumented " + what;
      }
      table += "\n";
      f.Seed();
    }
  }
  CHECK(table == expected);
}

// Every literal the router compares a path segment with, by position: `seg[3] == "keys"`,
// `seg[1] != "events"`, and RoutePattern's `one_of(seg[5], {"suggestions", ...})`.
std::map<int, std::set<std::string>> RouteNames() {
  static const std::regex kCompare(R"re(seg\[(\d)\]\s*[!=]=\s*"([^"]*)")re");
  static const std::regex kOneOf(R"re(one_of\(\s*seg\[(\d)\]\s*,\s*\{([^}]*)\})re");
  static const std::regex kLiteral(R"re("([^"]*)")re");
  std::map<int, std::set<std::string>> names;
  const std::filesystem::path server = SourceRoot() / "server";
  REQUIRE_MESSAGE(std::filesystem::is_directory(server), server.string());
  for (const auto& entry : std::filesystem::directory_iterator(server)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind("api", 0) != 0 || entry.path().extension() != ".cc") continue;
    const std::string text = ReadFile(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), kCompare), end; it != end; ++it) {
      names[std::stoi((*it)[1])].insert((*it)[2]);
    }
    for (std::sregex_iterator it(text.begin(), text.end(), kOneOf), end; it != end; ++it) {
      const std::string list = (*it)[2];
      for (std::sregex_iterator l(list.begin(), list.end(), kLiteral); l != end; ++l) {
        names[std::stoi((*it)[1])].insert((*l)[1]);
      }
    }
  }
  return names;
}

TEST_CASE("openapi: every route the router tells apart is documented under RoutePattern's name") {
  json doc = Document();
  auto names = RouteNames();
  // The reading of the source still finds what it is there to find.
  CHECK(names[0].count("healthz"));
  CHECK(names[1].count("ws"));
  CHECK(names[3].count("participants:import"));
  CHECK(names[3].count("schedule.csv"));
  CHECK(names[5].count("accept"));
  CHECK(names[5].count("agenda.ics"));

  Fixture f;
  std::set<std::string> routed, unnamed;
  std::vector<std::vector<std::string>> paths = {{}};
  for (int depth = 0; depth < 6; ++depth) {
    std::vector<std::vector<std::string>> longer;
    for (const auto& prefix : paths) {
      if (static_cast<int>(prefix.size()) != depth) continue;
      std::vector<std::string> next(names[depth].begin(), names[depth].end());
      if (depth == 2) next = {"e1"};
      if (depth == 4) {
        const std::string& collection = prefix[3];
        next = {collection == "participants" ? "p1"
                : collection == "needs"      ? "n1"
                : collection == "requests"   ? "r1"
                                             : "x1"};
      }
      for (const std::string& segment : next) {
        auto path = prefix;
        path.push_back(segment);
        longer.push_back(std::move(path));
      }
    }
    paths.insert(paths.end(), longer.begin(), longer.end());
  }
  size_t asked = 0;
  for (const auto& segments : paths) {
    if (segments.empty()) continue;
    std::string path;
    for (const std::string& s : segments) path += "/" + s;
    for (const char* method : kOperations) {
      const HttpResponse r = f.Call(Upper(method), path + "?event=e1", "admin");
      ++asked;
      if (std::string_view(method) == "head") {  // GET's answer, documented with GET
        CHECK(r.head);
        CHECK(r.status == f.Call("GET", path + "?event=e1", "admin").status);
        continue;
      }
      if (!Routed(r)) continue;
      // A route RoutePattern does not know is named by its first path, to be found.
      const std::string name = Upper(method) + " " + r.route;
      if (r.route != "(unknown)" || !unnamed.count(name)) {
        routed.insert(r.route == "(unknown)" ? name + " e.g. " + path : name);
        unnamed.insert(name);
      }
      if (Upper(method) != "GET" && r.status < 400) f.Seed();
    }
  }
  CHECK(asked > 1000);
  CHECK(Lines(routed) == Lines(DocumentedRoutes(doc)));
}

TEST_CASE("openapi: each operation answers each kind of key as its x-roles say") {
  json doc = Document();
  Fixture f;
  // token-p1 acts as p1: the placeholders are its own profile, its need and a request to it.
  const std::pair<const char*, const char*> kCallers[] = {{"none", "public"},
                                                          {"admin", "admin"},
                                                          {"organiser", "organiser"},
                                                          {"token-p1", "participant"},
                                                          {"frontend", "frontend"}};
  std::string table, expected;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const char* method : kOperations) {
      if (!item.contains(method)) continue;
      const json& op = item[method];
      const json roles = op.value("x-roles", json::array());
      const bool is_public = roles == json{"public"};
      const std::string line = Upper(method) + " " + path + ":";
      table += line;
      expected += line;
      for (const auto& [who, role] : kCallers) {
        f.Seed();
        const HttpResponse r = f.Call(Upper(method), Target(doc, path, op), who);
        const bool may = is_public || std::find(roles.begin(), roles.end(), role) != roles.end();
        const std::string code = ErrorCode(r.body);
        const std::string seen = code == "api.unauthorized" || code == "api.forbidden"
                                     ? std::to_string(r.status) + " " + code
                                     : "may";
        expected += std::string(" ") + who + " " +
                    (may                          ? "may"
                     : std::string(who) == "none" ? "401 api.unauthorized"
                                                  : "403 api.forbidden");
        table += std::string(" ") + who + " " + seen;
        if (std::string what = Undocumented(doc, op, r); !what.empty()) {
          table += " (undocumented " + what + ")";
        }
      }
      table += "\n";
      expected += "\n";
    }
  }
  CHECK(table == expected);
}

TEST_CASE("openapi: the WebSocket route documents the hub's message types and its query") {
  json doc = Document();
  json& ws = doc["paths"]["/v1/ws"]["get"];
  CHECK(doc["components"]["schemas"]["PushMessage"]["properties"]["type"]["enum"] ==
        json(std::vector<std::string>(std::begin(kPushTypes), std::end(kPushTypes))));
  CHECK(doc["components"]["schemas"]["PushMessage"]["required"] ==
        json({"type", "event", "seq", "data"}));
  CHECK(ws["responses"].contains("101"));
  CHECK(ws["responses"].contains("426"));
  std::string query;
  for (const json& p : ws["parameters"]) {
    if (p["in"] == "query")
      query += p["name"].get<std::string>() + (p["required"] == true ? "! " : "? ");
  }
  CHECK(query == "event! participant? ");
}

// Bug: the router sent every method and every path under /v1/ws to the WebSocket route, so
// "POST /v1/ws" and "GET /v1/ws/e1/anything" were told to upgrade (426) instead of 405 and 404;
// RoutePattern names the latter "(unknown)". A WebSocket upgrade is a GET (RFC 6455) of /v1/ws.
TEST_CASE("openapi: /v1/ws answers only a GET of exactly /v1/ws") {
  ApiFixture f;
  std::string table;
  for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
    table += std::string(method) + " /v1/ws " +
             Outcome(f.Call(method, "/v1/ws?event=e1", "admin")) + "\n";
  }
  table += "GET /v1/ws/e1 " + Outcome(f.Call("GET", "/v1/ws/e1?event=e1", "admin")) + "\n";
  CHECK(table ==
        "GET /v1/ws 426 api.upgrade_required\n"
        "POST /v1/ws 405 api.method_not_allowed\n"
        "PUT /v1/ws 405 api.method_not_allowed\n"
        "DELETE /v1/ws 405 api.method_not_allowed\n"
        "GET /v1/ws/e1 404 api.not_found\n");
}

}  // namespace
}  // namespace incontra::server
