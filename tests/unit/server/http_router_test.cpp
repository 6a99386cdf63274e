// HttpRouter without sockets: PeerServer's API under a base path, CORS, the app's headers, the
// ICE server list, and which WebSocket an upgrade request reaches.
#include "server/http_router.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/recording_transport.h"

namespace peerkit::server {
namespace {

namespace json = boost::json;

class HttpRouterTest : public ::testing::Test {
 protected:
  void make(ServeConfig c) {
    config = std::move(c);
    core = std::make_unique<signaling::PeerJsServer>(config.peerjs, transport);
    router = std::make_unique<HttpRouter>(
        config, *core, random, [] { return std::string("m 1\n"); },
        [] { return std::int64_t{1000}; });
  }
  Response get(std::string target,
               std::initializer_list<std::pair<http::field, std::string>> h = {},
               http::verb verb = http::verb::get) {
    Request r{verb, target, 11};
    r.set(http::field::host, "example.test:9000");
    for (const auto& [f, v] : h) r.set(f, v);
    return router->handle(r);
  }

  ServeConfig config;
  peerkit::testing::RecordingTransport transport;
  SeededRandom random{1};
  std::unique_ptr<signaling::PeerJsServer> core;
  std::unique_ptr<HttpRouter> router;
};

TEST_F(HttpRouterTest, PeerServerApiUnderACustomPath) {
  ServeConfig c;
  c.path = "myapp";  // normalised to /myapp/
  make(c);
  EXPECT_EQ(router->base(), "/myapp/");
  EXPECT_EQ(get("/myapp/anykey/id?ts=1").result(), http::status::ok);
  EXPECT_EQ(get("/myapp/anykey/id").body().size(), 36u);
  EXPECT_EQ(get("/myapp/anykey/peers").result(), http::status::unauthorized);
  EXPECT_NE(get("/myapp").body().find("PeerJS Server"), std::string::npos);
  EXPECT_NE(get("/myapp/").body().find("PeerJS Server"), std::string::npos);
  EXPECT_EQ(get("/anykey/id").result(), http::status::not_found);     // outside the base path
  EXPECT_EQ(get("/myapp/a/b/id").result(), http::status::not_found);  // keys are one segment
}

TEST_F(HttpRouterTest, BannerOrAppAtTheRoot) {
  make({});
  EXPECT_NE(get("/").body().find("PeerJS Server"), std::string::npos);
  auto app = get("/", {{http::field::accept, "text/html,application/xhtml+xml"}});
  EXPECT_NE(app.body().find("<!doctype html>"), std::string::npos);
  EXPECT_NE(app["Content-Security-Policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(get("/app.js")[http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/nope.js").result(), http::status::not_found);
  EXPECT_EQ(get("/healthz").body(), "ok\n");
  EXPECT_EQ(get("/metrics").body(), "m 1\n");
  EXPECT_EQ(get("/healthz", {}, http::verb::post).result(), http::status::method_not_allowed);
  EXPECT_TRUE(get("/healthz", {}, http::verb::head).body().empty());
}

// --cluster: the peers list is the cluster's and /healthz says how the node stands in it,
// staying 200 while it serves its own clients.
TEST_F(HttpRouterTest, ClusterModeListsTheClustersPeersAndItsHealth) {
  ServeConfig c;
  c.peerjs.allow_discovery = true;
  make(c);
  EXPECT_EQ(get("/peerjs/peers").body(), "[]");
  std::string health = "cluster: node a degraded: redis unreachable\n";
  router->set_cluster([] { return std::vector<std::string>{"on-a", "on-b"}; },
                      [&] { return health; });
  EXPECT_EQ(get("/peerjs/peers").body(), R"(["on-a","on-b"])");
  auto h = get("/healthz");
  EXPECT_EQ(h.result(), http::status::ok);
  EXPECT_EQ(h.body(), "ok\ncluster: node a degraded: redis unreachable\n");
  health = "cluster: node a registered, 2 other node(s) alive\n";
  EXPECT_EQ(get("/healthz").body(), "ok\n" + health);
}

TEST_F(HttpRouterTest, CorsReflectsOrigins) {
  ServeConfig c;
  c.cors_origins = {"https://a.test"};
  make(c);
  EXPECT_EQ(get("/k/id", {{http::field::origin,
                           "https://a.test"}})[http::field::access_control_allow_origin],
            "https://a.test");
  auto other = get("/k/id", {{http::field::origin, "https://b.test"}});
  EXPECT_EQ(other.count(http::field::access_control_allow_origin), 0u);
  EXPECT_EQ(other[http::field::vary], "Origin");
  auto pre = get("/k/id", {{http::field::origin, "https://a.test"}}, http::verb::options);
  EXPECT_EQ(pre.result(), http::status::no_content);
  EXPECT_EQ(pre[http::field::access_control_allow_methods], "GET,HEAD,PUT,PATCH,POST,DELETE");
}

TEST_F(HttpRouterTest, IceServersUseTheConfiguredUrlsAndMemberId) {
  ServeConfig c;
  c.ice.stun_urls = {"stun:{host}:3478"};
  c.ice.turn_urls = {"turn:{host}:3478"};
  c.ice.turn_secret = "s";
  c.ice.ttl = Duration::seconds(60);
  make(c);
  auto reply = json::parse(get("/api/ice-servers?id=member_1").body()).as_object();
  EXPECT_EQ(reply.at("ttl"), 60);
  const auto& list = reply.at("iceServers").as_array();
  EXPECT_EQ(list.at(0).at("urls").as_array().at(0), "stun:example.test:3478");
  EXPECT_EQ(list.at(1).at("username"), "1060:member_1");
  // An id that is not [A-Za-z0-9_-]{1,64} is replaced by a random one.
  auto odd = json::parse(get("/api/ice-servers?id=a%22b").body()).as_object();
  const std::string username(odd.at("iceServers").as_array().at(1).at("username").as_string());
  EXPECT_EQ(username.size(), std::string("1060:").size() + 16);
  EXPECT_EQ(get("/api/ice-servers")[http::field::cache_control], "no-store");
}

TEST_F(HttpRouterTest, UpgradesReachTheRightSocket) {
  make({});
  Request r{http::verb::get, "/peerjs?key=peerjs&id=a%20b+c&token=t&version=1.5.5", 11};
  auto up = router->upgrade(r);
  ASSERT_TRUE(std::holds_alternative<Upgrade>(up));
  const auto& peerjs = std::get<Upgrade>(up);
  EXPECT_EQ(peerjs.kind, SocketKind::kPeerJs);
  EXPECT_EQ(peerjs.peerjs.id, "a b c");  // decoded like URLSearchParams
  EXPECT_EQ(peerjs.peerjs.key, "peerjs");
  EXPECT_EQ(std::get<Upgrade>(router->upgrade(Request{http::verb::get, "/ws", 11})).kind,
            SocketKind::kRooms);
  auto wrong = router->upgrade(Request{http::verb::get, "/myapp/peerjs", 11});
  ASSERT_TRUE(std::holds_alternative<Response>(wrong));
  EXPECT_EQ(std::get<Response>(wrong).result(), http::status::bad_request);
  auto bad = router->upgrade(Request{http::verb::get, "/peerjs?id=%zz", 11});
  EXPECT_EQ(std::get<Response>(bad).result(), http::status::bad_request);
}


// Issue 9, item 4: TURN credentials only for the server's own origin and the configured ones.
class OriginTest : public HttpRouterTest {
 protected:
  void SetUp() override {
    ServeConfig c;
    c.ice.turn_urls = {"turn:{host}:3478"};
    c.ice.turn_secret = "s";
    c.cors_origins = {"https://app.test"};
    make(c);
  }
  Response ice(std::string origin, http::verb verb = http::verb::get) {
    if (origin.empty()) return get("/api/ice-servers?id=m", {}, verb);
    return get("/api/ice-servers?id=m", {{http::field::origin, origin}}, verb);
  }
  std::variant<Upgrade, Response> ws(std::string target, std::string origin) {
    Request r{http::verb::get, target, 11};
    r.set(http::field::host, "example.test:9000");
    if (!origin.empty()) r.set(http::field::origin, origin);
    return router->upgrade(r);
  }
};

TEST_F(OriginTest, IceServersRefuseForeignOrigins) {
  for (const std::string evil :
       {"http://evil.test", "http://example.test:9001", "https://example.test:9000", "null",
        "http://example.test:9000.evil.test", "garbage"}) {
    auto refused = ice(evil);
    EXPECT_EQ(refused.result(), http::status::forbidden) << evil;
    EXPECT_EQ(refused.body().find("\"credential\""), std::string::npos) << evil;
    EXPECT_EQ(refused.count(http::field::access_control_allow_origin), 0u) << evil;
    EXPECT_EQ(ice(evil, http::verb::options).result(), http::status::forbidden) << evil;
  }
  // The page's own origin (scheme from TLS being off, host and port from Host), any case.
  for (const std::string own : {"http://example.test:9000", "HTTP://Example.TEST:9000"}) {
    auto ok = ice(own);
    EXPECT_EQ(ok.result(), http::status::ok) << own;
    EXPECT_NE(ok.body().find("\"credential\""), std::string::npos) << own;
  }
  // A --cors origin, with CORS.
  auto cors = ice("https://app.test");
  EXPECT_NE(cors.body().find("\"credential\""), std::string::npos);
  EXPECT_EQ(cors[http::field::access_control_allow_origin], "https://app.test");
  EXPECT_EQ(ice("https://app.test", http::verb::options).result(), http::status::no_content);
  // No Origin at all: curl and native clients.
  EXPECT_NE(ice("").body().find("\"credential\""), std::string::npos);
}

TEST_F(OriginTest, WebSocketUpgradesRefuseForeignOrigins) {
  auto evil = ws("/ws", "http://evil.test");
  ASSERT_TRUE(std::holds_alternative<Response>(evil));
  EXPECT_EQ(std::get<Response>(evil).result(), http::status::forbidden);
  EXPECT_TRUE(std::holds_alternative<Upgrade>(ws("/ws", "http://example.test:9000")));
  EXPECT_TRUE(std::holds_alternative<Upgrade>(ws("/ws", "https://app.test")));
  EXPECT_TRUE(std::holds_alternative<Upgrade>(ws("/ws", "")));
  // --cors is set here, so the PeerJS socket follows it too.
  auto peerjs = ws("/peerjs?key=peerjs&id=a&token=t", "http://evil.test");
  ASSERT_TRUE(std::holds_alternative<Response>(peerjs));
  EXPECT_EQ(std::get<Response>(peerjs).result(), http::status::forbidden);
  EXPECT_TRUE(
      std::holds_alternative<Upgrade>(ws("/peerjs?key=peerjs&id=a&token=t", "https://app.test")));
}

// Issue 9, item 11: every 405 says which methods the resource has (RFC 9110 §15.5.6).
TEST_F(HttpRouterTest, MethodNotAllowedCarriesAllow) {
  make({});
  for (const std::string target :
       {"/healthz", "/metrics", "/", "/app.js", "/index.html", "/peerjs/id", "/peerjs/peers",
        "/api/ice-servers", "/nothing"}) {
    for (auto verb : {http::verb::post, http::verb::put, http::verb::delete_}) {
      auto r = get(target, {}, verb);
      ASSERT_EQ(r.result(), http::status::method_not_allowed) << target;
      EXPECT_NE(r[http::field::allow].find("GET"), std::string::npos) << target;
      EXPECT_NE(r[http::field::allow].find("HEAD"), std::string::npos) << target;
    }
  }
  EXPECT_EQ(get("/api/ice-servers", {}, http::verb::post)[http::field::allow], "GET, HEAD, OPTIONS");
  EXPECT_EQ(get("/peerjs/id", {}, http::verb::post)[http::field::allow], "GET, HEAD, OPTIONS");
  EXPECT_EQ(get("/healthz", {}, http::verb::post)[http::field::allow], "GET, HEAD");
}


TEST_F(HttpRouterTest, AllowOriginAndTlsDecideTheOwnOrigin) {
  ServeConfig c;
  c.ice.turn_urls = {"turn:{host}:3478"};
  c.ice.turn_secret = "s";
  c.allowed_origins = {"https://Proxy.test"};  // e.g. the public name behind a TLS proxy
  c.cert_file = "cert.pem";                    // TLS on: the own origin is https
  make(c);
  auto with = [&](std::string origin) {
    return get("/api/ice-servers", {{http::field::origin, origin}}).result();
  };
  EXPECT_EQ(with("https://proxy.test"), http::status::ok);
  EXPECT_EQ(with("https://proxy.test:443"), http::status::ok);
  EXPECT_EQ(with("https://example.test:9000"), http::status::ok);
  EXPECT_EQ(with("http://example.test:9000"), http::status::forbidden);
  // Without --cors the PeerJS socket keeps PeerServer's rule (any origin).
  Request r{http::verb::get, "/peerjs?key=peerjs&id=a&token=t", 11};
  r.set(http::field::origin, "http://evil.test");
  EXPECT_TRUE(std::holds_alternative<Upgrade>(router->upgrade(r)));
  r.target("/ws");
  EXPECT_TRUE(std::holds_alternative<Response>(router->upgrade(r)));
}

TEST(Origins, NormalizedForms) {
  EXPECT_EQ(normalize_origin("http://a.test"), "http://a.test:80");
  EXPECT_EQ(normalize_origin("HTTPS://A.Test"), "https://a.test:443");
  EXPECT_EQ(normalize_origin("http://a.test:08080"), "http://a.test:8080");
  EXPECT_EQ(normalize_origin("http://[::1]:9000"), "http://[::1]:9000");
  EXPECT_EQ(normalize_origin("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
  for (const char* bad : {"null", "", "ftp://a.test", "http://", "http://a.test/", "http://a@b",
                          "http://a.test:99999", "http://a.test:", "http://[zz]", "http://a b",
                          "http://a.test:80:80"})
    EXPECT_EQ(normalize_origin(bad), "") << bad;
}

// Item 8 at the parser's header-complete point.
TEST(RequestFraming, OnlyALoneChunkedTransferEncoding) {
  auto framing = [](std::initializer_list<std::pair<http::field, std::string>> fields) {
    http::request_header<> h;
    for (const auto& [f, v] : fields) h.insert(f, v);
    return framing_error(h);
  };
  using F = http::field;
  EXPECT_EQ(framing({}), std::nullopt);
  EXPECT_EQ(framing({{F::content_length, "3"}}), std::nullopt);
  EXPECT_EQ(framing({{F::transfer_encoding, "chunked"}}), std::nullopt);
  EXPECT_EQ(framing({{F::transfer_encoding, " Chunked "}}), std::nullopt);
  for (const std::string te : {"gzip, chunked", "chunked, gzip", "gzip", "identity", "chunked,",
                               "chunked;q=1", ""})
    EXPECT_EQ(framing({{F::transfer_encoding, te}}), http::status::bad_request) << te;
  EXPECT_EQ(framing({{F::transfer_encoding, "chunked"}, {F::content_length, "0"}}),
            http::status::bad_request);
  EXPECT_EQ(framing({{F::transfer_encoding, "gzip"}, {F::transfer_encoding, "chunked"}}),
            http::status::bad_request);
}

TEST(RequestFraming, ParseErrorsAreAnswered) {
  EXPECT_EQ(parse_error_status(http::error::header_limit),
            http::status::request_header_fields_too_large);
  EXPECT_EQ(parse_error_status(http::error::body_limit), http::status::payload_too_large);
  EXPECT_EQ(parse_error_status(http::error::bad_transfer_encoding), http::status::bad_request);
  EXPECT_EQ(parse_error_status(http::error::multiple_content_length), http::status::bad_request);
  EXPECT_EQ(parse_error_status(http::error::end_of_stream), std::nullopt);
  EXPECT_EQ(parse_error_status(http::error::partial_message), std::nullopt);
  EXPECT_EQ(parse_error_status(boost::beast::error::timeout), std::nullopt);
  EXPECT_EQ(parse_error_status(boost::asio::error::connection_reset), std::nullopt);
}

// Item 11: the 503 written before closing a refused connection parses as exactly one answer.
TEST(ConnectionRefused, OneWellFramedAnswer) {
  const std::string& bytes = connection_refused_response();
  http::response_parser<http::string_body> parser;
  boost::system::error_code ec;
  std::size_t used = 0;
  while (!ec && !parser.is_done() && used < bytes.size())
    used += parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(used, bytes.size());
  EXPECT_EQ(parser.get().result(), http::status::service_unavailable);
  EXPECT_FALSE(parser.get().keep_alive());
}

}  // namespace
}  // namespace peerkit::server
