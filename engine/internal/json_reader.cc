#include "engine/internal/json_reader.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <vector>

#include "engine/id.h"
#include "scoring/text.h"

namespace incontra::engine::internal {
namespace {

using nlohmann::json;

const char* TypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "invalid";
  }
}

// Line and column of a byte offset, for parse errors a person can find in an editor.
std::string Position(std::string_view text, size_t byte) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

Status JsonReader::Code(const char* code, const std::string& message) const {
  return Status::InvalidArgument(prefix_ + "." + code, message);
}

Status JsonReader::WrongType(const std::string& path, const char* expected, const json& got) const {
  return Code("wrong_type", path + ": expected " + expected + ", got " + TypeName(got));
}

Status JsonReader::Missing(const std::string& path) const {
  return Code("missing_field", path + ": required");
}

Status JsonReader::Invalid(const std::string& path, const std::string& rule) const {
  return Code("invalid_value", path + ": " + rule);
}

Status JsonReader::Id(const json& j, const std::string& path, std::string* out) const {
  if (!j.is_string()) return WrongType(path, "a string id", j);
  const auto& s = j.get_ref<const std::string&>();
  if (!ValidId(s)) return Code("invalid_id", path + ": " + kIdRule);
  *out = s;
  return Status::Ok();
}

Status JsonReader::Text(const json& j, const std::string& path, std::string* out,
                        size_t max_bytes) const {
  if (!j.is_string()) return WrongType(path, "a string", j);
  const auto& s = j.get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    return Invalid(path, "a text is at most " + std::to_string(max_bytes) + " bytes");
  }
  *out = s;
  return Status::Ok();
}

Status JsonReader::IdList(const json& j, const std::string& path,
                          std::vector<std::string>* out) const {
  if (!j.is_array()) return WrongType(path, "an array of ids", j);
  out->reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    std::string id;
    if (Status s = Id(j[i], path + "[" + std::to_string(i) + "]", &id); !s.ok()) return s;
    out->push_back(std::move(id));
  }
  return Status::Ok();
}

Status JsonReader::TextList(const json& j, const std::string& path,
                            std::vector<std::string>* out) const {
  if (!j.is_array()) return WrongType(path, "an array of strings", j);
  if (j.size() > kMaxListItems) {
    return Invalid(path, "at most " + std::to_string(kMaxListItems) + " items");
  }
  out->reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    std::string text;
    if (Status s = Text(j[i], path + "[" + std::to_string(i) + "]", &text); !s.ok()) return s;
    out->push_back(std::move(text));
  }
  return Status::Ok();
}

Status JsonReader::Int(const json& j, const std::string& path, int64_t min, int64_t max,
                       int64_t* out) const {
  if (!j.is_number()) return WrongType(path, "an integer", j);
  // 3.0 is an integer to a person; 3.5 is not. Range is checked on the double first, so a
  // huge value never reaches an overflowing conversion.
  double d = j.get<double>();
  if (j.is_number_float() && d != std::floor(d)) return WrongType(path, "an integer", j);
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    return Invalid(path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  *out = j.is_number_float() ? static_cast<int64_t>(d) : j.get<int64_t>();
  return Status::Ok();
}

Status JsonReader::Number(const json& j, const std::string& path, double min, double max,
                          double* out) const {
  if (!j.is_number()) return WrongType(path, "a number", j);
  double d = j.get<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    nlohmann::json bounds = {min, max};  // prints 0 and 1e+15, not 0.000000
    return Invalid(path, "must be a number between " + bounds[0].dump() + " and " +
                             bounds[1].dump());
  }
  *out = d;
  return Status::Ok();
}

const json* JsonReader::Member(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status ParseJsonText(std::string_view text, const std::string& prefix, json* out) {
  // Deep nesting would overflow the stack of whatever walks the value recursively later
  // (copies, dumps); no record of ours nests deeper than a few levels.
  struct TooDeep {};
  // A container starts at the depth of the containers around it (0 for the outermost), so
  // the 65th level starts at 64. Keys and values are one deeper than their container: counting
  // them would refuse 64 levels with something inside, and letting the depth of values alone
  // decide would pass 65 levels of empty containers.
  // A member named twice in one object: RFC 8259 leaves what it means to the reader (this
  // parser would keep the last), so a file or request that says two things is refused instead.
  struct Twice {
    std::string path;
  };
  // One frame per open container, to name the place of a member given twice.
  struct Frame {
    bool object = false;
    size_t index = 0;                      // an array's element being read
    const std::string* key = nullptr;      // an object's member being read (in `keys`)
    std::unordered_set<std::string> keys;  // an object's members so far
  };
  std::vector<Frame> frames;
  size_t open = 0;  // frames[0, open) are open; the rest are kept for their allocations
  auto path = [&] {
    std::string out;
    for (size_t f = 0; f < open; ++f) {
      if (!frames[f].object) {
        out += "[" + std::to_string(frames[f].index) + "]";
        continue;
      }
      // A key can be as long as the text: show its first 64 bytes, cut on a character.
      const std::string_view key =
          frames[f].key ? std::string_view(*frames[f].key) : std::string_view();
      size_t cut = std::min<size_t>(key.size(), 64);
      while (cut < key.size() && cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) {
        --cut;
      }
      out += (out.empty() ? "" : ".") + std::string(key.substr(0, cut)) +
             (cut < key.size() ? "..." : "");
    }
    return out;
  };
  auto next_element = [&] {
    if (open > 0 && !frames[open - 1].object) ++frames[open - 1].index;
  };
  auto check = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) throw TooDeep{};
        if (open == frames.size()) frames.emplace_back();
        frames[open].object = event == json::parse_event_t::object_start;
        frames[open].index = 0;
        frames[open].keys.clear();
        frames[open].key = nullptr;
        ++open;
        break;
      case json::parse_event_t::key: {
        Frame& f = frames[open - 1];
        const auto [at, fresh] = f.keys.insert(parsed.get_ref<const std::string&>());
        f.key = &*at;  // a set's elements stay where they are until erased
        if (!fresh) throw Twice{path()};
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        --open;
        next_element();
        break;
      case json::parse_event_t::value:
        next_element();
        break;
    }
    return true;
  };
  // The parser would stop at a NUL byte and take what came before for the whole document.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status::InvalidArgument(prefix + ".malformed_json",
                                   Position(text, nul) + ": a NUL byte is not JSON");
  }
  try {
    *out = json::parse(text.begin(), text.end(), check);
  } catch (const json::parse_error& e) {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at ...";
    // keep its explanation and give the position as line and column. It may quote the bad
    // bytes, which need not be UTF-8: a message must be.
    std::string what = e.what();
    if (auto colon = what.find("syntax error"); colon != std::string::npos) {
      what = what.substr(colon);
    }
    return Status::InvalidArgument(
        prefix + ".malformed_json",
        Position(text, e.byte == 0 ? 0 : e.byte - 1) + ": " + scoring::ValidUtf8(what));
  } catch (const json::exception& e) {  // out_of_range.406: a number beyond a double
    return Status::InvalidArgument(prefix + ".malformed_json",
                                   "a number is out of range: " + scoring::ValidUtf8(e.what()));
  } catch (const Twice& twice) {
    return Status::InvalidArgument(prefix + ".duplicate_key",
                                   twice.path + ": given twice in one object");
  } catch (const TooDeep&) {
    return Status::InvalidArgument(prefix + ".malformed_json",
                                   "nested deeper than " + std::to_string(kMaxJsonDepth) +
                                       " levels");
  }
  return Status::Ok();
}

}  // namespace incontra::engine::internal
