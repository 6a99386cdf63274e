// `peerkit join`'s rooms core against frames shaped as peerkit serve and web/peer.js send them.
#include "join/room_session.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace peerkit::join {
namespace {

namespace json = boost::json;
using K = RoomEvent::Kind;

constexpr const char* kWelcome =
    R"({"type":"welcome","id":"me1","iceServers":[{"urls":["stun:127.0.0.1:3478"]},)"
    R"({"urls":["turn:127.0.0.1:3478?transport=udp","turn:127.0.0.1:3478?transport=tcp"],)"
    R"("username":"1795393960:me1","credential":"c2VjcmV0"}],"limits":{"roomCapacity":6}})";

TEST(RoomSession, WelcomeGivesIceServersAndSendsJoin) {
  RoomSession s("standup", "Ann");
  s.on_server_frame(kWelcome);
  auto ev = s.take_events();
  ASSERT_EQ(ev.size(), 2u);
  ASSERT_EQ(ev[0].kind, K::kWelcome);
  ASSERT_EQ(ev[0].ice_servers.size(), 3u);
  EXPECT_EQ(ev[0].ice_servers[0].url, "stun:127.0.0.1:3478");
  EXPECT_EQ(ev[0].ice_servers[2].url, "turn:127.0.0.1:3478?transport=tcp");
  EXPECT_EQ(ev[0].ice_servers[2].username, "1795393960:me1");
  EXPECT_EQ(ev[0].ice_servers[2].credential, "c2VjcmV0");
  ASSERT_EQ(ev[1].kind, K::kSend);
  EXPECT_EQ(json::parse(ev[1].text),
            json::parse(R"({"type":"join","room":"standup","name":"Ann"})"));
  EXPECT_EQ(s.self_id(), "me1");
}

TEST(RoomSession, TheLaterMemberOffersToEveryoneListed) {
  RoomSession s("r", "Ann");
  s.on_server_frame(kWelcome);
  s.take_events();
  s.on_server_frame(R"({"type":"joined","room":"r","self":{"id":"me1","name":"Ann"},)"
                    R"("members":[{"id":"b","name":"Bo"},{"id":"c","name":"Cy"}]})");
  auto ev = s.take_events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].kind, K::kJoined);
  EXPECT_EQ(ev[1].kind, K::kOpenPeer);
  EXPECT_EQ(ev[1].member.id, "b");
  EXPECT_EQ(ev[1].member.name, "Bo");
  EXPECT_TRUE(ev[1].offer);
  EXPECT_EQ(ev[2].member.name, "Cy");
  EXPECT_TRUE(s.joined());
  // Someone joining after us offers to us: we make a link that answers.
  s.on_server_frame(R"({"type":"member-joined","member":{"id":"d","name":"Di"}})");
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kOpenPeer);
  EXPECT_FALSE(ev[0].offer);
  EXPECT_EQ(s.name_of("d"), "Di");
  s.on_server_frame(R"({"type":"member-left","id":"d","reason":"left"})");
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kMemberLeft);
  EXPECT_EQ(ev[0].member.name, "Di");
  EXPECT_EQ(ev[0].reason, "left");
  EXPECT_EQ(s.name_of("d"), "…");
}

TEST(RoomSession, SignalsInBothShapesOfPeerJs) {
  RoomSession s("r", "Ann");
  s.on_server_frame(
      R"({"type":"signal","from":"b","data":{"sdp":{"type":"offer","sdp":"v=0\r\n"}}})");
  s.on_server_frame(
      R"({"type":"signal","from":"b","data":{"candidate":{"candidate":"candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"u"}}})");
  s.on_server_frame(R"({"type":"signal","from":"b","data":{"candidate":null}})");
  s.on_server_frame(
      R"({"type":"signal","from":"b","data":{"candidate":{"candidate":"","sdpMid":"0"}}})");
  s.on_server_frame(R"({"type":"signal","from":"b","data":"nonsense"})");
  s.on_server_frame(R"({"type":"signal","data":{"candidate":null}})");  // no sender
  auto ev = s.take_events();
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].signal.kind, Signal::Kind::kDescription);
  EXPECT_EQ(ev[0].signal.type, "offer");
  EXPECT_EQ(ev[0].signal.sdp, "v=0\r\n");
  EXPECT_EQ(ev[0].member.name, "…");  // a signal from someone unknown still counts (app.js)
  EXPECT_EQ(ev[1].signal.kind, Signal::Kind::kCandidate);
  EXPECT_EQ(ev[1].signal.sdp_mid, "0");
  EXPECT_EQ(ev[1].signal.sdp_mline_index, 0u);
  EXPECT_EQ(ev[2].signal.kind, Signal::Kind::kEndOfCandidates);
  EXPECT_EQ(ev[3].signal.kind, Signal::Kind::kEndOfCandidates);
}

TEST(RoomSession, OutgoingSignalsAreWhatPeerJsReads) {
  RoomSession s("r", "Ann");
  s.send_signal("b", {Signal::Kind::kDescription, "answer", "v=0\r\n"});
  Signal c{Signal::Kind::kCandidate};
  c.candidate = "candidate:1 1 udp 1 127.0.0.1 9 typ host";
  c.sdp_mid = "0";
  c.sdp_mline_index = 0;
  s.send_signal("b", c);
  s.send_signal("b", {Signal::Kind::kEndOfCandidates});
  auto ev = s.take_events();
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(json::parse(ev[0].text),
            json::parse(
                R"({"type":"signal","to":"b","data":{"sdp":{"type":"answer","sdp":"v=0\r\n"}}})"));
  EXPECT_EQ(
      json::parse(ev[1].text),
      json::parse(
          R"({"type":"signal","to":"b","data":{"candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}})"));
  EXPECT_EQ(json::parse(ev[2].text),
            json::parse(R"({"type":"signal","to":"b","data":{"candidate":null}})"));
  // And they parse back.
  auto back = parse_signal_data(signal_data(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->candidate, c.candidate);
}

// Ann, welcomed, joins room r where Bo already is, and the room's mode is `mode`; the events
// of the join are returned.
std::vector<RoomEvent> join_with_bo(RoomSession& s, const std::string& mode) {
  s.on_server_frame(kWelcome);
  s.take_events();
  s.on_server_frame(R"({"type":"joined","room":"r","self":{"id":"me1","name":"Ann"},)"
                    R"("members":[{"id":"b2","name":"Bo"}],"mode":")" + mode + R"("})");
  return s.take_events();
}

TEST(RoomSession, AnSfuRoomClosesTheLinksAndCarriesChatOverSignals) {
  RoomSession s("r", "Ann");
  auto ev = join_with_bo(s, "mesh");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1].kind, K::kOpenPeer);  // a mesh as before
  EXPECT_FALSE(s.sfu());
  s.on_server_frame(R"({"type":"room-mode","mode":"sfu"})");
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kSfu);
  s.on_server_frame(R"({"type":"member-joined","member":{"id":"c3","name":"Cy"}})");
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kMemberJoined);  // no link to make
  s.on_server_frame(R"({"type":"signal","from":"c3","data":{"chat":"hi \u00e9"}})");
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kChat);
  EXPECT_EQ(ev[0].member.name, "Cy");
  EXPECT_EQ(ev[0].text, "hi \xc3\xa9");
  ASSERT_TRUE(s.send_chat_all("hello"));
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 2u);  // one signal per member, as the app sends it
  EXPECT_EQ(json::parse(ev[0].text),
            json::parse(R"({"type":"signal","to":"b2","data":{"chat":"hello"}})"));
}

TEST(RoomSession, JoiningAnSfuRoomOpensNoLinks) {
  RoomSession s("r", "Ann");
  auto ev = join_with_bo(s, "sfu");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, K::kJoined);
  EXPECT_EQ(ev[1].kind, K::kSfu);
  EXPECT_TRUE(s.sfu());
}

TEST(RoomSession, RoomFullIsFatalBeforeJoiningOtherErrorsAreNotices) {
  RoomSession s("r", "Ann");
  s.on_server_frame(
      R"j({"type":"error","code":"room-full","message":"room r is full (6 members)","request":"join"})j");
  auto ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kFatal);
  EXPECT_EQ(ev[0].code, "room-full");
  EXPECT_EQ(ev[0].text, "room r is full (6 members)");
  s.on_server_frame(
      R"({"type":"joined","room":"r","self":{"id":"me1","name":"Ann"},"members":[]})");
  s.take_events();
  s.on_server_frame(R"({"type":"error","code":"unknown-member","message":"no \u001b[31m member"})");
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kNotice);
  EXPECT_EQ(ev[0].text, "no ?[31m member");  // no escape sequence reaches the terminal
}

TEST(RoomSession, LeaveOnlyOnceJoined) {
  RoomSession s("r", "Ann");
  s.leave();
  EXPECT_TRUE(s.take_events().empty());
  s.on_server_frame(
      R"({"type":"joined","room":"r","self":{"id":"me1","name":"Ann"},"members":[]})");
  s.take_events();
  s.leave();
  auto ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].text, R"({"type":"leave"})");
  s.on_server_frame(R"({"type":"left","room":"r"})");
  ev = s.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, K::kLeft);
  EXPECT_FALSE(s.joined());
}

TEST(RoomSession, GarbageIsIgnored) {
  RoomSession s("r", "Ann");
  for (const char* f : {"", "[]", "{", R"({"type":7})", R"({"type":"joined","members":7})",
                        R"({"type":"member-joined","member":"x"})"})
    s.on_server_frame(f);
  for (const auto& e : s.take_events()) EXPECT_NE(e.kind, K::kOpenPeer);
}

TEST(Signal, MLineIndexOfAMid) {
  const char* sdp =
      "v=0\r\nm=audio 9 UDP 0\r\na=mid:0\r\nm=video 9 UDP 0\r\na=mid:1\r\nm=application 9 "
      "UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n";
  EXPECT_EQ(mline_index(sdp, "2"), 2u);
  EXPECT_EQ(mline_index(sdp, "0"), 0u);
  EXPECT_FALSE(mline_index(sdp, "3"));
  EXPECT_FALSE(mline_index("v=0\r\na=mid:0\r\n", "0"));  // a session-level line is no section
}

TEST(Chat, FramesAreTheAppsJson) {
  EXPECT_EQ(json::parse(chat_frame("hi \"you\"")), json::parse(R"({"text":"hi \"you\""})"));
  EXPECT_EQ(parse_chat_frame(R"({"text":"hello"})"), "hello");
  EXPECT_FALSE(parse_chat_frame(R"({"text":5})"));
  EXPECT_FALSE(parse_chat_frame("hello"));
  // Cut at 2000 UTF-16 units, as app.js's slice(0, 2000): an emoji is two.
  std::string long_text(1999, 'a');
  long_text += "\xF0\x9F\x98\x80";  // U+1F600
  auto got = parse_chat_frame(chat_frame(long_text));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size(), 1999u);
  EXPECT_EQ(parse_chat_frame(chat_frame(std::string(3000, 'b')))->size(), 2000u);
}

}  // namespace
}  // namespace peerkit::join
