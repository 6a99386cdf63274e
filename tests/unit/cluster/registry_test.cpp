// The node registry on a virtual clock: registration with a TTL, heartbeats, dead-node detection
// within node_ttl + check_interval, health while Redis is away, re-registration after.
#include <gtest/gtest.h>

#include "cluster_harness.h"

namespace peerkit::cluster::test {
namespace {

TEST(ClusterRegistry, NodesRegisterWithTheirUrlAndSeeEachOther) {
  Harness h(3);
  EXPECT_EQ(h.redis.string_value("peerkit:node:a"), "wss://a.example:9000");
  EXPECT_EQ(h.redis.hash_length("peerkit:nodes"), 3u);
  EXPECT_EQ(h[0].node.peers(), (std::set<std::string>{"b", "c"}));
  EXPECT_EQ(h[2].node.peers(), (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(h[1].node.healthy());
  // Heartbeats keep the registration alive far past its TTL.
  h.advance(Duration::seconds(30));
  EXPECT_TRUE(h.redis.exists("peerkit:node:b"));
  EXPECT_EQ(h[0].node.stats().nodes_died, 0u);
}

TEST(ClusterRegistry, DeadNodeIsNoticedByEverySurvivorWithinTheTimeout) {
  Harness h(3);
  std::vector<std::string> seen_by_a, seen_by_c;
  h[0].node.on_node_dead([&](const std::string& n) { seen_by_a.push_back(n); });
  h[2].node.on_node_dead([&](const std::string& n) { seen_by_c.push_back(n); });
  h.kill(1);
  // Not before its TTL has run out: 6 s minus the up-to-2 s since its last heartbeat.
  h.advance(Duration::seconds(3));
  EXPECT_TRUE(seen_by_a.empty());
  h.advance(Duration::seconds(4));  // node_ttl + check_interval after the kill
  EXPECT_EQ(seen_by_a, std::vector<std::string>{"b"});
  EXPECT_EQ(seen_by_c, std::vector<std::string>{"b"});
  EXPECT_FALSE(h.redis.exists("peerkit:node:b"));
  EXPECT_EQ(h.redis.hash_length("peerkit:nodes"), 2u);
  EXPECT_EQ(h[0].node.peers(), std::set<std::string>{"c"});
  h.advance(Duration::seconds(10));
  EXPECT_EQ(seen_by_a.size(), 1u);  // announced once
}

TEST(ClusterRegistry, RedisDownMakesNodesUnhealthyButNotDeadAndTheyReRegister) {
  Harness h(2);
  int reregistered = 0;
  h[0].node.on_reregistered([&] { ++reregistered; });
  h.redis.set_up(false);
  h.pump();
  EXPECT_FALSE(h[0].node.healthy());
  h.advance(Duration::seconds(10));
  // Redis restarts empty (no persistence): the nodes put themselves back.
  h.redis.set_up(true, /*lose_data=*/true);
  h.pump();
  EXPECT_TRUE(h[0].node.healthy());
  EXPECT_EQ(reregistered, 1);
  EXPECT_TRUE(h.redis.exists("peerkit:node:a"));
  EXPECT_TRUE(h.redis.exists("peerkit:node:b"));
  h.advance(Duration::seconds(2));
  EXPECT_EQ(h[0].node.peers(), std::set<std::string>{"b"});
  EXPECT_EQ(h[0].node.stats().nodes_died, 0u);
}

// Redis restarted empty and the nodes reconnect on their own backoff, up to seconds apart: the
// one back first must not declare the later one dead for being absent from the fresh hash.
TEST(ClusterRegistry, EmptyRedisRestartGivesLateNodesTheirTtlToComeBack) {
  Harness h(2);
  std::vector<std::string> seen_by_a;
  h[0].node.on_node_dead([&](const std::string& n) { seen_by_a.push_back(n); });
  h.redis.set_up(false);
  h.pump();
  h.advance(Duration::seconds(10));
  h[1].client->set_cut(true);  // b's next reconnect attempt comes 2 s after a's
  h.redis.set_up(true, /*lose_data=*/true);
  h.pump();
  h.advance(Duration::seconds(2));
  h[1].client->set_cut(false);
  h.pump();
  h.advance(Duration::seconds(2));
  EXPECT_TRUE(seen_by_a.empty());
  EXPECT_EQ(h[0].node.peers(), std::set<std::string>{"b"});
  // One that does not come back within node_ttl is dead, as without the outage.
  h.kill(1);
  h.advance(Duration::seconds(8));
  EXPECT_EQ(seen_by_a, std::vector<std::string>{"b"});
}

TEST(ClusterRegistry, OptionsAreValidated) {
  ClusterOptions o = node_options("a");
  EXPECT_EQ(validate(o), "");
  o.node_id = "a b";
  EXPECT_NE(validate(o), "");
  o = node_options("a");
  o.node_ttl = Duration::seconds(3);
  EXPECT_EQ(validate(o), "node TTL must be at least twice the heartbeat");
  o = node_options("");
  EXPECT_EQ(validate(o), "node id must be 1..64 bytes");
}

TEST(ClusterRegistry, SendToIsBoundedAndGoesToOneChannel) {
  Harness h(3);
  std::vector<std::string> got;
  h[1].node.on_message("test", [&](const boost::json::object& m, std::string_view) {
    got.push_back(std::string(m.at("x").as_string()));
  });
  const auto before_c = h.redis.published_on("peerkit:node:c:inbox");
  EXPECT_TRUE(h[0].node.send_to("b", {{"k", "test"}, {"x", "hello"}}));
  h.pump();
  EXPECT_EQ(got, std::vector<std::string>{"hello"});
  EXPECT_EQ(h.redis.published_on("peerkit:node:c:inbox"), before_c);
  // Too big for a node channel: refused at once, nothing published.
  EXPECT_FALSE(h[0].node.send_to("b", {{"k", "test"}, {"x", std::string(300 * 1024, 'x')}}));
  h.redis.set_up(false);
  EXPECT_FALSE(h[0].node.send_to("b", {{"k", "test"}, {"x", "down"}}));
  EXPECT_EQ(h[0].node.stats().send_failures, 2u);
}

TEST(ClusterRegistry, ABodyTravelsVerbatimAfterTheHeader) {
  Harness h(2);
  std::string x, body;
  int calls = 0;
  h[1].node.on_message("test", [&](const boost::json::object& m, std::string_view b) {
    ++calls;
    x = std::string(m.at("x").as_string());
    body = std::string(b);
  });
  // A relayed frame: quotes, backslashes and newlines must arrive byte for byte.
  const std::string frame = "{\"type\":\"OFFER\",\"sdp\":\"v=0\\r\\n\"}\nsecond line\n";
  EXPECT_TRUE(h[0].node.send_to("b", {{"k", "test"}, {"x", "a\nb"}}, frame));
  h.pump();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(x, "a\nb");  // a newline in a header value is escaped, so it cannot end the header
  EXPECT_EQ(body, frame);
  // An empty body is still a body; a message without one hands the handler an empty view.
  EXPECT_TRUE(h[0].node.send_to("b", {{"k", "test"}, {"x", "1"}}, ""));
  EXPECT_TRUE(h[0].node.send_to("b", {{"k", "test"}, {"x", "2"}}));
  h.pump();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(x, "2");
  EXPECT_EQ(body, "");
  // A header that is not JSON is counted malformed and reaches no handler.
  const auto before = h[1].node.stats().malformed_in;
  auto injector = h.redis.client();
  injector->publish("peerkit:node:b:inbox", "not json\n{}", [](auto) {});
  h.pump();
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(h[1].node.stats().malformed_in, before + 1);
}

TEST(ClusterRegistry, ChannelBacklogIsBounded) {
  ManualClock clock;
  testing::FakeRedis redis(clock);
  auto client = redis.client();
  ClusterOptions o = node_options("a");
  o.max_in_flight = 2;
  Node node(o, *client);
  node.start(clock.now());
  redis.run();
  int delivered = 0;
  auto count = [&](bool ok) { delivered += ok ? 1 : 0; };
  EXPECT_TRUE(node.send_to("a", {{"k", "x"}}, count));
  EXPECT_TRUE(node.send_to("a", {{"k", "x"}}, count));
  EXPECT_FALSE(node.send_to("a", {{"k", "x"}}, count));  // two awaiting their reply
  redis.run();
  EXPECT_EQ(delivered, 2);                              // node a listens on its own channel
  EXPECT_TRUE(node.send_to("a", {{"k", "x"}}, count));  // room again once they completed
}

}  // namespace
}  // namespace peerkit::cluster::test
