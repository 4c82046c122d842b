// POST /v1/events/{event}/participants:import: JSON Lines (application/x-ndjson) or CSV with a
// header row (text/csv), validated whole before anything is written, then one batch.
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/profile_json.h"
#include "server/api.h"
#include "server/csv.h"
#include "server/internal/api_common.h"
#include "server/internal/pa_rule.h"

namespace incontra::server {

HttpResponse Api::Import(const HttpRequest& request, const std::string& event) const {
  // The media type without its parameters; case and spaces around it do not count (RFC 9110).
  auto type = request.headers.find("content-type");
  std::string media =
      type == request.headers.end() ? "" : type->second.substr(0, type->second.find(';'));
  media.erase(0, media.find_first_not_of(" \t"));
  media.erase(media.find_last_not_of(" \t") + 1);
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<nlohmann::json> records;
  if (media == "application/x-ndjson" || media == "application/jsonl") {
    auto parsed = engine::ParseParticipantsJsonl(request.body);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    for (const auto& p : *parsed) records.push_back(engine::ParticipantToJson(p));
  } else if (media == "text/csv") {
    auto rows = ParticipantsFromCsv(request.body);
    if (!rows.ok()) return ErrorResponse(rows.status());
    std::set<std::string> ids;
    for (const CsvRecord& r : *rows) {
      const std::string where = "row " + std::to_string(r.row);
      auto p = engine::ParticipantFromJson(r.record, where);
      if (!p.ok()) return ErrorResponse(p.status());
      if (!ids.insert(p->id).second) {
        return ErrorResponse(Status::InvalidArgument(
            "participant.duplicate_id", where + ", id: '" + p->id + "' appears twice"));
      }
      records.push_back(engine::ParticipantToJson(*p));
    }
  } else {
    return ErrorResponse(Status::InvalidArgument(
        "api.unsupported_media_type",
        "Content-Type: application/x-ndjson (JSON Lines) or text/csv (with a header row)"));
  }
  if (records.empty()) {
    return ErrorResponse(Status::InvalidArgument("api.empty_body", "no participants to import"));
  }
  // Checked and written under the lock the single writes hold, as they check the same rule.
  std::lock_guard<std::mutex> lock(cache_->requests_mutex);
  if (Status s = CheckPaRule(store_, event, storage::RecordKind::kParticipant, records); !s.ok()) {
    return ErrorResponse(s);
  }
  if (Status s = store_.Import(event, storage::RecordKind::kParticipant, records); !s.ok()) {
    return ErrorResponse(s);
  }
  cache_->Invalidate(event);
  return api::Json(200, {{"event", event}, {"imported", records.size()}});
}

}  // namespace incontra::server
