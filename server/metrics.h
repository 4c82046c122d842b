// Server metrics in the Prometheus text format (GET /metrics): requests by route, method and
// status, a latency histogram per route, open WebSocket connections, pushes sent and matchers
// built (one per event after each change that suggestions then need).
//
// Routes are patterns ("/v1/events/{event}/participants/{id}"), never raw paths, so the
// number of series stays bounded whatever clients send.
//
// Thread-safety: every method may be called from any thread.
//
// Usage:
//   metrics.Record("/v1/events/{event}", "GET", 200, 0.0012);
//   std::string text = metrics.Render();
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace incontra::server {

class Metrics {
 public:
  void Record(const std::string& route, const std::string& method, int status, double seconds);
  void WebSocketOpened() { ++websockets_; }
  void WebSocketClosed() { --websockets_; }
  void PushSent() { ++pushes_; }
  void PushDropped() { ++pushes_dropped_; }
  void MatcherBuilt() { ++matcher_builds_; }
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  struct Latency {
    std::array<uint64_t, kBuckets.size()> counts{};  // cumulative at render time
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Latency> latency_;
  std::atomic<int64_t> websockets_{0};
  std::atomic<uint64_t> pushes_{0}, pushes_dropped_{0}, matcher_builds_{0};
};

}  // namespace incontra::server
