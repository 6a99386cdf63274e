// The pacer of a subscriber connection (sfu/pacer.h): an interval budget at the pacing rate,
// bursts up to 5 ms of it at once, order kept, a bounded queue.
#include "sfu/pacer.h"

#include <gtest/gtest.h>

namespace peerkit::sfu {
namespace {

const Timestamp kT0 = Timestamp::from_micros(3'000'000);

Pacer::Packet packet(std::size_t size, std::uint16_t seq) {
  return Pacer::Packet{std::vector<std::byte>(size, std::byte{static_cast<unsigned char>(seq)}), seq};
}

TEST(Pacer, AFrameBurstLeavesAtThePacingRateInOrder) {
  Pacer p;
  constexpr double kRate = 8'000'000;  // 1 000 bytes a millisecond; 5 ms of budget = 5 000 bytes
  // A 10-packet frame of 1 000-byte packets arrives at once: the budget (5 000 bytes) lets five
  // go, the rest wait.
  int admitted = 0;
  for (std::uint16_t i = 0; i < 10; ++i) {
    if (p.admit(1000, kRate, kT0)) {
      ++admitted;
      continue;
    }
    ASSERT_TRUE(p.enqueue(packet(1000, i), kRate, kT0));
  }
  EXPECT_EQ(admitted, 5);
  EXPECT_EQ(p.queued(), 5u);
  EXPECT_FALSE(p.release(kRate, kT0));
  // One packet's worth of budget every millisecond: the queue drains one a millisecond, in order.
  std::vector<std::uint16_t> order;
  Timestamp now = kT0;
  while (!p.empty()) {
    const Timestamp next = p.next_release(kRate);
    ASSERT_GT(next, now);
    ASSERT_LE(next - now, Duration::millis(1) + Duration::micros(1));
    EXPECT_FALSE(p.release(kRate, next - Duration::micros(2)));  // not early
    now = next;
    auto r = p.release(kRate, now);
    ASSERT_TRUE(r);  // due when it says
    order.push_back(*r->transport_sequence);
    while (auto more = p.release(kRate, now)) order.push_back(*more->transport_sequence);
  }
  EXPECT_EQ(order, (std::vector<std::uint16_t>{5, 6, 7, 8, 9}));
  EXPECT_LE(now - kT0, Duration::millis(6));
  EXPECT_EQ(p.next_release(kRate), Timestamp::never());
  // While something waits, a new packet does not overtake it.
  ASSERT_TRUE(p.enqueue(packet(1000, 20), kRate, now));
  EXPECT_FALSE(p.admit(100, kRate, now + Duration::millis(10)));
}

// An estimate far below what is sent (a lowest layer above it): the queue drains within about
// 300 ms anyway, faster than the pacing rate, instead of dropping; only 1 024 packets bound it.
TEST(Pacer, WhatWaitsDrainsWithinItsDelayAndTheCountIsBounded) {
  Pacer p;
  constexpr double kRate = 80'000;  // 10 bytes a millisecond: 100 packets would take 10 s
  while (p.admit(1000, kRate, kT0)) {
  }
  for (std::uint16_t i = 0; i < 100; ++i) ASSERT_TRUE(p.enqueue(packet(1000, i), kRate, kT0));
  Timestamp now = kT0;
  std::size_t released = 0;
  while (!p.empty() && now - kT0 < Duration::seconds(5)) {
    now = p.next_release(kRate);
    while (p.release(kRate, now)) ++released;
  }
  EXPECT_EQ(released, 100u);
  EXPECT_LE(now - kT0, Duration::millis(400));
  EXPECT_EQ(p.drops(), 0u);

  Pacer full;
  while (full.admit(1000, kRate, kT0)) {
  }
  for (std::size_t i = 0; i < Pacer::kMaxQueued; ++i) ASSERT_TRUE(full.enqueue(packet(100, 0), kRate, kT0));
  EXPECT_FALSE(full.enqueue(packet(100, 0), kRate, kT0));
  EXPECT_EQ(full.drops(), 1u);
}

}  // namespace
}  // namespace peerkit::sfu
