#include "stun/message.h"

#include <gtest/gtest.h>

#include "stun/attributes.h"
#include "stun/integrity.h"

namespace peerkit::stun {
namespace {

TransactionId tid(int seed) {
  TransactionId t;
  for (int i = 0; i < 12; ++i) t.bytes[i] = std::byte(seed + i);
  return t;
}

TEST(MessageType, EncodesEveryClassAndMethod) {
  EXPECT_EQ(encode_message_type(0x001, MessageClass::kRequest), 0x0001);
  EXPECT_EQ(encode_message_type(0x001, MessageClass::kSuccess), 0x0101);
  EXPECT_EQ(encode_message_type(0x001, MessageClass::kError), 0x0111);
  EXPECT_EQ(encode_message_type(0x003, MessageClass::kError), 0x0113);
  EXPECT_EQ(encode_message_type(0x006, MessageClass::kIndication), 0x0016);
  for (std::uint16_t method : {0x001, 0x003, 0x009, 0xABC, 0xFFF}) {
    for (auto c : {MessageClass::kRequest, MessageClass::kIndication, MessageClass::kSuccess,
                   MessageClass::kError}) {
      std::byte buf[20];
      MessageBuilder b(buf, method, c, tid(1));
      auto m = MessageView::parse(b.finish());
      ASSERT_TRUE(m);
      EXPECT_EQ(m->raw_method(), method);
      EXPECT_EQ(m->message_class(), c);
    }
  }
}

TEST(MessageView, RejectsMalformedFraming) {
  std::byte buf[64];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, tid(0));
  b.add(attr::kSoftware, "x");
  auto good = b.finish();
  std::vector<std::byte> v(good.begin(), good.end());
  ASSERT_TRUE(MessageView::parse(v));

  EXPECT_EQ(MessageView::parse(ByteSpan(v).first(19)).error(), ParseError::kTooShort);
  auto bad_cookie = v;
  bad_cookie[4] = std::byte{0};
  EXPECT_EQ(MessageView::parse(bad_cookie).error(), ParseError::kNotStun);
  auto top_bits = v;
  top_bits[0] = std::byte{0x80};
  EXPECT_EQ(MessageView::parse(top_bits).error(), ParseError::kNotStun);
  auto extra = v;
  extra.insert(extra.end(), 4, std::byte{0});
  EXPECT_EQ(MessageView::parse(extra).error(), ParseError::kLengthMismatch);
  auto overrun = v;
  overrun[23] = std::byte{0x40};  // attribute length 64 > what is there
  EXPECT_EQ(MessageView::parse(overrun).error(), ParseError::kBadAttribute);
}

TEST(MessageView, FirstDuplicateWinsAndAttributesAfterIntegrityAreIgnored) {
  std::byte buf[128];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, tid(0));
  b.add(attr::kUsername, "first");
  b.add(attr::kUsername, "second");
  b.add_message_integrity(as_bytes("k"));
  b.add(attr::kRealm, "ignored");
  b.add_fingerprint();
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  EXPECT_EQ(as_string_view(*m->find(attr::kUsername)), "first");
  EXPECT_FALSE(m->has(attr::kRealm));
  EXPECT_TRUE(m->has(attr::kFingerprint));
  EXPECT_TRUE(verify_fingerprint(*m));
}

TEST(MessageView, NothingMayFollowFingerprint) {
  std::byte buf[128];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, tid(0));
  b.add_fingerprint();
  b.add(attr::kSoftware, "late");
  EXPECT_EQ(MessageView::parse(b.finish()).error(), ParseError::kAttributeAfterFingerprint);
}

TEST(MessageView, TooManyAttributesIsAnError) {
  std::byte buf[1024];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, tid(0));
  for (std::size_t i = 0; i <= kMaxAttributes; ++i) b.add_empty(attr::kDontFragment);
  EXPECT_EQ(MessageView::parse(b.finish()).error(), ParseError::kTooManyAttributes);
}

TEST(MessageView, ReportsUnknownComprehensionRequiredAttributes) {
  std::byte buf[128];
  MessageBuilder b(buf, Method::kAllocate, MessageClass::kRequest, tid(0));
  b.add_empty(0x7FFE);  // unknown, required
  b.add_empty(0xBEEF);  // unknown, optional: ignored
  b.add_empty(attr::kDontFragment);
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  std::uint16_t unknown[8];
  ASSERT_EQ(m->unknown_required(unknown), 1u);
  EXPECT_EQ(unknown[0], 0x7FFE);
}

TEST(MessageBuilder, TooSmallBufferFailsCleanly) {
  std::byte buf[24];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, tid(0));
  b.add(attr::kSoftware, "longer than four bytes");
  EXPECT_FALSE(b.ok());
  EXPECT_TRUE(b.finish().empty());
}

TEST(Integrity, Sha256TruncatedMacIsAccepted) {
  std::byte buf[128];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, tid(3));
  b.add(attr::kUsername, "u");
  b.add_message_integrity_sha256(as_bytes("key"));
  auto full = b.finish();
  auto m = MessageView::parse(full);
  ASSERT_TRUE(m);
  EXPECT_TRUE(verify_message_integrity_sha256(*m, as_bytes("key")));
  EXPECT_FALSE(verify_message_integrity_sha256(*m, as_bytes("kez")));
}

}  // namespace
}  // namespace peerkit::stun
