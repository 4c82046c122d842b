#include "server/http_server.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace incontra::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr const char* kWebSocketRoute = "/v1/ws";
// Clients only send pings and the close; anything bigger is not a client of this API.
constexpr size_t kClientMessageLimit = 4 << 10;
// How long a closing WebSocket waits for the client's close frame (and for a write stuck on a
// client that does not read) before the TCP connection is cut. Below the 2 s a SIGTERM has.
constexpr std::chrono::milliseconds kCloseDeadline{1000};

class HttpSession;
class WebSocketSession;

template <class T>
using WeakSet = std::set<std::weak_ptr<T>, std::owner_less<std::weak_ptr<T>>>;

// Open connections, so a shutdown can close the idle ones and every WebSocket.
struct Registry {
  std::mutex mutex;
  WeakSet<HttpSession> sessions;
  WeakSet<WebSocketSession> websockets;
  bool stopping = false;

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mutex);
    return stopping;
  }
};

// What every connection of one Serve call uses.
struct Shared {
  const Api& api;
  const ServerOptions& options;
  spdlog::logger& log;
  asio::thread_pool& workers;  // where requests run (ServerOptions::workers)
  Registry registry;
};

// One answered request, for its access line and its metrics sample.
struct Access {
  std::string method = "-";
  std::string route = "-";
  std::string key_id;
  int status = 0;
  Clock::time_point start;
};

// Logs and records an answered request. Only the route pattern goes out: never the target
// (ids, query), the Authorization header or a body.
void Answered(Shared& shared, const Access& a, const std::string& bytes, const std::string& peer) {
  const double seconds = std::chrono::duration<double>(Clock::now() - a.start).count();
  const std::string& route = a.route.empty() ? std::string("-") : a.route;
  shared.api.metrics().Record(route, a.method, a.status, seconds);
  shared.log.log(a.status >= 500 ? spdlog::level::err : spdlog::level::info,
                 "http {} {} {} {:.3f}ms key={} bytes={} peer={}", a.method, route, a.status,
                 seconds * 1000, a.key_id.empty() ? "-" : a.key_id, bytes, peer);
}

std::string PeerOf(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return "-";
  const std::string address = peer.address().to_string();
  return (peer.address().is_v6() ? "[" + address + "]" : address) + ":" +
         std::to_string(peer.port());
}

bool IsHttpError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

// A header the Api adds must not be able to split the response.
bool SafeHeader(const std::string& text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

http::response<http::string_body> ToBeast(HttpResponse response, unsigned version,
                                          bool keep_alive, spdlog::logger& log) {
  http::response<http::string_body> res{static_cast<http::status>(response.status), version};
  res.set(http::field::server, "incontra");
  res.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || !SafeHeader(name) || !SafeHeader(value)) {
      log.error("http dropped an unsafe response header on {}", response.route);
      continue;
    }
    res.set(name, value);
  }
  const size_t length = response.body.size();
  if (!response.head) res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  if (response.head) res.content_length(length);  // what GET would send; no body follows
  return res;
}

// A WebSocket following one subscription of the Api's hub. It lives on the strand of the HTTP
// session it was upgraded from. Pushes are queued (up to options.websocket_queue) and written
// one at a time; a read is always pending, so pings and the client's close are answered.
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(beast::tcp_stream&& stream, Shared& shared, Subscription subscription,
                   std::string peer, Clock::time_point start)
      : ws_(std::move(stream)),
        executor_(ws_.get_executor()),
        deadline_(executor_),
        shared_(shared),
        subscription_(std::move(subscription)),
        peer_(std::move(peer)),
        start_(start) {}

  ~WebSocketSession() {
    std::lock_guard<std::mutex> lock(shared_.registry.mutex);
    shared_.registry.websockets.erase(weak_from_this());
  }

  // On the strand, with the upgrade request the HTTP session read.
  void Start(const http::request<http::string_body>& req) {
    {
      std::lock_guard<std::mutex> lock(shared_.registry.mutex);
      shared_.registry.websockets.insert(weak_from_this());
      stop_requested_ = shared_.registry.stopping;
    }
    // From here the WebSocket's own timeouts apply: keep-alive pings, not the HTTP timeout.
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "incontra"); }));
    ws_.read_message_max(kClientMessageLimit);
    ws_.async_accept(req, beast::bind_front_handler(&WebSocketSession::OnAccept,
                                                    shared_from_this()));
  }

  // From any thread: a close frame going_away once the handshake is done.
  void Stop() {
    asio::post(executor_, [self = shared_from_this()] {
      self->stop_requested_ = true;
      if (self->open_) self->Close(websocket::close_code::going_away, "server shutting down");
    });
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (ec) {  // Beast has answered the bad handshake itself: 426 to a version it does not speak
      const int status = ec == websocket::error::bad_sec_version ? 426 : 400;
      Answered(shared_, {"GET", kWebSocketRoute, subscription_.key_id, status, start_}, "-", peer_);
      shared_.log.warn("ws refused event={} key={} reason=\"{}\" peer={}", subscription_.event,
                       KeyId(), ec.message(), peer_);
      return;
    }
    open_ = true;
    shared_.api.metrics().WebSocketOpened();
    Answered(shared_, {"GET", kWebSocketRoute, subscription_.key_id, 101, start_}, "-", peer_);
    shared_.log.info("ws open event={} key={} peer={}", subscription_.event, KeyId(), peer_);
    // The hub calls this under its lock from an API thread: it only hands the text over.
    subscription_id_ = shared_.api.hub().Subscribe(
        subscription_.event, subscription_.participant,
        [weak = weak_from_this(), executor = executor_](std::shared_ptr<const std::string> text) {
          asio::post(executor, [weak, text = std::move(text)]() mutable {
            auto self = weak.lock();
            if (!self) return;
            if (!text) {  // the hub dropped the subscription: its participant was erased
              self->subscription_id_ = 0;
              return self->Close(websocket::close_code::policy_error, "participant erased");
            }
            self->Queue(std::move(text));
          });
        },
        subscription_.checked_at);
    DoRead();
    if (subscription_id_ == 0) {  // erased during the handshake
      return Close(websocket::close_code::policy_error, "participant erased");
    }
    if (stop_requested_) Close(websocket::close_code::going_away, "server shutting down");
  }

  void DoRead() {
    ws_.async_read(buffer_,
                   beast::bind_front_handler(&WebSocketSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return Finish(ec);
    buffer_.consume(buffer_.size());  // what a client says is not listened to
    DoRead();
  }

  void Queue(std::shared_ptr<const std::string> text) {
    if (!open_ || closing_) return;
    if (queue_.size() >= shared_.options.websocket_queue) {
      shared_.api.metrics().PushDropped();  // counts clients closed, not messages lost
      return Close(websocket::close_code::policy_error, "too slow");
    }
    queue_.push_back(std::move(text));
    if (queue_.size() == 1) DoWrite();
  }

  void DoWrite() {
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()),
                    beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) {
      if (closing_) return;  // the close (or its deadline) ended the write
      closing_ = true;
      close_reason_ = "write failed: " + ec.message();
      Unsubscribe();
      beast::get_lowest_layer(ws_).close();  // the pending read fails and finishes the session
      return;
    }
    ++sent_;
    shared_.api.metrics().PushSent();
    queue_.pop_front();
    if (!queue_.empty() && !closing_) DoWrite();
  }

  // Sends a close frame once; the pending read sees the client's answer and finishes the
  // session. A client that does not answer, or does not read at all, is cut off at the deadline.
  void Close(websocket::close_code code, const char* reason) {
    if (closing_) return;
    closing_ = true;
    close_reason_ = reason;
    Unsubscribe();
    deadline_.expires_after(kCloseDeadline);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) beast::get_lowest_layer(self->ws_).close();
    });
    if (!ws_.is_open()) return;  // the client's own close is being answered already
    ws_.async_close(websocket::close_reason(code, reason),
                    [self = shared_from_this()](beast::error_code) {});
  }

  void Finish(beast::error_code ec) {
    if (finished_) return;
    finished_ = closing_ = true;
    deadline_.cancel();
    Unsubscribe();
    shared_.api.metrics().WebSocketClosed();
    std::string reason = close_reason_;
    if (reason.empty()) {
      reason = ec == websocket::error::closed
                   ? "closed by the client (code " + std::to_string(ws_.reason().code) + ")"
                   : ec.message();
    }
    shared_.log.info("ws close event={} key={} reason=\"{}\" sent={} peer={}",
                     subscription_.event, KeyId(), reason, sent_, peer_);
  }

  void Unsubscribe() {
    if (subscription_id_ == 0) return;
    shared_.api.hub().Unsubscribe(subscription_id_);
    subscription_id_ = 0;
  }

  const std::string& KeyId() const {
    static const std::string kNone = "-";
    return subscription_.key_id.empty() ? kNone : subscription_.key_id;
  }

  websocket::stream<beast::tcp_stream> ws_;
  const asio::any_io_executor executor_;  // the connection's strand
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  Shared& shared_;
  const Subscription subscription_;
  const std::string peer_;
  const Clock::time_point start_;
  uint64_t subscription_id_ = 0;
  std::deque<std::shared_ptr<const std::string>> queue_;  // front: being written
  uint64_t sent_ = 0;
  std::string close_reason_;
  bool stop_requested_ = false, open_ = false, closing_ = false, finished_ = false;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, Shared& shared)
      : peer_(PeerOf(socket)),
        stream_(std::move(socket)),
        executor_(stream_.get_executor()),
        shared_(shared) {}

  void Start() {
    {
      std::lock_guard<std::mutex> lock(shared_.registry.mutex);
      shared_.registry.sessions.insert(weak_from_this());
    }
    asio::dispatch(executor_, [self = shared_from_this()] { self->DoRead(); });
  }

  // On the session's strand: a connection waiting for a request is closed; one handling a
  // request finishes it and closes after answering; one upgraded to a WebSocket is no longer
  // this session's.
  void Stop() {
    asio::post(executor_, [self = shared_from_this()] {
      if (self->reading_) self->stream_.socket().close();
    });
  }

  ~HttpSession() {
    std::lock_guard<std::mutex> lock(shared_.registry.mutex);
    shared_.registry.sessions.erase(weak_from_this());
  }

 private:
  void DoRead() {
    if (shared_.registry.Stopping()) return Close();  // answered what was in flight: now close
    parser_.emplace();
    parser_->body_limit(shared_.options.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(shared_.options.header_limit));
    stream_.expires_after(shared_.options.timeout);
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    reading_ = false;
    access_ = Access();
    access_.start = Clock::now();
    // The client closed, between requests or in the middle of one: nobody to answer.
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return Close();
    if (parser_->is_header_done()) access_.method = std::string(parser_->get().method_string());
    if (ec == http::error::body_limit) {
      return ReplyError("api.too_large", "the request body exceeds the size limit");
    }
    if (ec == http::error::header_limit) {
      return ReplyError("api.header_too_large", "the request header exceeds the size limit");
    }
    if (IsHttpError(ec)) return ReplyError("api.bad_request", "a malformed HTTP request");
    if (ec) return;  // timeout, reset, or a shutdown closing an idle connection
    http::request<http::string_body> req = parser_->release();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    request.body = std::move(req.body());
    access_.method = request.method;
    if (websocket::is_upgrade(req) &&
        request.target.substr(0, request.target.find('?')) == kWebSocketRoute) {
      return Upgrade(req, request);
    }
    // The Api runs on a worker, the answer is written back on this connection's strand. The
    // tracked executor keeps the io_context running until the answer is posted to it.
    auto tracked = asio::prefer(executor_, asio::execution::outstanding_work.tracked);
    asio::post(shared_.workers, [self = shared_from_this(), tracked, request = std::move(request),
                                 version = req.version(), keep = req.keep_alive()]() mutable {
      HttpResponse response = self->shared_.api.Handle(request);
      asio::post(tracked, [self, response = std::move(response), version, keep]() mutable {
        self->access_.route = response.route;
        self->access_.key_id = response.key_id;
        self->access_.status = response.status;
        if (!response.failure.empty()) {
          self->shared_.log.error("{} {}: {}", self->access_.method, response.route,
                                  response.failure);
        }
        const bool keep_alive = keep && !self->shared_.registry.Stopping();
        self->Reply(ToBeast(std::move(response), version, keep_alive, self->shared_.log),
                    keep_alive);
      });
    });
  }

  // A refused subscription is answered like any request; an allowed one hands the connection
  // to a WebSocket session on the same strand, and this session ends with this handler.
  void Upgrade(const http::request<http::string_body>& req, const HttpRequest& request) {
    access_.route = kWebSocketRoute;
    auto subscription = shared_.api.Subscribe(request, &access_.key_id);
    if (!subscription.ok()) {
      HttpResponse response = ErrorResponse(subscription.status());
      access_.status = response.status;
      return Reply(ToBeast(std::move(response), req.version(), false, shared_.log), false);
    }
    std::make_shared<WebSocketSession>(std::move(stream_), shared_, std::move(*subscription),
                                       peer_, access_.start)
        ->Start(req);
  }

  // What Beast could not parse: an error answer, then the connection closes (what follows in
  // the buffer cannot be trusted to start a request).
  void ReplyError(const char* code, const char* message) {
    HttpResponse response = ErrorResponse(Status::InvalidArgument(code, message));
    access_.status = response.status;
    Reply(ToBeast(std::move(response), 11, false, shared_.log), false);
  }

  void Reply(http::response<http::string_body> res, bool keep_alive) {
    auto owned = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(shared_.options.timeout);
    http::async_write(stream_, *owned,
                      [self = shared_from_this(), owned, keep_alive](beast::error_code ec,
                                                                     size_t bytes) {
                        Answered(self->shared_, self->access_, std::to_string(bytes), self->peer_);
                        if (ec) return;
                        if (!keep_alive) return self->Close();
                        self->DoRead();
                      });
  }

  // Shuts the sending side, then reads and drops whatever the client still sends until it
  // closes too: closing with unread bytes would make the kernel reset the connection and
  // throw away the end of the last response.
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::milliseconds(500));  // a client that never closes
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec) self->Drain();
                            });
  }

  const std::string peer_;
  beast::tcp_stream stream_;  // moved to a WebSocketSession on an upgrade
  const asio::any_io_executor executor_;  // the connection's strand, valid after an upgrade
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Shared& shared_;
  Access access_;
  bool reading_ = false;
  std::array<char, 4096> drain_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, tcp::acceptor acceptor, Shared& shared)
      : io_(io), acceptor_(std::move(acceptor)), shared_(shared) {}

  void DoAccept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->pause_.cancel();
    });
  }

 private:
  // An accept that fails (out of file descriptors, mostly) fails again at once as long as the
  // cause lasts: retried at once, it was a hot loop that logged millions of lines. It is
  // retried after a pause, and logged when it starts failing and when it works again.
  static constexpr std::chrono::milliseconds kAcceptPause{100};

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      if (failures_++ == 0) {
        shared_.log.warn("accept failed: {}; retrying every {} ms", ec.message(),
                         kAcceptPause.count());
      }
      pause_.expires_after(kAcceptPause);
      pause_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e && self->acceptor_.is_open()) self->DoAccept();
      });
      return;
    }
    if (failures_ > 0) {
      shared_.log.info("accept works again after {} failures", failures_);
      failures_ = 0;
    }
    std::make_shared<HttpSession>(std::move(socket), shared_)->Start();
    DoAccept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  Shared& shared_;
  asio::steady_timer pause_{acceptor_.get_executor()};
  uint64_t failures_ = 0;  // accepts failed in a row
};

Result<std::shared_ptr<spdlog::logger>> MakeLog(const ServerOptions& options) {
  spdlog::sink_ptr sink;
  try {
    if (options.log_file.empty()) {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.log_file);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Status::IoError("server.log", options.log_file + ": " + e.what());
  }
  auto log = std::make_shared<spdlog::logger>("incontra", std::move(sink));
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  log->set_level(options.quiet ? spdlog::level::warn : spdlog::level::info);
  log->flush_on(spdlog::level::info);  // a request's line is written when it is answered
  return log;
}

}  // namespace

Status Serve(const Api& api, const ServerOptions& options,
             const std::function<void(uint16_t port)>& on_listening) {
  auto log = MakeLog(options);
  if (!log.ok()) return log.status();
  asio::io_context io(options.threads);
  beast::error_code ec;
  auto address = asio::ip::make_address(options.bind, ec);
  if (ec) return Status::InvalidArgument("server.listen", options.bind + ": not an IP address");
  tcp::acceptor acceptor(asio::make_strand(io));
  tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError("server.listen", options.bind + ":" + std::to_string(options.port) +
                                                ": " + ec.message());
  }
  const uint16_t port = acceptor.local_endpoint().port();
  asio::thread_pool workers(static_cast<size_t>(std::max(1, options.workers)));
  Shared shared{api, options, **log, workers, {}};
  auto listener = std::make_shared<Listener>(io, std::move(acceptor), shared);
  listener->DoAccept();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int signal) {
    listener->Stop();
    std::vector<std::shared_ptr<HttpSession>> sessions;
    std::vector<std::shared_ptr<WebSocketSession>> websockets;
    {
      std::lock_guard<std::mutex> lock(shared.registry.mutex);
      shared.registry.stopping = true;
      for (const auto& weak : shared.registry.sessions) {
        if (auto s = weak.lock()) sessions.push_back(std::move(s));
      }
      for (const auto& weak : shared.registry.websockets) {
        if (auto s = weak.lock()) websockets.push_back(std::move(s));
      }
    }
    shared.log.info("stopping on signal {}: {} connections, {} WebSockets open", signal,
                    sessions.size(), websockets.size());
    for (auto& s : sessions) s->Stop();
    for (auto& s : websockets) s->Stop();
  });
  shared.log.info("listening on {}:{}", options.bind, port);
  if (on_listening) on_listening(port);
  // The io_context returns when nothing is left: no acceptor, no connection, no signal wait.
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, options.threads); ++t) pool.emplace_back([&] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();
  workers.join();  // idle by now: every request's answer was posted back before io.run returned
  shared.log.info("stopped");
  return Status::Ok();
}

}  // namespace incontra::server
