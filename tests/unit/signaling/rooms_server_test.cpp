// The rooms core (docs/protocol-rooms.md): every message and error, on a virtual clock.
#include "signaling/rooms_server.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/recording_transport.h"

namespace peerkit::signaling {
namespace {

using peerkit::testing::RecordingTransport;
namespace json = boost::json;

class RoomsServerTest : public ::testing::Test {
 protected:
  RoomsServerTest() { reset({}); }
  void reset(RoomsOptions options) {
    server.reset();
    transport = RecordingTransport{};
    server = std::make_unique<RoomsServer>(options, transport);
  }
  void connect(std::uint64_t s, std::string id) {
    server->on_open(SessionId(s), std::move(id), R"([{"urls":["stun:127.0.0.1:3478"]}])", now);
    transport.take(s);
  }
  void send(std::uint64_t s, std::string_view text) { server->on_message(SessionId(s), text, now); }
  // The one message `s` received since the last call, parsed.
  json::object one(std::uint64_t s) {
    auto got = transport.take(s);
    EXPECT_EQ(got.size(), 1u) << (got.empty() ? "" : got[0]);
    return got.empty() ? json::object{} : json::parse(got.back()).as_object();
  }
  std::string error_code(std::uint64_t s) {
    auto m = one(s);
    EXPECT_EQ(m["type"], "error");
    return json::value_to<std::string>(m["code"]);
  }

  Timestamp now = Timestamp::from_micros(5'000'000);
  RecordingTransport transport;
  std::unique_ptr<RoomsServer> server;
};

TEST_F(RoomsServerTest, WelcomeCarriesIdIceServersAndLimits) {
  server->on_open(SessionId(1), "m1", R"([{"urls":["stun:x"]}])", now);
  auto m = one(1);
  EXPECT_EQ(m["type"], "welcome");
  EXPECT_EQ(m["id"], "m1");
  EXPECT_EQ(m["iceServers"].as_array().at(0).as_object().at("urls").as_array().at(0), "stun:x");
  EXPECT_EQ(m["limits"].as_object().at("roomCapacity"), 6);
}

TEST_F(RoomsServerTest, JoinShowsMembersAndAnnouncesTheNewcomer) {
  connect(1, "m1");
  connect(2, "m2");
  send(1, R"({"type":"join","room":"lobby","name":"Ann"})");
  auto j1 = one(1);
  EXPECT_EQ(j1["type"], "joined");
  EXPECT_EQ(j1["room"], "lobby");
  EXPECT_EQ(j1["self"], (json::object{{"id", "m1"}, {"name", "Ann"}}));
  EXPECT_TRUE(j1["members"].as_array().empty());
  send(2, R"({"type":"join","room":"lobby","name":"Bo \"B\""})");
  auto j2 = one(2);
  EXPECT_EQ(j2["members"], (json::array{json::object{{"id", "m1"}, {"name", "Ann"}}}));
  auto announced = one(1);
  EXPECT_EQ(announced["type"], "member-joined");
  EXPECT_EQ(announced["member"], (json::object{{"id", "m2"}, {"name", "Bo \"B\""}}));
  EXPECT_EQ(server->rooms(), 1u);
  EXPECT_EQ(server->members(), 2u);
}

TEST_F(RoomsServerTest, SignalReachesOneMemberWithFrom) {
  connect(1, "m1");
  connect(2, "m2");
  connect(3, "m3");
  for (std::uint64_t s : {1, 2, 3}) send(s, R"({"type":"join","room":"r","name":"x"})");
  for (std::uint64_t s : {1, 2, 3}) transport.take(s);
  send(1, R"({"type":"signal","to":"m3","data":{"sdp":{"type":"offer","sdp":"v=0"}},"from":"m2"})");
  auto m = one(3);
  EXPECT_EQ(m["type"], "signal");
  EXPECT_EQ(m["from"], "m1");
  EXPECT_EQ(m["data"].as_object()["sdp"].as_object()["type"], "offer");
  EXPECT_TRUE(transport.take(2).empty());
  EXPECT_EQ(server->stats().signals_relayed, 1u);
}

TEST_F(RoomsServerTest, SignalOnlyWithinTheRoom) {
  connect(1, "m1");
  connect(2, "m2");
  send(1, R"({"type":"join","room":"a","name":"x"})");
  send(2, R"({"type":"join","room":"b","name":"y"})");
  transport.take(1);
  transport.take(2);
  send(1, R"({"type":"signal","to":"m2","data":{}})");
  EXPECT_EQ(error_code(1), "unknown-member");
  send(1, R"({"type":"signal","to":"m1","data":{}})");  // not to oneself either
  EXPECT_EQ(error_code(1), "unknown-member");
  EXPECT_TRUE(transport.take(2).empty());
}

TEST_F(RoomsServerTest, RoomCapacity) {
  RoomsOptions o;
  o.room_capacity = 2;
  reset(o);
  for (std::uint64_t s : {1, 2, 3}) {
    connect(s, "m" + std::to_string(s));
    send(s, R"({"type":"join","room":"r","name":"x"})");
  }
  EXPECT_EQ(error_code(3), "room-full");
  server->on_close(SessionId(1));
  send(3, R"({"type":"join","room":"r","name":"x"})");
  EXPECT_EQ(one(3)["type"], "joined");
}

TEST_F(RoomsServerTest, LeaveAndDisconnectAreAnnounced) {
  for (std::uint64_t s : {1, 2, 3}) {
    connect(s, "m" + std::to_string(s));
    send(s, R"({"type":"join","room":"r","name":"x"})");
  }
  for (std::uint64_t s : {1, 2, 3}) transport.take(s);
  send(1, R"({"type":"leave"})");
  EXPECT_EQ(one(1), (json::object{{"type", "left"}, {"room", "r"}}));
  EXPECT_EQ(one(2), (json::object{{"type", "member-left"}, {"id", "m1"}, {"reason", "left"}}));
  EXPECT_EQ(one(3)["id"], "m1");
  server->on_close(SessionId(2));
  EXPECT_EQ(one(3),
            (json::object{{"type", "member-left"}, {"id", "m2"}, {"reason", "disconnected"}}));
  server->on_close(SessionId(3));
  EXPECT_EQ(server->rooms(), 0u);
  send(1, R"({"type":"join","room":"again","name":"x"})");  // a left member may join again
  EXPECT_EQ(one(1)["type"], "joined");
}

TEST_F(RoomsServerTest, EveryErrorHasACode) {
  connect(1, "m1");
  send(1, "{oops");
  EXPECT_EQ(error_code(1), "bad-json");
  send(1, "[]");
  EXPECT_EQ(error_code(1), "bad-json");
  send(1, R"({"room":"r"})");
  EXPECT_EQ(error_code(1), "bad-message");
  send(1, R"({"type":7})");
  EXPECT_EQ(error_code(1), "bad-message");
  send(1, R"({"type":"dance"})");
  EXPECT_EQ(error_code(1), "unknown-type");
  send(1, R"({"type":"join","room":"r"})");
  EXPECT_EQ(error_code(1), "bad-message");
  send(1, R"({"type":"join","room":"","name":"x"})");
  EXPECT_EQ(error_code(1), "bad-room");
  send(1, R"({"type":"join","room":")" + std::string(65, 'r') + R"(","name":"x"})");
  EXPECT_EQ(error_code(1), "bad-room");
  send(1, R"({"type":"join","room":"r","name":"a\u0007b"})");
  EXPECT_EQ(error_code(1), "bad-name");
  send(1, R"({"type":"signal","to":"m2","data":{}})");
  EXPECT_EQ(error_code(1), "not-in-room");
  send(1, R"({"type":"leave"})");
  EXPECT_EQ(error_code(1), "not-in-room");
  send(1, R"({"type":"join","room":"r","name":"x"})");
  one(1);
  send(1, R"({"type":"join","room":"s","name":"x"})");
  EXPECT_EQ(error_code(1), "already-in-room");
  send(1, R"({"type":"signal","to":"m2"})");
  EXPECT_EQ(error_code(1), "bad-message");
  send(1, R"({"type":"ping"})");
  EXPECT_EQ(one(1), (json::object{{"type", "pong"}}));
  EXPECT_FALSE(transport.closed.contains(1));
}

TEST_F(RoomsServerTest, ErrorsNameTheRequest) {
  connect(1, "m1");
  send(1, R"({"type":"leave"})");
  EXPECT_EQ(one(1)["request"], "leave");
}

TEST_F(RoomsServerTest, TooManyRooms) {
  RoomsOptions o;
  o.max_rooms = 1;
  reset(o);
  connect(1, "m1");
  connect(2, "m2");
  send(1, R"({"type":"join","room":"a","name":"x"})");
  send(2, R"({"type":"join","room":"b","name":"x"})");
  EXPECT_EQ(error_code(2), "too-many-rooms");
}

TEST_F(RoomsServerTest, RateLimitWarnsOnceThenCloses) {
  RoomsOptions o;
  o.messages_per_second = 5;
  o.message_burst = 5;
  reset(o);
  connect(1, "m1");
  for (int i = 0; i < 6; ++i) send(1, R"({"type":"ping"})");
  auto got = transport.take(1);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_NE(got[5].find("rate-limited"), std::string::npos);
  for (int i = 0; i < 5; ++i) send(1, R"({"type":"ping"})");
  EXPECT_TRUE(transport.take(1).empty());
  EXPECT_TRUE(transport.closed.contains(1));
  EXPECT_EQ(transport.closed.at(1).first, kClosePolicy);
}

// Issue 9 item 11: an error never echoes a client's long value back whole (64 bytes at most).
TEST_F(RoomsServerTest, ErrorsTruncateEchoedValues) {
  connect(1, "m1");
  const std::string big(60000, 't');
  send(1, R"({"type":")" + big + "\"}");
  auto got = transport.take(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_LT(got[0].size(), 400u);
  auto m = json::parse(got[0]).as_object();
  EXPECT_EQ(m["code"], "unknown-type");
  EXPECT_EQ(m["request"].as_string().size(), 64u + 3);  // 64 bytes and "..."
  EXPECT_NE(m["message"].as_string().find(std::string(64, 't') + "..."), std::string::npos);
  // A cut never splits a UTF-8 character: 63 ASCII bytes then 2-byte characters.
  send(1, R"({"type":")" + std::string(63, 'a') + "\xc3\xa9\xc3\xa9\"}");
  auto cut = json::parse(transport.take(1).at(0)).as_object();  // parses: still valid UTF-8
  EXPECT_EQ(cut["request"].as_string(), std::string(63, 'a') + "...");
  send(1, R"({"type":"join","room":"r","name":"x"})");
  transport.take(1);
  send(1, R"({"type":"signal","to":")" + big + R"(","data":{}})");
  auto unknown = transport.take(1);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_LT(unknown[0].size(), 400u);
  EXPECT_NE(unknown[0].find("unknown-member"), std::string::npos);
}

// Issue 9 item 11: C1 controls (U+0080-U+009F, including NEL U+0085) are control characters too.
TEST(ValidName, RefusesC1Controls) {
  EXPECT_FALSE(valid_name("a\xc2\x85" "b", 64));  // U+0085 NEL
  EXPECT_FALSE(valid_name("\xc2\x80", 64));       // U+0080
  EXPECT_FALSE(valid_name("x\xc2\x9b[2J", 64));   // U+009B CSI
  EXPECT_FALSE(valid_name("\xc2\x9f", 64));       // U+009F
  EXPECT_TRUE(valid_name("\xc2\xa0" "nbsp", 64));  // U+00A0 is not a control
  EXPECT_TRUE(valid_name("caf\xc3\xa9", 64));
}

TEST_F(RoomsServerTest, JoinRefusesC1ControlsInNames) {
  connect(1, "m1");
  send(1, R"({"type":"join","room":"r\u0085x","name":"x"})");
  EXPECT_EQ(error_code(1), "bad-room");
  send(1, R"({"type":"join","room":"r","name":"Ann\u009b"})");
  EXPECT_EQ(error_code(1), "bad-name");
}

TEST(ValidName, Rules) {
  EXPECT_TRUE(valid_name("Zoë's room", 64));
  EXPECT_FALSE(valid_name("", 64));
  EXPECT_FALSE(valid_name("tab\there", 64));
  EXPECT_FALSE(valid_name("abc", 2));
}

}  // namespace
}  // namespace peerkit::signaling
