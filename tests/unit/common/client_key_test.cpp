// The key per-address limits count (common/client_key.h): IPv6 aggregated by prefix.
#include "common/client_key.h"

#include <gtest/gtest.h>

namespace peerkit {
namespace {

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

TEST(ClientKey, Ipv4IsItsOwnKey) {
  EXPECT_EQ(client_key(ip("127.0.0.7")), ip("127.0.0.7"));
  EXPECT_NE(client_key(ip("127.0.0.7")), client_key(ip("127.0.0.8")));
}

TEST(ClientKey, Ipv6AddressesOfOneSlash64ShareAKey) {
  const auto a = client_key(ip("2001:db8:1:2::1"));
  EXPECT_EQ(a, client_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")));
  EXPECT_EQ(a, ip("2001:db8:1:2::"));
  EXPECT_NE(a, client_key(ip("2001:db8:1:3::1")));
}

TEST(ClientKey, PrefixIsConfigurable) {
  EXPECT_EQ(client_key(ip("2001:db8:1:2::1"), 48), ip("2001:db8:1::"));
  EXPECT_EQ(client_key(ip("2001:db8:1:2::1"), 128), ip("2001:db8:1:2::1"));
  EXPECT_EQ(client_key(ip("2001:db8:1:2::1"), 200), ip("2001:db8:1:2::1"));  // clamped
  EXPECT_EQ(client_key(ip("2001:db8:ffff::1"), 0), ip("::"));
  EXPECT_EQ(client_key(ip("2001:db8:1:2::1"), 60), ip("2001:db8:1::"));  // partial byte
  EXPECT_EQ(client_key(ip("2001:db8:1:1f::1"), 60), ip("2001:db8:1:10::"));
}

TEST(ClientKey, MappedIpv4CountsAsIpv4) {
  EXPECT_EQ(client_key(ip("::ffff:127.0.0.7")), ip("127.0.0.7"));
  EXPECT_NE(client_key(ip("::ffff:127.0.0.7")), client_key(ip("::ffff:127.0.0.8")));
}

}  // namespace
}  // namespace peerkit
