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

}  // namespace
}  // namespace peerkit::server
