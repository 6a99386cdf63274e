#include "server/ice_servers.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "turn/credentials.h"

namespace peerkit::server {
namespace {

namespace json = boost::json;

TEST(IceServers, TurnCredentialsAreRestStyle) {
  IceServersConfig config;
  config.stun_urls = {"stun:{host}:3478"};
  config.turn_urls = {"turn:{host}:3478?transport=udp", "turn:{host}:3478?transport=tcp"};
  config.turn_secret = "s3cret";
  config.ttl = Duration::seconds(600);
  auto list = json::parse(ice_servers_json(config, "127.0.0.1", "m42", 1'000'000)).as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].as_object().at("urls"), (json::array{"stun:127.0.0.1:3478"}));
  const auto& turn = list[1].as_object();
  EXPECT_EQ(turn.at("urls").as_array().at(1), "turn:127.0.0.1:3478?transport=tcp");
  EXPECT_EQ(turn.at("username"), "1000600:m42");
  EXPECT_EQ(turn.at("credential"),
            json::value(turn::CredentialStore::rest_password("s3cret", "1000600:m42")));
}

TEST(IceServers, NoTurnWithoutSecret) {
  IceServersConfig config;
  config.turn_urls = {"turn:x"};
  EXPECT_EQ(ice_servers_json(config, "h", "m", 0), "[]");
}

TEST(HostFromHeader, Forms) {
  EXPECT_EQ(host_from_header("127.0.0.1:9000"), "127.0.0.1");
  EXPECT_EQ(host_from_header("example.com"), "example.com");
  EXPECT_EQ(host_from_header("[::1]:9000"), "[::1]");
  EXPECT_EQ(host_from_header("evil\"host"), "");
  EXPECT_EQ(host_from_header("[::1"), "");
  EXPECT_EQ(host_from_header(""), "");
}

}  // namespace
}  // namespace peerkit::server
