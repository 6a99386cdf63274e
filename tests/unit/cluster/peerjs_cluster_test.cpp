// PeerJS across two or three nodes sharing one FakeRedis, on a virtual clock: ids unique
// cluster-wide, relay to the owner's node channel only, offline queues and EXPIRE in Redis, a
// dead node's ids freed, discovery across the cluster, and Redis going away and coming back.
#include <gtest/gtest.h>

#include "cluster_harness.h"

namespace peerkit::cluster::test {
namespace {

using V = std::vector<std::string>;
constexpr std::string_view kOpen = R"({"type":"OPEN"})";
constexpr std::string_view kIdTaken = R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})";

std::string offer(std::string_view dst) {
  return R"({"type":"OFFER","dst":")" + std::string(dst) + R"(","payload":{"sdp":"x"}})";
}
std::string relayed(std::string_view src, std::string_view dst) {
  return R"({"type":"OFFER","src":")" + std::string(src) + R"(","dst":")" + std::string(dst) +
         R"(","payload":{"sdp":"x"}})";
}
std::string expire(std::string_view unreachable, std::string_view to) {
  return R"({"type":"EXPIRE","src":")" + std::string(unreachable) + R"(","dst":")" +
         std::string(to) + R"("})";
}

TEST(PeerJsCluster, IdIsTakenFromAnyNodeAndFreedWhenItsClientLeaves) {
  Harness h(3);
  ASSERT_TRUE(h.open(0, 1, "alice", "tok-1"));
  EXPECT_EQ(h.take(0, 1), V{std::string(kOpen)});
  EXPECT_EQ(h.redis.string_value("peerkit:peerjs:id:alice"), "a\ntok-1");
  EXPECT_FALSE(h.open(1, 2, "alice", "tok-2"));
  EXPECT_EQ(h.take(1, 2), V{std::string(kIdTaken)});
  EXPECT_TRUE(h[1].transport.closed.contains(2));
  EXPECT_FALSE(h.open(2, 3, "alice", "tok-3"));
  EXPECT_EQ(h[2].cluster.stats().id_taken, 1u);
  // The client closes: the claim goes with it, and another node may give the id out.
  h[0].cluster.on_close(signaling::SessionId(1));
  h.pump();
  EXPECT_FALSE(h.redis.exists("peerkit:peerjs:id:alice"));
  EXPECT_TRUE(h.open(1, 4, "alice", "tok-2"));
  EXPECT_EQ(h.take(1, 4), V{std::string(kOpen)});
}

TEST(PeerJsCluster, SameTokenOnAnotherNodeTakesOver) {
  Harness h(2);
  ASSERT_TRUE(h.open(0, 1, "alice", "tok"));
  ASSERT_TRUE(h.open(1, 2, "alice", "tok"));
  EXPECT_EQ(h.take(1, 2), V{std::string(kOpen)});
  EXPECT_TRUE(h[0].transport.closed.contains(1));  // the old socket on node a
  EXPECT_FALSE(h[0].server.local_token("alice"));
  EXPECT_EQ(h.redis.string_value("peerkit:peerjs:id:alice"), "b\ntok");
}

TEST(PeerJsCluster, RelayGoesToTheOwnersNodeChannelOnly) {
  Harness h(3);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  ASSERT_TRUE(h.open(1, 2, "bob"));
  ASSERT_TRUE(h.open(2, 3, "carol"));
  h.take(1, 2);
  h.take(2, 3);
  const auto to_b = h.redis.published_on("peerkit:node:b:inbox");
  const auto to_c = h.redis.published_on("peerkit:node:c:inbox");
  h.send(0, 1, offer("bob"));
  EXPECT_EQ(h.take(1, 2), V{relayed("alice", "bob")});
  EXPECT_EQ(h.redis.published_on("peerkit:node:b:inbox"), to_b + 1);
  EXPECT_EQ(h.redis.published_on("peerkit:node:c:inbox"), to_c);  // no fan-out
  EXPECT_TRUE(h.take(2, 3).empty());
  // And back, an ANSWER from b to a, src forced to the sender's id.
  h.send(1, 2, R"({"type":"ANSWER","dst":"alice","src":"mallory","payload":{}})");
  EXPECT_EQ(h.take(0, 1),
            (V{std::string(kOpen), R"({"type":"ANSWER","src":"bob","dst":"alice","payload":{}})"}));
  EXPECT_EQ(h[0].cluster.stats().routed, 1u);
  EXPECT_EQ(h[1].cluster.stats().delivered_in, 1u);
}

// The owner cache: a conversation's later frames skip the claim lookup (one Redis command a
// frame, not two), and a stale entry costs a hop, never the frame.
TEST(PeerJsCluster, CachedOwnerSkipsTheLookupAndAStaleOneStillDelivers) {
  Harness h(3);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  ASSERT_TRUE(h.open(1, 2, "bob", "tok-b"));
  h.take(0, 1);
  h.take(1, 2);
  h.send(0, 1, offer("bob"));
  h.send(0, 1, offer("bob"));
  EXPECT_EQ(h.take(1, 2), (V{relayed("alice", "bob"), relayed("alice", "bob")}));
  EXPECT_EQ(h[0].cluster.stats().owner_cache_hits, 1u);
  // bob leaves b and comes back on c (another token: a new claim). a still believes b.
  h[1].cluster.on_close(signaling::SessionId(2));
  h.pump();
  ASSERT_TRUE(h.open(2, 3, "bob", "tok-c"));
  h.take(2, 3);
  const auto to_c = h.redis.published_on("peerkit:node:c:inbox");
  h.send(0, 1, offer("bob"));
  EXPECT_EQ(h[0].cluster.stats().owner_cache_hits, 2u);
  EXPECT_EQ(h.take(2, 3), V{relayed("alice", "bob")});
  EXPECT_EQ(h[1].cluster.stats().forwarded, 1u) << "b passed it on";
  EXPECT_EQ(h.redis.published_on("peerkit:node:c:inbox"), to_c + 1);
  // Past the cache's TTL a frame looks the owner up again, and finds c directly.
  h.advance(Duration::seconds(3));
  h.take(0, 1);  // heartbeats
  h.send(0, 1, offer("bob"));
  EXPECT_EQ(h.take(2, 3), V{relayed("alice", "bob")});
  EXPECT_EQ(h[0].cluster.stats().owner_cache_hits, 2u);
  EXPECT_EQ(h[1].cluster.stats().forwarded, 1u);
}

TEST(PeerJsCluster, OfflineQueueInRedisIsDeliveredWhereverTheIdRegisters) {
  Harness h(2);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  h.take(0, 1);
  h.send(0, 1, offer("dave"));
  h.send(0, 1, R"({"type":"CANDIDATE","dst":"dave","payload":{"c":1}})");
  EXPECT_EQ(h.redis.list_length("peerkit:peerjs:queue:dave"), 2u);
  h.advance(Duration::seconds(2));
  ASSERT_TRUE(h.open(1, 2, "dave"));
  EXPECT_EQ(h.take(1, 2),
            (V{std::string(kOpen), relayed("alice", "dave"),
               R"({"type":"CANDIDATE","src":"alice","dst":"dave","payload":{"c":1}})"}));
  EXPECT_FALSE(h.redis.exists("peerkit:peerjs:queue:dave"));
  h.advance(Duration::seconds(6));  // past the expire timeout: nothing was left to expire
  EXPECT_TRUE(h.take(0, 1).empty());
}

TEST(PeerJsCluster, FrameReachingANodeTheIdJustLeftIsQueuedForItsReturn) {
  Harness h(2);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  ASSERT_TRUE(h.open(1, 2, "bob"));
  h.take(0, 1);
  h[1].server.drop_local("bob", "test");  // gone from b, its claim not yet given back
  h.send(0, 1, offer("bob"));
  EXPECT_EQ(h.redis.list_length("peerkit:peerjs:queue:bob"), 1u);
  // bob comes back on node a with its token: a takeover of the stale claim, then the queue.
  ASSERT_TRUE(h.open(0, 3, "bob"));
  EXPECT_EQ(h.take(0, 3), (V{std::string(kOpen), relayed("alice", "bob")}));
  EXPECT_EQ(h.redis.string_value("peerkit:peerjs:id:bob"), "a\ntok");
}

TEST(PeerJsCluster, FrameTooBigForANodeChannelStaysOnTheLocalPath) {
  Harness h(2);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  ASSERT_TRUE(h.open(1, 2, "bob"));
  h.take(0, 1);
  h.take(1, 2);
  const std::string big =
      R"({"type":"OFFER","dst":"bob","payload":")" + std::string(300 * 1024, 'x') + R"("})";
  const auto to_b = h.redis.published_on("peerkit:node:b:inbox");
  h.send(0, 1, big);
  EXPECT_EQ(h.redis.published_on("peerkit:node:b:inbox"), to_b);
  EXPECT_TRUE(h.take(1, 2).empty());
  // The local path's byte budget (256 KiB per destination) refuses it: EXPIRE at once.
  EXPECT_EQ(h.take(0, 1), V{expire("bob", "alice")});
}

TEST(PeerJsCluster, UnknownIdExpiresAfterTheTimeoutAsOnOneNode) {
  Harness h(2);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  h.take(0, 1);
  h.send(0, 1, offer("nobody"));
  h.send(0, 1, offer("nobody"));
  h.advance(Duration::millis(4800));
  EXPECT_TRUE(h.take(0, 1).empty());
  h.advance(Duration::millis(400));
  EXPECT_EQ(h.take(0, 1), V{expire("nobody", "alice")});  // once per sender
  EXPECT_FALSE(h.redis.exists("peerkit:peerjs:queue:nobody"));
}

TEST(PeerJsCluster, SendersOnOtherNodesHearTheExpireToo) {
  Harness h(2);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  ASSERT_TRUE(h.open(1, 2, "bob"));
  h.take(0, 1);
  h.take(1, 2);
  h.send(0, 1, offer("nobody"));
  h.advance(Duration::seconds(1));
  h.send(1, 2, offer("nobody"));
  h.advance(Duration::millis(4200));  // a's deadline: it takes the queue and tells both senders
  EXPECT_EQ(h.take(0, 1), V{expire("nobody", "alice")});
  EXPECT_EQ(h.take(1, 2), V{expire("nobody", "bob")});
  h.advance(Duration::seconds(2));
  EXPECT_TRUE(h.take(1, 2).empty());
}

TEST(PeerJsCluster, FullRedisQueueAnswersExpireAtOnce) {
  signaling::PeerJsOptions o;
  o.max_queued_per_id = 2;
  Harness h(2, o);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  h.take(0, 1);
  h.send(0, 1, offer("nobody"));
  h.send(0, 1, offer("nobody"));
  EXPECT_TRUE(h.take(0, 1).empty());
  h.send(0, 1, offer("nobody"));
  EXPECT_EQ(h.take(0, 1), V{expire("nobody", "alice")});
  EXPECT_EQ(h.redis.list_length("peerkit:peerjs:queue:nobody"), 2u);
}

TEST(PeerJsCluster, DeadNodesIdsAreFreedBySurvivorsWithinTheTimeout) {
  Harness h(3);
  ASSERT_TRUE(h.open(1, 1, "bob", "tok-b"));
  ASSERT_TRUE(h.open(1, 2, "bert", "tok-b"));
  EXPECT_FALSE(h.open(0, 3, "bob", "other"));
  h.kill(1);
  // Within node_ttl (6 s) + check_interval (1 s) the survivors have freed both ids.
  h.advance(Duration::seconds(7));
  EXPECT_FALSE(h.redis.exists("peerkit:peerjs:id:bob"));
  EXPECT_FALSE(h.redis.exists("peerkit:peerjs:id:bert"));
  EXPECT_FALSE(h.redis.exists("peerkit:peerjs:ids:b"));
  EXPECT_TRUE(h.open(0, 4, "bob", "other"));
  EXPECT_TRUE(h.open(2, 5, "bert", "new"));
}

TEST(PeerJsCluster, DiscoveryListsEveryNodesPeers) {
  Harness h(3);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  ASSERT_TRUE(h.open(1, 2, "bob"));
  ASSERT_TRUE(h.open(2, 3, "carol"));
  std::vector<std::string> ids;
  h[0].cluster.peer_ids([&](std::vector<std::string> v) { ids = std::move(v); });
  h.pump();
  EXPECT_EQ(ids, (V{"alice", "bob", "carol"}));
}

TEST(PeerJsCluster, RedisDownKeepsLocalTrafficAndCrossNodeResumesAfter) {
  Harness h(2);
  ASSERT_TRUE(h.open(0, 1, "alice"));
  ASSERT_TRUE(h.open(0, 2, "ann"));
  ASSERT_TRUE(h.open(1, 3, "bob"));
  for (std::uint64_t s : {1, 2}) h.take(0, s);
  h.take(1, 3);
  h.redis.set_up(false);
  h.pump();
  EXPECT_FALSE(h[0].node.healthy());
  // Local traffic as on one node.
  h.send(0, 1, offer("ann"));
  EXPECT_EQ(h.take(0, 2), V{relayed("alice", "ann")});
  // A new client registers locally, unclaimed.
  ASSERT_TRUE(h.open(0, 4, "amy"));
  EXPECT_EQ(h[0].cluster.stats().unclaimed_opens, 1u);
  // Cross-node: waits in the bounded local queue, then expires.
  h.send(0, 1, offer("bob"));
  h.advance(Duration::seconds(6));
  EXPECT_EQ(h.take(0, 1), V{expire("bob", "alice")});
  EXPECT_TRUE(h.take(1, 3).empty());
  // Redis is back (restarted empty): nodes register, ids are claimed again, traffic resumes.
  h.redis.set_up(true, /*lose_data=*/true);
  h.pump();
  h.advance(Duration::seconds(3));
  EXPECT_TRUE(h[0].node.healthy());
  EXPECT_EQ(h.redis.string_value("peerkit:peerjs:id:amy"), "a\ntok");
  EXPECT_EQ(h.redis.string_value("peerkit:peerjs:id:bob"), "b\ntok");
  EXPECT_FALSE(h.open(1, 5, "amy", "someone-else"));
  h.send(0, 1, offer("bob"));
  EXPECT_EQ(h.take(1, 3), V{relayed("alice", "bob")});
}

TEST(PeerJsCluster, IdClaimedElsewhereWhileCutOffIsDroppedLocally) {
  Harness h(2);
  h[0].client->set_cut(true);  // node a alone loses Redis
  h.pump();
  ASSERT_TRUE(h.open(0, 1, "alice", "tok-a"));
  ASSERT_TRUE(h.open(1, 2, "alice", "tok-b"));  // b cannot know
  h[0].client->set_cut(false);
  h.pump();
  h.advance(Duration::seconds(3));
  // The first claim in Redis wins; a's client is closed and may reconnect.
  EXPECT_TRUE(h[0].transport.closed.contains(1));
  EXPECT_FALSE(h[0].server.local_token("alice"));
  EXPECT_EQ(h.redis.string_value("peerkit:peerjs:id:alice"), "b\ntok-b");
  EXPECT_EQ(h[0].cluster.stats().lost_claims, 1u);
}

}  // namespace
}  // namespace peerkit::cluster::test
