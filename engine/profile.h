// Participants and needs (FORMATS.md): who is at an event or on a marketplace, and what public
// administrations are looking for. Plain values; matching.h ranks them.
//
// Fields FORMATS.md does not name are kept in `extra` and written back unchanged, so a file
// read and written again loses nothing; known fields that are empty ("", [], null) mean the
// same as absent and are written as absent.
//
// Thread-safety: plain values.
//
// Usage:
//   auto participants = ParseParticipantsJsonl(text);  // profile_json.h
//   for (const Participant& p : *participants) std::cout << p.id << " " << KindName(p.kind);
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace incontra::engine {

enum class Kind { kPa, kCompany, kResearch, kOther };

// "pa", "company", "research", "other".
std::string_view KindName(Kind kind);
std::optional<Kind> KindFromName(std::string_view name);

// Who may meet whom: never oneself (checked by the caller, which knows ids), never two public
// administrations; every other pair may.
bool KindsMayMeet(Kind a, Kind b);

struct Participant {
  std::string id;
  Kind kind = Kind::kCompany;
  std::string name, description;
  std::vector<std::string> offers, seeks;
  std::vector<std::string> cpv;  // 8 digits, check digit dropped
  std::string region;            // NUTS code, "" when not given
  std::vector<std::string> languages, tags;
  std::optional<int> max_meetings;
  nlohmann::json extra = nlohmann::json::object();  // fields FORMATS.md does not name
};

struct Need {
  std::string id;
  std::string owner;  // a pa participant's id, "" when not given
  std::string title, description;
  std::vector<std::string> cpv;
  std::optional<double> budget_eur;
  std::string procedure, deadline, region;
  nlohmann::json extra = nlohmann::json::object();
};

}  // namespace incontra::engine
