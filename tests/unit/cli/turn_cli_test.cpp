// `peerkit turn`'s command line: coturn-compatible options and turnserver.conf parsing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "apps/peerkit/cli.h"

namespace peerkit::app {
namespace {

using Parsed = ParsedCommand<turn::TurnServiceConfig>;

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "peerkit turn");
  return parse_turn_cli(args);
}

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/peerkit-conf-XXXXXX";
  const int fd = mkstemp(path);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(TurnOptions, RefusesToStartWithoutCredentials) {
  auto r = parse({"-n"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.message.find("no credentials"), std::string::npos);
  EXPECT_EQ(parse({"-n", "--no-auth"}).action, Parsed::Action::kRun);
  EXPECT_EQ(parse({"-n", "--use-auth-secret"}).exit_code, 2);
}

TEST(TurnOptions, CoturnLongAndShortNames) {
  auto r = parse({"-n",
                  "-L",
                  "127.0.0.1",
                  "--listening-ip=::1",
                  "--relay-ip",
                  "127.0.0.2",
                  "-u",
                  "alice:pw",
                  "--user=bob:0x0123456789abcdef0123456789abcdef",
                  "-r",
                  "ex.org",
                  "--min-port",
                  "50000",
                  "--max-port=50100",
                  "--denied-peer-ip=8.8.8.0-8.8.8.255",
                  "--allowed-peer-ip",
                  "10.0.0.0/8",
                  "--allow-loopback-peers",
                  "-q",
                  "3",
                  "-Q",
                  "9",
                  "--max-bps",
                  "125000",
                  "--stale-nonce=60",
                  "--channel-lifetime",
                  "900",
                  "-f",
                  "--prometheus",
                  "--prometheus-port",
                  "9700",
                  "-m",
                  "3",
                  "--no-tcp",
                  "-X",
                  "203.0.113.5/127.0.0.2"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  const auto& c = r.config;
  ASSERT_EQ(c.listening_ips.size(), 2u);
  EXPECT_EQ(c.listening_ips[1].to_string(), "::1");
  EXPECT_EQ(c.relay_ips[0].to_string(), "127.0.0.2");
  ASSERT_EQ(c.users.size(), 2u);
  EXPECT_TRUE(c.users[1].md5_key);
  EXPECT_EQ(c.realm, "ex.org");
  EXPECT_EQ(c.min_port, 50000);
  EXPECT_EQ(c.max_port, 50100);
  EXPECT_EQ(c.policy.denied.size(), 1u);
  EXPECT_EQ(c.policy.allowed.size(), 2u);  // the allowed range and external-ip's private side
  EXPECT_TRUE(c.policy.allow_loopback);
  EXPECT_EQ(c.user_quota, 3u);
  EXPECT_EQ(c.total_quota, 9u);
  EXPECT_EQ(c.server.max_bps, 125000u);
  EXPECT_EQ(c.server.nonce_lifetime.s(), 60);
  EXPECT_EQ(c.server.channel_lifetime.s(), 900);
  EXPECT_TRUE(c.server.fingerprint);
  EXPECT_TRUE(c.prometheus);
  EXPECT_EQ(c.prometheus_port, 9700);
  EXPECT_EQ(c.workers, 3u);
  EXPECT_FALSE(c.tcp);
  ASSERT_EQ(c.server.external_ips.size(), 1u);
  EXPECT_EQ(c.server.external_ips[0].public_ip.to_string(), "203.0.113.5");
}

TEST(TurnOptions, FlagsTakeAnOptionalBooleanValue) {
  auto on = parse({"-n", "--no-auth", "--fingerprint", "--unauthorized-ratelimit=off"});
  ASSERT_EQ(on.action, Parsed::Action::kRun) << on.message;
  EXPECT_TRUE(on.config.server.fingerprint);
  EXPECT_EQ(on.config.server.unauthorized_rate, 0u);
  auto off = parse({"-n", "--no-auth", "--fingerprint=no", "--no-tcp=false"});
  ASSERT_EQ(off.action, Parsed::Action::kRun) << off.message;
  EXPECT_FALSE(off.config.server.fingerprint);
  EXPECT_TRUE(off.config.tcp);
  EXPECT_EQ(parse({"-n", "--no-auth", "--fingerprint=perhaps"}).exit_code, 2);
}

TEST(TurnOptions, InvalidValuesAreClearErrors) {
  auto port = parse({"-n", "--no-auth", "--listening-port", "70000"});
  EXPECT_EQ(port.exit_code, 2);
  EXPECT_NE(port.message.find("listening-port"), std::string::npos);
  EXPECT_EQ(parse({"-n", "--no-auth", "--listening-ip", "not-an-ip"}).exit_code, 2);
  EXPECT_EQ(parse({"-n", "--no-auth", "--denied-peer-ip", "10.0.0.0/99"}).exit_code, 2);
  EXPECT_EQ(parse({"-n", "--no-auth", "--min-port", "6000", "--max-port", "5000"}).exit_code, 2);
  EXPECT_EQ(parse({"-n", "--no-auth", "--cert", "x.pem"}).exit_code, 2);
  EXPECT_EQ(parse({"-n", "--no-auth", "--no-such-option"}).exit_code, 2);
  EXPECT_EQ(parse({"-n", "--no-auth", "-u", "alice:pw"}).exit_code, 2);
}

TEST(TurnOptions, ConfigFileWithCliOverrideUnknownAndRemovedKeys) {
  const auto path = write_temp(
      "listening-port=4000\n"
      "realm=file.realm\n"
      "user=carol:pw\n"
      "no-loopback-peers\n"
      "totally-unknown-key=1\n"
      "use-auth-secret\n"
      "static-auth-secret=s1\n"
      "static-auth-secret=s2\n"
      "no-tls\n");
  auto r = parse({"-c", path, "--listening-port", "4001", "-u", "dave:pw"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_EQ(r.config.listening_port, 4001);  // command line wins
  EXPECT_EQ(r.config.realm, "file.realm");
  EXPECT_EQ(r.config.users.size(), 2u);
  EXPECT_EQ(r.config.secrets.size(), 2u);
  EXPECT_EQ(r.config_file, path);
  int unknown = 0, removed = 0;
  for (const auto& w : r.warnings) {
    unknown += w.find("unknown option 'totally-unknown-key'") != std::string::npos;
    removed += w.find("no-loopback-peers: removed") != std::string::npos;
  }
  EXPECT_EQ(unknown, 1);
  EXPECT_EQ(removed, 1);
  std::remove(path.c_str());
}

TEST(TurnOptions, BadBooleanInFileIsAnError) {
  const auto path = write_temp("no-auth\nfingerprint=perhaps\n");
  auto r = parse({"-c", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.message.find(":2:"), std::string::npos);  // names the line
  std::remove(path.c_str());
  EXPECT_EQ(parse({"-c", "/nonexistent/turnserver.conf"}).exit_code, 2);
}

TEST(TurnOptions, HelpDocumentsEveryOption) {
  auto r = parse({"--help"});
  ASSERT_EQ(r.action, Parsed::Action::kExit);
  ASSERT_EQ(r.exit_code, 0);
  for (const char* name :
       {"--listening-ip", "--static-auth-secret", "--allowed-peer-ip", "--user-quota",
        "--prometheus", "--max-bps", "--stale-nonce", "--cert", "--pkey", "--no-auth"})
    EXPECT_NE(r.message.find(name), std::string::npos) << name;
}

// Issue 9 items 1 and 6: the per-address allocation quota coturn does not have, and the IPv6
// prefix every per-address limit counts by; in --help, defaulted, range-checked.
TEST(TurnOptions, AddressQuotaAndIpv6LimitPrefix) {
  auto d = parse({"-n", "--user=a:b"});
  ASSERT_EQ(d.action, Parsed::Action::kRun) << d.message;
  EXPECT_EQ(d.config.address_quota, 0u);
  EXPECT_EQ(d.config.ipv6_limit_prefix, 64);
  auto r = parse({"-n", "--user=a:b", "--address-quota=50", "--ipv6-limit-prefix", "56"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_EQ(r.config.address_quota, 50u);
  EXPECT_EQ(r.config.ipv6_limit_prefix, 56);
  EXPECT_EQ(parse({"-n", "--user=a:b", "--ipv6-limit-prefix=129"}).exit_code, 2);
  EXPECT_EQ(parse({"-n", "--user=a:b", "--ipv6-limit-prefix=0"}).exit_code, 2);
  EXPECT_EQ(parse({"-n", "--user=a:b", "--address-quota=lots"}).exit_code, 2);
  auto help = parse({"--help"});
  EXPECT_NE(help.message.find("--address-quota"), std::string::npos);
  EXPECT_NE(help.message.find("--ipv6-limit-prefix"), std::string::npos);
}

}  // namespace
}  // namespace peerkit::app
