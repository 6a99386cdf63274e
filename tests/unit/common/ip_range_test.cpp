// Address ranges and embedded IPv4 addresses (common/ip_range.h), as the TURN relay policy and
// the ICE host filter use them.
#include "common/ip_range.h"

#include <gtest/gtest.h>

namespace peerkit {
namespace {

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

TEST(IpRange, ParsesSingleRangeAndCidr) {
  auto single = parse_ip_range("192.0.2.7");
  ASSERT_TRUE(single);
  EXPECT_TRUE(single->contains(ip("192.0.2.7")));
  EXPECT_FALSE(single->contains(ip("192.0.2.8")));
  auto range = parse_ip_range("10.0.0.5-10.0.1.5");
  ASSERT_TRUE(range);
  EXPECT_TRUE(range->contains(ip("10.0.0.255")));
  EXPECT_FALSE(range->contains(ip("10.0.1.6")));
  auto cidr = parse_ip_range("172.16.0.0/12");
  EXPECT_TRUE(cidr->contains(ip("172.31.255.255")));
  EXPECT_FALSE(cidr->contains(ip("172.32.0.0")));
  auto v6 = parse_ip_range("fe80::/10");
  EXPECT_TRUE(v6->contains(ip("febf::1")));
  EXPECT_FALSE(v6->contains(ip("fec0::1")));
  EXPECT_FALSE(v6->contains(ip("10.0.0.1")));  // never across families
  for (const char* bad :
       {"", "10.0.0.1/33", "10.0.0.9-10.0.0.1", "10.0.0.1-::1", "x/8", "1.2.3.4/"})
    EXPECT_FALSE(parse_ip_range(bad)) << bad;
}

TEST(EmbeddedIpv4, FindsEveryForm) {
  EXPECT_EQ(embedded_ipv4(ip("::ffff:127.0.0.1")), ip("127.0.0.1"));
  EXPECT_EQ(embedded_ipv4(ip("::127.0.0.1")), ip("127.0.0.1"));
  EXPECT_EQ(embedded_ipv4(ip("64:ff9b::7f00:1")), ip("127.0.0.1"));
  EXPECT_EQ(embedded_ipv4(ip("64:ff9b:1::a9fe:a9fe")), ip("169.254.169.254"));
  EXPECT_EQ(embedded_ipv4(ip("2002:a9fe:a9fe::1")), ip("169.254.169.254"));
  EXPECT_EQ(embedded_ipv4(ip("2001:0:4136:e378:8000:63bf:80ff:fffe")), ip("127.0.0.1"));
  EXPECT_FALSE(embedded_ipv4(ip("2001:4860::1")));
  EXPECT_FALSE(embedded_ipv4(ip("9.9.9.9")));
  EXPECT_EQ(kernel_destination(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
  EXPECT_EQ(kernel_destination(ip("::10.1.2.3")), ip("::10.1.2.3"));
}

}  // namespace
}  // namespace peerkit
