#include "engine/profile_json.h"

#include <optional>
#include <unordered_set>

#include "engine/internal/json_reader.h"
#include "engine/rfc3339.h"
#include "scoring/cpv.h"
#include "scoring/parallel.h"

namespace incontra::engine {
namespace {

using internal::JsonReader;
using nlohmann::json;

std::string At(const std::string& where, const char* field) {
  return where.empty() ? field : where + ": " + field;
}

// Known members in the order FORMATS.md lists them; everything else goes to `extra`.
const std::unordered_set<std::string>& ParticipantFields() {
  static const std::unordered_set<std::string> fields = {
      "id",   "kind",   "name",      "description", "offers",      "seeks",
      "cpv",  "region", "languages", "tags",        "max_meetings"};
  return fields;
}
const std::unordered_set<std::string>& NeedFields() {
  static const std::unordered_set<std::string> fields = {
      "id",         "owner",     "title",    "description", "cpv",
      "budget_eur", "procedure", "deadline", "region"};
  return fields;
}

json Extra(const json& j, const std::unordered_set<std::string>& known) {
  json extra = json::object();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!known.count(it.key())) extra[it.key()] = it.value();
  }
  return extra;
}

// CPV codes as 8 digits; the check digit is checked for form and dropped.
Status ReadCpv(const JsonReader& r, const json& j, const std::string& path,
               std::vector<std::string>* out) {
  std::vector<std::string> texts;
  if (Status s = r.TextList(j, path, &texts); !s.ok()) return s;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto code = scoring::ParseCpv(texts[i]);
    if (!code.ok()) {
      return r.Invalid(path + "[" + std::to_string(i) + "]", code.status().message());
    }
    out->push_back(code->digits);
  }
  return Status::Ok();
}

struct TextField {
  const char* key;
  std::string* text;
};
struct ListField {
  const char* key;
  std::vector<std::string>* list;
};

Status ReadTexts(const JsonReader& r, const json& j, const std::string& where,
                 std::initializer_list<TextField> texts, std::initializer_list<ListField> lists) {
  for (const TextField& f : texts) {
    if (const json* v = JsonReader::Member(j, f.key)) {
      if (Status s = r.Text(*v, At(where, f.key), f.text); !s.ok()) return s;
    }
  }
  for (const ListField& f : lists) {
    if (const json* v = JsonReader::Member(j, f.key)) {
      if (Status s = r.TextList(*v, At(where, f.key), f.list); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status ReadId(const JsonReader& r, const json& j, const std::string& where, std::string* id) {
  if (!j.is_object()) return r.WrongType(where.empty() ? "(record)" : where, "an object", j);
  const json* v = JsonReader::Member(j, "id");
  if (!v) return r.Missing(At(where, "id"));
  return r.Id(*v, At(where, "id"), id);
}

template <typename T, typename FromJson>
Result<std::vector<T>> ParseJsonl(std::string_view text, const char* prefix, FromJson from_json,
                                  int threads) {
  // The lines that hold something, with their numbers in the file.
  std::vector<std::pair<std::string_view, size_t>> lines;
  size_t line_number = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      lines.emplace_back(line, line_number);
    }
  }
  // Lines parse independently, on every thread; errors are then taken in file order, so the
  // first bad line is the one reported, however the work was split.
  std::vector<std::optional<Result<T>>> parsed(lines.size());
  scoring::ParallelChunks(lines.size(), threads, 256, [&](size_t k, size_t) {
    const std::string where = "line " + std::to_string(lines[k].second);
    json j;
    if (Status s = internal::ParseJsonText(lines[k].first, prefix, &j); !s.ok()) {
      // ParseJsonText counts lines within the one line; name the file's line instead.
      std::string message = s.message();
      if (auto comma = message.find(", column"); comma != std::string::npos) {
        message = where + message.substr(comma);
      } else {
        message = where + ": " + message;
      }
      parsed[k].emplace(Status::InvalidArgument(s.code(), message));
      return;
    }
    parsed[k].emplace(from_json(j, where));
  });
  std::vector<T> out;
  out.reserve(lines.size());
  std::unordered_set<std::string> ids;
  for (size_t k = 0; k < lines.size(); ++k) {
    Result<T>& record = *parsed[k];
    if (!record.ok()) return record.status();
    if (!ids.insert(record->id).second) {
      return Status::InvalidArgument(std::string(prefix) + ".duplicate_id",
                                     "line " + std::to_string(lines[k].second) + ": id: '" +
                                         record->id + "' appears twice");
    }
    out.push_back(std::move(*record));
  }
  return out;
}

}  // namespace

Result<Participant> ParticipantFromJson(const json& j, const std::string& where) {
  const JsonReader r("participant");
  Participant p;
  if (Status s = ReadId(r, j, where, &p.id); !s.ok()) return s;
  const json* kind = JsonReader::Member(j, "kind");
  if (!kind) return r.Missing(At(where, "kind"));
  std::string kind_name;
  if (Status s = r.Text(*kind, At(where, "kind"), &kind_name); !s.ok()) return s;
  auto k = KindFromName(kind_name);
  if (!k) return r.Invalid(At(where, "kind"), "one of pa, company, research, other");
  p.kind = *k;
  if (Status s = ReadTexts(r, j, where,
                           {{"name", &p.name}, {"description", &p.description},
                            {"region", &p.region}},
                           {{"offers", &p.offers}, {"seeks", &p.seeks},
                            {"languages", &p.languages}, {"tags", &p.tags}});
      !s.ok()) {
    return s;
  }
  if (const json* v = JsonReader::Member(j, "cpv")) {
    if (Status s = ReadCpv(r, *v, At(where, "cpv"), &p.cpv); !s.ok()) return s;
  }
  if (const json* v = JsonReader::Member(j, "max_meetings")) {
    int64_t n = 0;
    if (Status s = r.Int(*v, At(where, "max_meetings"), 0, 1'000'000, &n); !s.ok()) return s;
    p.max_meetings = static_cast<int>(n);
  }
  p.extra = Extra(j, ParticipantFields());
  return p;
}

Result<Need> NeedFromJson(const json& j, const std::string& where) {
  const JsonReader r("need");
  Need n;
  if (Status s = ReadId(r, j, where, &n.id); !s.ok()) return s;
  const json* title = JsonReader::Member(j, "title");
  if (!title) return r.Missing(At(where, "title"));
  if (const json* v = JsonReader::Member(j, "owner")) {
    if (Status s = r.Id(*v, At(where, "owner"), &n.owner); !s.ok()) return s;
  }
  if (Status s = ReadTexts(r, j, where,
                           {{"title", &n.title}, {"description", &n.description},
                            {"procedure", &n.procedure}, {"deadline", &n.deadline},
                            {"region", &n.region}},
                           {});
      !s.ok()) {
    return s;
  }
  // FORMATS.md: times are RFC 3339 with an offset; "domani" or a date alone was stored as given
  // and shown to every frontend as a deadline.
  if (!n.deadline.empty() && !ParseRfc3339(n.deadline).ok()) {
    return r.Invalid(At(where, "deadline"),
                     "an RFC 3339 time with an offset, e.g. 2027-03-01T12:00:00+01:00");
  }
  if (const json* v = JsonReader::Member(j, "cpv")) {
    if (Status s = ReadCpv(r, *v, At(where, "cpv"), &n.cpv); !s.ok()) return s;
  }
  if (const json* v = JsonReader::Member(j, "budget_eur")) {
    double budget = 0;
    if (Status s = r.Number(*v, At(where, "budget_eur"), 0, 1e15, &budget); !s.ok()) return s;
    n.budget_eur = budget;
  }
  n.extra = Extra(j, NeedFields());
  return n;
}

Result<json> ParseJsonDocument(std::string_view text, const std::string& prefix) {
  json j;
  if (Status s = internal::ParseJsonText(text, prefix, &j); !s.ok()) return s;
  return j;
}

Result<std::vector<Participant>> ParseParticipantsJsonl(std::string_view text, int threads) {
  return ParseJsonl<Participant>(text, "participant", ParticipantFromJson, threads);
}

Result<std::vector<Need>> ParseNeedsJsonl(std::string_view text, int threads) {
  return ParseJsonl<Need>(text, "need", NeedFromJson, threads);
}

json ParticipantToJson(const Participant& p) {
  json j = {{"id", p.id}, {"kind", KindName(p.kind)}};
  if (!p.name.empty()) j["name"] = p.name;
  if (!p.description.empty()) j["description"] = p.description;
  if (!p.offers.empty()) j["offers"] = p.offers;
  if (!p.seeks.empty()) j["seeks"] = p.seeks;
  if (!p.cpv.empty()) j["cpv"] = p.cpv;
  if (!p.region.empty()) j["region"] = p.region;
  if (!p.languages.empty()) j["languages"] = p.languages;
  if (!p.tags.empty()) j["tags"] = p.tags;
  if (p.max_meetings) j["max_meetings"] = *p.max_meetings;
  for (auto it = p.extra.begin(); it != p.extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

json NeedToJson(const Need& n) {
  json j = {{"id", n.id}};
  if (!n.owner.empty()) j["owner"] = n.owner;
  j["title"] = n.title;
  if (!n.description.empty()) j["description"] = n.description;
  if (!n.cpv.empty()) j["cpv"] = n.cpv;
  if (n.budget_eur) j["budget_eur"] = *n.budget_eur;
  if (!n.procedure.empty()) j["procedure"] = n.procedure;
  if (!n.deadline.empty()) j["deadline"] = n.deadline;
  if (!n.region.empty()) j["region"] = n.region;
  for (auto it = n.extra.begin(); it != n.extra.end(); ++it) j[it.key()] = it.value();
  return j;
}

}  // namespace incontra::engine
