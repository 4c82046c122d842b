#include "engine/profile.h"

namespace incontra::engine {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kPa: return "pa";
    case Kind::kCompany: return "company";
    case Kind::kResearch: return "research";
    case Kind::kOther: return "other";
  }
  return "other";
}

std::optional<Kind> KindFromName(std::string_view name) {
  if (name == "pa") return Kind::kPa;
  if (name == "company") return Kind::kCompany;
  if (name == "research") return Kind::kResearch;
  if (name == "other") return Kind::kOther;
  return std::nullopt;
}

bool KindsMayMeet(Kind a, Kind b) { return !(a == Kind::kPa && b == Kind::kPa); }

}  // namespace incontra::engine
