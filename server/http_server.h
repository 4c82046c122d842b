// The HTTP server: Beast HTTP/1.1 and WebSocket over Asio on one port, moving requests to an
// Api and its responses back. One strand per connection, a body and header limit and a timeout
// on every HTTP read and write, keep-alive.
//
// `GET /v1/ws?event=E[&participant=P]` with an Upgrade header becomes a WebSocket once
// Api::Subscribe allows it: the session follows the Api's hub and sends each push as a text
// message. Its send queue is bounded (a client that does not read is closed with policy_error
// "too slow"); what the client sends is only read for pings and the close (4 KiB at most);
// keep-alive pings instead of the HTTP timeout keep an idle one open.
//
// Every answered request is logged (method, route pattern, status, latency, key id, bytes out,
// peer; never the key, path ids or bodies) and recorded in Api::metrics().
//
// Shutdown on SIGINT or SIGTERM drains: the acceptor closes, requests being handled are
// answered, idle connections are closed, WebSockets get a close frame (going_away), then Serve
// returns.
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
  std::chrono::milliseconds timeout{30'000};  // per HTTP read or write
  int threads = 2;                            // I/O threads: connections, reads and writes
  // Threads that run requests through the Api, apart from the I/O threads: a long request (a
  // schedule run, a matcher build) holds a worker, never the connections of everyone else.
  int workers = 4;
  size_t websocket_queue = 256;  // pushes waiting to be sent; one more closes the WebSocket
  std::string log_file;          // the access and error log; empty: stderr
  bool quiet = false;            // log only warnings and errors, not every request
};

// Blocks until a signal stops the server. Errors: server.listen when it cannot listen,
// server.log when the log file cannot be opened.
Status Serve(const Api& api, const ServerOptions& options,
             const std::function<void(uint16_t port)>& on_listening = {});

}  // namespace incontra::server
