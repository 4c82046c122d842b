#include "server/hub.h"

#include <algorithm>

namespace incontra::server {

uint64_t Hub::Subscribe(std::string event, std::string participant, Sink sink,
                        std::optional<uint64_t> checked_at) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (checked_at && !participant.empty()) {
    auto it = dropped_at_.find({event, participant});
    if (it != dropped_at_.end() && it->second > *checked_at) return 0;
  }
  const uint64_t id = next_id_++;
  subscribers_.emplace(id, Subscriber{std::move(event), std::move(participant), std::move(sink)});
  return id;
}

void Hub::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  subscribers_.erase(id);
}

void Hub::Drop(const std::string& event, const std::string& participant) {
  std::lock_guard<std::mutex> lock(mutex_);
  dropped_at_[{event, participant}] = ++drops_;
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    if (it->second.event == event && it->second.participant == participant) {
      it->second.sink(nullptr);
      it = subscribers_.erase(it);
    } else {
      ++it;
    }
  }
}

void Hub::Publish(const Push& push) {
  const nlohmann::json message = {
      {"type", push.type}, {"event", push.event}, {"seq", push.seq}, {"data", push.data}};
  auto text = std::make_shared<const std::string>(
      message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [id, s] : subscribers_) {
    if (s.event != push.event) continue;
    if (!s.participant.empty() && !push.participants.empty() &&
        std::find(push.participants.begin(), push.participants.end(), s.participant) ==
            push.participants.end()) {
      continue;
    }
    s.sink(text);
  }
}

uint64_t Hub::drops() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return drops_;
}

size_t Hub::subscribers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscribers_.size();
}

}  // namespace incontra::server
