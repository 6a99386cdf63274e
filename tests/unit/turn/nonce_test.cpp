#include "turn/nonce.h"

#include <gtest/gtest.h>

namespace peerkit::turn {
namespace {

TEST(NonceIssuer, ValidThenStaleAndBoundToIp) {
  std::array<std::byte, 32> secret{};
  NonceIssuer n(secret, Duration::seconds(600), true);
  const auto client = *IpAddress::parse("100.72.0.1");
  const Timestamp t0 = Timestamp::from_micros(100'000'000);
  auto nonce = n.issue(t0, client);
  EXPECT_TRUE(nonce.starts_with("obMatJos2wAAA"));
  EXPECT_EQ(nonce.size(), 41u);
  EXPECT_EQ(n.check(nonce, t0 + Duration::seconds(599), client), NonceIssuer::Check::kValid);
  EXPECT_EQ(n.check(nonce, t0 + Duration::seconds(600), client), NonceIssuer::Check::kStale);
  EXPECT_EQ(n.check(nonce, t0, *IpAddress::parse("100.72.0.2")), NonceIssuer::Check::kInvalid);
  auto tampered = nonce;
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  EXPECT_EQ(n.check(tampered, t0, client), NonceIssuer::Check::kInvalid);
  NonceIssuer other(std::array<std::byte, 32>{std::byte{1}}, Duration::seconds(600), true);
  EXPECT_EQ(other.check(nonce, t0, client), NonceIssuer::Check::kInvalid);
  EXPECT_EQ(n.check("short", t0, client), NonceIssuer::Check::kInvalid);
}

}  // namespace
}  // namespace peerkit::turn
