// Issue 9 item 1: the TURN server `peerkit serve` embeds hands one credential, and one address,
// only their share. Serve's own TurnServiceConfig drives the TURN core (on a virtual clock) the
// way the workers do; a visitor fetching fresh credentials from /api/ice-servers (a new member
// id each time) is still one address.
#include "server/serve_options.h"
#include "unit/turn/harness.h"

namespace peerkit::turn::testing {
namespace {

using ServeTurnQuotas = TurnHarness;

TEST_F(ServeTurnQuotas, OneVisitorCannotEmptyTheEmbeddedTurnServer) {
  auto s = server::configure_serve(server::ServeOptions{}, "serve-secret");
  ASSERT_TRUE(s.error.empty()) << s.error;
  const TurnServiceConfig& t = s.config.turn_config;
  // A member of a full room (6, the web app's mesh) holds 5 connections × UDP and TCP relays.
  EXPECT_GE(t.user_quota, 10u);
  EXPECT_GE(t.address_quota, t.user_quota);
  quotas.user_limit = t.user_quota;
  quotas.address_limit = t.address_quota;
  quotas.total_limit = t.total_quota;
  options = t.server;
  options.ipv6_limit_prefix = t.ipv6_limit_prefix;
  secrets = t.secrets;
  rebuild(t.policy);

  auto rest = [&](int member) {
    const std::string user = "1700086400:member" + std::to_string(member);
    return std::pair{user, CredentialStore::rest_password("serve-secret", user)};
  };
  int port = 1, first_credential = 0, from_the_address = 0, member = 0;
  auto [user, password] = rest(member);
  for (int i = 0; i < 200; ++i) {
    const std::string from = "127.0.0.1:" + std::to_string(port++);
    const int code = allocate(udp(from.c_str()), user.c_str(), password.c_str()).error_code();
    if (code != 0) {
      EXPECT_EQ(code, 486);
      break;
    }
    ++first_credential;
  }
  EXPECT_EQ(first_credential, static_cast<int>(t.user_quota));
  from_the_address = first_credential;
  // Fresh credentials, same address: refused at the address quota.
  for (int i = 0; i < 200; ++i) {
    std::tie(user, password) = rest(++member);
    const std::string from = "127.0.0.1:" + std::to_string(port++);
    const int code = allocate(udp(from.c_str()), user.c_str(), password.c_str()).error_code();
    if (code != 0) {
      EXPECT_EQ(code, 486);
      break;
    }
    ++from_the_address;
  }
  EXPECT_EQ(from_the_address, static_cast<int>(t.address_quota));
  // Everyone else still allocates.
  std::tie(user, password) = rest(++member);
  EXPECT_EQ(allocate(udp("192.0.2.50:4000"), user.c_str(), password.c_str()).error_code(), 0);
}

}  // namespace
}  // namespace peerkit::turn::testing
