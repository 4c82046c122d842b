// libFuzzer target for the JSON codecs under the API (engine/profile_json.h): the input is a
// JSON text, read as one document, as a participant, as a need and as JSON Lines of each.
//
// Aborts (so libFuzzer reports the input) when:
// - an error has no code or a message that is not UTF-8 (messages are echoed to clients);
// - a document is accepted nested deeper than kMaxJsonDepth, or does not survive dump + parse;
// - a record the codec accepted, written back with *ToJson, is refused or read differently
//   (the API stores the written form, and the matcher reads it again later).
// An exception escaping any of these is a crash too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/internal/json_reader.h"
#include "engine/profile_json.h"
#include "scoring/text.h"

namespace incontra::engine {
namespace {

using nlohmann::json;

[[noreturn]] void Fail(const std::string& what, const std::string& detail) {
  std::fprintf(stderr, "codec_fuzz: %s\n  %s\n", what.c_str(), detail.c_str());
  std::abort();
}

std::string Quoted(std::string_view text) {
  return json(std::string(text)).dump(-1, ' ', true, json::error_handler_t::replace);
}

void CheckError(const Status& s, std::string_view prefix, std::string_view input) {
  if (s.ok()) return;
  if (s.code().substr(0, prefix.size()) != prefix || s.code().size() <= prefix.size() + 1) {
    Fail("error code '" + s.code() + "' is not " + std::string(prefix) + ".*", Quoted(input));
  }
  if (scoring::ValidUtf8(s.message()) != s.message()) {
    Fail("error message is not UTF-8", Quoted(s.message()) + " for " + Quoted(input));
  }
}

int Depth(const json& j) {
  int deepest = 0;
  if (j.is_structured()) {
    for (const json& child : j) deepest = std::max(deepest, Depth(child));
    return deepest + 1;
  }
  return 0;
}

// Read, write, read again: the second reading must accept what the first one wrote, and
// write it out the same.
template <typename FromJson, typename ToJson>
void RoundTrip(const json& j, const char* prefix, FromJson from_json, ToJson to_json) {
  auto first = from_json(j, "");
  if (!first.ok()) {
    CheckError(first.status(), prefix, j.dump(-1, ' ', false, json::error_handler_t::replace));
    return;
  }
  const json written = to_json(*first);
  auto second = from_json(written, "");
  if (!second.ok()) {
    Fail(std::string(prefix) + ": the written record is refused: " + second.status().ToString(),
         written.dump());
  }
  if (to_json(*second) != written) {
    Fail(std::string(prefix) + ": written twice, the record changed", written.dump() + "\n  " +
                                                                          to_json(*second).dump());
  }
}

template <typename T, typename ToJson>
void CheckLines(const Result<std::vector<T>>& lines, const char* prefix, std::string_view text,
                ToJson to_json) {
  if (!lines.ok()) {
    CheckError(lines.status(), prefix, text);
    return;
  }
  for (const T& record : *lines) to_json(record).dump();  // strict: throws on bad UTF-8
}

void Run(std::string_view text) {
  auto doc = ParseJsonDocument(text, "fuzz");
  if (!doc.ok()) {
    CheckError(doc.status(), "fuzz", text);
  } else {
    if (Depth(*doc) > internal::kMaxJsonDepth) Fail("accepted nested too deep", Quoted(text));
    const std::string dumped = doc->dump();  // strict: throws on bad UTF-8
    auto again = ParseJsonDocument(dumped, "fuzz");
    if (!again.ok() || *again != *doc) Fail("dump + parse changed the document", dumped);
    RoundTrip(*doc, "participant", ParticipantFromJson, ParticipantToJson);
    RoundTrip(*doc, "need", NeedFromJson, NeedToJson);
  }
  CheckLines(ParseParticipantsJsonl(text), "participant", text, ParticipantToJson);
  CheckLines(ParseNeedsJsonl(text), "need", text, NeedToJson);
}

}  // namespace
}  // namespace incontra::engine

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  incontra::engine::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
