// Shared by the API tests: a fresh temp folder per test and the error code of a response.
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

#include "server/api.h"

namespace incontra::server {

class ApiTempDir {
 public:
  ApiTempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("incontra_api_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ApiTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ApiTempDir(const ApiTempDir&) = delete;
  ApiTempDir& operator=(const ApiTempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

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

}  // namespace incontra::server
