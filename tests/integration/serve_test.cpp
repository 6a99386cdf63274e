// `peerkit serve` in-process on 127.0.0.1: both WebSocket protocols and the HTTP routes over
// real sockets, including every PeerJS error text and the rooms errors a socket can cause.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>

#include "apps/peerkit/cli.h"
#include "server/serve_node.h"
#include "support/turn_test_client.h"
#include "ws_client.h"

namespace peerkit {
namespace {

using testing::http_request;
using testing::WsClient;
namespace json = boost::json;
namespace http = boost::beast::http;

class ServeTest : public ::testing::Test {
 protected:
  void start(server::ServeConfig config = {}) {
    spdlog::set_level(spdlog::level::warn);
    config.port = 0;
    service = std::make_unique<server::ServeNode>(config);
    ASSERT_EQ(service->start(), "");
    port = service->port();
  }
  static server::ServeConfig no_turn() {
    server::ServeConfig c;
    c.turn = false;
    return c;
  }
  std::unique_ptr<WsClient> peer(const std::string& id, const std::string& token = "tok",
                                 const std::string& path = "/peerjs") {
    auto c = std::make_unique<WsClient>();
    EXPECT_TRUE(
        c->connect(port, path + "?key=peerjs&id=" + id + "&token=" + token + "&version=1.5.5"))
        << c->error();
    return c;
  }
  std::unique_ptr<WsClient> member() {
    auto c = std::make_unique<WsClient>();
    EXPECT_TRUE(c->connect(port, "/ws")) << c->error();
    return c;
  }
  void TearDown() override {
    if (service) service->stop();
  }

  std::unique_ptr<server::ServeNode> service;
  std::uint16_t port = 0;
};

constexpr auto kOpen = R"({"type":"OPEN"})";

TEST_F(ServeTest, PeerJsHttpApi) {
  start(no_turn());
  auto id = http_request(port, http::verb::get, "/peerjs/id?ts=123&version=1.5.5",
                         {{http::field::origin, "http://app.test"}});
  EXPECT_EQ(id.result_int(), 200u);
  EXPECT_EQ(id[http::field::content_type], "text/html; charset=utf-8");
  EXPECT_TRUE(std::regex_match(id.body(), std::regex("[0-9a-f-]{36}")));
  EXPECT_EQ(id[http::field::access_control_allow_origin], "http://app.test");
  auto peers = http_request(port, http::verb::get, "/anykey/peers");
  EXPECT_EQ(peers.result_int(), 401u);
  EXPECT_EQ(peers.body(), "Unauthorized");
  auto banner = http_request(port, http::verb::get, "/");
  EXPECT_EQ(json::parse(banner.body()).as_object().at("name"), "PeerJS Server");
  auto preflight = http_request(port, http::verb::options, "/peerjs/id",
                                {{http::field::origin, "http://app.test"},
                                 {http::field::access_control_request_headers, "x-a"}});
  EXPECT_EQ(preflight.result_int(), 204u);
  EXPECT_EQ(preflight[http::field::access_control_allow_headers], "x-a");
  EXPECT_EQ(http_request(port, http::verb::get, "/nothing/here/at/all").result_int(), 404u);
  EXPECT_EQ(http_request(port, http::verb::get, "/healthz").body(), "ok\n");
  auto app = http_request(port, http::verb::get, "/", {{http::field::accept, "text/html"}});
  EXPECT_NE(app.body().find("<!doctype html>"), std::string::npos);
  EXPECT_NE(app["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
}

TEST_F(ServeTest, DiscoveryAndCorsAllowList) {
  auto c = no_turn();
  c.peerjs.allow_discovery = true;
  c.cors_origins = {"http://good.test"};
  start(c);
  auto alice = peer("alice");
  EXPECT_EQ(alice->next(), kOpen);
  auto peers = http_request(port, http::verb::get, "/peerjs/peers",
                            {{http::field::origin, "http://evil.test"}});
  EXPECT_EQ(peers.body(), R"(["alice"])");
  EXPECT_EQ(peers.count(http::field::access_control_allow_origin), 0u);
  auto good = http_request(port, http::verb::get, "/peerjs/peers",
                           {{http::field::origin, "http://good.test"}});
  EXPECT_EQ(good[http::field::access_control_allow_origin], "http://good.test");
}

TEST_F(ServeTest, PeerJsErrorTextsOnTheSocket) {
  auto c = no_turn();
  c.peerjs.concurrent_limit = 1;
  start(c);
  WsClient missing;
  ASSERT_TRUE(missing.connect(port, "/peerjs?key=peerjs&id=&token=t"));
  EXPECT_EQ(
      missing.next(),
      R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})");
  EXPECT_NE(missing.wait_closed(), -1);
  WsClient badkey;
  ASSERT_TRUE(badkey.connect(port, "/peerjs?key=nope&id=a&token=t"));
  EXPECT_EQ(badkey.next(), R"({"type":"ERROR","payload":{"msg":"Invalid key provided"}})");
  auto alice = peer("alice", "t1");
  EXPECT_EQ(alice->next(), kOpen);
  auto thief = peer("alice", "t2");
  EXPECT_EQ(thief->next(), R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");
  EXPECT_NE(thief->wait_closed(), -1);
  auto bob = peer("bob");
  EXPECT_EQ(bob->next(),
            R"({"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}})");
  WsClient wrong_path;
  EXPECT_FALSE(wrong_path.connect(port, "/elsewhere?key=peerjs&id=x&token=t"));
  EXPECT_EQ(wrong_path.status(), 400u);
}

TEST_F(ServeTest, PeerJsRelayQueueAndExpire) {
  auto c = no_turn();
  c.peerjs.expire_timeout = Duration::millis(600);
  start(c);
  auto alice = peer("alice");
  ASSERT_EQ(alice->next(), kOpen);
  // Queued for an id that is not connected yet, replayed after its OPEN.
  alice->send(
      R"({"type":"OFFER","payload":{"sdp":"x","connectionId":"dc_1"},"dst":"bob","src":"bob"})");
  alice->send("{broken");  // ignored; later frames still relayed
  alice->send(R"({"type":"CANDIDATE","payload":{"candidate":"c"},"dst":"bob","junk":true})");
  // A frame after the offline ones proves they were processed before bob connects.
  alice->send(R"({"type":"OFFER","payload":{},"dst":"carol"})");
  auto bob = peer("bob");
  EXPECT_EQ(bob->next(), kOpen);
  EXPECT_EQ(
      bob->next(),
      R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"sdp":"x","connectionId":"dc_1"}})");
  EXPECT_EQ(bob->next(),
            R"({"type":"CANDIDATE","src":"alice","dst":"bob","payload":{"candidate":"c"}})");
  bob->send(R"({"type":"ANSWER","payload":{"sdp":"y"},"dst":"alice"})");
  EXPECT_EQ(alice->next(), R"({"type":"ANSWER","src":"bob","dst":"alice","payload":{"sdp":"y"}})");
  // carol never connects: EXPIRE after expire_timeout (+ one 300 ms tick).
  EXPECT_EQ(alice->next(std::chrono::seconds(3)),
            R"({"type":"EXPIRE","src":"carol","dst":"alice"})");
}

TEST_F(ServeTest, PeerJsTakeoverAndCustomPath) {
  auto c = no_turn();
  c.path = "/myapp";
  start(c);
  auto first = peer("alice", "same", "/myapp/peerjs");
  ASSERT_EQ(first->next(), kOpen);
  auto second = peer("alice", "same", "/myapp/peerjs");
  EXPECT_EQ(second->next(), kOpen);  // PeerServer would stay silent here
  EXPECT_EQ(first->wait_closed(), 1000);
  auto bob = peer("bob", "t", "/myapp/peerjs");
  ASSERT_EQ(bob->next(), kOpen);
  bob->send(R"({"type":"OFFER","payload":1,"dst":"alice"})");
  EXPECT_EQ(second->next(), R"({"type":"OFFER","src":"bob","dst":"alice","payload":1})");
  EXPECT_EQ(http_request(port, http::verb::get, "/myapp/k/id").result_int(), 200u);
}

TEST_F(ServeTest, OversizedFrameClosesOnlyThatSocket) {
  auto c = no_turn();
  c.max_frame_bytes = 4096;
  start(c);
  auto alice = peer("alice");
  auto bob = peer("bob");
  ASSERT_EQ(alice->next(), kOpen);
  ASSERT_EQ(bob->next(), kOpen);
  alice->send(R"({"type":"OFFER","dst":"bob","payload":")" + std::string(5000, 'x') + "\"}");
  EXPECT_EQ(alice->wait_closed(), 1009);
  auto carol = peer("carol");
  ASSERT_EQ(carol->next(), kOpen);
  carol->send(R"({"type":"OFFER","dst":"bob","payload":2})");
  EXPECT_EQ(bob->next(), R"({"type":"OFFER","src":"carol","dst":"bob","payload":2})");
}

TEST_F(ServeTest, RoomsProtocolEndToEnd) {
  auto c = no_turn();
  c.rooms.room_capacity = 2;
  start(c);
  auto a = member();
  auto b = member();
  auto wa = json::parse(*a->next()).as_object();
  auto wb = json::parse(*b->next()).as_object();
  EXPECT_EQ(wa.at("type"), "welcome");
  const std::string ida(wa.at("id").as_string()), idb(wb.at("id").as_string());
  EXPECT_NE(ida, idb);
  a->send(R"({"type":"join","room":"r1","name":"Ann"})");
  EXPECT_EQ(json::parse(*a->next()).at("type"), "joined");
  b->send(R"({"type":"join","room":"r1","name":"Bo"})");
  auto jb = json::parse(*b->next()).as_object();
  EXPECT_EQ(jb.at("members").as_array().at(0).at("id"), json::value(ida));
  auto announced = json::parse(*a->next()).as_object();
  EXPECT_EQ(announced.at("type"), "member-joined");
  b->send(R"({"type":"signal","to":")" + ida + R"(","data":{"sdp":{"type":"offer"}}})");
  auto sig = json::parse(*a->next()).as_object();
  EXPECT_EQ(sig.at("from"), json::value(idb));
  EXPECT_EQ(sig.at("data").at("sdp").at("type"), "offer");

  auto c3 = member();
  c3->next();
  c3->send(R"({"type":"join","room":"r1","name":"Cy"})");
  EXPECT_EQ(json::parse(*c3->next()).at("code"), "room-full");
  c3->send("not json");
  EXPECT_EQ(json::parse(*c3->next()).at("code"), "bad-json");
  c3->send(R"({"type":"fly"})");
  EXPECT_EQ(json::parse(*c3->next()).at("code"), "unknown-type");
  c3->send(R"({"type":"signal","to":"x","data":{}})");
  EXPECT_EQ(json::parse(*c3->next()).at("code"), "not-in-room");

  b->close();  // abrupt: the others learn it from the server
  auto left = json::parse(*a->next()).as_object();
  EXPECT_EQ(left.at("type"), "member-left");
  EXPECT_EQ(left.at("id"), json::value(idb));
  EXPECT_EQ(left.at("reason"), "disconnected");
}

TEST_F(ServeTest, ConnectionsPerAddressAreLimited) {
  auto c = no_turn();
  c.max_connections_per_ip = 2;
  start(c);
  auto a = member();
  auto b = member();
  ASSERT_TRUE(a->next());
  ASSERT_TRUE(b->next());
  WsClient third;
  EXPECT_FALSE(third.connect(port, "/ws"));
  EXPECT_EQ(third.status(), 503u);
  a->close();
  // The slot comes back once the server has seen the close; poll for it (no sleep).
  bool connected = false;
  for (int i = 0; i < 200 && !connected; ++i) {
    WsClient again;
    connected = again.connect(port, "/ws");
  }
  EXPECT_TRUE(connected);
}

TEST_F(ServeTest, ShutdownClosesSocketsWithGoingAway) {
  start(no_turn());
  auto a = member();
  ASSERT_TRUE(a->next());
  // An HTTP connection that never sends a request: its session is still waiting when the
  // service goes away and is destroyed with the io_context, after the service's other members.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket idle(io);
  idle.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  std::thread stopper([this] { service->stop(); });
  EXPECT_EQ(a->wait_closed(), 1001);
  stopper.join();
  service.reset();
}

TEST_F(ServeTest, IceServersGiveWorkingTurnCredentials) {
  const auto turn_port = testing::free_udp_tcp_port();
  ASSERT_NE(turn_port, 0);
  auto parsed = app::parse_serve_cli({"peerkit serve", "--turn-port", std::to_string(turn_port)},
                                     "test-secret");
  ASSERT_EQ(parsed.action, decltype(parsed)::Action::kRun) << parsed.message;
  auto c = parsed.config;
  c.turn_config.log.level = "off";
  turn::finalize_config(c.turn_config);
  start(c);
  auto reply = json::parse(http_request(port, http::verb::get, "/api/ice-servers?id=m1").body());
  const auto& servers = reply.at("iceServers").as_array();
  ASSERT_EQ(servers.size(), 2u);
  const auto& turn_entry = servers.at(1).as_object();
  const std::string username(turn_entry.at("username").as_string());
  const std::string credential(turn_entry.at("credential").as_string());
  EXPECT_TRUE(username.ends_with(":m1"));
  // The credential really allocates on the embedded TURN server.
  testing::TurnTestClient client(
      SocketAddress(*IpAddress::parse("127.0.0.1"), c.turn_config.listening_port), username,
      credential);
  EXPECT_EQ(client.allocate(), 0);
  testing::TurnTestClient wrong(
      SocketAddress(*IpAddress::parse("127.0.0.1"), c.turn_config.listening_port), username,
      "wrong");
  EXPECT_EQ(wrong.allocate(), 401);
  // The rooms `welcome` carries the same kind of list.
  auto m = member();
  auto welcome = json::parse(*m->next()).as_object();
  EXPECT_EQ(welcome.at("iceServers").as_array().size(), 2u);
}

// Pings and the idle timeout come from the node's one tick (every idle_timeout / 2).
TEST_F(ServeTest, IdleTimeoutPingsAndClosesOnlyASilentWebSocket) {
  auto config = no_turn();
  config.idle_timeout_seconds = 1;
  start(config);
  auto alive = peer("alive");  // reads, so Beast's client answers the pings
  EXPECT_EQ(alive->next(), kOpen);
  EXPECT_EQ(alive->wait_closed(std::chrono::milliseconds(2500)), -1);  // five ticks: still open
  EXPECT_FALSE(alive->closed());

  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> silent(io);
  silent.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
  silent.handshake("127.0.0.1", "/peerjs?key=peerjs&id=silent&token=t");
  // Raw reads below Beast: the bytes arrive, nothing is answered.
  std::string bytes;
  std::array<char, 512> buf;
  bool eof = false;
  std::function<void()> read = [&] {
    silent.next_layer().async_read_some(boost::asio::buffer(buf),
                                        [&](boost::system::error_code ec, std::size_t n) {
                                          if (ec) {
                                            eof = true;
                                            return;
                                          }
                                          bytes.append(buf.data(), n);
                                          read();
                                        });
  };
  read();
  io.run_for(std::chrono::seconds(5));  // returns at EOF
  EXPECT_TRUE(eof);
  EXPECT_NE(bytes.find(std::string("\x89\x00", 2)), std::string::npos);  // an empty ping
}


// ---- HTTP edge (issue 9: origins, request framing, 405/503 answers) ------------------------

// Writes `bytes` on a fresh connection and collects everything the server sends until it closes
// (true) or the deadline passes (false).
bool raw_exchange(std::uint16_t port, const std::string& bytes, std::string& received,
                  std::chrono::seconds deadline = std::chrono::seconds(10)) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  if (!bytes.empty()) boost::asio::write(socket, boost::asio::buffer(bytes));
  bool eof = false;
  std::array<char, 4096> buf;
  std::function<void()> read = [&] {
    socket.async_read_some(boost::asio::buffer(buf),
                           [&](boost::system::error_code ec, std::size_t n) {
                             received.append(buf.data(), n);
                             if (ec) {
                               eof = true;
                               return;
                             }
                             read();
                           });
  };
  read();
  io.run_for(deadline);  // returns at EOF
  return eof;
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size()))
    ++n;
  return n;
}

// The HTTP status of a WebSocket upgrade with this Origin (101 when it was accepted).
unsigned upgrade_status(std::uint16_t port, const std::string& target, const std::string& origin) {
  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws(io);
  boost::beast::get_lowest_layer(ws).connect(
      {boost::asio::ip::make_address("127.0.0.1"), port});
  if (!origin.empty())
    ws.set_option(boost::beast::websocket::stream_base::decorator(
        [origin](boost::beast::websocket::request_type& r) { r.set(http::field::origin, origin); }));
  boost::beast::websocket::response_type response;
  boost::beast::error_code ec;
  ws.handshake(response, "127.0.0.1:" + std::to_string(port), target, ec);
  return response.result_int();
}

// Item 4: a page on another origin gets no TURN credentials and no WebSocket; the server's own
// page, a --cors origin and clients that send no Origin do.
TEST_F(ServeTest, ForeignOriginsGetNoCredentialsAndNoWebSocket) {
  const auto turn_port = testing::free_udp_tcp_port();
  ASSERT_NE(turn_port, 0);
  auto parsed = app::parse_serve_cli(
      {"peerkit serve", "--turn-port", std::to_string(turn_port), "--cors", "http://app.test"},
      "test-secret");
  ASSERT_EQ(parsed.action, decltype(parsed)::Action::kRun) << parsed.message;
  auto c = parsed.config;
  c.turn_config.log.level = "off";
  turn::finalize_config(c.turn_config);
  start(c);
  const std::string own = "http://127.0.0.1:" + std::to_string(port);
  auto evil = http_request(port, http::verb::get, "/api/ice-servers",
                           {{http::field::origin, "http://evil.test"}});
  EXPECT_EQ(evil.result_int(), 403u);
  EXPECT_EQ(evil.body().find("\"credential\""), std::string::npos) << evil.body();
  EXPECT_EQ(evil.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(upgrade_status(port, "/ws", "http://evil.test"), 403u);
  EXPECT_EQ(upgrade_status(port, "/peerjs?key=peerjs&id=e&token=t", "http://evil.test"), 403u);
  for (const std::string& origin : {own, std::string("http://app.test"), std::string()}) {
    auto ok = origin.empty()
                  ? http_request(port, http::verb::get, "/api/ice-servers")
                  : http_request(port, http::verb::get, "/api/ice-servers",
                                 {{http::field::origin, origin}});
    EXPECT_EQ(ok.result_int(), 200u) << origin;
    EXPECT_NE(ok.body().find("\"credential\""), std::string::npos) << origin;
    EXPECT_EQ(upgrade_status(port, "/ws", origin), 101u) << origin;
  }
}

// Item 8: a Transfer-Encoding other than a lone final `chunked`, or one next to Content-Length,
// is answered 400 once and the connection closed: nothing smuggled behind it is answered.
TEST_F(ServeTest, SmuggledRequestsGetOne400AndAClose) {
  start(no_turn());
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::pair<std::string, std::string> cases[] = {
      {"Transfer-Encoding: gzip\r\nContent-Length: 0\r\n", ""},
      {"Transfer-Encoding: chunked, gzip\r\nContent-Length: 0\r\n", ""},
      {"Content-Length: 0\r\nTransfer-Encoding: gzip, chunked\r\n", ""},
      {"Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"},  // chunked after another coding
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"},
      {"Transfer-Encoding: identity\r\n", ""}};
  for (const auto& [framing, body] : cases) {
    std::string answer;
    const bool closed = raw_exchange(
        port, "GET /healthz HTTP/1.1\r\nHost: x\r\n" + framing + "\r\n" + body + smuggled,
        answer);
    EXPECT_TRUE(closed) << framing;
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << framing << answer;
    EXPECT_EQ(count_of(answer, "HTTP/1.1 "), 1u) << framing << answer;
    EXPECT_EQ(answer.find("smuggled"), std::string::npos) << framing << answer;
  }
  // A lone chunked is fine (and the connection stays for the next request).
  std::string answer;
  raw_exchange(port,
               "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
               "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
               answer);
  EXPECT_EQ(count_of(answer, "HTTP/1.1 200 "), 2u) << answer;
}

// Item 8: malformed requests are answered, not dropped in silence.
TEST_F(ServeTest, MalformedRequestsAreAnswered) {
  start(no_turn());
  std::string flood = "GET / HTTP/1.1\r\nHost: x\r\n";
  while (flood.size() < 64 * 1024) flood += "X-Flood: " + std::string(100, 'a') + "\r\n";
  std::string answer;
  EXPECT_TRUE(raw_exchange(port, flood, answer));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 431 ")) << answer.substr(0, 200);
  answer.clear();
  EXPECT_TRUE(raw_exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", answer));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer;
  answer.clear();
  EXPECT_TRUE(raw_exchange(
      port, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      answer));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << answer;
}

// Item 11: the 503 past --max-connections frames its body with the right Content-Length.
TEST_F(ServeTest, RefusedConnectionsGetAWellFramed503) {
  auto c = no_turn();
  c.max_connections = 1;
  start(c);
  auto held = member();
  ASSERT_TRUE(held->next());
  std::string answer;
  ASSERT_TRUE(raw_exchange(port, "", answer));
  const auto end = answer.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << answer;
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 503 ")) << answer;
  std::smatch length;
  const std::string head = answer.substr(0, end);
  ASSERT_TRUE(std::regex_search(head, length, std::regex("Content-Length: ([0-9]+)")));
  EXPECT_EQ(answer.size() - end - 4, std::stoul(length[1])) << answer;
}


// Also (a): with --ice-secret-file, a credential handed out by one serve process still
// allocates on the next one (a restart), though each process drew its own fresh secret.
TEST_F(ServeTest, PinnedSecretFileKeepsCredentialsAcrossARestart) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("peerkit-serve-secret-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "secret").string();
  std::string username, credential;
  std::uint16_t turn_port = 0;
  for (const std::string fresh : {"first-process-secret", "second-process-secret"}) {
    turn_port = testing::free_udp_tcp_port();
    ASSERT_NE(turn_port, 0);
    auto parsed = app::parse_serve_cli(
        {"peerkit serve", "--turn-port", std::to_string(turn_port), "--ice-secret-file", file},
        fresh);
    ASSERT_EQ(parsed.action, decltype(parsed)::Action::kRun) << parsed.message;
    auto c = parsed.config;
    c.turn_config.log.level = "off";
    turn::finalize_config(c.turn_config);
    start(c);
    if (username.empty()) {
      auto reply =
          json::parse(http_request(port, http::verb::get, "/api/ice-servers?id=m1").body());
      const auto& turn_entry = reply.at("iceServers").as_array().at(1).as_object();
      username = turn_entry.at("username").as_string();
      credential = turn_entry.at("credential").as_string();
    }
    testing::TurnTestClient client(SocketAddress(*IpAddress::parse("127.0.0.1"), turn_port),
                                   username, credential);
    EXPECT_EQ(client.allocate(), 0) << fresh;
    service->stop();
    service.reset();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peerkit
