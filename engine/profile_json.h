// JSON codec for participants and needs (FORMATS.md), one record or a JSON Lines file of them.
//
// Errors name the line, the field and the rule, with codes participant.* or need.*:
// malformed_json, wrong_type, missing_field, invalid_id, invalid_value, duplicate_id.
// A file is all or nothing: the first bad line refuses the whole file.
//
// Thread-safety: stateless functions.
//
// Usage:
//   auto needs = ParseNeedsJsonl(text);
//   if (!needs.ok()) { std::cerr << needs.status().message(); return 2; }
//   std::string line = NeedToJson((*needs)[0]).dump();
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/profile.h"
#include "scoring/status.h"

namespace incontra::engine {

// `where` prefixes every error path ("line 3"); may be empty.
Result<Participant> ParticipantFromJson(const nlohmann::json& j, const std::string& where = "");
Result<Need> NeedFromJson(const nlohmann::json& j, const std::string& where = "");

// JSON Lines: one object per line; blank lines are skipped; ids must be unique in the file.
// Lines are parsed on `threads` threads; the error is the first bad line's all the same.
Result<std::vector<Participant>> ParseParticipantsJsonl(std::string_view text, int threads = 1);
Result<std::vector<Need>> ParseNeedsJsonl(std::string_view text, int threads = 1);

// One JSON document (a request body), at most 64 levels deep; errors "<prefix>.malformed_json"
// with line and column.
Result<nlohmann::json> ParseJsonDocument(std::string_view text, const std::string& prefix);

// Known fields as FORMATS.md spells them, then the unknown ones kept from the input.
nlohmann::json ParticipantToJson(const Participant& p);
nlohmann::json NeedToJson(const Need& n);

}  // namespace incontra::engine
