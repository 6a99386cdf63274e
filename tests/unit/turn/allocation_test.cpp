// Allocate and Refresh, RFC 8656 §7, on a virtual clock.
#include "harness.h"

namespace peerkit::turn::testing {
namespace {

using AllocationTest = TurnHarness;

auto udp17 = [](MessageBuilder& b) { stun::add_requested_transport(b, 17); };

TEST_F(AllocationTest, ExpiresAfterTheDefaultLifetimeAndReleasesTheRelay) {
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  EXPECT_EQ(relays.live.size(), 1u);
  advance(Duration::seconds(599));
  EXPECT_EQ(server->allocation_count(), 1u);
  advance(Duration::seconds(2));
  EXPECT_EQ(server->allocation_count(), 0u);
  EXPECT_TRUE(relays.live.empty());
  EXPECT_EQ(quotas.total, 0u);
  EXPECT_EQ(server->counters().allocations_expired, 1u);
}

TEST_F(AllocationTest, RequestedLifetimeIsClampedBetweenDefaultAndMax) {
  auto r = call(udp(), Method::kAllocate, [](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    b.add_u32(attr::kLifetime, 100000);
  });
  EXPECT_EQ(*stun::decode_u32(*r.view()->find(attr::kLifetime)), 3600u);
  auto r2 = call(udp("100.72.0.10:2"), Method::kAllocate, [](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    b.add_u32(attr::kLifetime, 30);
  });
  EXPECT_EQ(*stun::decode_u32(*r2.view()->find(attr::kLifetime)), 600u);
}

TEST_F(AllocationTest, RefreshExtendsAndZeroDeletes) {
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  advance(Duration::seconds(500));
  auto r =
      call(udp(), Method::kRefresh, [](MessageBuilder& b) { b.add_u32(attr::kLifetime, 1200); });
  ASSERT_EQ(r.error_code(), 0);
  EXPECT_EQ(*stun::decode_u32(*r.view()->find(attr::kLifetime)), 1200u);
  advance(Duration::seconds(1100));
  EXPECT_EQ(server->allocation_count(), 1u);
  auto del =
      call(udp(), Method::kRefresh, [](MessageBuilder& b) { b.add_u32(attr::kLifetime, 0); });
  ASSERT_EQ(del.error_code(), 0);
  EXPECT_EQ(*stun::decode_u32(*del.view()->find(attr::kLifetime)), 0u);
  EXPECT_EQ(server->allocation_count(), 0u);
  EXPECT_TRUE(relays.live.empty());
  // Refreshing what is gone is an allocation mismatch.
  EXPECT_EQ(call(udp(), Method::kRefresh, [](MessageBuilder&) {}).error_code(), 437);
}

TEST_F(AllocationTest, RetransmittedAllocateGetsTheSameAnswerOtherwise437) {
  auto tid = next_tid();
  auto first = call(udp(), Method::kAllocate, udp17, "alice", "alice-pass", tid);
  ASSERT_EQ(first.error_code(), 0);
  auto again = call(udp(), Method::kAllocate, udp17, "alice", "alice-pass", tid);
  ASSERT_EQ(again.error_code(), 0);
  EXPECT_EQ(relayed(again), relayed(first));
  EXPECT_EQ(relays.live.size(), 1u);
  EXPECT_EQ(call(udp(), Method::kAllocate, udp17).error_code(), 437);
}

TEST_F(AllocationTest, SecondUserCannotRefreshOrUseAnothersAllocation) {
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  // bob on alice's 5-tuple: 441 for every request on the allocation.
  EXPECT_EQ(call(
                udp(), Method::kRefresh, [](MessageBuilder&) {}, "bob", "bob-pass")
                .error_code(),
            441);
  EXPECT_EQ(permit(udp(), addr("8.8.4.4:1"), "bob", "bob-pass").error_code(), 441);
  EXPECT_EQ(call(
                udp(), Method::kRefresh, [](MessageBuilder& b) { b.add_u32(attr::kLifetime, 0); },
                "bob", "bob-pass")
                .error_code(),
            441);
  EXPECT_EQ(server->allocation_count(), 1u);
  // bob from his own address has no allocation to touch.
  EXPECT_EQ(call(
                udp("100.72.0.20:1"), Method::kRefresh, [](MessageBuilder&) {}, "bob", "bob-pass")
                .error_code(),
            437);
}

TEST_F(AllocationTest, RequestedTransportIsRequiredAndMustBeUdp) {
  EXPECT_EQ(call(udp(), Method::kAllocate, [](MessageBuilder&) {}).error_code(), 400);
  EXPECT_EQ(
      call(udp(), Method::kAllocate, [](MessageBuilder& b) { stun::add_requested_transport(b, 6); })
          .error_code(),
      442);
  EXPECT_EQ(server->allocation_count(), 0u);
}

TEST_F(AllocationTest, UnknownComprehensionRequiredAttributeGets420) {
  auto r = feed(udp(), request(Method::kAllocate, [](MessageBuilder& b) {
                  stun::add_requested_transport(b, 17);
                  b.add_empty(0x7ABC);
                }));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error_code(), 420);
  EXPECT_EQ(stun::decode_unknown_attributes(*r[0].view()->find(attr::kUnknownAttributes)),
            std::vector<std::uint16_t>{0x7ABC});
}

TEST_F(AllocationTest, Ipv6AndDualAllocations) {
  auto v6 = call(udp(), Method::kAllocate, [](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    stun::add_address_family(b, attr::kRequestedAddressFamily, AddressFamily::kIpv6);
  });
  ASSERT_EQ(v6.error_code(), 0);
  EXPECT_TRUE(relayed(v6).ip().is_v6());

  auto dual = call(udp("100.72.0.10:2"), Method::kAllocate, [](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    stun::add_address_family(b, attr::kAdditionalAddressFamily, AddressFamily::kIpv6);
  });
  ASSERT_EQ(dual.error_code(), 0);
  int relayed_count = 0;
  const auto view = dual.view();  // the span below points into it: keep it alive
  for (const auto& a : view->attributes()) relayed_count += a.type == attr::kXorRelayedAddress;
  EXPECT_EQ(relayed_count, 2);

  // Both family attributes at once, or ADDITIONAL asking for IPv4, are bad requests.
  EXPECT_EQ(call(udp("100.72.0.10:3"), Method::kAllocate,
                 [](MessageBuilder& b) {
                   stun::add_requested_transport(b, 17);
                   stun::add_address_family(b, attr::kRequestedAddressFamily, AddressFamily::kIpv4);
                   stun::add_address_family(b, attr::kAdditionalAddressFamily,
                                            AddressFamily::kIpv6);
                 })
                .error_code(),
            400);
  EXPECT_EQ(call(udp("100.72.0.10:4"), Method::kAllocate,
                 [](MessageBuilder& b) {
                   stun::add_requested_transport(b, 17);
                   stun::add_address_family(b, attr::kAdditionalAddressFamily,
                                            AddressFamily::kIpv4);
                 })
                .error_code(),
            400);
}

TEST_F(AllocationTest, UnsupportedFamilyIs440AndDualDegradesWithAddressErrorCode) {
  relays.ipv6 = false;
  EXPECT_EQ(call(udp(), Method::kAllocate,
                 [](MessageBuilder& b) {
                   stun::add_requested_transport(b, 17);
                   stun::add_address_family(b, attr::kRequestedAddressFamily, AddressFamily::kIpv6);
                 })
                .error_code(),
            440);
  auto dual = call(udp(), Method::kAllocate, [](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    stun::add_address_family(b, attr::kAdditionalAddressFamily, AddressFamily::kIpv6);
  });
  ASSERT_EQ(dual.error_code(), 0);
  EXPECT_TRUE(dual.view()->has(attr::kAddressErrorCode));
  EXPECT_TRUE(relayed(dual).ip().is_v4());
}

TEST_F(AllocationTest, EvenPortReservationToken) {
  auto first = call(udp(), Method::kAllocate, [](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    stun::add_even_port(b, true);
  });
  ASSERT_EQ(first.error_code(), 0);
  EXPECT_EQ(relayed(first).port() % 2, 0);
  auto token = stun::decode_u64(*first.view()->find(attr::kReservationToken));
  ASSERT_TRUE(token);
  auto second = call(udp("100.72.0.10:2"), Method::kAllocate, [&](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    b.add_u64(attr::kReservationToken, *token);
  });
  ASSERT_EQ(second.error_code(), 0);
  EXPECT_EQ(relayed(second).port(), relayed(first).port() + 1);
  // A token is good once; EVEN-PORT with a token is a bad request.
  EXPECT_EQ(call(udp("100.72.0.10:3"), Method::kAllocate,
                 [&](MessageBuilder& b) {
                   stun::add_requested_transport(b, 17);
                   b.add_u64(attr::kReservationToken, *token);
                 })
                .error_code(),
            508);
  EXPECT_EQ(call(udp("100.72.0.10:4"), Method::kAllocate,
                 [&](MessageBuilder& b) {
                   stun::add_requested_transport(b, 17);
                   stun::add_even_port(b, false);
                   b.add_u64(attr::kReservationToken, 1);
                 })
                .error_code(),
            400);
}

// peerkit serve turns reservations off: EVEN-PORT with R gets 508 and holds nothing (each
// reservation would hold a socket no quota counts), while EVEN-PORT without R still works.
TEST_F(AllocationTest, PortReservationsCanBeTurnedOff) {
  options.port_reservations = false;
  rebuild();
  for (int i = 0; i < 3; ++i) {
    const std::string from = "100.72.0.10:" + std::to_string(10 + i);
    EXPECT_EQ(call(udp(from.c_str()), Method::kAllocate,
                   [](MessageBuilder& b) {
                     stun::add_requested_transport(b, 17);
                     stun::add_even_port(b, true);
                   })
                  .error_code(),
              508);
  }
  EXPECT_EQ(relays.live.size(), 0u);
  EXPECT_EQ(server->allocation_count(), 0u);
  auto even = call(udp("100.72.0.10:20"), Method::kAllocate, [](MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    stun::add_even_port(b, false);
  });
  ASSERT_EQ(even.error_code(), 0);
  EXPECT_FALSE(even.view()->has(attr::kReservationToken));
}

TEST_F(AllocationTest, DontFragmentIsPassedToTheRelay) {
  ASSERT_EQ(call(udp(), Method::kAllocate,
                 [](MessageBuilder& b) {
                   stun::add_requested_transport(b, 17);
                   b.add_empty(attr::kDontFragment);
                 })
                .error_code(),
            0);
  EXPECT_TRUE(relays.last_request.dont_fragment);
}

TEST_F(AllocationTest, UserAndTotalQuotas) {
  quotas.user_limit = 1;
  ASSERT_EQ(allocate(udp("100.72.0.10:1")).error_code(), 0);
  EXPECT_EQ(allocate(udp("100.72.0.10:2")).error_code(), 486);
  EXPECT_EQ(allocate(udp("100.72.0.10:3"), "bob", "bob-pass").error_code(), 0);
  quotas.total_limit = 2;
  EXPECT_EQ(allocate(udp("100.72.0.10:4"), "bob", "bob-pass").error_code(), 508);
  EXPECT_EQ(server->counters().quota_rejections, 2u);
  EXPECT_EQ(relays.live.size(), 2u);
}

TEST_F(AllocationTest, RelayExhaustionIs508AndReleasesTheQuota) {
  relays.capacity = 0;
  EXPECT_EQ(allocate(udp()).error_code(), 508);
  EXPECT_EQ(quotas.total, 0u);
}

TEST_F(AllocationTest, TcpConnectionCloseDeletesItsAllocations) {
  ClientRoute tcp{Transport::kTcp, 77, addr("203.0.113.1:3478"), addr("100.72.0.10:40000")};
  ASSERT_EQ(allocate(tcp).error_code(), 0);
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  server->handle_connection_closed(now, 77);
  EXPECT_EQ(server->allocation_count(), 1u);
  EXPECT_EQ(relays.live.size(), 1u);
}

TEST_F(AllocationTest, ExternalIpIsAdvertised) {
  options.external_ips = {{*IpAddress::parse("100.72.0.200"), std::nullopt}};
  rebuild();
  EXPECT_EQ(relayed(allocate(udp())).to_string(), "100.72.0.200:50000");
}

TEST_F(AllocationTest, BindingAnswersWithTheMappedAddressOnly) {
  std::byte buf[64];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, next_tid());
  auto r = feed(udp("100.72.0.33:1234"), b.finish());
  ASSERT_EQ(r.size(), 1u);
  auto m = r[0].view();
  EXPECT_EQ(
      stun::decode_xor_address(*m->find(attr::kXorMappedAddress), m->transaction_id())->to_string(),
      "100.72.0.33:1234");
  EXPECT_EQ(r[0].bytes.size(), 32u);  // header + XOR-MAPPED-ADDRESS, nothing else
  // With FINGERPRINT in the request, the answer carries one too.
  MessageBuilder b2(buf, Method::kBinding, MessageClass::kRequest, next_tid());
  b2.add_fingerprint();
  auto r2 = feed(udp(), b2.finish());
  EXPECT_TRUE(stun::verify_fingerprint(*r2[0].view()));
}

TEST_F(AllocationTest, Rfc5780AttributesOnlyWhenConfigured) {
  std::byte buf[64];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, next_tid());
  b.add_u32(attr::kChangeRequest, 0x6);
  auto off = feed(udp(), b.finish());
  EXPECT_EQ(off[0].error_code(), 420);

  options.rfc5780_other_address = addr("203.0.113.2:3479");
  rebuild();
  auto on = feed(udp(), b.finish());
  ASSERT_EQ(on[0].error_code(), 0);
  EXPECT_EQ(on[0].transmit.client.local.to_string(), "203.0.113.2:3479");
  auto m = on[0].view();
  EXPECT_EQ(stun::decode_address(*m->find(attr::kOtherAddress))->to_string(), "203.0.113.2:3479");
  EXPECT_EQ(stun::decode_address(*m->find(attr::kResponseOrigin))->to_string(), "203.0.113.2:3479");
}

TEST_F(AllocationTest, MalformedInputIsCountedAndNeverAnswered) {
  const std::byte junk[] = {std::byte{0x00}, std::byte{0x01}, std::byte{0x00}, std::byte{0x08}};
  EXPECT_TRUE(feed(udp(), junk).empty());
  const std::byte short_cd[] = {std::byte{0x40}, std::byte{0x00}, std::byte{0x00}};
  EXPECT_TRUE(feed(udp(), short_cd).empty());
  EXPECT_EQ(server->counters().malformed, 2u);
}

}  // namespace
}  // namespace peerkit::turn::testing

namespace peerkit::turn::testing {
namespace {

TEST_F(AllocationTest, UnknownMethodIs400AndCostsOneUnauthenticatedAnswer) {
  options.unauthorized_rate = 1;
  options.unauthorized_burst = 2;
  rebuild();
  std::byte buf[64];
  MessageBuilder b(buf, 0x0AB, MessageClass::kRequest, next_tid());
  auto unknown = b.finish();
  auto first = feed(udp(), unknown);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].error_code(), 400);
  EXPECT_EQ(feed(udp(), unknown).size(), 1u);  // the burst of 2 allows a second answer
  EXPECT_TRUE(feed(udp(), unknown).empty());   // and no third
}

}  // namespace
}  // namespace peerkit::turn::testing

namespace peerkit::turn::testing {
namespace {

// Issue 9 item 1: one address cannot take every allocation, whatever credentials it uses; the
// refusal is 486 like user-quota's, and another address still allocates.
TEST_F(AllocationTest, AddressQuotaRefusesOneAddressWhileAnotherStillAllocates) {
  quotas.address_limit = 2;
  ASSERT_EQ(allocate(udp("100.72.0.10:1")).error_code(), 0);
  ASSERT_EQ(allocate(udp("100.72.0.10:2"), "bob", "bob-pass").error_code(), 0);
  EXPECT_EQ(allocate(udp("100.72.0.10:3")).error_code(), 486);
  EXPECT_EQ(allocate(udp("100.72.0.10:4"), "bob", "bob-pass").error_code(), 486);
  EXPECT_EQ(allocate(udp("100.72.0.11:1")).error_code(), 0);
  EXPECT_EQ(server->counters().quota_rejections, 2u);
  ServerEvent e;
  std::string limits;
  while (server->poll_event(e))
    if (e.kind == ServerEvent::Kind::kQuotaRejected) limits += e.detail + ";";
  EXPECT_EQ(limits, "address-quota;address-quota;");
  // Deleting one gives its address one allocation back.
  ASSERT_EQ(call(udp("100.72.0.10:1"), Method::kRefresh,
                 [](MessageBuilder& b) { b.add_u32(attr::kLifetime, 0); })
                .error_code(),
            0);
  EXPECT_EQ(allocate(udp("100.72.0.10:5")).error_code(), 0);
  EXPECT_EQ(relays.live.size(), 3u);
}

// Issue 9 item 6: IPv6 clients count per /64 (ipv6_limit_prefix), so four addresses of one
// /64 share one address quota; another /64 has its own, and a shorter prefix joins them.
TEST_F(AllocationTest, FourAddressesOfOneSlash64ShareOneAddressQuota) {
  quotas.address_limit = 2;
  int ok = 0, refused = 0;
  for (const char* a : {"[2001:db8:1:2::1]:1000", "[2001:db8:1:2::2]:1000",
                        "[2001:db8:1:2:ffff::3]:1000", "[2001:db8:1:2:aaaa:bbbb:cccc:4]:1000"}) {
    const int code = allocate(udp(a)).error_code();
    ok += code == 0;
    refused += code == 486;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(allocate(udp("[2001:db8:1:3::1]:1000")).error_code(), 0);

  options.ipv6_limit_prefix = 56;  // 2001:db8:1:2::/64 and 2001:db8:1:3::/64 are one /56
  rebuild();
  EXPECT_EQ(allocate(udp("[2001:db8:1:4::1]:1000")).error_code(), 0);
  EXPECT_EQ(allocate(udp("[2001:db8:1:5::1]:1000")).error_code(), 0);
  EXPECT_EQ(allocate(udp("[2001:db8:1:6::1]:1000")).error_code(), 486);
}

}  // namespace
}  // namespace peerkit::turn::testing
