// The rooms protocol across nodes sharing one FakeRedis, on a virtual clock: membership and
// member-joined/member-left across nodes, signals to the target's node only, room-full
// cluster-wide, a dead node's members announced left (disconnected), Redis away and back.
#include <gtest/gtest.h>

#include "cluster_harness.h"

namespace peerkit::cluster::test {
namespace {

using V = std::vector<std::string>;

TEST(RoomsCluster, MembersOnTwoNodesSeeEachOtherJoinAndLeave) {
  Harness h(3);
  h.join(0, 101, "r", "Al");
  EXPECT_EQ(h.take(0, 101),
            V{R"({"type":"joined","room":"r","self":{"id":"a-101","name":"Al"},"members":[],"mode":"mesh"})"});
  h.join(0, 102, "r", "Ann");
  h.take(0, 101);
  h.take(0, 102);
  h.join(1, 201, "r", "Bo");
  const V joined = h.take(1, 201);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0],
            R"({"type":"joined","room":"r","self":{"id":"b-201","name":"Bo"},"members":[)"
            R"({"id":"a-101","name":"Al"},{"id":"a-102","name":"Ann"}],"mode":"mesh"})");
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-joined","member":{"id":"b-201","name":"Bo"}})"});
  EXPECT_EQ(h.take(0, 102), V{R"({"type":"member-joined","member":{"id":"b-201","name":"Bo"}})"});
  EXPECT_EQ(h.redis.hash_length("peerkit:room:r"), 3u);
  // Node c has no member in r: it is told nothing.
  EXPECT_EQ(h.redis.published_on("peerkit:node:c:inbox"), 0u);
  h.rooms_send(1, 201, R"({"type":"leave"})");
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-left","id":"b-201","reason":"left"})"});
  EXPECT_EQ(h.redis.hash_length("peerkit:room:r"), 2u);
  // A connection closing is "disconnected", as on one node.
  h.join(1, 202, "r", "Bea");
  h.take(0, 101);
  h[1].rooms.on_close(signaling::SessionId(202));
  h.pump();
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-left","id":"b-202","reason":"disconnected"})"});
}

TEST(RoomsCluster, SignalReachesAMemberOnAnotherNode) {
  Harness h(3);
  h.join(0, 101, "r", "Al");
  h.join(1, 201, "r", "Bo");
  h.join(2, 301, "other", "Cy");
  h.take(0, 101);
  h.take(1, 201);
  h.rooms_send(1, 201, R"({"type":"signal","to":"a-101","data":{"sdp":"v=0"}})");
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"signal","from":"b-201","data":{"sdp":"v=0"}})"});
  EXPECT_TRUE(h.take(1, 201).empty());
  // A member of another room, on another node, is unknown as on one node.
  h.rooms_send(1, 201, R"({"type":"signal","to":"c-301","data":1})");
  const V err = h.take(1, 201);
  ASSERT_EQ(err.size(), 1u);
  EXPECT_NE(err[0].find(R"("code":"unknown-member")"), std::string::npos);
  EXPECT_EQ(h[0].rooms_cluster.stats().signals_in, 1u);
}

TEST(RoomsCluster, RoomFullIsClusterWide) {
  signaling::RoomsOptions rooms;
  rooms.room_capacity = 2;
  Harness h(3, {}, rooms);
  h.join(0, 101, "r", "Al");
  h.join(1, 201, "r", "Bo");
  h.join(2, 301, "r", "Cy");
  const V full = h.take(2, 301);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_NE(full[0].find(R"("code":"room-full")"), std::string::npos) << full[0];
  EXPECT_EQ(h[2].rooms.members(), 0u);
  EXPECT_EQ(h.redis.hash_length("peerkit:room:r"), 2u);
  // A place frees up on node a: c's member may join.
  h.rooms_send(0, 101, R"({"type":"leave"})");
  h.rooms_send(2, 301, R"({"type":"join","room":"r","name":"Cy"})");
  EXPECT_NE(h.take(2, 301).at(0).find(R"("type":"joined")"), std::string::npos);
}

TEST(RoomsCluster, DeadNodesMembersAreAnnouncedLeftWithinTheTimeout) {
  Harness h(3);
  h.join(0, 101, "r", "Al");
  h.join(2, 301, "r", "Cy");
  h.join(1, 201, "r", "Bo");
  h.take(0, 101);
  h.take(2, 301);
  h.kill(1);
  h.advance(Duration::seconds(3));
  EXPECT_TRUE(h.take(0, 101).empty());
  h.advance(Duration::seconds(4));  // node_ttl + check_interval
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-left","id":"b-201","reason":"disconnected"})"});
  EXPECT_EQ(h.take(2, 301), V{R"({"type":"member-left","id":"b-201","reason":"disconnected"})"});
  EXPECT_EQ(h.redis.hash_length("peerkit:room:r"), 2u);
  EXPECT_FALSE(h.redis.exists("peerkit:room-members:b"));
  h.advance(Duration::seconds(10));
  EXPECT_TRUE(h.take(0, 101).empty());  // once
}

TEST(RoomsCluster, RedisDownKeepsLocalRoomsAndResyncsAfter) {
  Harness h(2);
  h.join(0, 101, "r", "Al");
  h.join(1, 201, "r", "Bo");
  h.take(0, 101);
  h.take(1, 201);
  h.redis.set_up(false);
  h.pump();
  // A local join and local signals work; the remote member is still listed (not flapping).
  h.join(0, 102, "r", "Ann");
  const V joined = h.take(0, 102);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_NE(joined[0].find("b-201"), std::string::npos) << joined[0];
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-joined","member":{"id":"a-102","name":"Ann"}})"});
  h.rooms_send(0, 102, R"({"type":"signal","to":"a-101","data":2})");
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"signal","from":"a-102","data":2})"});
  // Cross-node signal fails now: unknown-member for the sender, nothing crashes.
  h.rooms_send(0, 102, R"({"type":"signal","to":"b-201","data":3})");
  EXPECT_EQ(h.take(0, 102).size(), 1u);
  h.advance(Duration::seconds(10));
  h.redis.set_up(true, /*lose_data=*/true);
  h.pump();
  h.advance(Duration::seconds(3));
  EXPECT_EQ(h.redis.hash_length("peerkit:room:r"), 3u);  // every membership is back
  // b learns of the member that joined during the outage, and signals flow again.
  EXPECT_EQ(h.take(1, 201), V{R"({"type":"member-joined","member":{"id":"a-102","name":"Ann"}})"});
  h.rooms_send(0, 102, R"({"type":"signal","to":"b-201","data":4})");
  EXPECT_EQ(h.take(1, 201), V{R"({"type":"signal","from":"a-102","data":4})"});
}

// Redis restarted empty: the node back first must not announce the other node's members left
// (and joined again) before that node had a chance to put them back — the web app would drop
// the call with them. A member that really left during the outage is still announced left.
TEST(RoomsCluster, RedisRestartedEmptyDoesNotFlapRemoteMembers) {
  Harness h(2);
  h.join(0, 101, "r", "Al");
  h.join(1, 201, "r", "Bo");
  h.join(1, 202, "r", "Cy");
  h.take(0, 101);
  h.take(1, 201);
  h.take(1, 202);
  h.redis.set_up(false);
  h.pump();
  h.advance(Duration::seconds(3));
  h.rooms_send(1, 202, R"({"type":"leave"})");  // b cannot tell a now
  h.take(1, 201);
  h.take(1, 202);
  h.redis.set_up(true, /*lose_data=*/true);
  h.pump();
  h.advance(Duration::seconds(1));
  EXPECT_TRUE(h.take(0, 101).empty());  // nothing yet: b is re-adding its members
  h.advance(Duration::seconds(8));
  // Only the member that left during the outage is announced left, once; b-201 never flapped.
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-left","id":"b-202","reason":"disconnected"})"});
  EXPECT_EQ(h.redis.hash_length("peerkit:room:r"), 2u);
  h.rooms_send(0, 101, R"({"type":"signal","to":"b-201","data":6})");
  EXPECT_EQ(h.take(1, 201), V{R"({"type":"signal","from":"a-101","data":6})"});
}

TEST(RoomsCluster, NodeCutOffLongerThanItsTtlIsLeftThenRejoinsItsRooms) {
  Harness h(2);
  h.join(0, 101, "r", "Al");
  h.join(1, 201, "r", "Bo");
  h.take(0, 101);
  h.take(1, 201);
  h[1].client->set_cut(true);  // b keeps running and serving its clients, without Redis
  h.pump();
  h.advance(Duration::seconds(8));
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-left","id":"b-201","reason":"disconnected"})"});
  EXPECT_TRUE(h.take(1, 201).empty());  // b announces nothing because of its outage
  h[1].client->set_cut(false);
  h.pump();
  h.advance(Duration::seconds(3));
  // b registers again, puts its member back and tells the room; a lists it again.
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"member-joined","member":{"id":"b-201","name":"Bo"}})"});
  EXPECT_EQ(h[0].node.peers(), std::set<std::string>{"b"});
  h.rooms_send(0, 101, R"({"type":"signal","to":"b-201","data":5})");
  EXPECT_EQ(h.take(1, 201), V{R"({"type":"signal","from":"a-101","data":5})"});
}

TEST(RoomsCluster, LeaveBeforeTheClusterAnsweredCancelsTheJoin) {
  Harness h(2);
  h.join(1, 201, "r", "Bo");
  h.take(1, 201);
  auto& a = h[0];
  a.rooms.on_open(signaling::SessionId(101), "a-101", "[]", h.clock.now());
  a.transport.take(101);
  // Both frames before any Redis reply.
  a.rooms.on_message(signaling::SessionId(101), R"({"type":"join","room":"r","name":"Al"})",
                     h.clock.now());
  a.rooms.on_message(signaling::SessionId(101), R"({"type":"leave"})", h.clock.now());
  h.pump();
  EXPECT_EQ(h.take(0, 101), V{R"({"type":"left","room":"r"})"});
  EXPECT_EQ(a.rooms.members(), 0u);
  EXPECT_EQ(h.redis.hash_length("peerkit:room:r"), 1u);  // the place was given back
  EXPECT_TRUE(h.take(1, 201).empty());                   // b never heard of it
}

}  // namespace
}  // namespace peerkit::cluster::test
