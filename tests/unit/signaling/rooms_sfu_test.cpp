// The rooms core's SFU mode (docs/protocol-rooms.md "SFU mode"): when a room switches, what
// each member is told, capacities, forced modes, and the shape checks of sfu-* requests — with
// a recording hook in place of serve's SFU host.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "signaling/rooms_server.h"
#include "support/recording_transport.h"

namespace peerkit::signaling {
namespace {

using peerkit::testing::RecordingTransport;
namespace json = boost::json;

struct RecordingHook final : RoomsSfuHook {
  void enter(std::string_view room, std::string_view member) override {
    calls.push_back("enter " + std::string(room) + ' ' + std::string(member));
  }
  void exit(std::string_view room, std::string_view member) override {
    calls.push_back("exit " + std::string(room) + ' ' + std::string(member));
  }
  void request(std::string_view room, std::string_view member, std::string_view type,
               std::string_view) override {
    calls.push_back(std::string(type) + ' ' + std::string(room) + ' ' + std::string(member));
  }
  std::vector<std::string> take() { return std::exchange(calls, {}); }
  std::vector<std::string> calls;
};

class RoomsSfuTest : public ::testing::Test {
 protected:
  RoomsSfuTest() {
    RoomsOptions o;
    o.sfu_threshold = 4;
    o.sfu_room_capacity = 8;
    server = std::make_unique<RoomsServer>(o, transport);
    server->set_sfu_hook(&hook);
  }
  void connect(std::uint64_t s) {
    server->on_open(SessionId(s), "m" + std::to_string(s), "[]", now);
    transport.take(s);
  }
  void send(std::uint64_t s, std::string_view text) { server->on_message(SessionId(s), text, now); }
  std::vector<json::object> all(std::uint64_t s) {
    std::vector<json::object> out;
    for (const auto& t : transport.take(s)) out.push_back(json::parse(t).as_object());
    return out;
  }
  std::string last_error(std::uint64_t s) {
    auto got = all(s);
    if (got.empty() || got.back()["type"] != "error") return "(no error)";
    return json::value_to<std::string>(got.back()["code"]);
  }
  json::object join(std::uint64_t s, std::string_view extra = "") {
    connect(s);
    send(s, R"({"type":"join","room":"r","name":"n")" + std::string(extra) + "}");
    auto got = all(s);
    return got.empty() ? json::object{} : got.front();
  }

  Timestamp now = Timestamp::from_micros(1'000'000);
  RecordingTransport transport;
  RecordingHook hook;
  std::unique_ptr<RoomsServer> server;
};

TEST_F(RoomsSfuTest, WelcomeTellsTheThresholdAndTheSfuCapacity) {
  server->on_open(SessionId(1), "m1", "[]", now);
  auto w = json::parse(transport.take(1).at(0)).as_object();
  EXPECT_EQ(w["limits"].as_object()["sfuThreshold"], 4);
  EXPECT_EQ(w["limits"].as_object()["sfuRoomCapacity"], 8);
}

TEST_F(RoomsSfuTest, TheFifthMemberSwitchesTheRoomAndEveryoneEntersTheSfu) {
  for (std::uint64_t s = 1; s <= 4; ++s) EXPECT_EQ(join(s)["mode"], "mesh");
  for (std::uint64_t s = 1; s <= 4; ++s) all(s);
  EXPECT_TRUE(hook.take().empty());
  EXPECT_EQ(server->room_mode("r"), "mesh");
  auto joined = join(5);
  EXPECT_EQ(joined["mode"], "sfu");
  for (std::uint64_t s = 1; s <= 4; ++s) {
    auto got = all(s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0]["type"], "member-joined");  // first who, then the switch
    EXPECT_EQ(got[1], (json::object{{"type", "room-mode"}, {"mode", "sfu"}}));
  }
  EXPECT_EQ(hook.take(), (std::vector<std::string>{"enter r m1", "enter r m2", "enter r m3",
                                                   "enter r m4", "enter r m5"}));
  // Later members join an SFU room directly; nobody is told of a switch again.
  EXPECT_EQ(join(6)["mode"], "sfu");
  EXPECT_EQ(hook.take(), (std::vector<std::string>{"enter r m6"}));
  EXPECT_EQ(all(1).size(), 1u);  // member-joined only
  // It stays an SFU room while it has members, even when it shrinks below the threshold.
  for (std::uint64_t s = 2; s <= 6; ++s) send(s, R"({"type":"leave"})");
  EXPECT_EQ(hook.take().size(), 5u);  // exits
  EXPECT_EQ(server->room_mode("r"), "sfu");
  send(1, R"({"type":"leave"})");
  EXPECT_EQ(server->room_mode("r"), "");
  EXPECT_EQ(join(7)["mode"], "mesh");  // a new room starts as a mesh
}

TEST_F(RoomsSfuTest, TheFirstMembersLinkForcesTheModeAndTheCapacityFollowsIt) {
  EXPECT_EQ(join(1, R"(,"mode":"sfu")")["mode"], "sfu");
  EXPECT_EQ(hook.take(), (std::vector<std::string>{"enter r m1"}));
  EXPECT_EQ(join(2, R"(,"mode":"mesh")")["mode"], "sfu");  // the room's policy stays
  for (std::uint64_t s = 3; s <= 8; ++s) join(s);
  connect(9);
  send(9, R"({"type":"join","room":"r","name":"n"})");
  EXPECT_EQ(last_error(9), "room-full");  // sfu_room_capacity 8

  connect(20);
  send(20, R"({"type":"join","room":"m","name":"n","mode":"mesh"})");
  for (std::uint64_t s = 21; s <= 25; ++s) {
    connect(s);
    send(s, R"({"type":"join","room":"m","name":"n"})");
  }
  EXPECT_EQ(server->room_mode("m"), "mesh");  // forced mesh never switches
  connect(26);
  send(26, R"({"type":"join","room":"m","name":"n"})");
  EXPECT_EQ(last_error(26), "room-full");  // room_capacity 6
  connect(27);
  send(27, R"({"type":"join","room":"x","name":"n","mode":"fast"})");
  EXPECT_EQ(last_error(27), "bad-message");
}

TEST_F(RoomsSfuTest, SfuRequestsAreCheckedBeforeTheHookSeesThem) {
  connect(1);
  send(1, R"({"type":"sfu-publish","sdp":"v=0"})");
  EXPECT_EQ(last_error(1), "not-in-room");
  send(1, R"({"type":"join","room":"r","name":"n"})");
  all(1);
  send(1, R"({"type":"sfu-publish","sdp":"v=0"})");
  EXPECT_EQ(last_error(1), "not-sfu");  // a mesh room
  send(1, R"({"type":"leave"})");
  send(1, R"({"type":"join","room":"s","name":"n","mode":"sfu"})");
  all(1);
  hook.take();
  send(1, R"({"type":"sfu-publish"})");
  EXPECT_EQ(last_error(1), "bad-message");
  send(1, R"({"type":"sfu-publish","sdp":"v=0","height":0})");
  EXPECT_EQ(last_error(1), "bad-message");
  send(1, R"({"type":"sfu-subscribe-answer","sdp":"v=0"})");
  EXPECT_EQ(last_error(1), "bad-message");  // no connection number
  send(1, R"({"type":"sfu-constraints","sources":{"m2":"big"}})");
  EXPECT_EQ(last_error(1), "bad-message");
  send(1, R"({"type":"sfu-teleport"})");
  EXPECT_EQ(last_error(1), "unknown-type");
  EXPECT_TRUE(hook.take().empty());
  send(1, R"({"type":"sfu-publish","sdp":"v=0","height":720})");
  send(1, R"({"type":"sfu-subscribe-answer","sdp":"v=0","connection":1})");
  send(1, R"({"type":"sfu-constraints","maxHeight":null,"sources":{"m2":180}})");
  send(1, R"({"type":"sfu-stats"})");
  EXPECT_EQ(hook.take(), (std::vector<std::string>{"sfu-publish s m1", "sfu-subscribe-answer s m1",
                                                   "sfu-constraints s m1", "sfu-stats s m1"}));
  EXPECT_TRUE(server->deliver("s", "m1", R"({"type":"sfu-publish-answer"})"));
  EXPECT_FALSE(server->deliver("r", "m1", "{}"));  // not in that room
  EXPECT_FALSE(server->deliver("s", "gone", "{}"));
}

TEST_F(RoomsSfuTest, ARoomCapacityAtOrBelowTheThresholdKeepsAutoRoomsSmallMeshes) {
  RoomsOptions o;
  o.room_capacity = 3;
  o.sfu_threshold = 4;
  server = std::make_unique<RoomsServer>(o, transport);
  server->set_sfu_hook(&hook);
  for (std::uint64_t s = 1; s <= 3; ++s) EXPECT_EQ(join(s)["mode"], "mesh");
  connect(4);
  send(4, R"({"type":"join","room":"r","name":"n"})");
  EXPECT_EQ(last_error(4), "room-full");
  EXPECT_TRUE(hook.take().empty());
}

TEST_F(RoomsSfuTest, WithoutAHookEveryRoomIsAMesh) {
  server->set_sfu_hook(nullptr);
  EXPECT_EQ(join(1, R"(,"mode":"sfu")")["mode"], "mesh");
  send(1, R"({"type":"sfu-stats"})");
  EXPECT_EQ(last_error(1), "not-sfu");
}

TEST_F(RoomsSfuTest, ADisconnectLeavesTheSfu) {
  join(1, R"(,"mode":"sfu")");
  hook.take();
  server->on_close(SessionId(1));
  EXPECT_EQ(hook.take(), (std::vector<std::string>{"exit r m1"}));
}

}  // namespace
}  // namespace peerkit::signaling
