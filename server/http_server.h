// The HTTP server: Beast HTTP/1.1 over Asio, moving requests to an Api and its responses back.
// One strand per connection, a body and header limit and a timeout on every read and write,
// keep-alive. Shutdown on SIGINT or SIGTERM drains: the acceptor closes, requests being
// handled are answered, idle connections are closed, then Serve returns.
//
// Thread-safety: Serve runs its own threads; the Api must be safe to call from them.
//
// Usage:
//   Api api(*store, {.admin_key = key});
//   Status s = Serve(api, {.port = 8080}, [](uint16_t port) { std::cout << port; });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "scoring/status.h"
#include "server/api.h"

namespace incontra::server {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port, told to on_listening
  size_t body_limit = 1 << 20;
  size_t header_limit = 16 << 10;
  std::chrono::milliseconds timeout{30'000};  // per read or write
  int threads = 2;
};

// Blocks until a signal stops the server; error code server.listen when it cannot listen.
Status Serve(const Api& api, const ServerOptions& options,
             const std::function<void(uint16_t port)>& on_listening = {});

}  // namespace incontra::server
