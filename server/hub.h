// The hub: fans the API's change notices out to WebSocket subscribers. A subscriber follows
// one event, either all of it (an organiser) or what concerns one participant.
//
// Messages are JSON text {"type": ..., "event": ..., "seq": ..., "data": {...}}, serialised
// once per publish. Types: request.created, request.accepted, request.declined,
// request.cancelled, meeting.scheduled, meeting.moved, meeting.cancelled, schedule.published.
//
// Thread-safety: every method may be called from any thread. A sink is called under the hub's
// lock, so it must only queue the message (post it to its connection's strand) and return.
// A sink called with nullptr has lost its subscription (Drop): its connection should close.
//
// Usage:
//   uint64_t id = hub.Subscribe("connext", "IT0123", [w](auto text) { ...post...; });
//   hub.Publish({.event = "connext", .type = "request.created", .seq = 12, .data = r,
//                .participants = {"IT0123", "IT0456"}});
//   hub.Unsubscribe(id);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace incontra::server {

struct Push {
  std::string event;
  std::string type;
  uint64_t seq = 0;  // the store's feed sequence once the change is written
  nlohmann::json data;
  // Who it concerns; empty: everyone in the event. Organisers get everything.
  std::vector<std::string> participants;
};

class Hub {
 public:
  using Sink = std::function<void(std::shared_ptr<const std::string> text)>;

  // `participant` empty: every message of the event. Returns an id for Unsubscribe.
  // `checked_at`: drops() taken before the caller checked that the participant exists; when it
  // was dropped since, nothing is subscribed and 0 is returned (a WebSocket handshake takes a
  // while, and an erasure may fall in it).
  uint64_t Subscribe(std::string event, std::string participant, Sink sink,
                     std::optional<uint64_t> checked_at = std::nullopt);
  void Unsubscribe(uint64_t id);
  // Ends every subscription that follows this participant of this event (an erased
  // participant's): each sink is called once with nullptr, then forgotten.
  void Drop(const std::string& event, const std::string& participant);
  // How many Drop calls there have been.
  uint64_t drops() const;
  void Publish(const Push& push);
  size_t subscribers() const;

 private:
  struct Subscriber {
    std::string event, participant;
    Sink sink;
  };
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Subscriber> subscribers_;
  uint64_t drops_ = 0;
  // (event, participant) -> drops_ after its last Drop. One entry per participant ever erased.
  std::map<std::pair<std::string, std::string>, uint64_t> dropped_at_;
};

}  // namespace incontra::server
