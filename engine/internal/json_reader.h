// Reads JSON records field by field with errors that name the place and the rule, under one
// error-code prefix: JsonReader("schedule") reports "schedule.wrong_type" with the message
// "meetings[3].participants: expected an array of ids, got number".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "scoring/status.h"

namespace incontra::engine::internal {

class JsonReader {
 public:
  explicit JsonReader(std::string prefix) : prefix_(std::move(prefix)) {}

  // A non-empty string of at most 128 bytes (FORMATS.md), without control characters (id.h).
  Status Id(const nlohmann::json& j, const std::string& path, std::string* out) const;
  // A string of at most `max_bytes`.
  Status Text(const nlohmann::json& j, const std::string& path, std::string* out,
              size_t max_bytes = kMaxTextBytes) const;
  Status IdList(const nlohmann::json& j, const std::string& path,
                std::vector<std::string>* out) const;
  // An array of at most kMaxListItems strings, each at most kMaxTextBytes.
  Status TextList(const nlohmann::json& j, const std::string& path,
                  std::vector<std::string>* out) const;
  Status Int(const nlohmann::json& j, const std::string& path, int64_t min, int64_t max,
             int64_t* out) const;
  Status Number(const nlohmann::json& j, const std::string& path, double min, double max,
                double* out) const;

  Status WrongType(const std::string& path, const char* expected, const nlohmann::json& got) const;
  Status Missing(const std::string& path) const;
  Status Invalid(const std::string& path, const std::string& rule) const;
  Status Code(const char* code, const std::string& message) const;

  // An optional member; nullptr when absent or null.
  static const nlohmann::json* Member(const nlohmann::json& obj, const char* key);

  static constexpr size_t kMaxTextBytes = 64 * 1024;
  static constexpr size_t kMaxListItems = 10'000;

 private:
  std::string prefix_;
};

constexpr int kMaxJsonDepth = 64;

// Parses one JSON text, at most kMaxJsonDepth levels deep. On a syntax error,
// "<prefix>.malformed_json" with the line and column; on a member named twice in one object,
// "<prefix>.duplicate_key" with its path ("meetings[3].slot: given twice in one object").
Status ParseJsonText(std::string_view text, const std::string& prefix, nlohmann::json* out);

}  // namespace incontra::engine::internal
