#include "stun/attributes.h"

#include <gtest/gtest.h>

namespace peerkit::stun {
namespace {

TEST(Attributes, AddressRoundTripsBothFamiliesXoredAndPlain) {
  TransactionId t;
  for (int i = 0; i < 12; ++i) t.bytes[i] = std::byte(0xA0 + i);
  for (const char* text : {"203.0.113.5:4000", "[2001:db8::7]:65535", "0.0.0.0:0"}) {
    auto a = *SocketAddress::parse(text);
    std::byte buf[128];
    MessageBuilder b(buf, Method::kAllocate, MessageClass::kSuccess, t);
    add_xor_address(b, attr::kXorRelayedAddress, a);
    add_address(b, attr::kMappedAddress, a);
    auto m = MessageView::parse(b.finish());
    ASSERT_TRUE(m);
    EXPECT_EQ(decode_xor_address(*m->find(attr::kXorRelayedAddress), t), a) << text;
    EXPECT_EQ(decode_address(*m->find(attr::kMappedAddress)), a) << text;
  }
}

TEST(Attributes, AddressRejectsWrongLengthsAndFamilies) {
  TransactionId t;
  const std::byte v4_short[] = {std::byte{0}, std::byte{1}, std::byte{0}, std::byte{1}};
  EXPECT_FALSE(decode_xor_address(v4_short, t));
  std::byte bad_family[8] = {std::byte{0}, std::byte{3}};
  EXPECT_FALSE(decode_address(bad_family));
  std::byte v6_len_for_v4[20] = {std::byte{0}, std::byte{1}};
  EXPECT_FALSE(decode_address(v6_len_for_v4));
}

TEST(Attributes, ErrorCodeRoundTripAndValidation) {
  std::byte buf[64];
  MessageBuilder b(buf, Method::kAllocate, MessageClass::kError, {});
  b.add_error(438, "Stale Nonce");
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  auto e = find_error_code(*m);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 438);
  EXPECT_EQ(e->reason, "Stale Nonce");
  const std::byte bad_class[4] = {std::byte{0}, std::byte{0}, std::byte{7}, std::byte{0}};
  EXPECT_FALSE(decode_error_code(bad_class));
}

TEST(Attributes, TurnScalars) {
  std::byte buf[128];
  MessageBuilder b(buf, Method::kAllocate, MessageClass::kRequest, {});
  add_requested_transport(b, 17);
  add_address_family(b, attr::kRequestedAddressFamily, AddressFamily::kIpv6);
  add_even_port(b, true);
  add_channel_number(b, 0x4001);
  std::array<PasswordAlgorithm, 2> algs{PasswordAlgorithm::kSha256, PasswordAlgorithm::kMd5};
  add_password_algorithms(b, algs);
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  EXPECT_EQ(decode_requested_transport(*m->find(attr::kRequestedTransport)), 17);
  EXPECT_EQ(decode_address_family(*m->find(attr::kRequestedAddressFamily)), AddressFamily::kIpv6);
  EXPECT_EQ(decode_even_port(*m->find(attr::kEvenPort)), true);
  EXPECT_EQ(decode_channel_number(*m->find(attr::kChannelNumber)), 0x4001);
  auto got = decode_password_algorithms(*m->find(attr::kPasswordAlgorithms));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], PasswordAlgorithm::kSha256);
  const std::byte unknown_family[4] = {std::byte{9}};
  EXPECT_FALSE(decode_address_family(unknown_family));
}

TEST(Attributes, UnknownAttributesList) {
  std::byte buf[64];
  MessageBuilder b(buf, Method::kAllocate, MessageClass::kError, {});
  const std::uint16_t types[] = {0x7FFE, 0x0042};
  add_unknown_attributes(b, types);
  auto m = MessageView::parse(b.finish());
  ASSERT_TRUE(m);
  EXPECT_EQ(decode_unknown_attributes(*m->find(attr::kUnknownAttributes)),
            (std::vector<std::uint16_t>{0x7FFE, 0x0042}));
}

}  // namespace
}  // namespace peerkit::stun
