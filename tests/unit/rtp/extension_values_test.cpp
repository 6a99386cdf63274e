// Values of mid/rid, abs-send-time, transport-wide-cc, audio level (RFC 6464) and the
// dependency descriptor pass-through (rtp/extension_values.h).
#include "rtp/extension_values.h"

#include <gtest/gtest.h>

#include "hex.h"

namespace peerkit::rtp {
namespace {
using test::hex;

TEST(ExtensionValues, SdesText) {
  EXPECT_EQ(*parse_sdes_text(hex("30")), "0");
  EXPECT_EQ(*parse_sdes_text(hex("68 69 00 00")), "hi");  // trailing NULs trimmed
  EXPECT_EQ(*parse_sdes_text(as_bytes("video-1_q")), "video-1_q");
  EXPECT_EQ(parse_sdes_text({}).error(), Error::kBadValue);
  EXPECT_EQ(parse_sdes_text(hex("00")).error(), Error::kBadValue);
  EXPECT_EQ(parse_sdes_text(hex("68 20 69")).error(), Error::kBadValue);  // space
  EXPECT_EQ(parse_sdes_text(hex("68 00 69")).error(), Error::kBadValue);  // inner NUL
  EXPECT_EQ(parse_sdes_text(hex("68 ff")).error(), Error::kBadValue);
}

TEST(ExtensionValues, AbsSendTime) {
  EXPECT_EQ(*parse_abs_send_time(hex("12 34 56")), 0x123456u);
  const auto b = abs_send_time_bytes(0x123456);
  EXPECT_EQ(std::vector<std::byte>(b.begin(), b.end()), hex("12 34 56"));
  EXPECT_EQ(abs_send_time_from_us(1'000'000), 1u << 18);  // one second = 1.0 in 6.18
  EXPECT_EQ(abs_send_time_from_us(500'000), 1u << 17);
  EXPECT_EQ(abs_send_time_from_us(64'000'000), 0u);  // wraps every 64 s
  EXPECT_EQ(parse_abs_send_time(hex("12 34")).error(), Error::kBadValue);
  EXPECT_EQ(parse_abs_send_time(hex("12 34 56 78")).error(), Error::kBadValue);
}

TEST(ExtensionValues, TransportWideCc) {
  EXPECT_EQ(*parse_transport_cc(hex("ab cd")), 0xabcd);
  const auto b = transport_cc_bytes(0xabcd);
  EXPECT_EQ(std::vector<std::byte>(b.begin(), b.end()), hex("ab cd"));
  EXPECT_EQ(parse_transport_cc(hex("ab")).error(), Error::kBadValue);
  EXPECT_EQ(parse_transport_cc(hex("ab cd ef")).error(), Error::kBadValue);
}

TEST(ExtensionValues, AudioLevelRfc6464) {
  // §3: V in the top bit, level 0–127 −dBov below it.
  EXPECT_EQ(*parse_audio_level(hex("85")), (AudioLevel{true, 5}));
  EXPECT_EQ(*parse_audio_level(hex("7f")), (AudioLevel{false, 127}));
  EXPECT_EQ(*parse_audio_level(hex("00")), (AudioLevel{false, 0}));
  EXPECT_EQ(audio_level_bytes({true, 5})[0], std::byte{0x85});
  EXPECT_EQ(audio_level_bytes({false, 200})[0], std::byte{0x7f});  // clamped
  EXPECT_EQ(parse_audio_level({}).error(), Error::kBadValue);
  EXPECT_EQ(parse_audio_level(hex("85 00")).error(), Error::kBadValue);
}

TEST(ExtensionValues, DependencyDescriptorIsPassedThrough) {
  const auto d = hex("80 01 02 ff ee");
  auto v = parse_dependency_descriptor(d);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->data(), d.data());  // a view, not a copy
  EXPECT_EQ(v->size(), d.size());
  EXPECT_EQ(parse_dependency_descriptor(hex("80 01")).error(), Error::kBadValue);
}

}  // namespace
}  // namespace peerkit::rtp
