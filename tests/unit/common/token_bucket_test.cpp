// TokenBucket on virtual time: burst, refill, cap, costs above one, time going backwards.
#include "common/token_bucket.h"

#include <gtest/gtest.h>

namespace peerkit {
namespace {

const Timestamp kStart = Timestamp::from_micros(5'000'000);

int drain(TokenBucket& b, Timestamp now, std::uint64_t cost = 1) {
  int n = 0;
  while (b.take(now, cost) && n < 1'000'000) ++n;
  return n;
}

TEST(TokenBucket, StartsFullWithTheBurst) {
  TokenBucket b(10, 25, kStart);
  EXPECT_EQ(drain(b, kStart), 25);
}

TEST(TokenBucket, BurstIsAtLeastOneSecondOfRate) {
  TokenBucket b(10, 3, kStart);
  EXPECT_EQ(drain(b, kStart), 10);
}

TEST(TokenBucket, RefillsAtTheRateOverVirtualTime) {
  TokenBucket b(1000, 1000, kStart);
  drain(b, kStart);
  EXPECT_FALSE(b.take(kStart + Duration::micros(999)));  // 0.999 of a token
  EXPECT_TRUE(b.take(kStart + Duration::millis(1)));
  EXPECT_FALSE(b.take(kStart + Duration::millis(1)));
  // Many tiny steps add up exactly: 250 steps of 4 us each make one token.
  Timestamp t = kStart + Duration::millis(1);
  for (int i = 0; i < 249; ++i) {
    t = t + Duration::micros(4);
    EXPECT_FALSE(b.take(t)) << i;
  }
  EXPECT_TRUE(b.take(t + Duration::micros(4)));
}

TEST(TokenBucket, NeverHoldsMoreThanTheBurst) {
  TokenBucket b(100, 150, kStart);
  drain(b, kStart);
  EXPECT_EQ(drain(b, kStart + Duration::seconds(3600)), 150);
}

TEST(TokenBucket, LongIdleTimeAtAHighRateDoesNotOverflow) {
  const std::uint64_t rate = 1ull << 40;  // max-bps's upper bound, in bytes
  TokenBucket b(rate, rate, kStart);
  EXPECT_TRUE(b.take(kStart, rate));
  EXPECT_FALSE(b.take(kStart, 1));
  const Timestamp later = kStart + Duration::seconds(365LL * 24 * 3600);
  EXPECT_TRUE(b.take(later, rate));
  EXPECT_FALSE(b.take(later, 1));
}

TEST(TokenBucket, CostAboveOneTakesThatMany) {
  TokenBucket b(1000, 1000, kStart);  // bytes, like max-bps
  EXPECT_EQ(drain(b, kStart, 400), 2);
  EXPECT_TRUE(b.take(kStart, 200));  // 200 left
  EXPECT_FALSE(b.take(kStart, 1));
  EXPECT_FALSE(b.take(kStart + Duration::millis(399), 400));
  EXPECT_TRUE(b.take(kStart + Duration::millis(400), 400));
}

TEST(TokenBucket, CostAboveTheBurstNeverSucceeds) {
  TokenBucket b(10, 10, kStart);
  EXPECT_FALSE(b.take(kStart + Duration::seconds(100), 11));
  EXPECT_EQ(drain(b, kStart + Duration::seconds(100)), 10);  // and took nothing
}

TEST(TokenBucket, TimeGoingBackwardsMintsNothing) {
  TokenBucket b(10, 10, kStart);
  drain(b, kStart);
  const Timestamp earlier = kStart - Duration::seconds(5);
  EXPECT_FALSE(b.take(earlier));
  // Back at the original time no refill is owed: the step back did not move the refill point.
  EXPECT_FALSE(b.take(kStart));
  EXPECT_TRUE(b.take(kStart + Duration::millis(100)));
  EXPECT_FALSE(b.take(kStart + Duration::millis(100)));
}

TEST(TokenBucket, RateZeroAndDefaultAreUnlimited) {
  TokenBucket none;
  TokenBucket zero(0, 5, kStart);
  EXPECT_TRUE(none.unlimited());
  EXPECT_TRUE(zero.unlimited());
  EXPECT_FALSE(TokenBucket(1, 1, kStart).unlimited());
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(none.take(kStart, 1'000'000));
    EXPECT_TRUE(zero.take(kStart));
  }
}

}  // namespace
}  // namespace peerkit
