// RFC 5769 and RFC 8489 Appendix B test vectors: parse, verify, and rebuild byte for byte.
#include <gtest/gtest.h>

#include "stun/attributes.h"
#include "stun/integrity.h"
#include "stun/message.h"
#include "support/stun_vectors.h"

namespace peerkit::stun {
namespace {

using namespace testing;

ByteSpan span(const std::vector<std::byte>& v) {
  return v;
}
ByteSpan pw(const char* s) {
  return as_bytes(std::string_view(s));
}

TEST(Rfc5769, SampleRequestParsesAndVerifies) {
  auto m = MessageView::parse(span(kRfc5769Request));
  ASSERT_TRUE(m) << to_string(m.error());
  EXPECT_EQ(m->method(), Method::kBinding);
  EXPECT_EQ(m->message_class(), MessageClass::kRequest);
  EXPECT_EQ(as_string_view(*m->find(attr::kUsername)), "evtj:h6vY");
  EXPECT_EQ(as_string_view(*m->find(attr::kSoftware)), "STUN test client");
  EXPECT_EQ(*decode_u32(*m->find(attr::kPriority)), 0x6e0001ffu);
  EXPECT_EQ(*decode_u64(*m->find(attr::kIceControlled)), 0x932ff9b151263b36ull);
  EXPECT_TRUE(verify_message_integrity(*m, pw(kShortTermPassword)));
  EXPECT_FALSE(verify_message_integrity(*m, pw("VOkJxbRl1RmTxUk/WvJxBr")));
  EXPECT_TRUE(verify_fingerprint(*m));
}

TEST(Rfc5769, FlippedBitBreaksFingerprintAndIntegrity) {
  auto copy = kRfc5769Request;
  copy[30] ^= std::byte{1};  // inside SOFTWARE
  auto m = MessageView::parse(span(copy));
  ASSERT_TRUE(m);
  EXPECT_FALSE(verify_fingerprint(*m));
  EXPECT_FALSE(verify_message_integrity(*m, pw(kShortTermPassword)));
}

TEST(Rfc5769, SampleRequestRebuildsByteForByte) {
  auto m = MessageView::parse(span(kRfc5769Request));
  ASSERT_TRUE(m);
  std::byte buf[256];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, m->transaction_id());
  b.add(attr::kSoftware, "STUN test client");
  b.add_u32(attr::kPriority, 0x6e0001ff);
  b.add_u64(attr::kIceControlled, 0x932ff9b151263b36ull);
  b.add(attr::kUsername, "evtj:h6vY");
  // The RFC pads USERNAME with spaces where the builder writes zeros; the padding is covered by
  // the MAC and CRC, so put the RFC's bytes there before adding them.
  for (std::size_t i = 73; i < 76; ++i) buf[i] = std::byte{0x20};
  b.add_message_integrity(pw(kShortTermPassword));
  b.add_fingerprint();
  auto out = b.finish();
  ASSERT_EQ(out.size(), kRfc5769Request.size());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), kRfc5769Request.begin()));
}

TEST(Rfc5769, Ipv4ResponseXorMappedAddress) {
  auto m = MessageView::parse(span(kRfc5769ResponseV4));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class(), MessageClass::kSuccess);
  auto a = decode_xor_address(*m->find(attr::kXorMappedAddress), m->transaction_id());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "192.0.2.1:32853");
  EXPECT_TRUE(verify_message_integrity(*m, pw(kShortTermPassword)));
  EXPECT_TRUE(verify_fingerprint(*m));
}

TEST(Rfc5769, Ipv6ResponseXorMappedAddressAndReencoding) {
  auto m = MessageView::parse(span(kRfc5769ResponseV6));
  ASSERT_TRUE(m);
  auto a = decode_xor_address(*m->find(attr::kXorMappedAddress), m->transaction_id());
  ASSERT_TRUE(a);
  EXPECT_EQ(a->to_string(), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  EXPECT_TRUE(verify_message_integrity(*m, pw(kShortTermPassword)));
  EXPECT_TRUE(verify_fingerprint(*m));

  // Encoding the decoded address gives back the same attribute bytes.
  std::byte buf[64];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kSuccess, m->transaction_id());
  add_xor_address(b, attr::kXorMappedAddress, *a);
  auto mine = MessageView::parse(b.finish());
  ASSERT_TRUE(mine);
  auto theirs = *m->find(attr::kXorMappedAddress);
  auto ours = *mine->find(attr::kXorMappedAddress);
  EXPECT_TRUE(std::equal(ours.begin(), ours.end(), theirs.begin(), theirs.end()));
}

TEST(Rfc5769, LongTermRequestVerifiesAndRebuilds) {
  auto m = MessageView::parse(span(kRfc5769LongTermRequest));
  ASSERT_TRUE(m);
  EXPECT_EQ(as_string_view(*m->find(attr::kRealm)), "example.org");
  EXPECT_EQ(as_string_view(*m->find(attr::kNonce)), "f//499k954d6OL34oL9FSTvy64sA");
  auto key = long_term_key(kLongTermUsername, "example.org", "TheMatrIX");
  EXPECT_TRUE(verify_message_integrity(*m, key));
  EXPECT_FALSE(verify_message_integrity(*m, long_term_key(kLongTermUsername, "example.org", "x")));

  // This vector pads with zeros, as MessageBuilder does, so it rebuilds exactly.
  std::byte buf[256];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, m->transaction_id());
  b.add(attr::kUsername, std::string_view(kLongTermUsername));
  b.add(attr::kNonce, "f//499k954d6OL34oL9FSTvy64sA");
  b.add(attr::kRealm, "example.org");
  b.add_message_integrity(key);
  auto out = b.finish();
  ASSERT_EQ(out.size(), kRfc5769LongTermRequest.size());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), kRfc5769LongTermRequest.begin()));
}

TEST(Rfc8489, AppendixB1Sha256UserhashRequest) {
  auto m = MessageView::parse(span(kRfc8489LongTermSha256Request));
  ASSERT_TRUE(m);
  auto uh = userhash(kLongTermUsername, "example.org");
  auto given = *m->find(attr::kUserhash);
  EXPECT_TRUE(std::equal(uh.begin(), uh.end(), given.begin(), given.end()));
  EXPECT_EQ(decode_password_algorithm(*m->find(attr::kPasswordAlgorithm)),
            PasswordAlgorithm::kSha256);
  auto key =
      long_term_key(kLongTermUsername, "example.org", "TheMatrIX", PasswordAlgorithm::kSha256);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_TRUE(verify_message_integrity_sha256(*m, key));
  EXPECT_FALSE(verify_message_integrity(*m, key));  // no SHA-1 integrity in this message

  std::byte buf[256];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, m->transaction_id());
  b.add(attr::kUserhash, ByteSpan(uh));
  b.add(attr::kNonce, "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
  b.add(attr::kRealm, "example.org");
  add_password_algorithm(b, PasswordAlgorithm::kSha256);
  b.add_message_integrity_sha256(key);
  auto out = b.finish();
  ASSERT_EQ(out.size(), kRfc8489LongTermSha256Request.size());
  EXPECT_TRUE(std::equal(out.begin(), out.end(), kRfc8489LongTermSha256Request.begin()));
}

}  // namespace
}  // namespace peerkit::stun
