// The descriptor shares (item 3 of issue 9) and the per-address TCP/TLS connection count
// (items 5 and 6): all-or-nothing takes, given back on close, and IPv6 counted per /64.
#include "turn/service/descriptor_budget.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "turn/service/connection_limits.h"

namespace peerkit::turn {
namespace {

TEST(DescriptorShare, ADualStackAllocationTakesTwoAndNeverPastTheLimit) {
  DescriptorShare relays(5);
  EXPECT_TRUE(relays.take(2));  // dual-stack: IPv4 and IPv6 relay sockets
  EXPECT_TRUE(relays.take(2));
  EXPECT_FALSE(relays.take(2));  // one left: all or nothing
  EXPECT_EQ(relays.used(), 4u);
  EXPECT_TRUE(relays.take());
  EXPECT_FALSE(relays.take());
  relays.give(2);
  EXPECT_TRUE(relays.take(2));
  EXPECT_EQ(relays.used(), 5u);
}

TEST(DescriptorShare, WorkersTakingAtOnceNeverExceedIt) {
  DescriptorShare share(1000);
  std::atomic<int> taken{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i)
        if (share.take(2)) taken += 2;
    });
  for (auto& t : workers) t.join();
  EXPECT_EQ(taken.load(), 1000);
  EXPECT_EQ(share.used(), 1000u);
}

TEST(DescriptorReserve, KeepsRoomForTheProcessItself) {
  EXPECT_EQ(descriptor_reserve(20000, 2, 2), 512u);   // the machines we test on
  EXPECT_EQ(descriptor_reserve(20000, 128, 8), 64u + 128 * 12);  // many workers need more
  EXPECT_EQ(descriptor_reserve(256, 1, 2), 128u);    // a small limit keeps half
  EXPECT_EQ(descriptor_reserve(2000, 128, 8), 1000u);  // never more than half
}

TEST(ConnectionsPerAddress, CapsOneAddressNotAnother) {
  ConnectionsPerAddress c(2, 64);
  const auto a = *IpAddress::parse("127.0.0.1");
  const auto b = *IpAddress::parse("127.0.0.2");
  EXPECT_TRUE(c.add(a));
  EXPECT_TRUE(c.add(a));
  EXPECT_FALSE(c.add(a));
  EXPECT_TRUE(c.add(b));
  c.remove(a);
  EXPECT_TRUE(c.add(a));
  c.remove(a);
  c.remove(a);
  c.remove(b);
  EXPECT_EQ(c.keys(), 0u);  // nothing kept for addresses that left
}

// Item 6: four addresses of one /64 are one client; another /64 is another.
TEST(ConnectionsPerAddress, FourAddressesOfOneSlash64CountAsOne) {
  ConnectionsPerAddress c(3, 64);
  for (const char* text : {"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"})
    EXPECT_TRUE(c.add(*IpAddress::parse(text))) << text;
  EXPECT_FALSE(c.add(*IpAddress::parse("2001:db8:1:2:1234:5678:9abc:def0")));
  EXPECT_EQ(c.count(*IpAddress::parse("2001:db8:1:2::77")), 3u);
  EXPECT_TRUE(c.add(*IpAddress::parse("2001:db8:1:3::1")));
  // An IPv4 client seen through a dual-stack socket is its IPv4 address.
  EXPECT_TRUE(c.add(*IpAddress::parse("::ffff:127.0.0.7")));
  EXPECT_EQ(c.count(*IpAddress::parse("127.0.0.7")), 1u);
  // With prefix 128 every address is its own client.
  ConnectionsPerAddress single(1, 128);
  EXPECT_TRUE(single.add(*IpAddress::parse("2001:db8:1:2::1")));
  EXPECT_TRUE(single.add(*IpAddress::parse("2001:db8:1:2::2")));
}

TEST(ConnectionsPerAddress, ZeroIsUnlimited) {
  ConnectionsPerAddress c(0, 64);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(c.add(*IpAddress::parse("127.0.0.1")));
}

}  // namespace
}  // namespace peerkit::turn
