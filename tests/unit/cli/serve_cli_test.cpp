// `peerkit serve`'s command line: PeerServer's names, the embedded TURN server's settings, and
// the same result shape as `peerkit turn`.
#include <gtest/gtest.h>

#include "apps/peerkit/cli.h"

namespace peerkit::app {
namespace {

using Parsed = ParsedCommand<server::ServeConfig>;

Parsed parse(std::vector<std::string> args) {
  args.insert(args.begin(), "peerkit serve");
  return parse_serve_cli(args, "test-secret");
}

TEST(ServeCli, EmbeddedTurnOnTheListeningAddress) {
  auto r = parse({"--port", "9100", "--turn-port", "3500", "--key", "k"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.config.port, 9100);
  EXPECT_EQ(r.config.peerjs.key, "k");
  ASSERT_TRUE(r.config.turn);
  EXPECT_EQ(r.config.turn_config.listening_port, 3500);
  EXPECT_EQ(r.config.turn_config.secrets, std::vector<std::string>{"test-secret"});
  EXPECT_TRUE(r.config.turn_config.policy.allow_loopback);  // 127.0.0.1 by default
  ASSERT_FALSE(r.config.ice.stun_urls.empty());
  EXPECT_EQ(r.config.ice.stun_urls[0], "stun:127.0.0.1:3500");
}

TEST(ServeCli, HelpAndErrorsExit) {
  auto help = parse({"--help"});
  EXPECT_EQ(help.action, Parsed::Action::kExit);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.message.find("--turn-port"), std::string::npos);
  auto bad = parse({"--host", "not-an-ip"});
  EXPECT_EQ(bad.action, Parsed::Action::kExit);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.message.find("--host must be an IP address"), std::string::npos);
  EXPECT_EQ(parse({"--no-such-option"}).exit_code, 2);
  EXPECT_EQ(parse({"--cert", "x.pem"}).exit_code, 2);    // a certificate needs its key
  EXPECT_EQ(parse({"--host", "0.0.0.0"}).exit_code, 2);  // TURN needs a concrete address
  EXPECT_EQ(parse({"--host", "0.0.0.0", "--no-turn"}).action, Parsed::Action::kRun);
}

TEST(ServeCli, ProxiedIsAcceptedWithAWarning) {
  auto r = parse({"--proxied"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("--proxied"), std::string::npos);
}


TEST(ServeCli, AllowOriginIsRepeatableAndChecked) {
  auto r = parse({"--allow-origin", "https://a.test", "--allow-origin", "http://b.test:8080",
                  "--cors", "http://c.test"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_EQ(r.config.allowed_origins,
            (std::vector<std::string>{"https://a.test", "http://b.test:8080"}));
  EXPECT_EQ(r.config.cors_origins, std::vector<std::string>{"http://c.test"});
  auto bad = parse({"--allow-origin", "a.test"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.message.find("--allow-origin must be an origin"), std::string::npos) << bad.message;
  EXPECT_NE(parse({"--help"}).message.find("--allow-origin"), std::string::npos);
}

}  // namespace
}  // namespace peerkit::app
