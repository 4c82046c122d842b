// The pa rule of FORMATS.md, checked before participants or needs are written to an event:
// needs belong to a pa. The HTTP routes (PUT, participants:import) and `incontra import` share
// it, so no way in stores what another refuses. Not part of the server's public face.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "scoring/status.h"
#include "storage/store.h"

namespace incontra::server {

// Whether `records` (all of `kind`, each already valid for it) keep the rule against what
// `event` stores: a need whose owner is registered needs a pa owner (`need.owner_not_pa`); a
// participant that is not a pa owns no stored need (`participant.owns_needs`). An owner not
// registered yet passes: needs often come before their buyers' profiles. Reads the store;
// the caller holds whatever keeps it from changing before the write. Other kinds pass.
[[nodiscard]] Status CheckPaRule(const storage::Store& store, std::string_view event,
                                 storage::RecordKind kind,
                                 const std::vector<nlohmann::json>& records);

}  // namespace incontra::server
