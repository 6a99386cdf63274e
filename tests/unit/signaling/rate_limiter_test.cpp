// Per-connection message budget and per-address connection counts (signaling/rate_limiter.h).
#include "signaling/rate_limiter.h"

#include <gtest/gtest.h>

namespace peerkit::signaling {
namespace {

TEST(TokenBucket, RefillsAtTheRate) {
  Timestamp t = Timestamp::from_micros(0);
  TokenBucket bucket(100, 100, t);
  int taken = 0;
  while (bucket.take(t)) ++taken;
  EXPECT_EQ(taken, 100);
  t = t + Duration::millis(10);  // one token
  EXPECT_TRUE(bucket.take(t));
  EXPECT_FALSE(bucket.take(t));
  t = t + Duration::seconds(10);  // never more than the burst
  taken = 0;
  while (bucket.take(t)) ++taken;
  EXPECT_EQ(taken, 100);
  TokenBucket unlimited;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(unlimited.take(t));
}

TEST(ConnectionsPerAddress, CountsAndReleases) {
  ConnectionsPerAddress limit(2);
  const auto a = *IpAddress::parse("127.0.0.1");
  const auto b = *IpAddress::parse("::1");
  EXPECT_TRUE(limit.acquire(a));
  EXPECT_TRUE(limit.acquire(a));
  EXPECT_FALSE(limit.acquire(a));
  EXPECT_TRUE(limit.acquire(b));
  limit.release(a);
  EXPECT_EQ(limit.count(a), 1u);
  EXPECT_TRUE(limit.acquire(a));
}

// Issue 9 item 6: connections per address count IPv6 by the prefix (default /64).
TEST(ConnectionsPerAddress, FourAddressesOfOne64ShareOneBudget) {
  ConnectionsPerAddress limit(2);
  auto ip = [](const char* text) { return *IpAddress::parse(text); };
  EXPECT_TRUE(limit.acquire(ip("2001:db8:1:2::1")));
  EXPECT_TRUE(limit.acquire(ip("2001:db8:1:2::2")));
  EXPECT_FALSE(limit.acquire(ip("2001:db8:1:2::3")));
  EXPECT_FALSE(limit.acquire(ip("2001:db8:1:2:ffff::4")));
  EXPECT_TRUE(limit.acquire(ip("2001:db8:1:3::1")));  // the next /64
  EXPECT_EQ(limit.count(ip("2001:db8:1:2::99")), 2u);
  limit.release(ip("2001:db8:1:2::1"));
  EXPECT_TRUE(limit.acquire(ip("2001:db8:1:2::3")));
  // IPv4-mapped IPv6 is the IPv4 address.
  EXPECT_TRUE(limit.acquire(ip("127.0.0.1")));
  EXPECT_TRUE(limit.acquire(ip("::ffff:127.0.0.1")));
  EXPECT_FALSE(limit.acquire(ip("127.0.0.1")));
  ConnectionsPerAddress single(2, 128);  // --ipv6-limit-prefix 128: single addresses
  for (const char* a : {"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8::4"})
    EXPECT_TRUE(single.acquire(ip(a)));
}

}  // namespace
}  // namespace peerkit::signaling
