// Relay port choice at the limit: a bounded number of bind attempts per Allocate whatever the
// range holds, ports this process holds are never tried, released ports come back, EVEN-PORT
// and reserved pairs stay inside the range.
#include "turn/service/relay_ports.h"

#include <gtest/gtest.h>

#include <set>

namespace peerkit::turn {
namespace {

const IpAddress kIp = *IpAddress::parse("127.0.0.1");
using Bind = RelayPorts::Bind;
const auto kBound = [](std::uint16_t) { return Bind::kBound; };

TEST(RelayPorts, EveryBindFailingCostsABoundedNumberOfAttempts) {
  RelayPorts ports(49152, 65535);  // the default range: 16 384 ports
  SeededRandom random(1);
  unsigned attempts = 0;
  EXPECT_FALSE(ports.acquire(kIp, {}, random, [&](std::uint16_t) {
    ++attempts;
    return Bind::kInUse;  // every port taken by other processes
  }));
  EXPECT_LE(attempts, RelayPorts::kMaxBindAttempts);
  // Out of descriptors: one attempt says so, no other port is tried.
  attempts = 0;
  EXPECT_FALSE(ports.acquire(kIp, {}, random, [&](std::uint16_t) {
    ++attempts;
    return Bind::kError;
  }));
  EXPECT_EQ(attempts, 1u);
}

TEST(RelayPorts, ARangeThisProcessHoldsEntirelyCostsNoBindAttempt) {
  RelayPorts ports(50000, 50999);
  SeededRandom random(2);
  std::set<std::uint16_t> got;
  for (int i = 0; i < 1000; ++i) {
    auto p = ports.acquire(kIp, {}, random, kBound);
    ASSERT_TRUE(p) << i;
    EXPECT_TRUE(got.insert(*p).second) << "port handed out twice: " << *p;
  }
  EXPECT_EQ(ports.held(), 1000u);
  unsigned attempts = 0;
  EXPECT_FALSE(ports.acquire(kIp, {}, random, [&](std::uint16_t) { return ++attempts, Bind::kBound; }));
  EXPECT_EQ(attempts, 0u);
  // A released port is found again, with one attempt.
  ports.release({kIp, 50500});
  attempts = 0;
  EXPECT_EQ(ports.acquire(kIp, {}, random, [&](std::uint16_t) { return ++attempts, Bind::kBound; }),
            50500);
  EXPECT_EQ(attempts, 1u);
}

TEST(RelayPorts, PortsTakenElsewhereAreTriedAboutOnce) {
  // Three ports in four belong to other processes. Each Allocate costs at most the bound, the
  // ports found taken are remembered (not tried again by the next Allocate), so filling the
  // range costs about one attempt per port, and every free port is handed out.
  RelayPorts ports(50000, 53999);
  SeededRandom random(3);
  std::set<std::uint16_t> got;
  unsigned total = 0, failed = 0;
  for (int i = 0; i < 1100 && got.size() < 1000; ++i) {
    unsigned attempts = 0;
    auto p = ports.acquire(kIp, {}, random, [&](std::uint16_t port) {
      ++attempts;
      return port % 4 == 0 ? Bind::kBound : Bind::kInUse;
    });
    EXPECT_LE(attempts, RelayPorts::kMaxBindAttempts);
    total += attempts;
    if (!p) {
      ++failed;
      continue;
    }
    EXPECT_EQ(*p % 4, 0);
    got.insert(*p);
  }
  EXPECT_EQ(got.size(), 1000u);
  EXPECT_LE(failed, 20u);
  EXPECT_LE(total, 4000u + 16 * failed);
}

TEST(RelayPorts, EvenPortAndReservedPairStayInRange) {
  RelayPorts ports(50001, 50010);  // odd bounds: even ports 50002..50010, pairs up to 50008
  SeededRandom random(4);
  std::set<std::uint16_t> pairs;
  for (int i = 0; i < 4; ++i) {
    auto p = ports.acquire(kIp, {.even = true, .pair = true}, random,
                           kBound);
    ASSERT_TRUE(p) << i;
    EXPECT_EQ(*p % 2, 0);
    EXPECT_LT(*p, 50010);
    pairs.insert(*p);
  }
  EXPECT_EQ(pairs, (std::set<std::uint16_t>{50002, 50004, 50006, 50008}));
  EXPECT_EQ(ports.held(), 8u);
  unsigned attempts = 0;  // no pair left (50010 has no 50011 in range)
  EXPECT_FALSE(ports.acquire(kIp, {.even = true, .pair = true}, random,
                             [&](std::uint16_t) { return ++attempts, Bind::kBound; }));
  EXPECT_EQ(attempts, 0u);
  auto even = ports.acquire(kIp, {.even = true}, random, kBound);
  EXPECT_EQ(even, 50010);
  auto any = ports.acquire(kIp, {}, random, kBound);
  ASSERT_TRUE(any);
  EXPECT_EQ(*any % 2, 1);
}

TEST(RelayPorts, AddressesAreIndependent) {
  RelayPorts ports(50000, 50000);
  SeededRandom random(5);
  const auto ok = kBound;
  EXPECT_EQ(ports.acquire(kIp, {}, random, ok), 50000);
  EXPECT_FALSE(ports.acquire(kIp, {}, random, ok));
  EXPECT_EQ(ports.acquire(*IpAddress::parse("::1"), {}, random, ok), 50000);
  ports.release({kIp, 50000});
  EXPECT_EQ(ports.acquire(kIp, {}, random, ok), 50000);
}

}  // namespace
}  // namespace peerkit::turn
