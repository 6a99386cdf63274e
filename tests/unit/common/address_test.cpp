#include "common/address.h"

#include <gtest/gtest.h>

namespace peerkit {
namespace {

TEST(IpAddress, ParsesBothFamilies) {
  auto a = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4_value(), 0xC0000201u);
  EXPECT_EQ(a->to_string(), "192.0.2.1");
  auto b = IpAddress::parse("[2001:db8::1]");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_v6());
  EXPECT_EQ(b->to_string(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("300.1.1.1"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("example.org"));
}

TEST(SocketAddress, ParsesWithAndWithoutPort) {
  EXPECT_EQ(SocketAddress::parse("127.0.0.1:3478")->to_string(), "127.0.0.1:3478");
  EXPECT_EQ(SocketAddress::parse("[::1]:5349")->to_string(), "[::1]:5349");
  EXPECT_EQ(SocketAddress::parse("::1", 7)->to_string(), "[::1]:7");
  EXPECT_EQ(SocketAddress::parse("10.0.0.1", 9)->port(), 9);
  EXPECT_FALSE(SocketAddress::parse("1.2.3.4:70000"));
  EXPECT_FALSE(SocketAddress::parse("1.2.3.4:x"));
  EXPECT_FALSE(SocketAddress::parse("[::1"));
}

TEST(SocketAddress, OrdersAndHashesByValue) {
  auto a = *SocketAddress::parse("10.0.0.1:1");
  auto b = *SocketAddress::parse("10.0.0.1:2");
  EXPECT_LT(a, b);
  EXPECT_NE(SocketAddressHash{}(a), SocketAddressHash{}(b));
  EXPECT_EQ(SocketAddressHash{}(a), SocketAddressHash{}(*SocketAddress::parse("10.0.0.1:1")));
}

}  // namespace
}  // namespace peerkit

namespace peerkit {
namespace {

TEST(IpAddressKinds, UnspecifiedAndLoopback) {
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("::")->is_unspecified());
  EXPECT_FALSE(IpAddress::parse("0.0.0.1")->is_unspecified());
  EXPECT_TRUE(IpAddress::parse("127.0.0.1")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("127.9.8.7")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("::1")->is_loopback());
  EXPECT_FALSE(IpAddress::parse("::2")->is_loopback());
  EXPECT_FALSE(IpAddress::parse("10.0.0.1")->is_loopback());
}

}  // namespace
}  // namespace peerkit

namespace peerkit {
namespace {

TEST(IpAddressKinds, UriHost) {
  EXPECT_EQ(IpAddress::parse("127.0.0.1")->to_uri_host(), "127.0.0.1");
  EXPECT_EQ(IpAddress::parse("::1")->to_uri_host(), "[::1]");
}

}  // namespace
}  // namespace peerkit
