// Which interface addresses become host candidates.
#include "ice/host_filter.h"

#include <gtest/gtest.h>

namespace peerkit::ice {
namespace {

std::vector<LocalInterface> machine() {
  auto ip = [](const char* s) { return *IpAddress::parse(s); };
  return {{"lo", ip("127.0.0.1"), true},     {"lo", ip("::1"), true},
          {"eth0", ip("10.0.1.2"), true},    {"eth0", ip("fe80::1"), true},
          {"eth0", ip("2001:db8::2"), true}, {"docker0", ip("172.17.0.1"), true},
          {"wg0", ip("10.9.0.1"), true},     {"eth1", ip("192.0.2.5"), false}};
}

std::vector<std::string> names(const std::vector<IpAddress>& v) {
  std::vector<std::string> out;
  for (const auto& a : v) out.push_back(a.to_string());
  return out;
}

TEST(HostFilter, DefaultsSkipLoopbackLinkLocalAndDownInterfaces) {
  EXPECT_EQ(names(select_host_addresses(machine(), {})),
            (std::vector<std::string>{"10.0.1.2", "2001:db8::2", "172.17.0.1", "10.9.0.1"}));
}

TEST(HostFilter, RulesIncludeAndExcludeInterfacesAndRanges) {
  auto f = parse_host_filter("!docker0,10.0.0.0/8,!10.9.0.0/16");
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(names(select_host_addresses(machine(), *f)), (std::vector<std::string>{"10.0.1.2"}));
  auto by_name = parse_host_filter("eth0");
  EXPECT_EQ(names(select_host_addresses(machine(), *by_name)),
            (std::vector<std::string>{"10.0.1.2", "2001:db8::2"}));
}

TEST(HostFilter, NamingLoopbackOptsItIn) {
  auto f = parse_host_filter("127.0.0.1");
  ASSERT_TRUE(f);
  EXPECT_EQ(names(select_host_addresses(machine(), *f)), (std::vector<std::string>{"127.0.0.1"}));
  auto lo = parse_host_filter("lo");
  EXPECT_EQ(names(select_host_addresses(machine(), *lo)),
            (std::vector<std::string>{"127.0.0.1", "::1"}));
}

TEST(HostFilter, BadRulesSayWhich) {
  auto f = parse_host_filter("eth0,10.0.0.0/99");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().find("10.0.0.0/99"), std::string::npos);
  EXPECT_FALSE(parse_host_filter("!"));
}

TEST(HostFilter, AddressCountIsBounded) {
  std::vector<LocalInterface> many;
  for (int i = 1; i <= 50; ++i)
    many.push_back({"eth0", IpAddress::v4(0x0A000000u + static_cast<std::uint32_t>(i)), true});
  EXPECT_EQ(select_host_addresses(many, {}).size(), 8u);
}

}  // namespace
}  // namespace peerkit::ice
