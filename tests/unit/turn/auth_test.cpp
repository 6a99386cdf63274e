// Authentication: RFC 8489 §9.2 long-term credentials, REST secrets, stateless nonces.
#include "harness.h"

namespace peerkit::turn::testing {
namespace {

using AuthTest = TurnHarness;

TEST_F(AuthTest, UnauthenticatedAllocateGets401WithRealmNonceAndAlgorithms) {
  auto req =
      request(Method::kAllocate, [](MessageBuilder& b) { stun::add_requested_transport(b, 17); });
  auto r = feed(udp(), req);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error_code(), 401);
  auto m = r[0].view();
  EXPECT_EQ(as_string_view(*m->find(attr::kRealm)), "peerkit.test");
  EXPECT_TRUE(NonceIssuer::has_feature_cookie(as_string_view(*m->find(attr::kNonce))));
  EXPECT_TRUE(m->has(attr::kPasswordAlgorithms));
  EXPECT_FALSE(m->has(attr::kSoftware));
  EXPECT_FALSE(m->has(attr::kMessageIntegrity));
  // No reason phrase by default: the error attribute is 4 bytes.
  EXPECT_TRUE(stun::find_error_code(*m)->reason.empty());
  EXPECT_EQ(server->counters().auth_challenges, 1u);
  EXPECT_EQ(server->allocation_count(), 0u);
}

TEST_F(AuthTest, CorrectCredentialsAllocateAndTheAnswerIsSigned) {
  auto r = allocate(udp());
  ASSERT_EQ(r.error_code(), 0);
  auto m = r.view();
  EXPECT_EQ(m->message_class(), MessageClass::kSuccess);
  EXPECT_TRUE(stun::verify_message_integrity(
      *m, stun::long_term_key("alice", "peerkit.test", "alice-pass")));
  EXPECT_EQ(*stun::decode_u32(*m->find(attr::kLifetime)), 600u);
  auto mapped = stun::decode_xor_address(*m->find(attr::kXorMappedAddress), m->transaction_id());
  EXPECT_EQ(mapped->to_string(), "100.72.0.10:40000");
  EXPECT_EQ(relayed(r).to_string(), "198.51.100.1:50000");
  EXPECT_EQ(server->allocation_count(), 1u);
}

TEST_F(AuthTest, WrongPasswordUnknownUserAndWrongRealmGet401) {
  EXPECT_EQ(allocate(udp(), "alice", "wrong").error_code(), 401);
  EXPECT_EQ(allocate(udp(), "mallory", "x").error_code(), 401);
  auto r = feed(
      udp(), request(
                 Method::kAllocate, [](MessageBuilder& b) { stun::add_requested_transport(b, 17); },
                 "alice", "alice-pass", std::nullopt, "other.realm"));
  EXPECT_EQ(r[0].error_code(), 401);
  EXPECT_EQ(server->counters().auth_failures, 3u);
  EXPECT_EQ(server->allocation_count(), 0u);
}

TEST_F(AuthTest, MissingUsernameRealmOrNonceIs400) {
  std::byte buf[256];
  MessageBuilder b(buf, Method::kAllocate, MessageClass::kRequest, next_tid());
  stun::add_requested_transport(b, 17);
  b.add(attr::kUsername, "alice");
  b.add_message_integrity(stun::long_term_key("alice", "peerkit.test", "alice-pass"));
  EXPECT_EQ(feed(udp(), b.finish())[0].error_code(), 400);
}

TEST_F(AuthTest, NonceGoesStaleAfterItsLifetime) {
  retry_stale = false;
  ASSERT_EQ(allocate(udp()).error_code(), 0);
  now = now + Duration::seconds(599);
  EXPECT_EQ(permit(udp(), addr("198.18.0.1:1")).error_code(),
            403);  // still valid nonce (policy 403)
  now = now + Duration::seconds(2);
  auto r = permit(udp(), addr("8.8.4.4:1"));
  EXPECT_EQ(r.error_code(), 438);
  EXPECT_TRUE(r.view()->has(attr::kNonce));
  nonce = std::string(as_string_view(*r.view()->find(attr::kNonce)));
  EXPECT_EQ(permit(udp(), addr("8.8.4.4:1")).error_code(), 0);
}

TEST_F(AuthTest, NonceIsBoundToTheClientAddress) {
  retry_stale = false;
  ASSERT_EQ(allocate(udp("100.72.0.10:40000")).error_code(), 0);
  // The same nonce presented from another IP is not valid there.
  EXPECT_EQ(allocate(udp("100.72.0.99:40000")).error_code(), 438);
}

TEST_F(AuthTest, ForgedNonceIs438NotAccepted) {
  retry_stale = false;
  nonce = "obMatJos2wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_EQ(allocate(udp()).error_code(), 438);
  EXPECT_EQ(server->allocation_count(), 0u);
}

TEST_F(AuthTest, RestCredentialsWorkUntilTheyExpire) {
  const std::string user = std::to_string(kUnixStart + 60) + ":carol";
  const std::string pass = CredentialStore::rest_password("rest-secret", user);
  EXPECT_EQ(allocate(udp(), user.c_str(), pass.c_str()).error_code(), 0);
  now = now + Duration::seconds(61);
  EXPECT_EQ(allocate(udp("100.72.0.10:40001"), user.c_str(), pass.c_str()).error_code(), 401);
}

TEST_F(AuthTest, RestSecretsRotate) {
  secrets = {"new-secret", "old-secret"};
  rebuild();
  const std::string user = std::to_string(kUnixStart + 600) + ":dave";
  EXPECT_EQ(allocate(udp("100.72.0.10:1"), user.c_str(),
                     CredentialStore::rest_password("old-secret", user).c_str())
                .error_code(),
            0);
  EXPECT_EQ(allocate(udp("100.72.0.10:2"), user.c_str(),
                     CredentialStore::rest_password("new-secret", user).c_str())
                .error_code(),
            0);
  EXPECT_EQ(allocate(udp("100.72.0.10:3"), user.c_str(),
                     CredentialStore::rest_password("unknown", user).c_str())
                .error_code(),
            401);
}

TEST_F(AuthTest, HexKeyUsersAuthenticate) {
  auto key = stun::long_term_key("erin", "peerkit.test", "erin-pass");
  std::string hex = "0x";
  for (auto b : key) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", std::to_integer<unsigned>(b));
    hex += two;
  }
  auto u = parse_static_user("erin:" + hex);
  ASSERT_TRUE(u);
  ASSERT_TRUE(u->md5_key);
  CredentialStore creds("peerkit.test", {*u}, {});
  auto keys = creds.keys_for("erin", 0, stun::PasswordAlgorithm::kMd5);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0], key);
  EXPECT_TRUE(creds.keys_for("erin", 0, stun::PasswordAlgorithm::kSha256).empty());
  EXPECT_FALSE(parse_static_user("noseparator"));
  EXPECT_FALSE(parse_static_user("x:0xzz000000000000000000000000000000"));
}

TEST_F(AuthTest, Sha256IntegrityWithPasswordAlgorithmEcho) {
  auto first = feed(udp(), request(Method::kAllocate, [](MessageBuilder& b) {
                      stun::add_requested_transport(b, 17);
                    }));
  nonce = std::string(as_string_view(*first[0].view()->find(attr::kNonce)));
  auto key =
      stun::long_term_key("alice", "peerkit.test", "alice-pass", stun::PasswordAlgorithm::kSha256);
  auto build = [&](bool echo) {
    std::byte buf[512];
    MessageBuilder b(buf, Method::kAllocate, MessageClass::kRequest, next_tid());
    stun::add_requested_transport(b, 17);
    b.add(attr::kUsername, "alice");
    b.add(attr::kRealm, "peerkit.test");
    b.add(attr::kNonce, nonce);
    stun::add_password_algorithm(b, stun::PasswordAlgorithm::kSha256);
    if (echo) {
      const stun::PasswordAlgorithm algs[] = {stun::PasswordAlgorithm::kSha256,
                                              stun::PasswordAlgorithm::kMd5};
      stun::add_password_algorithms(b, algs);
    }
    b.add_message_integrity_sha256(key);
    auto s = b.finish();
    return std::vector<std::byte>(s.begin(), s.end());
  };
  EXPECT_EQ(feed(udp("100.72.0.10:1"), build(false))[0].error_code(), 400);  // downgrade guard
  auto ok = feed(udp("100.72.0.10:1"), build(true));
  ASSERT_EQ(ok[0].error_code(), 0);
  EXPECT_TRUE(stun::verify_message_integrity_sha256(*ok[0].view(), key));
}

TEST_F(AuthTest, UserhashIdentifiesStaticUsers) {
  auto first = feed(udp(), request(Method::kAllocate, [](MessageBuilder& b) {
                      stun::add_requested_transport(b, 17);
                    }));
  nonce = std::string(as_string_view(*first[0].view()->find(attr::kNonce)));
  std::byte buf[512];
  MessageBuilder b(buf, Method::kAllocate, MessageClass::kRequest, next_tid());
  stun::add_requested_transport(b, 17);
  auto uh = stun::userhash("bob", "peerkit.test");
  b.add(attr::kUserhash, ByteSpan(uh));
  b.add(attr::kRealm, "peerkit.test");
  b.add(attr::kNonce, nonce);
  b.add_message_integrity(stun::long_term_key("bob", "peerkit.test", "bob-pass"));
  EXPECT_EQ(feed(udp(), b.finish())[0].error_code(), 0);
  EXPECT_EQ(server->find_allocation(udp())->username, "bob");
}

TEST_F(AuthTest, UnauthenticatedAnswersAreRateLimitedPerSource) {
  options.unauthorized_rate = 5;
  options.unauthorized_burst = 5;
  rebuild();
  auto req =
      request(Method::kAllocate, [](MessageBuilder& b) { stun::add_requested_transport(b, 17); });
  int answered = 0;
  for (int i = 0; i < 20; ++i) answered += static_cast<int>(feed(udp(), req).size());
  EXPECT_EQ(answered, 5);
  EXPECT_EQ(server->counters().rate_limited, 15u);
  // Another source has its own budget; time refills the first one.
  EXPECT_EQ(feed(udp("100.72.0.77:1"), req).size(), 1u);
  now = now + Duration::seconds(1);
  EXPECT_EQ(feed(udp(), req).size(), 1u);
}

TEST_F(AuthTest, NoAuthModeNeedsNoCredentials) {
  options.no_auth = true;
  rebuild();
  auto r = feed(udp(), request(Method::kAllocate,
                               [](MessageBuilder& b) { stun::add_requested_transport(b, 17); }));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error_code(), 0);
  EXPECT_FALSE(r[0].view()->has(attr::kMessageIntegrity));
}

}  // namespace
}  // namespace peerkit::turn::testing

namespace peerkit::turn::testing {
namespace {

// Issue 9 item 6: four addresses of one /64 draw from one budget of unauthenticated answers.
TEST_F(AuthTest, FourAddressesOfOneSlash64ShareOneUnauthenticatedBudget) {
  options.unauthorized_rate = 5;
  options.unauthorized_burst = 5;
  rebuild();
  auto req =
      request(Method::kAllocate, [](MessageBuilder& b) { stun::add_requested_transport(b, 17); });
  int answered = 0;
  for (const char* a : {"[2001:db8:7:7::1]:1", "[2001:db8:7:7::2]:1", "[2001:db8:7:7:1::3]:1",
                        "[2001:db8:7:7:9:9:9:4]:1"}) {
    for (int i = 0; i < 5; ++i) answered += static_cast<int>(feed(udp(a), req).size());
  }
  EXPECT_EQ(answered, 5);
  EXPECT_EQ(server->counters().rate_limited, 15u);
  EXPECT_EQ(feed(udp("[2001:db8:7:8::1]:1"), req).size(), 1u);  // the next /64 has its own
  // An IPv4 client seen through a dual-stack socket counts as its IPv4 address.
  for (int i = 0; i < 5; ++i) feed(udp("100.72.0.90:1"), req);
  EXPECT_TRUE(feed(udp("[::ffff:100.72.0.90]:2"), req).empty());
}

}  // namespace
}  // namespace peerkit::turn::testing
