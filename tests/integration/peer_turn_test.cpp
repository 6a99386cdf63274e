// Two PeerConnections that may only use relayed candidates (iceTransportPolicy "relay") through
// peerkit's TURN server on 127.0.0.1, reached over UDP and over TCP (RFC 6062-style framing
// on a stream): the data channel's whole path — DTLS handshake, SCTP, messages both ways —
// runs through the relay, so a driver path that forgets to let the connection answer shows.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "peerkit/peer_connection.h"
#include "support/loopback_turn.h"

namespace peerkit {
namespace {

class PeerOverTurn : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto t = testing::start_loopback_turn(47000, 47999, "peer.test");
    ASSERT_EQ(t.error, "");
    turn_ = std::move(t.service);
    port_ = t.address.port();
  }
  void TearDown() override {
    if (turn_) turn_->stop();
  }
  Configuration relay_only() const {
    Configuration c;
    c.host_filter = "127.0.0.1/32";
    c.allow_loopback = true;
    c.relay_only = true;
    c.ice_servers = {{"turn:127.0.0.1:" + std::to_string(port_) + GetParam(), "peer", "peer-pw"}};
    return c;
  }
  std::unique_ptr<turn::TurnService> turn_;
  std::uint16_t port_ = 0;
};

TEST_P(PeerOverTurn, AChannelOpensAndCarriesMessagesBothWaysThroughTheRelay) {
  Runtime runtime{2};
  auto a = PeerConnection::create(runtime, relay_only());
  auto b = PeerConnection::create(runtime, relay_only());
  std::mutex m;
  std::condition_variable cv;
  std::vector<IceCandidate> for_a, for_b;
  bool a_gathered = false, b_gathered = false, open = false;
  std::shared_ptr<DataChannel> b_channel;
  std::vector<std::size_t> a_got, b_got;
  auto note = [&](auto f) {
    std::lock_guard l(m);
    f();
    cv.notify_all();
  };
  a->on_local_candidate([&](const IceCandidate& c) { note([&] { for_b.push_back(c); }); });
  b->on_local_candidate([&](const IceCandidate& c) { note([&] { for_a.push_back(c); }); });
  a->on_gathering_complete([&] { note([&] { a_gathered = true; }); });
  b->on_gathering_complete([&] { note([&] { b_gathered = true; }); });
  b->on_data_channel([&](std::shared_ptr<DataChannel> ch) {
    ch->on_message([&, ch](const Message& msg) {
      note([&] { b_got.push_back(msg.data.size()); });
      (void)ch->send(std::span<const std::byte>(msg.data));  // echo
    });
    note([&] { b_channel = ch; });
  });
  auto chat = std::get<std::shared_ptr<DataChannel>>(a->create_data_channel("relayed"));
  chat->on_open([&] { note([&] { open = true; }); });
  chat->on_message([&](const Message& msg) { note([&] { a_got.push_back(msg.data.size()); }); });

  ASSERT_FALSE(a->set_local_description(std::get<SessionDescription>(a->create_offer())));
  ASSERT_FALSE(b->set_remote_description(*a->local_description()));
  ASSERT_FALSE(b->set_local_description(std::get<SessionDescription>(b->create_answer())));
  ASSERT_FALSE(a->set_remote_description(*b->local_description()));
  {
    std::unique_lock l(m);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return a_gathered && b_gathered; }));
    for (const auto& c : for_a) EXPECT_NE(c.candidate.find(" typ relay"), std::string::npos) << c.candidate;
    for (const auto& c : for_b) EXPECT_NE(c.candidate.find(" typ relay"), std::string::npos) << c.candidate;
  }
  std::vector<IceCandidate> add_a, add_b;
  {
    std::lock_guard l(m);
    add_a = for_a;
    add_b = for_b;
  }
  ASSERT_FALSE(add_a.empty());
  ASSERT_FALSE(add_b.empty());
  for (const auto& c : add_a) EXPECT_FALSE(a->add_ice_candidate(c));
  for (const auto& c : add_b) EXPECT_FALSE(b->add_ice_candidate(c));
  {
    std::unique_lock l(m);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(15), [&] { return open && b_channel; }))
        << "a " << to_string(a->connection_state()) << ", b " << to_string(b->connection_state());
  }
  const std::vector<std::size_t> sizes = {1, 1200, 16384, 65536};
  for (auto n : sizes) ASSERT_FALSE(chat->send(std::vector<std::byte>(n, std::byte{0x5a})));
  std::unique_lock l(m);
  ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(15), [&] { return a_got.size() == sizes.size(); }))
      << "b got " << b_got.size() << ", a got " << a_got.size() << " back";
  EXPECT_EQ(b_got, sizes);
  EXPECT_EQ(a_got, sizes);
  const auto stats = a->get_stats();
  EXPECT_NE(stats.selected_candidate_pair_local.find(" typ relay"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Transports, PeerOverTurn, ::testing::Values("?transport=udp", "?transport=tcp"),
                         [](const auto& info) { return std::string(info.param).substr(11); });

}  // namespace
}  // namespace peerkit
