// Connectivity-check messages (RFC 8445 §7.1-§7.3) and the pair priority formula (§6.1.2.3).
#include "ice/stun_check.h"

#include <gtest/gtest.h>

#include "ice/demux.h"
#include "ice/pair.h"
#include "stun/constants.h"

namespace peerkit::ice {
namespace {

stun::TransactionId tid() {
  stun::TransactionId t;
  for (int i = 0; i < 12; ++i) t.bytes[i] = std::byte(i * 7 + 1);
  return t;
}

CheckRequest request() {
  CheckRequest r;
  r.local_ufrag = "lefT";
  r.remote_ufrag = "righ";
  r.remote_pwd = "right-password-22chars";
  r.priority = 1853824767;
  r.controlling = true;
  r.tie_breaker = 0x0102030405060708;
  r.use_candidate = true;
  return r;
}

TEST(StunCheck, RequestVerifiesWithTheReceiversCredentials) {
  std::array<std::byte, kMaxCheckMessage> buf;
  const auto bytes = build_check_request(buf, tid(), request());
  auto m = stun::MessageView::parse(bytes);
  ASSERT_TRUE(m);
  auto ok = verify_check_request(*m, "righ", "right-password-22chars");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->remote_ufrag, "lefT");
  EXPECT_EQ(ok->priority, 1853824767u);
  EXPECT_TRUE(ok->remote_controlling);
  EXPECT_EQ(ok->tie_breaker, 0x0102030405060708u);
  EXPECT_TRUE(ok->use_candidate);
  // Wrong ufrag or password: 401 (RFC 8489 §9.1.3).
  EXPECT_EQ(verify_check_request(*m, "nope", "right-password-22chars").error().code, 401);
  EXPECT_EQ(verify_check_request(*m, "righ", "wrong-password-22chars").error().code, 401);
}

TEST(StunCheck, MissingRoleOrPriorityIs400AndNoFingerprintIsDropped) {
  std::array<std::byte, kMaxCheckMessage> buf;
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::MessageClass::kRequest, tid());
  b.add(stun::attr::kUsername, std::string_view("righ:lefT"));
  b.add_u32(stun::attr::kPriority, 5);
  b.add_message_integrity(as_bytes(std::string_view("right-password-22chars")));
  b.add_fingerprint();
  auto m = stun::MessageView::parse(b.finish());
  EXPECT_EQ(verify_check_request(*m, "righ", "right-password-22chars").error().code, 400);

  stun::MessageBuilder plain(buf, stun::Method::kBinding, stun::MessageClass::kRequest, tid());
  plain.add(stun::attr::kUsername, std::string_view("righ:lefT"));
  auto p = stun::MessageView::parse(plain.finish());
  EXPECT_EQ(verify_check_request(*p, "righ", "right-password-22chars").error().code, 0);
}

TEST(StunCheck, ResponsesAuthenticateWithTheRemotePassword) {
  std::array<std::byte, kMaxCheckMessage> buf;
  const auto mapped = *SocketAddress::parse("203.0.113.1:40000");
  auto ok =
      stun::MessageView::parse(build_check_success(buf, tid(), mapped, "pw-of-the-answerer-22c"));
  auto r = verify_check_response(*ok, "pw-of-the-answerer-22c");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->mapped, mapped);
  EXPECT_FALSE(verify_check_response(*ok, "some-other-password-22"));

  auto conflict =
      stun::MessageView::parse(build_check_error(buf, tid(), 487, "pw-of-the-answerer-22c"));
  auto c = verify_check_response(*conflict, "pw-of-the-answerer-22c");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->error_code, 487);
  // A 487 that does not authenticate could flip our role: ignored.
  EXPECT_FALSE(verify_check_response(*conflict, "some-other-password-22"));
}

TEST(PairPriority, FollowsRfc8445Formula) {
  // 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)
  EXPECT_EQ(pair_priority(10, 20), (std::uint64_t{10} << 32) + 40);
  EXPECT_EQ(pair_priority(20, 10), (std::uint64_t{10} << 32) + 41);
  EXPECT_GT(pair_priority(2130706431, 2130706431), pair_priority(2130706431, 1694498815));
}

TEST(Demux, FirstByteRangesOfRfc7983) {
  auto first = [](int b) {
    const std::byte x[1] = {std::byte(b)};
    return classify(x);
  };
  EXPECT_EQ(first(0), PacketClass::kStun);
  EXPECT_EQ(first(3), PacketClass::kStun);
  EXPECT_EQ(first(17), PacketClass::kZrtp);
  EXPECT_EQ(first(22), PacketClass::kDtls);  // handshake
  EXPECT_EQ(first(23), PacketClass::kDtls);  // application data
  EXPECT_EQ(first(64), PacketClass::kChannelData);
  EXPECT_EQ(first(128), PacketClass::kRtp);
  EXPECT_EQ(first(200), PacketClass::kUnknown);
  EXPECT_EQ(classify({}), PacketClass::kUnknown);
}

}  // namespace
}  // namespace peerkit::ice
