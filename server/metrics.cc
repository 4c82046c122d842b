#include "server/metrics.h"

#include <cstdio>

namespace incontra::server {
namespace {

// Label values are route patterns and method names, but escape anyway: a label must not break
// the exposition format.
std::string Label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

}  // namespace

void Metrics::Record(const std::string& route, const std::string& method, int status,
                     double seconds) {
  // Any token is a method to HTTP: only the known ones get a series of their own.
  static const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  std::string name = "OTHER";
  for (const char* m : kMethods) {
    if (method == m) name = m;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, name, status}];
  Latency& l = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++l.counts[i];
      break;
    }
  }
  ++l.count;
  l.sum += seconds;
}

std::string Metrics::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  out += "# HELP incontra_http_requests_total HTTP requests answered, by route, method and status.\n";
  out += "# TYPE incontra_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out += "incontra_http_requests_total{route=\"" + Label(route) + "\",method=\"" +
           Label(method) + "\",status=\"" + std::to_string(status) + "\"} " +
           std::to_string(count) + "\n";
  }
  out += "# HELP incontra_http_request_duration_seconds Time from a request read to its answer.\n";
  out += "# TYPE incontra_http_request_duration_seconds histogram\n";
  for (const auto& [route, l] : latency_) {
    uint64_t cumulative = 0;
    const std::string name = "incontra_http_request_duration_seconds";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += l.counts[i];
      out += name + "_bucket{route=\"" + Label(route) + "\",le=\"" + Number(kBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket{route=\"" + Label(route) + "\",le=\"+Inf\"} " + std::to_string(l.count) + "\n";
    out += name + "_sum{route=\"" + Label(route) + "\"} " + Number(l.sum) + "\n";
    out += name + "_count{route=\"" + Label(route) + "\"} " + std::to_string(l.count) + "\n";
  }
  out += "# HELP incontra_websocket_connections Open WebSocket connections.\n";
  out += "# TYPE incontra_websocket_connections gauge\n";
  out += "incontra_websocket_connections " + std::to_string(websockets_.load()) + "\n";
  out += "# HELP incontra_websocket_pushes_total Messages queued to WebSocket clients.\n";
  out += "# TYPE incontra_websocket_pushes_total counter\n";
  out += "incontra_websocket_pushes_total " + std::to_string(pushes_.load()) + "\n";
  out += "# HELP incontra_websocket_pushes_dropped_total Clients closed for a full send queue.\n";
  out += "# TYPE incontra_websocket_pushes_dropped_total counter\n";
  out += "incontra_websocket_pushes_dropped_total " + std::to_string(pushes_dropped_.load()) + "\n";
  out += "# HELP incontra_matcher_builds_total Matchers built from an event's profiles.\n";
  out += "# TYPE incontra_matcher_builds_total counter\n";
  out += "incontra_matcher_builds_total " + std::to_string(matcher_builds_.load()) + "\n";
  return out;
}

}  // namespace incontra::server
