#include "server/internal/pa_rule.h"

#include <map>
#include <string>

namespace incontra::server {

using nlohmann::json;
using storage::RecordKind;

Status CheckPaRule(const storage::Store& store, std::string_view event, RecordKind kind,
                   const std::vector<json>& records) {
  if (kind == RecordKind::kNeed) {
    std::map<std::string, std::string> kind_of;  // owners looked up once each
    for (const json& need : records) {
      const std::string owner = need.value("owner", "");
      if (owner.empty()) continue;
      auto known = kind_of.find(owner);
      if (known == kind_of.end()) {
        auto p = store.Get(RecordKind::kParticipant, event, owner);
        if (!p.ok() && p.status().kind() != Status::Kind::kNotFound) return p.status();
        known = kind_of.emplace(owner, p.ok() ? p->value("kind", "") : "pa").first;
      }
      if (known->second != "pa") {
        return Status::InvalidArgument("need.owner_not_pa",
                                       "owner: '" + owner + "' of need '" + need.value("id", "") +
                                           "' is a " + known->second +
                                           " participant; needs belong to a pa");
      }
    }
    return Status::Ok();
  }
  if (kind != RecordKind::kParticipant) return Status::Ok();
  bool any_other = false;
  for (const json& p : records) any_other = any_other || p.value("kind", "") != "pa";
  if (!any_other) return Status::Ok();  // every need stored may stay where it is
  auto needs = store.List(RecordKind::kNeed, event);
  if (!needs.ok()) return needs.status();
  std::map<std::string, std::string> owned;  // owner -> its needs, listed for the message
  for (const json& n : *needs) {
    std::string& list = owned[n.value("owner", "")];
    list += (list.empty() ? "" : ", ") + n.value("id", "");
  }
  for (const json& p : records) {
    const std::string id = p.value("id", "");
    auto it = owned.find(id);
    if (p.value("kind", "") == "pa" || id.empty() || it == owned.end()) continue;
    return Status::InvalidArgument("participant.owns_needs",
                                   "kind: '" + id + "' owns needs (" + it->second +
                                       "), which belong to a pa; withdraw them first");
  }
  return Status::Ok();
}

}  // namespace incontra::server
