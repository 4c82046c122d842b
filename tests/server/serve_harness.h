// End-to-end helpers for the server tests: `incontra serve --port 0` as a child process (the
// admin key in its environment, stdout through a pipe, stderr to a file) and a small Beast HTTP
// client whose every read and write has a deadline, so a hung server fails a test instead of
// hanging it.
//
// Thread-safety: none; one test thread uses each object.
//
// Usage:
//   e2e::ServeProcess server(dir / "data", dir / "serve.err");
//   e2e::HttpClient client(server.port);
//   CHECK(e2e::Outcome(client.Request("GET", "/healthz")) == "200");
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/server/api_harness.h"

#ifndef INCONTRA_BIN
#error "INCONTRA_BIN must name the incontra binary"
#endif

extern char** environ;

namespace incontra::server::e2e {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// `incontra ARGS...` as a child process: stdout through a pipe, stderr to a file. The child is
// killed (SIGKILL, by its pid) and reaped if a test leaves it running.
class Child {
 public:
  // `max_open_files` > 0: the child's limit on open file descriptors (RLIMIT_NOFILE).
  Child(const std::vector<std::string>& args, const std::vector<std::string>& env,
        const std::string& stderr_path, int max_open_files = 0) {
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
      if (max_open_files > 0) {
        const rlimit limit{static_cast<rlim_t>(max_open_files), static_cast<rlim_t>(max_open_files)};
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
      }
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
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, in order
};

// "201", or "403 api.forbidden" for an error, or "no response (why)".
inline std::string Outcome(const Reply& r) {
  if (r.status == 0) return "no response (" + r.error + ")";
  std::string out = std::to_string(r.status);
  if (r.status >= 400) out += " " + ErrorCode(r.body);
  return out;
}

// One HTTP connection. Each operation runs the io_context until it completes or its deadline
// closes the stream.
class HttpClient {
 public:
  // `receive_buffer`: SO_RCVBUF in bytes, 0 for the system's; a small one makes the server's
  // writes of a big response wait for this client to read.
  explicit HttpClient(uint16_t port, int receive_buffer = 0) : stream_(io_) {
    if (receive_buffer > 0) {
      stream_.socket().open(boost::asio::ip::tcp::v4());
      stream_.socket().set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
    }
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port),
        [this](boost::beast::error_code ec) { ec_ = ec; });
    Run();
    REQUIRE_MESSAGE(!ec_, "connect: " << ec_.message());
  }

  Reply Request(const std::string& method, const std::string& target, const std::string& key = "",
                const std::string& body = "", bool keep_alive = true) {
    if (Send(method, target, key, body, keep_alive)) return {0, "", false, "write: " + ec_.message(), {}};
    return Read();
  }

  // Writes a request without reading its response; true on an error.
  bool Send(const std::string& method, const std::string& target, const std::string& key = "",
            const std::string& body = "", bool keep_alive = true) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    if (!key.empty()) req.set(http::field::authorization, "Bearer " + key);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(2));
    http::async_write(stream_, req, [this](boost::beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return static_cast<bool>(ec_);
  }

  // Bytes as they are, for requests a well-behaved client would not send; "" or the error.
  std::string SendRaw(const std::string& bytes) {
    stream_.expires_after(std::chrono::seconds(2));
    boost::asio::async_write(stream_, boost::asio::buffer(bytes),
                             [this](boost::beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return ec_ ? ec_.message() : "";
  }

  // The next response, or the rest of the one whose header ReadHeader read. `head`: the
  // answer to a HEAD, a header whose Content-Length no body follows.
  Reply Read(milliseconds timeout = milliseconds(2000), bool head = false) {
    namespace http = boost::beast::http;
    if (!parser_) {
      parser_.emplace();
      parser_->body_limit(8 << 20);
      parser_->skip(head);  // before anything is read, as Beast requires
    }
    stream_.expires_after(timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [this](boost::beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    auto res = parser_->release();
    parser_.reset();
    if (ec_) return {0, "", false, "read: " + ec_.message(), {}};
    Reply reply{static_cast<int>(res.result_int()), res.body(), res.keep_alive(), "", {}};
    for (const auto& field : res) {
      reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return reply;
  }

  // Reads only the header of the next response (its body stays unread); false on an error.
  bool ReadHeader(milliseconds timeout) {
    namespace http = boost::beast::http;
    parser_.emplace();
    parser_->body_limit(8 << 20);
    stream_.expires_after(timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [this](boost::beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return !ec_;
  }

  // True when the server closes the connection within `timeout` (end of stream or reset).
  bool ClosedByServer(milliseconds timeout) {
    stream_.expires_after(timeout);
    char byte;
    stream_.async_read_some(boost::asio::buffer(&byte, 1),
                            [this](boost::beast::error_code ec, size_t) { ec_ = ec; });
    Run();
    return ec_ == boost::asio::error::eof || ec_ == boost::asio::error::connection_reset;
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  boost::beast::error_code ec_;
};

// `incontra serve` on a free port over `data` with kAdminKey (api_harness.h), up and listening
// when constructed. `extra` goes after the other arguments (--log-file, --quiet).
struct ServeProcess {
  Child child;
  uint16_t port = 0;

  ServeProcess(const std::string& data, const std::string& stderr_path,
               const std::vector<std::string>& extra = {}, int max_open_files = 0)
      : child(Args(data, extra), {std::string("INCONTRA_ADMIN_KEY=") + kAdminKey}, stderr_path,
              max_open_files) {
    auto line = child.ReadLine(milliseconds(3000));
    REQUIRE_MESSAGE(line.has_value(), "no 'listening' line from incontra serve");
    const std::string prefix = "incontra: listening on http://127.0.0.1:";
    REQUIRE_MESSAGE(line->rfind(prefix, 0) == 0, *line);
    port = static_cast<uint16_t>(std::stoi(line->substr(prefix.size())));
    REQUIRE(port != 0);
  }

 private:
  static std::vector<std::string> Args(const std::string& data,
                                       const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"serve", "--data", data, "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

}  // namespace incontra::server::e2e
