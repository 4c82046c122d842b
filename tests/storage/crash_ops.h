// The crash test's workload, shared by the child that runs it (crash_child.cc) and the parent
// that checks what survived (crash_test.cc): one fixed sequence of store calls, and a model of
// what the store holds and what its feed says after the first n of them.
//
// The sequence: put the event "ev"; then for i = 0, 1, 2, ...: put participant p<i>, put a
// request r<i> from p<i> to p<i-1>, put a meeting m<i> of p<i> and p<i-2>, and every 5th round
// delete participant p<i-2>, which cascades to r<i-2>, r<i-1>, m<i-2> and m<i>.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace incontra::storage::test {

inline constexpr const char* kCrashEvent = "ev";

struct CrashOp {
  std::string op;    // "put" or "delete"
  std::string kind;  // "event", "participant", "request", "meeting"
  std::string id;
  nlohmann::json record;  // for a put

  // The line the child prints once the call returned ok.
  std::string Ack() const { return "ack " + op + " " + kind + " " + id; }
};

// Records with nested objects, unicode and sizes that vary, so a torn write would show.
inline nlohmann::json CrashParticipant(size_t i) {
  return nlohmann::json{
      {"id", "p" + std::to_string(i)},
      {"kind", i % 3 == 0 ? "pa" : "company"},
      {"name", "Azienda n.\u00b0" + std::to_string(i) + " \u2014 caff\u00e8 \u2615"},
      {"offers", {"servizi " + std::to_string(i), "forniture"}},
      {"extra", {{"i", i}, {"nested", {{"square", i * i}, {"half", static_cast<double>(i) / 2}}}}},
      {"pad", std::string(i * 37 % 700, static_cast<char>('a' + i % 26))},
  };
}

inline std::vector<CrashOp> CrashOps(size_t rounds) {
  std::vector<CrashOp> ops;
  ops.push_back({"put", "event", kCrashEvent, {{"id", kCrashEvent}, {"name", "Fiera \u00e8"}}});
  auto p = [](size_t i) { return "p" + std::to_string(i); };
  for (size_t i = 0; i < rounds; ++i) {
    const std::string r = "r" + std::to_string(i), m = "m" + std::to_string(i);
    ops.push_back({"put", "participant", p(i), CrashParticipant(i)});
    ops.push_back({"put", "request", r,
                   {{"id", r}, {"from", p(i)}, {"to", p(i == 0 ? 0 : i - 1)}, {"note", "\u2192"}}});
    ops.push_back({"put", "meeting", m,
                   {{"id", m}, {"participants", {p(i), p(i < 2 ? 0 : i - 2)}}, {"round", i}}});
    if (i % 5 == 4) ops.push_back({"delete", "participant", p(i - 2), nullptr});
  }
  return ops;
}

// What the store should hold and what its feed should say after a prefix of the sequence.
class CrashModel {
 public:
  void Apply(const CrashOp& op) {
    if (op.op == "put") {
      records_[{op.kind, op.id}] = op.record;
      Feed("put", op.kind, op.id);
      return;
    }
    // A participant delete: the participant, then the requests and meetings naming it, each
    // kind in id order, as the store's cascade lists them.
    records_.erase({op.kind, op.id});
    Feed("delete", op.kind, op.id);
    for (const char* kind : {"request", "meeting"}) {
      std::vector<std::string> gone;
      for (const auto& [key, record] : records_) {
        if (key.first == kind && Mentions(record, op.id)) gone.push_back(key.second);
      }
      for (const std::string& id : gone) {
        records_.erase({kind, id});
        Feed("delete", kind, id);
      }
    }
  }

  // "kind id json" lines, ordered by kind name then id.
  std::string RenderRecords() const {
    std::string out;
    for (const auto& [key, record] : records_) {
      out += key.first + " " + key.second + " " + record.dump() + "\n";
    }
    return out;
  }
  // "seq op kind event/id" lines, seqs from 1.
  std::string RenderFeed() const {
    std::string out;
    for (size_t i = 0; i < feed_.size(); ++i) out += std::to_string(i + 1) + " " + feed_[i] + "\n";
    return out;
  }

 private:
  static bool Mentions(const nlohmann::json& record, const std::string& participant) {
    for (const char* key : {"from", "to"}) {
      if (record.contains(key) && record[key] == participant) return true;
    }
    if (record.contains("participants")) {
      for (const auto& p : record["participants"]) {
        if (p == participant) return true;
      }
    }
    return false;
  }
  void Feed(const std::string& op, const std::string& kind, const std::string& id) {
    const std::string event = kind == "event" ? id : kCrashEvent;
    feed_.push_back(op + " " + kind + " " + event + "/" + id);
  }

  std::map<std::pair<std::string, std::string>, nlohmann::json> records_;
  std::vector<std::string> feed_;
};

}  // namespace incontra::storage::test
