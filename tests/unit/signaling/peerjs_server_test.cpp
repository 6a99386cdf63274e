// The PeerJS core against ../shared/specs/peerjs-protocol.md §2, on a virtual clock.
#include "signaling/peerjs_server.h"

#include <gtest/gtest.h>

#include <regex>

#include "support/recording_transport.h"

namespace peerkit::signaling {
namespace {

using peerkit::testing::RecordingTransport;
using V = std::vector<std::string>;

class PeerJsServerTest : public ::testing::Test {
 protected:
  PeerJsServerTest() { reset({}); }
  void reset(PeerJsOptions options) {
    server.reset();
    transport = RecordingTransport{};
    server = std::make_unique<PeerJsServer>(options, transport);
  }
  bool open(std::uint64_t s, std::string id, std::string token = "tok",
            std::string key = "peerjs") {
    return server->on_open(SessionId(s), {key, id, token}, now);
  }
  void send(std::uint64_t s, std::string_view text) { server->on_message(SessionId(s), text, now); }
  void advance(Duration d) {
    // The driver ticks every 300 ms, as PeerServer's alive check does.
    const Timestamp end = now + d;
    while (now + Duration::millis(300) <= end) {
      now = now + Duration::millis(300);
      server->on_timer(now);
    }
    now = end;
    server->on_timer(now);
  }

  Timestamp now = Timestamp::from_micros(1'000'000);
  RecordingTransport transport;
  std::unique_ptr<PeerJsServer> server;
};

TEST_F(PeerJsServerTest, NewIdGetsOpen) {
  EXPECT_TRUE(open(1, "alice"));
  EXPECT_EQ(transport.take(1), V{R"({"type":"OPEN"})"});
  EXPECT_EQ(server->registered(), 1u);
  EXPECT_FALSE(transport.closed.contains(1));
}

TEST_F(PeerJsServerTest, AcceptanceErrorsUseExactTexts) {
  EXPECT_FALSE(open(1, ""));
  EXPECT_EQ(
      transport.take(1),
      V{R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})"});
  EXPECT_TRUE(transport.closed.contains(1));
  EXPECT_FALSE(open(2, "a", ""));
  EXPECT_FALSE(open(3, "a", "t", ""));
  EXPECT_EQ(
      transport.take(3).at(0),
      R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})");
  EXPECT_FALSE(open(4, "a", "t", "other"));
  EXPECT_EQ(transport.take(4), V{R"({"type":"ERROR","payload":{"msg":"Invalid key provided"}})"});
  EXPECT_EQ(server->registered(), 0u);
  EXPECT_EQ(server->stats().rejected, 4u);
}

TEST_F(PeerJsServerTest, IdTakenWithAnotherToken) {
  open(1, "alice", "t1");
  EXPECT_FALSE(open(2, "alice", "t2"));
  EXPECT_EQ(transport.take(2), V{R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})"});
  EXPECT_TRUE(transport.closed.contains(2));
  EXPECT_FALSE(transport.closed.contains(1));
}

TEST_F(PeerJsServerTest, ConcurrentLimit) {
  PeerJsOptions o;
  o.concurrent_limit = 2;
  reset(o);
  open(1, "a");
  open(2, "b");
  EXPECT_FALSE(open(3, "c"));
  EXPECT_EQ(
      transport.take(3),
      V{R"({"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}})"});
  server->on_close(SessionId(1));
  EXPECT_TRUE(open(4, "c"));
}

TEST_F(PeerJsServerTest, OverlongIdRefused) {
  EXPECT_FALSE(open(1, std::string(257, 'x')));
  EXPECT_NE(transport.take(1).at(0).find("at most 256 bytes"), std::string::npos);
  EXPECT_TRUE(open(2, std::string(256, 'x')));
}

TEST_F(PeerJsServerTest, RelayOverwritesSrcAndStripsUnknownFields) {
  open(1, "alice");
  open(2, "bob");
  transport.take(1);
  transport.take(2);
  send(
      1,
      R"({"type":"OFFER","payload":{"sdp":{"type":"offer","sdp":"v=0\r\n"},"connectionId":"dc_1"},"dst":"bob","src":"mallory","extra":1})");
  EXPECT_EQ(
      transport.take(2),
      V{R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"sdp":{"type":"offer","sdp":"v=0\r\n"},"connectionId":"dc_1"}})"});
  send(2, R"({"dst":"alice","type":"ANSWER","payload":null})");
  send(
      2,
      R"({"type":"CANDIDATE","dst":"alice","payload":{"candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host"}}})");
  EXPECT_EQ(
      transport.take(1),
      (V{R"({"type":"ANSWER","src":"bob","dst":"alice","payload":null})",
         R"({"type":"CANDIDATE","src":"bob","dst":"alice","payload":{"candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host"}}})"}));
  EXPECT_EQ(server->stats().relayed_offer, 1u);
  EXPECT_EQ(server->stats().relayed_answer, 1u);
  EXPECT_EQ(server->stats().relayed_candidate, 1u);
}

TEST_F(PeerJsServerTest, HeartbeatAndUnknownTypesAreNotRelayed) {
  open(1, "alice");
  open(2, "bob");
  transport.take(2);
  send(1, R"({"type":"HEARTBEAT","dst":"bob"})");
  send(1, R"({"type":"OPEN","dst":"bob"})");
  send(1, R"({"type":"HELLO","dst":"bob"})");
  send(1, R"({"dst":"bob"})");
  EXPECT_TRUE(transport.take(2).empty());
  EXPECT_EQ(server->stats().ignored, 3u);
  EXPECT_EQ(server->stats().heartbeats, 1u);
}

TEST_F(PeerJsServerTest, MalformedFramesDoNotStopLaterFrames) {
  open(1, "alice");
  open(2, "bob");
  transport.take(2);
  for (std::string bad : std::vector<std::string>{
           "{not json", "[1,2]", "\"text\"", "", R"({"type":"OFFER","dst":5})",
           "{\"type\":\"OFFER\",\"dst\":\"bob\",\"payload\":" + std::string(100, '[')})
    send(1, bad);
  EXPECT_TRUE(transport.take(2).empty());
  EXPECT_EQ(server->stats().malformed, 6u);
  send(1, R"({"type":"OFFER","dst":"bob","payload":1})");
  EXPECT_EQ(transport.take(2), V{R"({"type":"OFFER","src":"alice","dst":"bob","payload":1})"});
  EXPECT_FALSE(transport.closed.contains(1));
}

TEST_F(PeerJsServerTest, OfflineQueueIsReplayedAfterOpen) {
  open(1, "alice");
  send(1, R"({"type":"OFFER","dst":"bob","payload":{"n":1}})");
  send(1, R"({"type":"CANDIDATE","dst":"bob","payload":{"n":2}})");
  send(1, R"({"type":"LEAVE","dst":"bob"})");  // LEAVE/EXPIRE are never queued
  advance(Duration::millis(4000));
  open(2, "bob");
  EXPECT_EQ(
      transport.take(2),
      (V{R"({"type":"OPEN"})", R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"n":1}})",
         R"({"type":"CANDIDATE","src":"alice","dst":"bob","payload":{"n":2}})"}));
  EXPECT_EQ(server->offline_messages(), 0u);
}

TEST_F(PeerJsServerTest, OfflineQueueExpiresWithOneExpirePerSender) {
  open(1, "alice");
  open(3, "carol");
  transport.take(1);
  transport.take(3);
  send(1, R"({"type":"OFFER","dst":"bob","payload":{}})");
  send(1, R"({"type":"CANDIDATE","dst":"bob","payload":{}})");
  send(3, R"({"type":"OFFER","dst":"bob","payload":{}})");
  advance(Duration::millis(4900));
  EXPECT_TRUE(transport.take(1).empty());
  advance(Duration::millis(400));  // 5.3 s: past expire_timeout, on a 300 ms tick
  EXPECT_EQ(transport.take(1), V{R"({"type":"EXPIRE","src":"bob","dst":"alice"})"});
  EXPECT_EQ(transport.take(3), V{R"({"type":"EXPIRE","src":"bob","dst":"carol"})"});
  EXPECT_EQ(server->stats().expired, 2u);
  open(2, "bob");
  EXPECT_EQ(transport.take(2), V{R"({"type":"OPEN"})"});
}

TEST_F(PeerJsServerTest, OfflineQueuesAreBounded) {
  PeerJsOptions o;
  o.max_queued_per_id = 2;
  o.max_offline_ids = 1;
  reset(o);
  open(1, "alice");
  for (int i = 0; i < 3; ++i) send(1, R"({"type":"OFFER","dst":"bob","payload":{}})");
  send(1, R"({"type":"OFFER","dst":"carol","payload":{}})");
  EXPECT_EQ(server->offline_messages(), 2u);
  EXPECT_EQ(server->stats().queue_drops, 2u);
}

TEST_F(PeerJsServerTest, SameTokenTakeoverSendsOpenAndClosesTheOldSocket) {
  open(1, "alice", "t");
  open(2, "bob");
  transport.take(1);
  transport.take(2);
  EXPECT_TRUE(open(3, "alice", "t"));
  EXPECT_EQ(transport.take(3), V{R"({"type":"OPEN"})"});
  EXPECT_EQ(transport.closed.at(1).first, kCloseNormal);
  send(2, R"({"type":"OFFER","dst":"alice","payload":{}})");
  EXPECT_TRUE(transport.take(1).empty());
  EXPECT_EQ(transport.take(3).size(), 1u);
  server->on_close(SessionId(1));  // the replaced socket's close does not unregister alice
  EXPECT_EQ(server->registered(), 2u);
  send(1, R"({"type":"OFFER","dst":"bob","payload":{}})");  // nor does it speak for her
  EXPECT_TRUE(transport.take(2).empty());
}

TEST_F(PeerJsServerTest, TakeoverWithoutOpenWhenConfiguredLikePeerServer) {
  PeerJsOptions o;
  o.open_on_takeover = false;
  reset(o);
  open(1, "alice", "t");
  open(2, "alice", "t");
  EXPECT_TRUE(transport.take(2).empty());
}

TEST_F(PeerJsServerTest, AliveTimeoutReapsSilentClients) {
  open(1, "alice");
  open(2, "bob");
  for (int i = 0; i < 17; ++i) {  // t = 85 s; bob sends a HEARTBEAT every 5 s, alice never
    advance(Duration::seconds(5));
    send(2, R"({"type":"HEARTBEAT"})");
  }
  EXPECT_FALSE(transport.closed.contains(1));
  advance(Duration::millis(4700));  // t = 89.7 s
  EXPECT_FALSE(transport.closed.contains(1));
  advance(Duration::millis(300));  // t = 90 s without a HEARTBEAT
  ASSERT_TRUE(transport.closed.contains(1));
  EXPECT_FALSE(transport.closed.contains(2));
  EXPECT_EQ(server->registered(), 1u);
  EXPECT_EQ(server->stats().reaped, 1u);
  EXPECT_TRUE(open(3, "alice", "new-token"));  // the id is free again
}

TEST_F(PeerJsServerTest, RelayFailureSendsLeaveToTheSender) {
  open(1, "alice");
  open(2, "bob");
  transport.take(1);
  transport.failing.insert(2);
  send(1, R"({"type":"OFFER","dst":"bob","payload":{}})");
  EXPECT_EQ(transport.take(1), V{R"({"type":"LEAVE","src":"bob","dst":"alice"})"});
  EXPECT_EQ(server->registered(), 1u);
}

TEST_F(PeerJsServerTest, LeaveWithoutDstUnregistersTheSender) {
  open(1, "alice");
  send(1, R"({"type":"LEAVE"})");
  EXPECT_EQ(server->registered(), 0u);
  EXPECT_FALSE(transport.closed.contains(1));
}

TEST_F(PeerJsServerTest, RateLimitDropsThenCloses) {
  PeerJsOptions o;
  o.messages_per_second = 10;
  o.message_burst = 10;
  reset(o);
  open(1, "alice");
  open(2, "bob");
  transport.take(2);
  for (int i = 0; i < 15; ++i) send(1, R"({"type":"CANDIDATE","dst":"bob","payload":{}})");
  EXPECT_EQ(transport.take(2).size(), 10u);
  EXPECT_EQ(server->stats().rate_limited, 5u);
  now = now + Duration::millis(500);  // five tokens back
  for (int i = 0; i < 5; ++i) send(1, R"({"type":"CANDIDATE","dst":"bob","payload":{}})");
  EXPECT_EQ(transport.take(2).size(), 5u);
  for (int i = 0; i < 12; ++i) send(1, R"({"type":"CANDIDATE","dst":"bob","payload":{}})");
  ASSERT_TRUE(transport.closed.contains(1));
  EXPECT_EQ(transport.closed.at(1).first, kClosePolicy);
}

TEST_F(PeerJsServerTest, GeneratedIdsAreUuidV4) {
  SeededRandom random(7);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(std::regex_match(server->generate_id(random), uuid));
}

// Issue 9 item 2: offline queues are bounded in bytes, per destination, per sender, per client
// address (IPv6 by /64) and in total. A refused message is answered at once with the EXPIRE the
// sender would otherwise get after expire_timeout (the PeerJS client's `peer-unavailable`).
class PeerJsQueueBytesTest : public PeerJsServerTest {
 protected:
  // Everything large except what a test sets; payloads of ~1000 bytes, so three cost > 3000.
  static PeerJsOptions unbounded() {
    PeerJsOptions o;
    o.max_queued_bytes_per_id = o.max_queued_bytes_per_sender = o.max_queued_bytes_per_address =
        o.max_queued_bytes_total = 1 << 30;
    return o;
  }
  bool open_from(std::uint64_t s, std::string id, std::string_view address) {
    PeerJsConnectRequest r{"peerjs", std::move(id), "tok"};
    r.address = *IpAddress::parse(address);
    return server->on_open(SessionId(s), r, now);
  }
  void offer(std::uint64_t s, std::string_view dst) {
    send(s, R"({"type":"OFFER","dst":")" + std::string(dst) + R"(","payload":")" +
                std::string(1000, 'x') + "\"}");
  }
  static std::string expire(std::string_view src, std::string_view dst) {
    return R"({"type":"EXPIRE","src":")" + std::string(src) + R"(","dst":")" + std::string(dst) +
           "\"}";
  }
};

TEST_F(PeerJsQueueBytesTest, PerDestination) {
  auto o = unbounded();
  o.max_queued_bytes_per_id = 3000;
  reset(o);
  open(1, "alice");
  transport.take(1);
  offer(1, "bob");
  offer(1, "bob");
  EXPECT_TRUE(transport.take(1).empty());
  offer(1, "bob");  // a third would pass 3000 bytes queued for bob
  EXPECT_EQ(transport.take(1), V{expire("bob", "alice")});
  EXPECT_EQ(server->offline_messages(), 2u);
  EXPECT_EQ(server->stats().queue_drops, 1u);
  offer(1, "carol");  // another destination has its own budget
  EXPECT_TRUE(transport.take(1).empty());
  EXPECT_EQ(server->offline_messages(), 3u);
  EXPECT_GT(server->queued_bytes(), 3000u);
  EXPECT_LE(server->queued_bytes(), 3u * 1200u);
}

TEST_F(PeerJsQueueBytesTest, PerSender) {
  auto o = unbounded();
  o.max_queued_bytes_per_sender = 3000;
  reset(o);
  open(1, "alice");
  open(2, "dave");
  transport.take(1);
  transport.take(2);
  offer(1, "bob");
  offer(1, "carol");
  offer(1, "erin");
  EXPECT_EQ(transport.take(1), V{expire("erin", "alice")});
  offer(2, "erin");  // another sender has its own budget
  EXPECT_TRUE(transport.take(2).empty());
  EXPECT_EQ(server->offline_messages(), 3u);
}

TEST_F(PeerJsQueueBytesTest, PerAddress) {
  auto o = unbounded();
  o.max_queued_bytes_per_address = 3000;
  reset(o);
  open_from(1, "a1", "127.0.0.7");
  open_from(2, "a2", "127.0.0.7");
  open_from(3, "other", "127.0.1.1");
  for (auto s : {1, 2, 3}) transport.take(s);
  offer(1, "x1");
  offer(2, "x2");
  offer(1, "x3");  // the address's third, whichever socket sends it
  EXPECT_EQ(transport.take(1), V{expire("x3", "a1")});
  offer(3, "x3");
  EXPECT_TRUE(transport.take(3).empty());
  EXPECT_EQ(server->offline_messages(), 3u);
}

// Item 6: four addresses of one /64 are one client; the next /64 is another.
TEST_F(PeerJsQueueBytesTest, PerAddressCountsIpv6By64) {
  auto o = unbounded();
  o.max_queued_bytes_per_address = 3000;
  reset(o);
  for (int i = 1; i <= 4; ++i)
    open_from(i, "p" + std::to_string(i), "2001:db8:1:2::" + std::to_string(i));
  open_from(5, "q", "2001:db8:1:3::1");
  for (int i = 1; i <= 5; ++i) transport.take(i);
  offer(1, "x1");
  offer(2, "x2");
  offer(3, "x3");
  offer(4, "x4");
  EXPECT_EQ(transport.take(3), V{expire("x3", "p3")});
  EXPECT_EQ(transport.take(4), V{expire("x4", "p4")});
  offer(5, "x5");
  EXPECT_TRUE(transport.take(5).empty());
  EXPECT_EQ(server->offline_messages(), 3u);
  // With the prefix at 128 each address is its own client again.
  o.ipv6_limit_prefix = 128;
  reset(o);
  for (int i = 1; i <= 4; ++i)
    open_from(i, "p" + std::to_string(i), "2001:db8:1:2::" + std::to_string(i));
  for (int i = 1; i <= 4; ++i) offer(i, "x" + std::to_string(i));
  EXPECT_EQ(server->offline_messages(), 4u);
}

TEST_F(PeerJsQueueBytesTest, Total) {
  auto o = unbounded();
  o.max_queued_bytes_total = 3000;
  reset(o);
  open_from(1, "a", "127.0.0.1");
  open_from(2, "b", "127.0.0.2");
  open_from(3, "c", "127.0.0.3");
  for (auto s : {1, 2, 3}) transport.take(s);
  offer(1, "x1");
  offer(2, "x2");
  offer(3, "x3");
  EXPECT_EQ(transport.take(3), V{expire("x3", "c")});
  EXPECT_EQ(server->offline_messages(), 2u);
}

// What expires or is delivered gives its bytes back to every budget it was counted in.
TEST_F(PeerJsQueueBytesTest, ExpiryAndDeliveryReturnTheBudgets) {
  auto o = unbounded();
  o.max_queued_bytes_per_sender = 3000;
  o.max_queued_bytes_per_address = 3000;
  o.max_queued_bytes_total = 3000;
  reset(o);
  open(1, "alice");
  transport.take(1);
  offer(1, "bob");
  offer(1, "carol");
  offer(1, "dave");
  EXPECT_EQ(transport.take(1), V{expire("dave", "alice")});
  advance(Duration::millis(5300));  // both queues expire
  EXPECT_EQ(transport.take(1).size(), 2u);
  EXPECT_EQ(server->offline_messages(), 0u);
  EXPECT_EQ(server->queued_bytes(), 0u);
  offer(1, "bob");
  offer(1, "carol");
  EXPECT_TRUE(transport.take(1).empty());
  open(2, "bob");  // delivered: bob's message no longer counts
  EXPECT_EQ(transport.take(2).size(), 2u);
  offer(1, "dave");
  EXPECT_TRUE(transport.take(1).empty());
  EXPECT_EQ(server->offline_messages(), 2u);
  server->on_close(SessionId(1));  // a sender that leaves keeps its queued messages counted
  advance(Duration::millis(5300));
  EXPECT_EQ(server->queued_bytes(), 0u);
}

TEST_F(PeerJsQueueBytesTest, DefaultsFitASmallServer) {
  const PeerJsOptions o;
  EXPECT_EQ(o.max_queued_bytes_per_id, 256u * 1024);
  EXPECT_EQ(o.max_queued_bytes_per_sender, 1u << 20);
  EXPECT_EQ(o.max_queued_bytes_per_address, 4u << 20);
  EXPECT_EQ(o.max_queued_bytes_total, 64u << 20);
  EXPECT_EQ(o.ipv6_limit_prefix, 64);
}

// Issue 9 item 12: after a LEAVE without dst the socket no longer speaks for its old id, even
// once someone else has registered that id.
TEST_F(PeerJsServerTest, LeaveWithoutDstCannotSpeakForTheIdOnceTaken) {
  open(1, "alice", "t1");
  open(3, "bob");
  send(1, R"({"type":"LEAVE"})");
  EXPECT_TRUE(open(2, "alice", "t2"));  // someone else takes the id
  for (auto s : {1, 2, 3}) transport.take(s);
  send(1, R"({"type":"OFFER","dst":"bob","payload":{"forged":true}})");
  send(1, R"({"type":"LEAVE","dst":"bob"})");
  EXPECT_TRUE(transport.take(3).empty());
  EXPECT_EQ(server->offline_messages(), 0u);
  send(1, R"({"type":"HEARTBEAT"})");  // nor keeps the new owner alive
  send(2, R"({"type":"OFFER","dst":"bob","payload":1})");  // the new owner does speak for it
  EXPECT_EQ(transport.take(3), V{R"({"type":"OFFER","src":"alice","dst":"bob","payload":1})"});
}

TEST(PeerJsErrorText, EscapesTheMessage) {
  EXPECT_EQ(peerjs_error("a \"b\"\n"), R"({"type":"ERROR","payload":{"msg":"a \"b\"\n"}})");
}

}  // namespace
}  // namespace peerkit::signaling
