// Shared by the API tests: a fresh temp folder per test, the error code of a response, and a
// fixture with events e1 and e2, an admin key, organiser keys of e1 and e2, a viewer key (a
// role the API does not know), a frontend key of e1 and participant tokens of e1's p1 and p2.
//
// Thread-safety: TempDir names are unique per process (an atomic counter).
//
// Usage:
//   ApiTempDir dir;
//   auto store = storage::Store::Open(dir / "data");
//   CHECK(ErrorCode(api.Handle(request)) == "api.unauthorized");
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include <doctest/doctest.h>

#include <memory>
#include <optional>

#include "server/api.h"
#include "storage/store.h"
#include "tests/temp_dir.h"

namespace incontra::server {

using ApiTempDir = test::TempDir;

// The "error.code" of an error body; "" when the body is no error (or not JSON at all).
inline std::string ErrorCode(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object() ||
      !j["error"].contains("code") || !j["error"]["code"].is_string()) {
    return "";
  }
  return j["error"]["code"].get<std::string>();
}

inline std::string ErrorMessage(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object() ||
      !j["error"].contains("message") || !j["error"]["message"].is_string()) {
    return "";
  }
  return j["error"]["message"].get<std::string>();
}

constexpr const char* kAdminKey = "admin-secret-0123456789";
constexpr const char* kOrganiserKey = "organiser-e1-secret-0123";
constexpr const char* kOtherKey = "organiser-e2-secret-0123";
constexpr const char* kViewerKey = "viewer-e1-secret-0123456";
constexpr const char* kFrontendKey = "frontend-e1-secret-01234";
constexpr const char* kTokenP1 = "token-e1-p1-secret-01234";
constexpr const char* kTokenP2 = "token-e1-p2-secret-01234";

// What a test calls the Authorization header it sends.
inline std::optional<std::string> AuthorizationFor(const std::string& who) {
  if (who == "none") return std::nullopt;
  if (who == "basic") return std::string("Basic ") + kAdminKey;  // right secret, wrong scheme
  if (who == "unknown") return "Bearer not-a-key-of-this-store";
  if (who == "other") return std::string("Bearer ") + kOtherKey;
  if (who == "viewer") return std::string("Bearer ") + kViewerKey;
  if (who == "organiser") return std::string("Bearer ") + kOrganiserKey;
  if (who == "admin") return std::string("Bearer ") + kAdminKey;
  if (who == "frontend") return std::string("Bearer ") + kFrontendKey;
  if (who == "token-p1") return std::string("Bearer ") + kTokenP1;
  if (who == "token-p2") return std::string("Bearer ") + kTokenP2;
  FAIL("no such caller: " << who);
  return std::nullopt;
}

// "200", or "404 api.not_found" for an error.
inline std::string Outcome(const HttpResponse& r) {
  std::string out = std::to_string(r.status);
  if (r.status >= 400) out += " " + ErrorCode(r.body);
  return out;
}

// Events e1 (organiser key) and e2 (the other organiser's), in a store of their own.
struct ApiFixture {
  ApiTempDir dir;
  std::unique_ptr<storage::Store> store;
  std::optional<Api> api;

  explicit ApiFixture(bool sync = false) {
    auto opened = storage::Store::Open(dir / "data", {.sync = sync});
    REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
    store = std::move(*opened);
    REQUIRE(store->PutEvent({{"id", "e1"}, {"name", "Event one"}}).ok());
    REQUIRE(store->PutEvent({{"id", "e2"}, {"name", "Event two"}}).ok());
    REQUIRE(store->PutApiKey("k-e1", kOrganiserKey, {{"role", "organiser"}, {"event", "e1"}}).ok());
    REQUIRE(store->PutApiKey("k-e2", kOtherKey, {{"role", "organiser"}, {"event", "e2"}}).ok());
    REQUIRE(store->PutApiKey("k-view", kViewerKey, {{"role", "viewer"}, {"event", "e1"}}).ok());
    REQUIRE(store->PutApiKey("k-front", kFrontendKey, {{"role", "frontend"}, {"event", "e1"}}).ok());
    REQUIRE(store->PutApiKey("k-p1", kTokenP1,
                             {{"role", "participant"}, {"event", "e1"}, {"participant", "p1"}})
                .ok());
    REQUIRE(store->PutApiKey("k-p2", kTokenP2,
                             {{"role", "participant"}, {"event", "e1"}, {"participant", "p2"}})
                .ok());
    // No rate limit: the suites send hundreds of calls a second; the limit has its own test.
    ApiOptions options;
    options.admin_key = kAdminKey;
    options.rate_per_second = options.rate_burst = 0;
    api.emplace(*store, options);
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& who,
                    const std::string& body = "") const {
    HttpRequest request{method, target, {}, body};
    if (auto auth = AuthorizationFor(who)) request.headers["authorization"] = *auth;
    return api->Handle(request);
  }

  // The record as the store holds it, or "-" when it has none.
  std::string Stored(storage::RecordKind kind, const std::string& event, const std::string& id) const {
    auto r = store->Get(kind, event, id);
    return r.ok() ? r->dump() : "-";
  }
  std::string StoredEvent(const std::string& id) const {
    auto r = store->GetEvent(id);
    return r.ok() ? r->dump() : "-";
  }

  // The ids the store holds of one kind in one event: "r2 r3".
  std::string Ids(storage::RecordKind kind, const std::string& event) const {
    auto list = store->List(kind, event);
    REQUIRE_MESSAGE(list.ok(), list.status().ToString());
    std::string out;
    for (const nlohmann::json& r : *list) out += (out.empty() ? "" : " ") + r.value("id", "?");
    return out.empty() ? "-" : out;
  }
};

}  // namespace incontra::server
