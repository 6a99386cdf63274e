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

}  // namespace
}  // namespace peerkit::signaling
