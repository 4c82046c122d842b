// End to end over real sockets: `incontra serve --port 0` as a child process, spoken to by the
// deadline-bound client of serve_harness.h: requests, keep-alive, limits, SIGTERM drains.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/serve_harness.h"

namespace incontra::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

using e2e::Child;
using e2e::Outcome;
using e2e::Reply;
using Client = e2e::HttpClient;
using Server = e2e::ServeProcess;

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
    // HEAD: GET's status and header, Content-Length included, and no body: the GET behind it
    // on the same connection reads its own answer (HEAD was answered 405 before).
    {
      Client heads(server.port);
      REQUIRE(heads.Send("HEAD", "/v1/events/e1/participants/p1", kAdminKey) == false);
      Reply head = heads.Read(milliseconds(2000), /*head=*/true);
      CHECK(Outcome(head) == "200");
      CHECK(head.body.empty());
      std::string length, type;
      for (const auto& [name, value] : head.headers) {
        if (name == "Content-Length") length = value;
        if (name == "Content-Type") type = value;
      }
      CHECK(length == std::to_string(got.body.size()));
      CHECK(type == "application/json");
      CHECK(heads.Request("GET", "/v1/events/e1/participants/p1", kAdminKey).body == got.body);
      REQUIRE(heads.Send("HEAD", "/v1/events/e1") == false);
      CHECK(heads.Read(milliseconds(2000), /*head=*/true).status == 401);
      CHECK(heads.Request("GET", "/healthz").body == R"({"status":"ok"})");
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
// More idle connections than the server may open files: accept failed and was retried at once,
// a hot loop that wrote millions of log lines a minute (regression). It now pauses between
// tries and logs the start of the failures, then accepts again once connections close.
TEST_CASE("api over HTTP: out of file descriptors, accept pauses, logs once, then recovers") {
  ApiTempDir dir;
  const std::string err = dir / "serve.err";
  Server server(dir / "data", err, {}, /*max_open_files=*/64);
  asio::io_context io;
  std::vector<tcp::socket> idle;
  for (int k = 0; k < 100; ++k) {
    tcp::socket s(io);
    beast::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), server.port}, ec);
    REQUIRE_MESSAGE(!ec, ec.message());  // the kernel completes the handshake
    idle.push_back(std::move(s));
  }
  std::this_thread::sleep_for(milliseconds(1500));
  auto count = [&](const std::string& what) {
    std::ifstream in(err);
    const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t n = 0;
    for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
    return n;
  };
  CHECK(count("accept failed") == 1);
  CHECK(count("Too many open files") == 1);
  idle.clear();  // closed: the server's sessions end and free their descriptors
  // It gets through the backlog of closed connections first: a slow build (sanitizers) may
  // still be there when the first request comes.
  std::string health;
  for (int attempt = 0; attempt < 40 && health != "200"; ++attempt) {
    if (attempt) std::this_thread::sleep_for(milliseconds(250));
    Client client(server.port);
    health = Outcome(client.Request("GET", "/healthz"));
  }
  CHECK(health == "200");
  // The closed connections waiting in the backlog may run it out of descriptors again as they
  // come in: each run of failures is logged once, and each ended.
  CHECK(count("accept works again") >= 1);
  CHECK(count("accept failed") == count("accept works again"));
}

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
