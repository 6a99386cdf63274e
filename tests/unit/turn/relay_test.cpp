// Permissions, channels and the data path, RFC 8656 §9-§12.
#include "harness.h"

namespace peerkit::turn::testing {
namespace {

class RelayTest : public TurnHarness {
 protected:
  void SetUp() override {
    TurnHarness::SetUp();
    auto r = allocate(udp());
    ASSERT_EQ(r.error_code(), 0);
    relay = server->find_allocation(udp())->relay_v4->handle;
  }
  RelayHandle relay;
  SocketAddress peer = addr("8.8.4.4:5000");
};

TEST_F(RelayTest, SendIndicationNeedsAPermission) {
  EXPECT_TRUE(send_indication(udp(), peer, "hello").empty());
  EXPECT_EQ(server->counters().no_permission_drops, 1u);
  ASSERT_EQ(permit(udp(), peer).error_code(), 0);
  auto out = send_indication(udp(), peer, "hello");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transmit.via, Transmit::Via::kRelay);
  EXPECT_EQ(out[0].transmit.relay, relay);
  EXPECT_EQ(out[0].transmit.to, peer);
  EXPECT_EQ(as_string_view(out[0].bytes), "hello");
}

TEST_F(RelayTest, PermissionIsPerIpAndExpiresAfter300s) {
  ASSERT_EQ(permit(udp(), peer).error_code(), 0);
  // Any port of a permitted IP may send back.
  auto back = from_peer(relay, addr("8.8.4.4:9999"), "data");
  ASSERT_EQ(back.size(), 1u);
  auto m = back[0].view();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kData);
  EXPECT_EQ(m->message_class(), MessageClass::kIndication);
  EXPECT_EQ(as_string_view(*m->find(attr::kData)), "data");
  EXPECT_EQ(
      stun::decode_xor_address(*m->find(attr::kXorPeerAddress), m->transaction_id())->to_string(),
      "8.8.4.4:9999");
  EXPECT_TRUE(from_peer(relay, addr("9.9.9.9:1"), "other ip").empty());

  advance(Duration::seconds(301));
  EXPECT_TRUE(from_peer(relay, peer, "late").empty());
  EXPECT_TRUE(send_indication(udp(), peer, "late").empty());
  EXPECT_EQ(server->permission_count(), 0u);
}

TEST_F(RelayTest, ChannelDataBothWaysWithZeroCopyHeader) {
  ASSERT_EQ(bind(udp(), 0x4001, peer).error_code(), 0);
  auto out = channel_data(udp(), 0x4001, "to peer");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transmit.to, peer);
  EXPECT_EQ(as_string_view(out[0].bytes), "to peer");

  auto back = from_peer(relay, peer, "to client");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].transmit.via, Transmit::Via::kClient);
  EXPECT_EQ(back[0].transmit.client, udp());
  ByteReader r(back[0].bytes);
  EXPECT_EQ(r.u16(), 0x4001);
  EXPECT_EQ(r.u16(), 9);
  EXPECT_EQ(as_string_view(r.bytes(9)), "to client");
  // Without headroom the payload is copied; same result.
  auto copied = from_peer(relay, peer, "to client", 0);
  EXPECT_EQ(copied[0].bytes, back[0].bytes);
  EXPECT_EQ(server->counters().packets_to_client, 2u);
  EXPECT_EQ(server->counters().packets_to_peer, 1u);
}

TEST_F(RelayTest, ChannelDataOverTcpIsPaddedToFourBytes) {
  ClientRoute tcp{Transport::kTcp, 5, addr("203.0.113.1:3478"), addr("100.72.0.10:40001")};
  ASSERT_EQ(allocate(tcp).error_code(), 0);
  ASSERT_EQ(bind(tcp, 0x4002, peer).error_code(), 0);
  auto handle = server->find_allocation(tcp)->relay_v4->handle;
  auto back = from_peer(handle, peer, "abcde");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].bytes.size(), 12u);  // 4 header + 5 data + 3 padding
}

TEST_F(RelayTest, ChannelNumbersAndConflicts) {
  EXPECT_EQ(bind(udp(), 0x3FFF, peer).error_code(), 400);
  EXPECT_EQ(bind(udp(), 0x5000, peer).error_code(), 400);
  ASSERT_EQ(bind(udp(), 0x4000, peer).error_code(), 0);
  EXPECT_EQ(bind(udp(), 0x4000, addr("8.8.4.4:5001")).error_code(), 400);  // number taken
  EXPECT_EQ(bind(udp(), 0x4001, peer).error_code(), 400);                  // peer taken
  EXPECT_EQ(bind(udp(), 0x4000, peer).error_code(), 0);                    // refresh is fine
}

TEST_F(RelayTest, ChannelExpiresThenCoolsDownFiveMinutes) {
  ASSERT_EQ(
      call(udp(), Method::kRefresh, [](MessageBuilder& b) { b.add_u32(attr::kLifetime, 3600); })
          .error_code(),
      0);
  ASSERT_EQ(bind(udp(), 0x4000, peer).error_code(), 0);
  advance(Duration::seconds(601));
  EXPECT_TRUE(channel_data(udp(), 0x4000, "x").empty());
  // During the cooldown the number cannot go to another peer...
  EXPECT_EQ(bind(udp(), 0x4000, addr("9.9.9.9:1")).error_code(), 400);
  advance(Duration::seconds(300));
  // ...and afterwards it can.
  EXPECT_EQ(bind(udp(), 0x4000, addr("9.9.9.9:1")).error_code(), 0);
}

TEST_F(RelayTest, ChannelBindRefreshesThePermission) {
  ASSERT_EQ(bind(udp(), 0x4000, peer).error_code(), 0);
  advance(Duration::seconds(290));
  ASSERT_EQ(bind(udp(), 0x4000, peer).error_code(), 0);
  advance(Duration::seconds(290));
  EXPECT_EQ(from_peer(relay, peer, "still permitted").size(), 1u);
}

TEST_F(RelayTest, PermissionAndChannelLimitsGive508) {
  options.max_permissions_per_allocation = 2;
  options.max_channels_per_allocation = 1;
  rebuild();
  nonce.clear();
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  EXPECT_EQ(permit(udp(), addr("8.8.4.1:1")).error_code(), 0);
  EXPECT_EQ(permit(udp(), addr("8.8.4.2:1")).error_code(), 0);
  EXPECT_EQ(permit(udp(), addr("8.8.4.3:1")).error_code(), 508);
  EXPECT_EQ(permit(udp(), addr("8.8.4.1:1")).error_code(), 0);  // refreshing is not adding
  EXPECT_EQ(bind(udp(), 0x4000, addr("8.8.4.1:1")).error_code(), 0);
  EXPECT_EQ(bind(udp(), 0x4001, addr("8.8.4.2:1")).error_code(), 508);
}

TEST_F(RelayTest, MaxBpsDropsTheExcess) {
  options.max_bps = 1000;
  rebuild();
  nonce.clear();
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  ASSERT_EQ(permit(udp(), peer).error_code(), 0);
  std::string chunk(400, 'x');
  int sent = 0;
  for (int i = 0; i < 5; ++i) sent += static_cast<int>(send_indication(udp(), peer, chunk).size());
  EXPECT_EQ(sent, 2);  // one second of budget is 1000 bytes
  EXPECT_EQ(server->counters().bandwidth_drops, 3u);
  now = now + Duration::seconds(1);
  EXPECT_EQ(send_indication(udp(), peer, chunk).size(), 1u);
}

TEST_F(RelayTest, PeerFamilyMustMatchARelay) {
  EXPECT_EQ(permit(udp(), addr("[2001:4860::1]:1")).error_code(), 443);
}

TEST_F(RelayTest, ChannelDataFromAnotherFiveTupleGoesNowhere) {
  ASSERT_EQ(bind(udp(), 0x4000, peer).error_code(), 0);
  EXPECT_TRUE(channel_data(udp("100.72.0.10:40099"), 0x4000, "spoof").empty());
}

}  // namespace
}  // namespace peerkit::turn::testing

namespace peerkit::turn::testing {
namespace {

TEST_F(RelayTest, Ipv4MappedPeerIsStoredAsIpv4SoAnswersMatch) {
  // ::ffff:0:0/96 is denied by default; explicitly opening the IPv4 range opens its mapped form.
  EXPECT_EQ(permit(udp(), addr("[::ffff:8.8.4.4]:5000")).error_code(), 403);
  PolicyOptions open;
  open.allowed.push_back(*parse_ip_range("8.8.4.0/24"));
  rebuild(open);
  nonce.clear();
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  relay = server->find_allocation(udp())->relay_v4->handle;
  ASSERT_EQ(permit(udp(), addr("[::ffff:8.8.4.4]:5000")).error_code(), 0);
  auto out = send_indication(udp(), addr("[::ffff:8.8.4.4]:5000"), "x");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transmit.to.to_string(), "8.8.4.4:5000");  // out of the IPv4 relay
  EXPECT_EQ(from_peer(relay, addr("8.8.4.4:5000"), "answer").size(), 1u);
}

}  // namespace
}  // namespace peerkit::turn::testing
