#include "server/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace incontra::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HttpSession;

// Open connections, so a shutdown can close the idle ones.
struct Registry {
  std::mutex mutex;
  std::set<std::weak_ptr<HttpSession>, std::owner_less<std::weak_ptr<HttpSession>>> sessions;
  bool stopping = false;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, const Api& api, const ServerOptions& options, Registry& registry)
      : stream_(std::move(socket)), api_(api), options_(options), registry_(registry) {}

  void Start() {
    {
      std::lock_guard<std::mutex> lock(registry_.mutex);
      registry_.sessions.insert(weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // On the session's strand: a connection waiting for a request is closed; one handling a
  // request finishes it and closes after answering.
  void Stop() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->reading_) self->stream_.socket().close();
    });
  }

  ~HttpSession() {
    std::lock_guard<std::mutex> lock(registry_.mutex);
    registry_.sessions.erase(weak_from_this());
  }

 private:
  void DoRead() {
    {
      std::lock_guard<std::mutex> lock(registry_.mutex);
      if (registry_.stopping) return Close();  // answered what was in flight: now close
    }
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(options_.header_limit));
    stream_.expires_after(options_.timeout);
    reading_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    reading_ = false;
    if (ec == http::error::end_of_stream) return Close();
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      return Reply(Error(413, "api.too_large", "the request exceeds the size limit"), false);
    }
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
    HttpResponse response = api_.Handle(request);
    http::response<http::string_body> res{static_cast<http::status>(response.status),
                                          req.version()};
    res.set(http::field::server, "incontra");
    res.set(http::field::content_type, response.content_type);
    res.body() = std::move(response.body);
    res.prepare_payload();
    bool stopping;
    {
      std::lock_guard<std::mutex> lock(registry_.mutex);
      stopping = registry_.stopping;
    }
    const bool keep_alive = req.keep_alive() && !stopping;
    res.keep_alive(keep_alive);
    Reply(std::move(res), keep_alive);
  }

  static http::response<http::string_body> Error(int status, const char* code,
                                                 const char* message) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = std::string(R"({"error":{"code":")") + code + R"(","message":")" + message + "\"}}";
    res.prepare_payload();
    res.keep_alive(false);
    return res;
  }

  void Reply(http::response<http::string_body> res, bool keep_alive) {
    auto owned = std::make_shared<http::response<http::string_body>>(std::move(res));
    stream_.expires_after(options_.timeout);
    http::async_write(stream_, *owned,
                      [self = shared_from_this(), owned, keep_alive](beast::error_code ec, size_t) {
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

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const Api& api_;
  const ServerOptions& options_;
  Registry& registry_;
  bool reading_ = false;
  std::array<char, 4096> drain_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, tcp::acceptor acceptor, const Api& api,
           const ServerOptions& options, Registry& registry)
      : io_(io), acceptor_(std::move(acceptor)), api_(api), options_(options), registry_(registry) {}

  void DoAccept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (!ec) std::make_shared<HttpSession>(std::move(socket), api_, options_, registry_)->Start();
    DoAccept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  const Api& api_;
  const ServerOptions& options_;
  Registry& registry_;
};

}  // namespace

Status Serve(const Api& api, const ServerOptions& options,
             const std::function<void(uint16_t port)>& on_listening) {
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
  Registry registry;
  auto listener = std::make_shared<Listener>(io, std::move(acceptor), api, options, registry);
  listener->DoAccept();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    listener->Stop();
    std::vector<std::shared_ptr<HttpSession>> open;
    {
      std::lock_guard<std::mutex> lock(registry.mutex);
      registry.stopping = true;
      for (const auto& weak : registry.sessions) {
        if (auto s = weak.lock()) open.push_back(std::move(s));
      }
    }
    for (auto& s : open) s->Stop();
  });
  if (on_listening) on_listening(port);
  // The io_context returns when nothing is left: no acceptor, no connection, no signal wait.
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, options.threads); ++t) pool.emplace_back([&] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();
  return Status::Ok();
}

}  // namespace incontra::server
