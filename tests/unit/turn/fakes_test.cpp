// The shared TURN fakes (tests/support/turn_fakes.h) report misuse instead of hiding it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/turn_fakes.h"

namespace peerkit::testing {
namespace {

TEST(TurnFakes, DoubleOrUnknownReleaseIsMisuse) {
  std::vector<std::string> misuse;
  FakeRelays relays;
  relays.on_misuse = [&](const char* what) { misuse.push_back(what); };
  auto g = relays.allocate({});
  ASSERT_TRUE(g);
  relays.release(g->handle);
  EXPECT_TRUE(misuse.empty());
  relays.release(g->handle);
  relays.release(turn::RelayHandle(12345));
  EXPECT_EQ(misuse.size(), 2u);
  EXPECT_TRUE(relays.live.empty());
}

TEST(TurnFakes, ReservationsAreLiveUntilExpiredOrClaimed) {
  FakeRelays relays;
  relays.on_misuse = [](const char* what) { ADD_FAILURE() << what; };
  turn::RelayRequest r;
  r.even_port = r.reserve_next = true;
  auto g = relays.allocate(r);
  ASSERT_TRUE(g && g->reservation_token);
  EXPECT_EQ(g->address.port() % 2, 0);
  EXPECT_EQ(relays.live.size(), 2u);
  relays.expire_reservations();
  EXPECT_EQ(relays.live.size(), 1u);
  EXPECT_FALSE(relays.claim_reservation(*g->reservation_token));
}

TEST(TurnFakes, QuotaBelowZeroIsMisuse) {
  int misuse = 0;
  FakeQuotas quotas;
  quotas.on_misuse = [&](const char*) { ++misuse; };
  quotas.total_limit = 1;
  const IpAddress ip = *IpAddress::parse("192.0.2.1");
  EXPECT_EQ(quotas.acquire("a", ip), turn::QuotaResult::kOk);
  EXPECT_EQ(quotas.acquire("b", ip), turn::QuotaResult::kTotalQuota);
  quotas.release("b", ip);  // never acquired
  EXPECT_EQ(misuse, 1);
  quotas.release("a", ip);
  EXPECT_EQ(quotas.total, 0u);
  quotas.release("a", ip);
  EXPECT_EQ(misuse, 2);
}

}  // namespace
}  // namespace peerkit::testing
