// Relay policy: canonicalization and the hardened default deny list
// (../shared/specs/turn-server.md §3), in the policy and end to end through the core. The range
// parser and embedded-IPv4 forms are tested in tests/unit/common/ip_range_test.cpp.
#include "harness.h"

namespace peerkit::turn::testing {
namespace {

const char* kMustBeDenied[] = {"127.0.0.1",       "::1",     "::ffff:127.0.0.1", "::127.0.0.1",
                               "64:ff9b::7f00:1", "0.0.0.0", "10.0.0.1",         "169.254.169.254",
                               "224.0.0.1"};

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

TEST(PeerPolicy, DefaultsDenyEveryDangerousForm) {
  PeerPolicy p;
  for (const char* a : kMustBeDenied) EXPECT_FALSE(p.check(ip(a)).allowed) << a;
  for (const char* a :
       {"2002:7f00:1::", "fe80::1", "fd00::1", "ff02::1", "100.64.0.1", "192.168.1.1", "172.16.0.1",
        "255.255.255.255", "240.0.0.1", "2001:0:4136:e378:8000:63bf:80ff:fffe"})
    EXPECT_FALSE(p.check(ip(a)).allowed) << a;
  for (const char* a : {"9.9.9.9", "2001:4860:4860::8888", "1.1.1.1"})
    EXPECT_TRUE(p.check(ip(a)).allowed) << a;
  EXPECT_EQ(p.check(ip("::ffff:127.0.0.1")).rule, "default deny 127.0.0.0/8");
}

TEST(PeerPolicy, OpeningOneRangeOpensOnlyThatRange) {
  PolicyOptions o;
  o.allowed.push_back(*parse_ip_range("10.0.0.0/8"));
  PeerPolicy p(o);
  EXPECT_TRUE(p.check(ip("10.1.2.3")).allowed);
  EXPECT_TRUE(p.check(ip("::ffff:10.1.2.3")).allowed);    // same socket destination
  EXPECT_FALSE(p.check(ip("64:ff9b::a01:203")).allowed);  // NAT64 goes elsewhere
  EXPECT_FALSE(p.check(ip("::10.1.2.3")).allowed);
  EXPECT_FALSE(p.check(ip("192.168.1.1")).allowed);
  for (const char* a : kMustBeDenied) {
    if (std::string_view(a) != "10.0.0.1") {
      EXPECT_FALSE(p.check(ip(a)).allowed) << a;
    }
  }
}

TEST(PeerPolicy, AllowLoopbackOpensOnlyLoopback) {
  PolicyOptions o;
  o.allow_loopback = true;
  PeerPolicy p(o);
  EXPECT_TRUE(p.check(ip("127.0.0.1")).allowed);
  EXPECT_TRUE(p.check(ip("127.5.5.5")).allowed);
  EXPECT_TRUE(p.check(ip("::1")).allowed);
  EXPECT_TRUE(p.check(ip("::ffff:127.0.0.1")).allowed);
  EXPECT_FALSE(p.check(ip("::127.0.0.1")).allowed);
  EXPECT_FALSE(p.check(ip("64:ff9b::7f00:1")).allowed);
  EXPECT_FALSE(p.check(ip("0.0.0.0")).allowed);
  EXPECT_FALSE(p.check(ip("10.0.0.1")).allowed);
  EXPECT_FALSE(p.check(ip("169.254.169.254")).allowed);
}

TEST(PeerPolicy, UserDenyListAndOwnAddresses) {
  PolicyOptions o;
  o.denied.push_back(*parse_ip_range("9.9.9.0-9.9.9.255"));
  o.own_addresses.push_back(ip("1.2.3.4"));
  PeerPolicy p(o);
  EXPECT_FALSE(p.check(ip("9.9.9.9")).allowed);
  EXPECT_FALSE(p.check(ip("1.2.3.4")).allowed);
  EXPECT_FALSE(p.check(ip("::ffff:1.2.3.4")).allowed);
  EXPECT_TRUE(p.check(ip("8.8.4.4")).allowed);
}

using PolicyEndToEnd = TurnHarness;

TEST_F(PolicyEndToEnd, EveryDangerousPeerGets403ForPermissionAndChannelAndSendIsDropped) {
  ASSERT_EQ(call(udp(), Method::kAllocate,
                 [](MessageBuilder& b) {
                   stun::add_requested_transport(b, 17);
                   stun::add_address_family(b, attr::kAdditionalAddressFamily,
                                            AddressFamily::kIpv6);
                 })
                .error_code(),
            0);
  std::uint16_t channel = 0x4000;
  for (const char* a : kMustBeDenied) {
    const SocketAddress peer(ip(a), 9);
    EXPECT_EQ(permit(udp(), peer).error_code(), 403) << a;
    EXPECT_EQ(bind(udp(), channel++, peer).error_code(), 403) << a;
    EXPECT_TRUE(send_indication(udp(), peer, "x").empty()) << a;
  }
  EXPECT_EQ(server->permission_count(), 0u);
  EXPECT_EQ(server->channel_count(), 0u);
  EXPECT_EQ(server->counters().packets_to_peer, 0u);
  EXPECT_EQ(server->counters().denied_peers, 27u);  // Send indications count as denied too
  ServerEvent e;
  bool saw_denied = false;
  while (server->poll_event(e)) saw_denied |= e.kind == ServerEvent::Kind::kPeerDenied;
  EXPECT_TRUE(saw_denied);
}

TEST_F(PolicyEndToEnd, ReplacingThePolicyRevokesPermissions) {
  PolicyOptions open;
  open.allowed.push_back(*parse_ip_range("10.0.0.0/8"));
  rebuild(open);
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  ASSERT_EQ(bind(udp(), 0x4000, addr("10.0.0.1:9")).error_code(), 0);
  ASSERT_EQ(channel_data(udp(), 0x4000, "ok").size(), 1u);
  server->set_policy(PeerPolicy{});
  EXPECT_TRUE(channel_data(udp(), 0x4000, "now denied").empty());
  EXPECT_EQ(server->permission_count(), 0u);
}

}  // namespace
}  // namespace peerkit::turn::testing
