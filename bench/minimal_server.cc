// minimal_server: the smallest fair Beast HTTP/1.1 server, the yardstick bench_http.py measures
// `incontra serve` against. It answers every request with one fixed JSON body and does no other
// work, over the same transport as server/http_server.cc: an io_context run by `--threads`
// threads (2, as `incontra serve` by default), an acceptor on a strand, one strand per
// connection, a fresh request parser per request with the same body and header limits, a
// timeout on every read and write, keep-alive, a Server and a Content-Type header. What the API
// costs beyond this is its routing, auth, store reads, matching and JSON.
//
//   minimal_server [--port 0] [--bind 127.0.0.1] [--threads 2] [--body-bytes 4096]
//
// Prints "listening on PORT" on stdout once it accepts connections; stops on SIGINT or SIGTERM
// without draining (a benchmark target, not a service).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace incontra::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace po = boost::program_options;
using tcp = asio::ip::tcp;

// server/http_server.h's ServerOptions defaults.
constexpr size_t kBodyLimit = 1 << 20;
constexpr uint32_t kHeaderLimit = 16 << 10;
constexpr std::chrono::milliseconds kTimeout{30'000};

// A JSON object of exactly `bytes` bytes (at least 32), shaped like a suggestions answer.
std::string FixedBody(size_t bytes) {
  std::string head = R"({"participant":"minimal","matches":[],"pad":")";
  const std::string tail = "\"}";
  const size_t pad = bytes > head.size() + tail.size() ? bytes - head.size() - tail.size() : 0;
  return head + std::string(pad, 'x') + tail;
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const std::string& body) : stream_(std::move(socket)), body_(body) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(kTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return Close();  // end of stream, timeout, reset or a request over the limits
    const http::request<http::string_body>& req = parser_->get();
    auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, req.version());
    res->set(http::field::server, "incontra");
    res->set(http::field::content_type, "application/json");
    res->body() = body_;
    res->prepare_payload();
    const bool keep_alive = req.keep_alive();
    res->keep_alive(keep_alive);
    stream_.expires_after(kTimeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (!keep_alive) return self->Close();
                        self->DoRead();
                      });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const std::string& body_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, tcp::acceptor acceptor, const std::string& body)
      : io_(io), acceptor_(std::move(acceptor)), body_(body) {}

  void DoAccept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), body_)->Start();
    DoAccept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  const std::string& body_;
};

int Run(int argc, char** argv) {
  std::string bind = "127.0.0.1";
  int port = 0, threads = 2;
  size_t body_bytes = 4096;
  po::options_description options("minimal_server options");
  options.add_options()("help,h", "show this help")("port", po::value(&port)->default_value(0),
                                                    "TCP port; 0 picks a free one")(
      "bind", po::value(&bind)->default_value(bind), "address to listen on")(
      "threads", po::value(&threads)->default_value(2), "threads running the io_context")(
      "body-bytes", po::value(&body_bytes)->default_value(4096), "size of the fixed JSON body");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "minimal_server: " << e.what() << "\n" << options;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << options;
    return 0;
  }
  if (port < 0 || port > 65535 || threads < 1) {
    std::cerr << "minimal_server: --port 0 to 65535, --threads at least 1\n";
    return 2;
  }

  const std::string body = FixedBody(body_bytes);
  asio::io_context io(threads);
  beast::error_code ec;
  auto address = asio::ip::make_address(bind, ec);
  tcp::acceptor acceptor(asio::make_strand(io));
  tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
  if (!ec) acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "minimal_server: " << bind << ":" << port << ": " << ec.message() << "\n";
    return 1;
  }
  std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
  std::make_shared<Listener>(io, std::move(acceptor), body)->DoAccept();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { io.stop(); });
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back([&] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();
  return 0;
}

}  // namespace
}  // namespace incontra::bench

int main(int argc, char** argv) { return incontra::bench::Run(argc, argv); }
