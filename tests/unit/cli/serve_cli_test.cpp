// `peerkit serve`'s command line: PeerServer's names, the embedded TURN server's settings, and
// the same result shape as `peerkit turn`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  auto wildcard = parse({"--host", "0.0.0.0", "--no-turn"});
  EXPECT_EQ(wildcard.action, Parsed::Action::kRun);
  // ... with meshes only, and a warning that says how to get the SFU.
  EXPECT_FALSE(wildcard.config.sfu.enabled);
  ASSERT_EQ(wildcard.warnings.size(), 1u);
  EXPECT_NE(wildcard.warnings[0].find("--sfu-announce"), std::string::npos);
  auto announced = parse({"--host", "0.0.0.0", "--no-turn", "--sfu-announce", "192.0.2.7"});
  ASSERT_EQ(announced.action, Parsed::Action::kRun) << announced.message;
  EXPECT_TRUE(announced.config.sfu.enabled);
  EXPECT_EQ(announced.config.sfu.announce.to_string(), "192.0.2.7");
  EXPECT_EQ(announced.config.sfu.port, 3480);
  EXPECT_EQ(parse({"--sfu-ip", "0.0.0.0", "--no-turn"}).exit_code, 2);
  EXPECT_EQ(parse({"--sfu-room-capacity", "3", "--sfu-threshold", "3"}).exit_code, 2);
  EXPECT_FALSE(parse({"--no-sfu"}).config.sfu.enabled);
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


// A pinned REST secret: credentials handed out before a restart still work after it.
TEST(ServeCli, IceSecretPinsTheEmbeddedTurnSecret) {
  auto r = parse({"--ice-secret", "pinned"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_EQ(r.config.turn_config.secrets, std::vector<std::string>{"pinned"});
  EXPECT_EQ(r.config.ice.turn_secret, "pinned");
}

TEST(ServeCli, IceSecretFileIsCreatedPrivateAndReused) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("peerkit-secret-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "turn-secret").string();
  auto first = parse({"--ice-secret-file", file});
  ASSERT_EQ(first.action, Parsed::Action::kRun) << first.message;
  EXPECT_EQ(first.config.turn_config.secrets, std::vector<std::string>{"test-secret"});
  const auto perms = std::filesystem::status(file).permissions();
  EXPECT_EQ(perms, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // The next process, with another fresh secret of its own, keeps the one in the file.
  auto second = parse_serve_cli({"peerkit serve", "--ice-secret-file", file}, "another-secret");
  ASSERT_EQ(second.action, Parsed::Action::kRun) << second.message;
  EXPECT_EQ(second.config.turn_config.secrets, std::vector<std::string>{"test-secret"});
  EXPECT_EQ(second.config.ice.turn_secret, "test-secret");
  // A file others can read is refused, and so is an empty one; the secret is never echoed.
  std::filesystem::permissions(file, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  auto shared = parse({"--ice-secret-file", file});
  EXPECT_EQ(shared.exit_code, 2);
  EXPECT_NE(shared.message.find("chmod 600"), std::string::npos) << shared.message;
  EXPECT_EQ(shared.message.find("test-secret"), std::string::npos) << shared.message;
  const std::string empty = (dir / "empty").string();
  std::ofstream{empty};
  std::filesystem::permissions(empty, std::filesystem::perms::owner_read);
  EXPECT_EQ(parse({"--ice-secret-file", empty}).exit_code, 2);
  EXPECT_EQ(parse({"--ice-secret", "a", "--ice-secret-file", file}).exit_code, 2);
  // A file someone else owns is refused, even with mode 0600 (it could have been planted).
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);
    const auto planted = parse({"--ice-secret-file", file});
    EXPECT_EQ(planted.exit_code, 2);
    EXPECT_NE(planted.message.find("another user"), std::string::npos) << planted.message;
  }
  EXPECT_NE(parse({"--help"}).message.find("--ice-secret-file"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// Several secrets, one a line: the first signs, all are accepted (rotation; several nodes).
TEST(ServeCli, IceSecretFileListsSecretsForRotation) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("peerkit-secrets-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "turn-secrets").string();
  const auto write = [&](const std::string& text) {
    std::ofstream(file, std::ios::trunc) << text;
    std::filesystem::permissions(file, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
  };
  write("# signs\n  current-secret \r\n\n# still accepted\nprevious-secret\n");
  auto r = parse({"--ice-secret-file", file});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_EQ(r.config.ice.turn_secret, "current-secret");
  EXPECT_EQ(r.config.turn_config.secrets,
            (std::vector<std::string>{"current-secret", "previous-secret"}));
  EXPECT_EQ(r.config.ice_secret_file, file);
  std::string nine;
  for (int i = 0; i < 9; ++i) nine += "secret-" + std::to_string(i) + "\n";
  write(nine);
  auto many = parse({"--ice-secret-file", file});
  EXPECT_EQ(many.exit_code, 2);
  EXPECT_NE(many.message.find("more than 8 secrets"), std::string::npos) << many.message;
  EXPECT_EQ(many.message.find("secret-0"), std::string::npos) << many.message;
  write("# only comments\n\n");
  EXPECT_EQ(parse({"--ice-secret-file", file}).exit_code, 2);
  std::filesystem::remove_all(dir);
}

// Issue 12: --cluster and its companions, checked before anything connects.
TEST(ServeCli, ClusterUrlIsParsedAndItsPasswordNeverShown) {
  auto r = parse({"--cluster", "redis://10.1.2.3:6380/2", "--node-id", "east-1", "--advertise",
                  "https://east.example:9000"});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_TRUE(r.config.cluster.enabled);
  EXPECT_EQ(r.config.cluster.redis.host, "10.1.2.3");
  EXPECT_EQ(r.config.cluster.redis.port, 6380);
  EXPECT_EQ(r.config.cluster.redis.db, 2u);
  EXPECT_EQ(r.config.cluster.node_id, "east-1");
  EXPECT_EQ(r.config.cluster.advertise, "https://east.example:9000");
  EXPECT_FALSE(parse({}).config.cluster.enabled);

  auto defaults = parse({"--cluster", "redis://redis.internal"});
  ASSERT_EQ(defaults.action, Parsed::Action::kRun) << defaults.message;
  EXPECT_EQ(defaults.config.cluster.redis.port, 6379);
  EXPECT_EQ(defaults.config.cluster.redis.db, 0u);
  EXPECT_TRUE(defaults.config.cluster.node_id.starts_with("node-"))
      << defaults.config.cluster.node_id;
  EXPECT_NE(defaults.config.cluster.node_id, parse({"--cluster", "redis://r"}).config.cluster.node_id);

  auto v6 = parse({"--cluster", "redis://[::1]:7000"});
  ASSERT_EQ(v6.action, Parsed::Action::kRun) << v6.message;
  EXPECT_EQ(v6.config.cluster.redis.host, "::1");

  auto with_password = parse({"--cluster", "redis://:s3cr%40t@127.0.0.1:6379"});
  ASSERT_EQ(with_password.action, Parsed::Action::kRun) << with_password.message;
  EXPECT_EQ(with_password.config.cluster.redis.password, "s3cr@t");
  EXPECT_EQ(with_password.config.cluster.redis.log_text(), "redis://:***@127.0.0.1:6379/0");
  ASSERT_EQ(with_password.warnings.size(), 1u);
  EXPECT_NE(with_password.warnings[0].find("--cluster-password-file"), std::string::npos);
  auto acl = parse({"--cluster", "redis://app:pw@127.0.0.1"});
  EXPECT_EQ(acl.config.cluster.redis.username, "app");
  EXPECT_EQ(acl.config.cluster.redis.password, "pw");

  for (const std::vector<std::string> bad :
       {std::vector<std::string>{"--cluster", "http://127.0.0.1:6379"},
        {"--cluster", "redis://:hunter22@127.0.0.1:6379/x"},
        {"--cluster", "rediss://:hunter22@127.0.0.1:6379"},
        {"--cluster", "redis://127.0.0.1:0"},
        {"--cluster", "redis://127.0.0.1?db=1"},
        {"--cluster", "not a url :hunter22@"},
        {"--cluster", "redis://r", "--node-id", "has space"},
        {"--cluster", "redis://r", "--node-id", std::string(65, 'n')},
        {"--cluster", "redis://r", "--advertise", "east.example"},
        {"--node-id", "east-1"},
        {"--advertise", "https://east.example"}}) {
    auto refused = parse(bad);
    EXPECT_EQ(refused.exit_code, 2) << bad[1];
    EXPECT_EQ(refused.message.find("hunter22"), std::string::npos) << refused.message;
  }
  EXPECT_NE(parse({"--cluster", "rediss://r"}).message.find("TLS"), std::string::npos);
  const auto help = parse({"--help"}).message;
  for (const char* option : {"--cluster", "--node-id", "--advertise", "--cluster-password-file"})
    EXPECT_NE(help.find(option), std::string::npos) << option;
}

TEST(ServeCli, ClusterPasswordFileIsPrivate) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("peerkit-redis-pass-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "redis-password").string();
  std::ofstream(file) << "from-the-file\n";
  std::filesystem::permissions(file, std::filesystem::perms::owner_read);
  auto r = parse({"--cluster", "redis://127.0.0.1", "--cluster-password-file", file});
  ASSERT_EQ(r.action, Parsed::Action::kRun) << r.message;
  EXPECT_EQ(r.config.cluster.redis.password, "from-the-file");
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(parse({"--cluster", "redis://:x@127.0.0.1", "--cluster-password-file", file}).exit_code,
            2);
  std::filesystem::permissions(file, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  auto shared = parse({"--cluster", "redis://127.0.0.1", "--cluster-password-file", file});
  EXPECT_EQ(shared.exit_code, 2);
  EXPECT_NE(shared.message.find("--cluster-password-file"), std::string::npos) << shared.message;
  EXPECT_EQ(shared.message.find("from-the-file"), std::string::npos) << shared.message;
  EXPECT_EQ(parse({"--cluster", "redis://127.0.0.1", "--cluster-password-file",
                   (dir / "absent").string()})
                .exit_code,
            2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace peerkit::app
