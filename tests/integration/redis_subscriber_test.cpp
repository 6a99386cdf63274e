// redis::Subscriber against a real redis-server: round trip, re-subscription after a restart.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "redis/subscriber.h"
#include "redis_test_util.h"

namespace peerkit::redis {
namespace {

using testing::call;
using testing::options_for;
using testing::run_until;

struct PubSub {
  net::Loop loop{"redis-pubsub"};
  Client publisher;
  Subscriber subscriber;
  std::vector<std::pair<std::string, std::string>> messages;
  std::vector<ConnectionEvent> sub_events;
  std::vector<ConnectionEvent> pub_events;

  explicit PubSub(const test::RedisServer& server)
      : publisher(loop, options_for(server)), subscriber(loop, options_for(server)) {
    subscriber.on_message([this](std::string_view ch, std::string_view payload) {
      messages.emplace_back(std::string(ch), std::string(payload));
    });
    subscriber.on_connection([this](const ConnectionEvent& e) { sub_events.push_back(e); });
    publisher.on_connection([this](const ConnectionEvent& e) { pub_events.push_back(e); });
    publisher.start();
    subscriber.start();
  }
  bool wait_ready() {
    return run_until(loop, [&] { return publisher.connected() && subscriber.connected(); });
  }
  std::int64_t publish(const std::string& ch, const std::string& payload) {
    auto r = call(loop, publisher, {"PUBLISH", ch, payload});
    return r && r->ok() ? r->reply().integer : -1;
  }
};

TEST(RedisSubscriber, RoundTripBinaryPayloadsOnTwoChannels) {
  test::RedisServer server;
  PubSub p(server);
  ASSERT_TRUE(p.wait_ready());
  std::vector<std::string> confirmed;
  p.subscriber.on_subscribed([&](const std::string& ch) { confirmed.push_back(ch); });
  p.subscriber.subscribe("node.a");
  p.subscriber.subscribe("node.b");
  ASSERT_TRUE(run_until(p.loop, [&] { return p.subscriber.active("node.a") && p.subscriber.active("node.b"); }));
  ASSERT_TRUE(run_until(p.loop, [&] { return confirmed.size() == 2; }));

  const std::string payload("\0{\"type\":\"OFFER\"}\xff", 19);
  EXPECT_EQ(p.publish("node.a", payload), 1);  // one receiver: our subscriber
  EXPECT_EQ(p.publish("node.b", "second"), 1);
  EXPECT_EQ(p.publish("node.c", "nobody"), 0);
  ASSERT_TRUE(run_until(p.loop, [&] { return p.messages.size() == 2; }));
  EXPECT_EQ(p.messages[0].first, "node.a");
  EXPECT_EQ(p.messages[0].second, payload);
  EXPECT_EQ(p.messages[1].first, "node.b");
  EXPECT_EQ(p.messages[1].second, "second");

  p.subscriber.unsubscribe("node.b");
  ASSERT_TRUE(run_until(p.loop, [&] { return !p.subscriber.active("node.b"); }));
  EXPECT_EQ(p.publish("node.b", "gone"), 0);
  EXPECT_EQ(p.publish("node.a", "still"), 1);
  ASSERT_TRUE(run_until(p.loop, [&] { return p.messages.size() == 3; }));
  EXPECT_EQ(p.messages[2].second, "still");
  EXPECT_EQ(p.subscriber.messages(), 3u);
}

TEST(RedisSubscriber, SubscribedBeforeConnectingIsSentOnConnect) {
  test::RedisServer server;
  PubSub p(server);
  p.subscriber.subscribe("early");  // not connected yet: recorded as wanted
  EXPECT_FALSE(p.subscriber.active("early"));
  ASSERT_TRUE(run_until(p.loop, [&] { return p.subscriber.active("early"); }));
  ASSERT_TRUE(run_until(p.loop, [&] { return p.publisher.connected(); }));
  EXPECT_EQ(p.publish("early", "hello"), 1);
  ASSERT_TRUE(run_until(p.loop, [&] { return p.messages.size() == 1; }));
}

TEST(RedisSubscriber, RedisRestartDisconnectsThenRestoresSubscriptions) {
  test::RedisServer server;
  PubSub p(server);
  ASSERT_TRUE(p.wait_ready());
  p.subscriber.subscribe("ch1");
  p.subscriber.subscribe("ch2");
  ASSERT_TRUE(run_until(p.loop, [&] { return p.subscriber.active("ch1") && p.subscriber.active("ch2"); }));

  server.kill();
  ASSERT_TRUE(run_until(p.loop, [&] {
    return !p.sub_events.empty() && !p.sub_events.back().connected && !p.pub_events.empty() &&
           !p.pub_events.back().connected;
  }));
  EXPECT_EQ(p.sub_events.back().reason, Error::connection_lost);
  EXPECT_FALSE(p.subscriber.active("ch1"));
  EXPECT_EQ(p.subscriber.channels().size(), 2u);  // still wanted
  auto r = call(p.loop, p.publisher, {"PUBLISH", "ch1", "while down"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->error(), Error::not_connected);

  server.restart();
  ASSERT_TRUE(run_until(p.loop, [&] { return p.subscriber.active("ch1") && p.subscriber.active("ch2"); }));
  ASSERT_TRUE(run_until(p.loop, [&] { return p.publisher.connected(); }));
  EXPECT_TRUE(p.sub_events.back().connected);
  EXPECT_EQ(p.publish("ch2", "after restart"), 1);
  ASSERT_TRUE(run_until(p.loop, [&] { return p.messages.size() == 1; }));
  EXPECT_EQ(p.messages[0].first, "ch2");
  EXPECT_EQ(p.messages[0].second, "after restart");
}

TEST(RedisSubscriber, WrongPasswordIsAnAuthError) {
  test::RedisServer server(test::RedisServer::Config{.password = "pw"});
  net::Loop loop{"redis-pubsub"};
  auto o = options_for(server);
  o.password = "nope";
  Subscriber s(loop, o);
  std::vector<ConnectionEvent> events;
  s.on_connection([&](const ConnectionEvent& e) { events.push_back(e); });
  s.subscribe("x");
  s.start();
  ASSERT_TRUE(run_until(loop, [&] { return !events.empty(); }));
  EXPECT_EQ(events[0].reason, Error::auth_failed);
  EXPECT_FALSE(events[0].retrying);
}

}  // namespace
}  // namespace peerkit::redis
