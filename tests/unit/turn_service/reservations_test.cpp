#include "turn/service/reservations.h"

#include <gtest/gtest.h>

#include <set>

namespace peerkit::turn {
namespace {

struct Closed {
  std::set<int> fds;
};

TEST(ReservationRegistry, HoldTakeAndExpire) {
  Closed closed;
  ReservationRegistry r(Duration::seconds(30), 2, [&](int fd, const SocketAddress&) { closed.fds.insert(fd); });
  const Timestamp t0 = Timestamp::from_micros(0);
  const auto a = *SocketAddress::parse("127.0.0.1:50001");
  ASSERT_EQ(r.hold(10, a, 111, t0), 111u);
  ASSERT_EQ(r.hold(11, a, 222, t0), 222u);
  EXPECT_FALSE(r.hold(12, a, 333, t0));  // full: the fd is closed, not leaked
  EXPECT_TRUE(closed.fds.count(12));
  EXPECT_FALSE(r.hold(13, a, 111, t0));  // duplicate token
  auto got = r.take(111, t0 + Duration::seconds(29));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->fd, 10);
  EXPECT_FALSE(r.take(111, t0));  // once only
  r.expire(t0 + Duration::seconds(30));
  EXPECT_TRUE(closed.fds.count(11));
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(closed.fds.count(10));  // the claimed one belongs to the claimer now
}

TEST(ReservationRegistry, ExpiredTokenIsNotHandedOut) {
  Closed closed;
  ReservationRegistry r(Duration::seconds(30), 8, [&](int fd, const SocketAddress&) { closed.fds.insert(fd); });
  r.hold(5, *SocketAddress::parse("127.0.0.1:1"), 9, Timestamp::from_micros(0));
  EXPECT_FALSE(r.take(9, Timestamp::from_micros(31'000'000)));
  EXPECT_TRUE(closed.fds.count(5));
}

}  // namespace
}  // namespace peerkit::turn
