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

namespace peerkit::turn::testing {
namespace {

// Issue 9 item 4: `peerkit serve` on loopback relays to loopback so two local browsers can meet
// relay to relay, but a page must not reach other loopback services through it. With
// loopback_relays_only, a loopback peer is allowed only when it is one of this server's relayed
// transport addresses, checked per IP and port, both ways.
TEST_F(PolicyEndToEnd, LoopbackRelayingReachesOnlyThisServersOwnRelays) {
  relays.ipv4_address = ip("127.0.0.1");
  PolicyOptions loopback;
  loopback.allow_loopback = true;
  loopback.loopback_relays_only = true;
  rebuild(loopback);
  const ClientRoute a = udp("127.0.0.1:40001"), b = udp("127.0.0.1:40002");
  const SocketAddress relay_a = relayed(allocate(a)), relay_b = relayed(allocate(b));
  ASSERT_EQ(relay_a.ip(), ip("127.0.0.1"));
  const SocketAddress service = addr("127.0.0.1:5432");  // say, a database on this machine

  EXPECT_EQ(permit(a, service).error_code(), 403);
  EXPECT_EQ(bind(a, 0x4000, service).error_code(), 403);
  EXPECT_EQ(permit(a, addr("127.0.0.2:50000")).error_code(), 403);  // another loopback IP
  EXPECT_EQ(permit(a, SocketAddress(ip("::ffff:127.0.0.1"), service.port())).error_code(), 403);

  // §9.1: a permission's port may be anything; port 0 installs the IP, and the port of every
  // datagram is what counts.
  EXPECT_EQ(permit(a, addr("127.0.0.1:0")).error_code(), 0);
  EXPECT_TRUE(send_indication(a, service, "through the port-0 permission?").empty());

  // Relay to relay works, both ways, with Send/Data and with channels.
  ASSERT_EQ(permit(a, relay_b).error_code(), 0);
  ASSERT_EQ(permit(b, relay_a).error_code(), 0);
  auto sent = send_indication(a, relay_b, "hello b");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].transmit.to, relay_b);
  const RelayHandle handle_a = server->find_allocation(a)->relay_v4->handle;
  const RelayHandle handle_b = server->find_allocation(b)->relay_v4->handle;
  EXPECT_EQ(from_peer(handle_b, relay_a, "hello b").size(), 1u);
  ASSERT_EQ(bind(a, 0x4001, relay_b).error_code(), 0);
  EXPECT_EQ(channel_data(a, 0x4001, "on a channel").size(), 1u);

  // The permission for 127.0.0.1 does not open the service's port on the same IP.
  const auto denied_before = server->counters().denied_peers;
  EXPECT_TRUE(send_indication(a, service, "GET / HTTP/1.0").empty());
  EXPECT_TRUE(from_peer(handle_a, service, "answer from the service").empty());
  EXPECT_EQ(server->counters().denied_peers, denied_before + 2);
  EXPECT_EQ(server->counters().packets_to_peer, 2u);  // "hello b" and "on a channel" only

  // Once b's allocation is gone its port is no longer this server's relay.
  ASSERT_EQ(call(b, Method::kRefresh, [](MessageBuilder& m) { m.add_u32(attr::kLifetime, 0); })
                .error_code(),
            0);
  EXPECT_TRUE(send_indication(a, relay_b, "anyone there?").empty());
  EXPECT_TRUE(channel_data(a, 0x4001, "or here?").empty());
  EXPECT_EQ(permit(a, relay_b).error_code(), 403);
}

// Without loopback_relays_only (peerkit turn's allow-loopback-peers, like coturn's), any
// loopback port stays reachable.
TEST_F(PolicyEndToEnd, AllowLoopbackPeersAloneStillOpensEveryLoopbackPort) {
  PolicyOptions loopback;
  loopback.allow_loopback = true;
  rebuild(loopback);
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  EXPECT_EQ(permit(udp(), addr("127.0.0.1:5432")).error_code(), 0);
  EXPECT_EQ(send_indication(udp(), addr("127.0.0.1:5432"), "x").size(), 1u);
}

}  // namespace
}  // namespace peerkit::turn::testing
