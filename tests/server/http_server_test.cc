// End to end over real sockets: `incontra serve --port 0` as a child process (the admin key in
// its environment, its stdout through a pipe), spoken to by a small synchronous-looking Beast
// client whose every read and write has a deadline, so a hung server fails the test instead of
// hanging it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/api_harness.h"

#ifndef INCONTRA_BIN
#error "INCONTRA_BIN must name the incontra binary"
#endif

extern char** environ;

namespace incontra::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kAdminKey = "e2e-admin-secret-0123456789";

// `incontra ARGS...` as a child process: stdout through a pipe, stderr to a file. The child is
// killed (SIGKILL, by its pid) and reaped if a test leaves it running.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::vector<std::string>& env,
        const std::string& stderr_path) {
    std::vector<std::string> argv_text = {INCONTRA_BIN};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text = env;
    for (char** e = environ; *e; ++e) {
      if (std::strncmp(*e, "INCONTRA_", 9) != 0) env_text.emplace_back(*e);
    }
    // Everything execve needs is built before fork: the child only calls async-signal-safe
    // functions.
    std::vector<char*> argv, envp;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    const int err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(err_fd >= 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(err_fd, STDERR_FILENO);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(fds[1]);
    close(err_fd);
    out_fd_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0 && !exit_status_) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next line of its stdout, without the newline; nullopt at the end or after `timeout`.
  std::optional<std::string> ReadLine(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      if (auto nl = out_.find('\n'); nl != std::string::npos) {
        std::string line = out_.substr(0, nl);
        out_.erase(0, nl + 1);
        return line;
      }
      if (!Fill(deadline)) return std::nullopt;
    }
  }

  // Everything it still writes until it closes stdout, or until `timeout`.
  std::string ReadRest(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Fill(deadline)) {
    }
    return std::exchange(out_, "");
  }

  // Its exit code (or 128 + signal), or nullopt if it still runs after `timeout`.
  std::optional<int> Wait(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exit_status_) {
      int status = 0;
      pid_t done = waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return exit_status_;
  }

  void Signal(int signal) { REQUIRE(kill(pid_, signal) == 0); }

 private:
  // Reads what is there; false at the end of the stream or the deadline.
  bool Fill(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buffer[4096];
    const ssize_t n = read(out_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;
    out_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string out_;
  std::optional<int> exit_status_;
};

struct Reply {
  int status = 0;  // 0: no response (the error says why)
  std::string body;
  bool keep_alive = false;
  std::string error;
};

// One connection. Each operation runs the io_context until it completes or its deadline closes
// the stream.
class Client {
 public:
  // `receive_buffer`: SO_RCVBUF in bytes, 0 for the system's; a small one makes the server's
  // writes of a big response wait for this client to read.
  explicit Client(uint16_t port, int receive_buffer = 0) : stream_(io_) {
    if (receive_buffer > 0) {
      stream_.socket().open(tcp::v4());
      stream_.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [this](beast::error_code ec) { ec_ = ec; });
    Run();
    REQUIRE_MESSAGE(!ec_, "connect: " << ec_.message());
  }

  Reply Request(const std::string& method, const std::string& target, const std::string& key = "",
                const std::string& body = "", bool keep_alive = true) {
    if (Send(method, target, key, body, keep_alive))
      return {0, "", false, "write: " + ec_.message()};
    return Read();
  }

  // Writes a request without reading its response; true on an error.
  bool Send(const std::string& method, const std::string& target, const std::string& key = "",
            const std::string& body = "", bool keep_alive = true) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    if (!key.empty()) req.set(http::field::authorization, "Bearer " + key);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(2));
    http::async_write(stream_, req, [this](beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return static_cast<bool>(ec_);
  }

  // Bytes as they are, for requests a well-behaved client would not send.
  std::string SendRaw(const std::string& bytes) {
    stream_.expires_after(std::chrono::seconds(2));
    asio::async_write(stream_, asio::buffer(bytes),
                      [this](beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return ec_ ? ec_.message() : "";
  }

  // The next response, or the rest of the one whose header ReadHeader read.
  Reply Read(milliseconds timeout = milliseconds(2000)) {
    if (!parser_) {
      parser_.emplace();
      parser_->body_limit(8 << 20);
    }
    stream_.expires_after(timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [this](beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    auto res = parser_->release();
    parser_.reset();
    if (ec_) return {0, "", false, "read: " + ec_.message()};
    return {static_cast<int>(res.result_int()), res.body(), res.keep_alive(), ""};
  }

  // Reads only the header of the next response (its body stays unread); false on an error.
  bool ReadHeader(milliseconds timeout) {
    parser_.emplace();
    parser_->body_limit(8 << 20);
    stream_.expires_after(timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [this](beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return !ec_;
  }

  // True when the server closes the connection within `timeout` (end of stream or reset).
  bool ClosedByServer(milliseconds timeout) {
    stream_.expires_after(timeout);
    char byte;
    stream_.async_read_some(asio::buffer(&byte, 1),
                            [this](beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return ec_ == asio::error::eof || ec_ == asio::error::connection_reset;
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  beast::error_code ec_;
};

// `incontra serve` on a free port over `data`, up and listening when constructed.
struct Server {
  Child child;
  uint16_t port = 0;

  Server(const std::string& data, const std::string& stderr_path)
      : child({"serve", "--data", data, "--port", "0"},
              {std::string("INCONTRA_ADMIN_KEY=") + kAdminKey}, stderr_path) {
    auto line = child.ReadLine(milliseconds(3000));
    REQUIRE_MESSAGE(line.has_value(), "no 'listening' line from incontra serve");
    const std::string prefix = "incontra: listening on http://127.0.0.1:";
    REQUIRE_MESSAGE(line->rfind(prefix, 0) == 0, *line);
    port = static_cast<uint16_t>(std::stoi(line->substr(prefix.size())));
    REQUIRE(port != 0);
  }
};

std::string Outcome(const Reply& r) {
  if (r.status == 0) return "no response (" + r.error + ")";
  std::string out = std::to_string(r.status);
  if (r.status >= 400) out += " " + ErrorCode(r.body);
  return out;
}

TEST_CASE("api over HTTP: requests, keep-alive, limits, then SIGTERM drains and the data stays") {
  ApiTempDir dir;
  const std::string data = dir / "data";
  {
    Server server(data, dir / "serve.err");
    Client client(server.port);

    Reply health = client.Request("GET", "/healthz");
    CHECK(health.status == 200);
    CHECK(json::parse(health.body) == json{{"status", "ok"}});
    CHECK(health.keep_alive);

    // Keep-alive: the following requests ride the same connection.
    CHECK(Outcome(client.Request("POST", "/v1/events", kAdminKey,
                                 R"({"id": "e1", "name": "Connext"})")) == "201");
    Reply put = client.Request("PUT", "/v1/events/e1/participants/p1", kAdminKey,
                               R"({"kind": "company", "name": "Quagliata Srl"})");
    CHECK(Outcome(put) == "200");
    CHECK(put.keep_alive);
    Reply got = client.Request("GET", "/v1/events/e1/participants/p1", kAdminKey);
    CHECK(got.body == R"({"id":"p1","kind":"company","name":"Quagliata Srl"})");
    CHECK(Outcome(client.Request("GET", "/v1/events/e1", "")) == "401 api.unauthorized");
    CHECK(Outcome(client.Request("GET", "/v1/events/e1", "not-the-admin-key-at-all")) ==
          "401 api.unauthorized");
    CHECK(Outcome(client.Request("GET", "/v1/events/e1/participants/ghost", kAdminKey)) ==
          "404 storage.not_found");
    // A client asking to close gets its answer, then the server closes.
    {
      Client once(server.port);
      Reply r = once.Request("GET", "/healthz", "", "", /*keep_alive=*/false);
      CHECK(r.status == 200);
      CHECK(!r.keep_alive);
      CHECK(once.ClosedByServer(milliseconds(1000)));
    }
    // Two requests in one write (pipelining): two answers, in order.
    {
      Client piped(server.port);
      CHECK(piped.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /v1/events/e1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          std::string(kAdminKey) + "\r\n\r\n") == "");
      CHECK(piped.Read().body == R"({"status":"ok"})");
      CHECK(piped.Read().body == R"({"id":"e1","name":"Connext"})");
    }

    // A body over the 1 MB limit: refused from its Content-Length, before it is sent. (Sending
    // all 2 MB would race the server's close against the client's write.)
    {
      Client big(server.port);
      CHECK(big.SendRaw("PUT /v1/events/e1/participants/p2 HTTP/1.1\r\nHost: x\r\n"
                        "Authorization: Bearer " +
                        std::string(kAdminKey) +
                        "\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(2 << 20) + "\r\n\r\n") == "");
      Reply r = big.Read();
      CHECK(Outcome(r) == "413 api.too_large");
      CHECK(!r.keep_alive);
    }
    // The same with the body really sent, by a writer of its own: still 413 (or, if the
    // server's close overtakes the response, no response but never a stored record).
    {
      Client big(server.port);
      std::string request =
          "PUT /v1/events/e1/participants/p3 HTTP/1.1\r\nHost: x\r\n"
          "Authorization: Bearer " +
          std::string(kAdminKey) + "\r\nContent-Length: " + std::to_string(2 << 20) + "\r\n\r\n" +
          R"({"kind": "pa", "name": ")" + std::string((2 << 20) - 26, 'a') + R"("})";
      REQUIRE(request.size() - request.find("\r\n\r\n") - 4 == size_t{2} << 20);
      big.SendRaw(request);  // may fail once the server has closed: that is fine
      Reply r = big.Read();
      CHECK_MESSAGE((r.status == 413 || r.status == 0), Outcome(r));
    }
    // A header over 16 KB.
    {
      Client big(server.port);
      CHECK(big.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " +
                        std::string(17 << 10, 'a') + "\r\n\r\n") == "");
      Reply r = big.Read();
      CHECK_MESSAGE((r.status >= 400 && r.status < 500), Outcome(r));
    }
    // The refused requests did not take the server down or the first connection with them.
    CHECK(Outcome(client.Request("GET", "/v1/events/e1/participants/p2", kAdminKey)) ==
          "404 storage.not_found");
    CHECK(Outcome(client.Request("GET", "/v1/events/e1/participants/p3", kAdminKey)) ==
          "404 storage.not_found");

    // SIGTERM with `client` idle between requests: the connection is closed, the process
    // stops within 2 s with exit code 0 and says so.
    const auto sent = Clock::now();
    server.child.Signal(SIGTERM);
    CHECK(client.ClosedByServer(milliseconds(2000)));
    const std::optional<int> code = server.child.Wait(milliseconds(2000));
    CHECK_MESSAGE(code.has_value(), "still running 2 s after SIGTERM");
    CHECK(code.value_or(-1) == 0);
    CHECK(Clock::now() - sent < std::chrono::seconds(2));
    CHECK(server.child.ReadRest(milliseconds(1000)).find("incontra: stopped") != std::string::npos);
  }
  // The database was closed cleanly: a fresh process opens it and finds the participant.
  Child exported({"export", "--event", "e1", "--kind", "participant", "--data", data}, {},
                 dir / "export.err");
  const std::string out = exported.ReadRest(milliseconds(3000));
  CHECK(exported.Wait(milliseconds(3000)) == std::optional<int>(0));
  CHECK(out == "{\"id\":\"p1\",\"kind\":\"company\",\"name\":\"Quagliata Srl\"}\n");
}

// A request target is bytes from the network: one that is not UTF-8 must get an answer, and
// must not take the server down for everybody else.
TEST_CASE("api over HTTP: a target that is not UTF-8 is answered and the server stays up") {
  ApiTempDir dir;
  Server server(dir / "data", dir / "serve.err");
  {
    Client client(server.port);
    CHECK(client.SendRaw("GET /v1/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n") == "");
    Reply r = client.Read();
    CHECK_MESSAGE((r.status == 0 || (r.status >= 400 && r.status < 500)), Outcome(r));
  }
  Client again(server.port);
  CHECK(Outcome(again.Request("GET", "/healthz")) == "200");
  CHECK(!server.child.Wait(milliseconds(0)).has_value());
}

// Shutdown drains: a connection whose response is still being written when SIGTERM comes gets
// that response, and is then closed like an idle one, not kept alive until its timeout.
TEST_CASE("api over HTTP: SIGTERM while a big response is being written closes after it") {
  ApiTempDir dir;
  {
    // 10,000 participants with long ids: the feed of the event is a response of about 1.8 MB.
    std::string lines;
    for (int i = 0; i < 10000; ++i) {
      lines += R"({"id": "p)" + std::to_string(100000 + i) + std::string(120, 'x') +
               R"(", "kind": "company"})"
               "\n";
    }
    const std::string file = dir / "participants.jsonl";
    FILE* out = std::fopen(file.c_str(), "w");
    REQUIRE(out);
    REQUIRE(std::fwrite(lines.data(), 1, lines.size(), out) == lines.size());
    REQUIRE(std::fclose(out) == 0);
    Child import({"import", file, "--event", "e1", "--data", dir / "data"}, {}, dir / "import.err");
    import.ReadRest(milliseconds(5000));
    REQUIRE(import.Wait(milliseconds(5000)) == std::optional<int>(0));
  }
  Server server(dir / "data", dir / "serve.err");
  // A small receive buffer and two big responses unread: the second one cannot be written
  // until this client reads, so it is in flight when the signal comes. The first one's header
  // tells how long the server takes to render the feed (seconds in a sanitizer build); the
  // signal waits twice that after the second request.
  Client client(server.port, /*receive_buffer=*/4096);
  const std::string feed = "/v1/events/e1/changes?limit=10000";
  const auto asked = Clock::now();
  REQUIRE(!client.Send("GET", feed, kAdminKey));
  REQUIRE(client.ReadHeader(milliseconds(10000)));
  const auto render = Clock::now() - asked;
  REQUIRE(!client.Send("GET", feed, kAdminKey));
  std::this_thread::sleep_for(2 * render + milliseconds(150));
  const auto sent = Clock::now();
  server.child.Signal(SIGTERM);
  std::this_thread::sleep_for(milliseconds(100));
  Reply first = client.Read(milliseconds(10000));
  Reply second = client.Read(milliseconds(10000));
  CHECK_MESSAGE(first.status == 200, Outcome(first));
  CHECK_MESSAGE(second.status == 200, Outcome(second));
  CHECK(second.body.size() > (1 << 20));
  CHECK_MESSAGE(client.ClosedByServer(milliseconds(500)),
                "the connection stays open after SIGTERM: the response in flight was sent "
                "keep-alive and the session went back to reading");
  CHECK_MESSAGE(server.child.Wait(milliseconds(2000)).has_value(),
                "still running 2 s after SIGTERM");
  CHECK(Clock::now() - sent < std::chrono::seconds(2));
}

}  // namespace
}  // namespace incontra::server
