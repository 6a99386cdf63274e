// server::RedisStore, the cluster core's Store on a real redis-server (started per test, in a
// fresh network namespace by run_in_netns.sh): every operation's Redis semantics as
// tests/support/fake_redis implements them for the virtual-clock tests, so that the fake and
// the real thing cannot drift apart unnoticed.
#include "server/redis_store.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <optional>

#include "redis_test_util.h"
#include "support/redis_server.h"

namespace peerkit::server {
namespace {

using redis::testing::options_for;
using redis::testing::run_until;

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    store.emplace(loop, options_for(server));
    store->on_connection_change([this](bool up) { changes.push_back(up); });
    store->start();
    ASSERT_TRUE(run_until(loop, [&] { return store->connected(); }));
  }
  // Runs one Store call to completion.
  template <class T, class Call>
  cluster::Result<T> wait(Call call) {
    std::optional<cluster::Result<T>> out;
    call([&](cluster::Result<T> r) { out = std::move(r); });
    EXPECT_TRUE(run_until(loop, [&] { return out.has_value(); }));
    return out ? std::move(*out) : cluster::Result<T>::failure("no answer");
  }
  std::optional<std::string> get(const std::string& key) {
    return wait<std::optional<std::string>>([&](auto done) { store->get(key, done); }).value;
  }

  test::RedisServer server;
  net::Loop loop{"redis-store"};
  std::optional<RedisStore> store;
  std::vector<bool> changes;
};

TEST_F(RedisStoreTest, KeysWithTtlAndConditionalRefreshAndDelete) {
  using B = cluster::Result<bool>;
  auto set = [&](auto... a) { return wait<bool>([&](auto done) { store->set(a..., done); }); };
  auto nx = [&](auto... a) { return wait<bool>([&](auto done) { store->set_if_absent(a..., done); }); };
  EXPECT_TRUE(nx("peer:a", "node-1", Duration::seconds(30)).value);
  B second = nx("peer:a", "node-2", Duration::seconds(30));
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_FALSE(second.value) << "SET NX on an existing key";
  EXPECT_EQ(get("peer:a"), "node-1");
  EXPECT_EQ(get("peer:none"), std::nullopt);

  EXPECT_FALSE(wait<bool>([&](auto d) { store->refresh_if_equal("peer:a", "node-2", Duration::seconds(60), d); }).value);
  EXPECT_TRUE(wait<bool>([&](auto d) { store->refresh_if_equal("peer:a", "node-1", Duration::seconds(60), d); }).value);
  EXPECT_FALSE(wait<bool>([&](auto d) { store->delete_if_equal("peer:a", "node-2", d); }).value);
  EXPECT_EQ(get("peer:a"), "node-1");
  EXPECT_TRUE(wait<bool>([&](auto d) { store->delete_if_equal("peer:a", "node-1", d); }).value);
  EXPECT_EQ(get("peer:a"), std::nullopt);

  // A short TTL really expires (Redis' own clock): wait for the key to go, with a deadline.
  EXPECT_TRUE(set("node:x", "http://x", Duration::millis(50)).value);
  EXPECT_EQ(get("node:x"), "http://x");
  EXPECT_TRUE(run_until(loop, [&] { return !get("node:x"); }));
  EXPECT_TRUE(set("k", std::string("bin\0ary", 7), Duration::seconds(5)).value);
  EXPECT_EQ(get("k"), std::string("bin\0ary", 7));
  EXPECT_TRUE(wait<bool>([&](auto d) { store->del("k", d); }).value);
  EXPECT_FALSE(wait<bool>([&](auto d) { store->del("k", d); }).value);
}

TEST_F(RedisStoreTest, CappedHashIsARoomsMembership) {
  auto add = [&](const char* field) {
    return wait<bool>([&](auto d) { store->hash_add_capped("room:r", field, "node-1", 2, Duration::seconds(30), d); });
  };
  EXPECT_TRUE(add("alice").value);
  EXPECT_TRUE(add("bob").value);
  auto full = add("carol");
  ASSERT_TRUE(full.ok()) << full.error;
  EXPECT_FALSE(full.value) << "a third member of a room capped at 2";
  EXPECT_TRUE(add("bob").value) << "an existing member may be replaced when full";
  auto all = wait<cluster::FieldList>([&](auto d) { store->hash_get_all("room:r", d); });
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value.size(), 2u);
  EXPECT_TRUE(wait<bool>([&](auto d) { store->hash_del("room:r", "alice", d); }).value);
  EXPECT_FALSE(wait<bool>([&](auto d) { store->hash_del("room:r", "alice", d); }).value);
  EXPECT_TRUE(wait<bool>([&](auto d) { store->hash_set("room:r", "dave", "node-2", d); }).value);
  all = wait<cluster::FieldList>([&](auto d) { store->hash_get_all("room:r", d); });
  std::sort(all.value.begin(), all.value.end());
  EXPECT_EQ(all.value, (cluster::FieldList{{"bob", "node-1"}, {"dave", "node-2"}}));
  EXPECT_TRUE(wait<cluster::FieldList>([&](auto d) { store->hash_get_all("room:none", d); }).value.empty());
}

TEST_F(RedisStoreTest, CappedListIsAnOfflineQueue) {
  auto push = [&](const char* v) {
    return wait<std::int64_t>([&](auto d) { store->list_push_capped("queue:b", v, 2, Duration::seconds(30), d); });
  };
  EXPECT_EQ(push("one").value, 1);
  EXPECT_EQ(push("two").value, 2);
  EXPECT_EQ(push("three").value, -1) << "full";
  auto taken = wait<cluster::StringList>([&](auto d) { store->list_take_all("queue:b", d); });
  ASSERT_TRUE(taken.ok()) << taken.error;
  EXPECT_EQ(taken.value, (cluster::StringList{"one", "two"}));
  EXPECT_TRUE(wait<cluster::StringList>([&](auto d) { store->list_take_all("queue:b", d); }).value.empty());
  // The TTL counts from the list's creation.
  EXPECT_EQ(wait<std::int64_t>([&](auto d) { store->list_push_capped("queue:c", "x", 5, Duration::millis(50), d); }).value, 1);
  EXPECT_TRUE(run_until(loop, [&] {
    return wait<cluster::StringList>([&](auto d) { store->list_take_all("queue:c", d); }).value.empty();
  }));
  EXPECT_TRUE(wait<bool>([&](auto d) { store->set("str", "v", Duration::seconds(5), d); }).value);
  auto type_error = wait<std::int64_t>([&](auto d) { store->list_push_capped("str", "x", 5, Duration::seconds(1), d); });
  EXPECT_FALSE(type_error.ok());
  EXPECT_NE(type_error.error.find("WRONGTYPE"), std::string::npos) << type_error.error;
}

TEST_F(RedisStoreTest, PublishReachesTheSubscribedChannelOnly) {
  std::vector<std::string> got_a, got_b;
  store->subscribe("node:a", [&](std::string_view m) { got_a.emplace_back(m); });
  store->subscribe("node:b", [&](std::string_view m) { got_b.emplace_back(m); });
  // Subscribed once a publish reaches one subscriber (SUBSCRIBE is confirmed asynchronously).
  ASSERT_TRUE(run_until(loop, [&] {
    return wait<std::int64_t>([&](auto d) { store->publish("node:a", "hello", d); }).value == 1 &&
           wait<std::int64_t>([&](auto d) { store->publish("node:b", "hi b", d); }).value == 1;
  }));
  ASSERT_TRUE(run_until(loop, [&] { return !got_a.empty() && !got_b.empty(); }));
  EXPECT_EQ(got_a.back(), "hello");
  EXPECT_EQ(got_b.back(), "hi b");
  store->unsubscribe("node:a");
  ASSERT_TRUE(run_until(loop, [&] {
    return wait<std::int64_t>([&](auto d) { store->publish("node:a", "gone", d); }).value == 0;
  }));
  EXPECT_NE(got_a.back(), "gone");
}

TEST_F(RedisStoreTest, WhatOneRoundPublishesToAChannelIsOnePublish) {
  std::vector<std::string> got;
  store->subscribe("node:a", [&](std::string_view m) { got.emplace_back(m); });
  ASSERT_TRUE(run_until(loop, [&] {
    return wait<std::int64_t>([&](auto d) { store->publish("node:a", "ready?", d); }).value == 1;
  }));
  ASSERT_TRUE(run_until(loop, [&] { return !got.empty(); }));
  got.clear();
  const auto publishes = store->publishes(), messages = store->messages_published();
  // Published back to back, with no loop turn between: one batch, split on arrival, in order.
  // The last is bigger than a batch may grow, so the three before it go out first.
  const std::vector<std::string> sent{"{\"k\":1}", "#not a batch", "", std::string(300000, 'z')};
  std::vector<std::int64_t> receivers;
  for (const auto& m : sent)
    store->publish("node:a", m, [&](cluster::Result<std::int64_t> r) {
      receivers.push_back(r.ok() ? r.value : -1);
    });
  ASSERT_TRUE(run_until(loop, [&] { return receivers.size() == 4 && got.size() == 4; }));
  EXPECT_EQ(got, sent);
  EXPECT_EQ(receivers, (std::vector<std::int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(store->publishes() - publishes, 2u);
  EXPECT_EQ(store->messages_published() - messages, 4u);

  // A torn batch from elsewhere is dropped whole and counted, and the channel keeps working.
  redis::Client other(loop, options_for(server));
  other.start();
  ASSERT_TRUE(run_until(loop, [&] { return other.connected(); }));
  std::optional<redis::Result> answer;
  other.command({"PUBLISH", "node:a", "#5:ab,"}, [&](redis::Result r) { answer = std::move(r); });
  ASSERT_TRUE(run_until(loop, [&] { return answer.has_value() && store->malformed_batches() == 1; }));
  EXPECT_EQ(got.size(), 4u);
  EXPECT_EQ(wait<std::int64_t>([&](auto d) { store->publish("node:a", "after", d); }).value, 1);
  ASSERT_TRUE(run_until(loop, [&] { return got.size() == 5; }));
  EXPECT_EQ(got.back(), "after");
}

TEST_F(RedisStoreTest, RedisDownFailsFastAndComesBack) {
  std::vector<std::string> got;
  store->subscribe("node:a", [&](std::string_view m) { got.emplace_back(m); });
  server.stop();
  ASSERT_TRUE(run_until(loop, [&] { return !store->connected(); }));
  EXPECT_FALSE(store->health().connected);
  EXPECT_FALSE(store->health().last_error.empty());
  auto down = wait<bool>([&](auto d) { store->set("k", "v", Duration::seconds(5), d); });
  EXPECT_FALSE(down.ok());
  EXPECT_NE(down.error.find("redis:"), std::string::npos) << down.error;
  server.restart();
  ASSERT_TRUE(run_until(loop, [&] { return store->connected(); }, std::chrono::seconds(10)));
  EXPECT_TRUE(wait<bool>([&](auto d) { store->set("k", "v", Duration::seconds(5), d); }).value);
  ASSERT_TRUE(run_until(loop, [&] {
    return wait<std::int64_t>([&](auto d) { store->publish("node:a", "again", d); }).value == 1;
  }));
  ASSERT_TRUE(run_until(loop, [&] { return !got.empty(); }));
  EXPECT_EQ(got.back(), "again");
  ASSERT_GE(changes.size(), 3u);
  EXPECT_EQ(changes[0], true);
  EXPECT_EQ(changes[1], false);
  EXPECT_EQ(changes.back(), true);
}

TEST(RedisStoreAuth, WrongPasswordGivesUpWithAClearReason) {
  signal(SIGPIPE, SIG_IGN);
  test::RedisServer server(test::RedisServer::Config{.password = "right"});
  net::Loop loop{"redis-store"};
  auto o = options_for(server);
  o.password = "not-the-password-7f3";
  RedisStore store(loop, o);
  store.start();
  ASSERT_TRUE(run_until(loop, [&] { return store.health().gave_up; }));
  EXPECT_FALSE(store.connected());
  EXPECT_NE(store.health().last_error.find("authentication failed"), std::string::npos)
      << store.health().last_error;
  EXPECT_EQ(store.health().last_error.find("7f3"), std::string::npos) << "no password in it";
}

}  // namespace
}  // namespace peerkit::server
