// RTX wrap/unwrap (RFC 4588 §4): OSN prefix, RTX SSRC/PT/seq, header extensions kept.
#include "rtp/rtx.h"

#include <gtest/gtest.h>

#include <array>

#include "hex.h"
#include "rtp/packet.h"

namespace peerkit::rtp {
namespace {
using test::bytes_of;
using test::hex;

// PT 96, seq 0x1234, ts 1000, SSRC 0xdeadbeef, a one-byte extension (id 1), payload 01 02 03,
// and 2 bytes of padding.
const char* kOriginal =
    "b0 e0 12 34 00 00 03 e8 de ad be ef be de 00 01 10 aa 00 00 01 02 03 00 02";

TEST(Rtx, WrapPrefixesTheOriginalSequenceNumber) {
  const auto orig = hex(kOriginal);
  std::array<std::byte, 64> buf{};
  auto n = wrap_rtx(orig, {0x0badf00d, 97, 7}, buf);
  ASSERT_TRUE(n) << to_string(n.error());
  EXPECT_EQ(*n, rtx_size(orig));
  // P cleared, marker kept, PT 97, seq 7, SSRC of the RTX stream; OSN 12 34 before the payload.
  EXPECT_EQ(bytes_of(std::span(buf).first(*n)),
            hex("90 e1 00 07 00 00 03 e8 0b ad f0 0d be de 00 01 10 aa 00 00 12 34 01 02 03"));
}

TEST(Rtx, UnwrapRestoresTheOriginal) {
  const auto orig = hex(kOriginal);
  std::array<std::byte, 64> rtx{};
  auto n = wrap_rtx(orig, {0x0badf00d, 97, 7}, rtx);
  ASSERT_TRUE(n);
  std::array<std::byte, 64> back{};
  auto m = unwrap_rtx(std::span(rtx).first(*n), {0xdeadbeef, 96}, back);
  ASSERT_TRUE(m) << to_string(m.error());
  // The original without its padding.
  EXPECT_EQ(bytes_of(std::span(back).first(*m)),
            hex("90 e0 12 34 00 00 03 e8 de ad be ef be de 00 01 10 aa 00 00 01 02 03"));
  auto v = parse_packet(std::span(back).first(*m));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->header.sequence, 0x1234);
  EXPECT_EQ(v->header.ssrc, 0xdeadbeefu);
  EXPECT_EQ(bytes_of(*v->extensions.find(1)), hex("aa"));
}

TEST(Rtx, MalformedAndBounds) {
  std::array<std::byte, 64> buf{};
  // No OSN (a padding-only probe) and a one-byte payload.
  EXPECT_EQ(
      unwrap_rtx(hex("a0 61 00 01 00 00 00 01 00 00 00 02 00 00 00 04"), {1, 96}, buf).error(),
      Error::kTooShort);
  EXPECT_EQ(unwrap_rtx(hex("80 61 00 01 00 00 00 01 00 00 00 02 05"), {1, 96}, buf).error(),
            Error::kTooShort);
  EXPECT_EQ(wrap_rtx(hex("80 60 00"), {1, 97, 0}, buf).error(), Error::kTooShort);
  EXPECT_EQ(wrap_rtx(hex(kOriginal), {1, 128, 0}, buf).error(), Error::kBadValue);
  EXPECT_EQ(unwrap_rtx(hex(kOriginal), {1, 200}, buf).error(), Error::kBadValue);
  EXPECT_EQ(wrap_rtx(hex(kOriginal), {1, 97, 0}, std::span(buf).first(22)).error(),
            Error::kBufferTooSmall);
  EXPECT_EQ(rtx_size(hex("80")), 0u);
  // An empty original payload still gets its OSN.
  auto n = wrap_rtx(hex("80 60 00 05 00 00 00 01 00 00 00 02"), {3, 97, 9}, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(buf).first(*n)), hex("80 61 00 09 00 00 00 01 00 00 00 03 00 05"));
}

}  // namespace
}  // namespace peerkit::rtp
