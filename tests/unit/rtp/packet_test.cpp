// RTP fixed header, CSRCs, extension block and padding (RFC 3550 §5.1, §5.3.1), the rtcp-mux
// demux rule (RFC 5761 §4) and the forwarding rewrites (rtp/packet.h).
#include "rtp/packet.h"

#include <gtest/gtest.h>

#include <array>

#include "hex.h"

namespace peerkit::rtp {
namespace {
using test::bytes_of;
using test::hex;

TEST(RtpPacket, ParsesTheMinimalHeader) {
  const auto p = hex("80 60 12 34  00 00 03 e8  de ad be ef  01 02 03");
  auto v = parse_packet(p);
  ASSERT_TRUE(v) << to_string(v.error());
  EXPECT_FALSE(v->header.marker);
  EXPECT_EQ(v->header.payload_type, 96);
  EXPECT_EQ(v->header.sequence, 0x1234);
  EXPECT_EQ(v->header.timestamp, 1000u);
  EXPECT_EQ(v->header.ssrc, 0xdeadbeefu);
  EXPECT_EQ(v->header.csrc_count, 0);
  EXPECT_FALSE(v->has_extension_block);
  EXPECT_EQ(v->header_size, 12u);
  EXPECT_EQ(bytes_of(v->payload), hex("01 02 03"));
  EXPECT_EQ(v->padding, 0);
}

TEST(RtpPacket, BuildsTheSameBytes) {
  PacketBuild b;
  b.header.payload_type = 96;
  b.header.sequence = 0x1234;
  b.header.timestamp = 1000;
  b.header.ssrc = 0xdeadbeef;
  const auto payload = hex("01 02 03");
  b.payload = payload;
  std::array<std::byte, 64> out{};
  auto n = build_packet(b, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, packet_size(b));
  EXPECT_EQ(bytes_of(std::span(out).first(*n)),
            hex("80 60 12 34 00 00 03 e8 de ad be ef 01 02 03"));
}

TEST(RtpPacket, MarkerCsrcsExtensionAndPaddingRoundTrip) {
  // V=2 P=1 X=1 CC=2, M=1 PT=111; one-byte extensions id 1 (1 byte) and id 2 (2 bytes) padded
  // to two words; payload aa bb; 3 bytes of padding.
  const auto p =
      hex("b2 ef 00 07  00 00 00 2a  11 22 33 44  00 00 00 01  00 00 00 02"
          "be de 00 02  10 aa 21 bb  cc 00 00 00  aa bb 00 00  03");
  auto v = parse_packet(p);
  ASSERT_TRUE(v) << to_string(v.error());
  EXPECT_TRUE(v->header.marker);
  EXPECT_EQ(v->header.payload_type, 111);
  ASSERT_EQ(v->header.csrc_count, 2);
  EXPECT_EQ(v->header.csrcs[0], 1u);
  EXPECT_EQ(v->header.csrcs[1], 2u);
  EXPECT_EQ(v->extension_profile, kOneByteProfile);
  ASSERT_EQ(v->extensions.count, 2u);
  EXPECT_EQ(v->extensions.items[0].id, 1);
  EXPECT_EQ(bytes_of(v->extensions.items[0].data), hex("aa"));
  EXPECT_EQ(v->extensions.items[1].id, 2);
  EXPECT_EQ(bytes_of(v->extensions.items[1].data), hex("bb cc"));
  EXPECT_EQ(v->header_size, 32u);
  EXPECT_EQ(bytes_of(v->payload), hex("aa bb"));
  EXPECT_EQ(v->padding, 3);

  PacketBuild b{v->header, v->extensions.view(), v->payload, v->padding};
  std::array<std::byte, 64> out{};
  auto n = build_packet(b, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(out).first(*n)), p);
}

TEST(RtpPacket, EveryTruncationOfTheFixedHeaderIsTooShort) {
  const auto p = hex("80 60 12 34 00 00 03 e8 de ad be ef");
  for (std::size_t n = 0; n < p.size(); ++n) {
    auto v = parse_packet(std::span(p).first(n));
    ASSERT_FALSE(v) << n;
    EXPECT_EQ(v.error(), Error::kTooShort) << n;
  }
  EXPECT_TRUE(parse_packet(p));  // an empty payload is fine
}

TEST(RtpPacket, MalformedInputs) {
  auto err = [](std::string_view h) {
    const auto p = hex(h);
    auto v = parse_packet(p);
    return v ? std::optional<Error>{} : std::optional<Error>{v.error()};
  };
  EXPECT_EQ(err("40 60 12 34 00 00 03 e8 de ad be ef"), Error::kBadVersion);
  EXPECT_EQ(err("c0 60 12 34 00 00 03 e8 de ad be ef"), Error::kBadVersion);
  // CC=2 with one CSRC present.
  EXPECT_EQ(err("82 60 12 34 00 00 03 e8 de ad be ef 00 00 00 01"), Error::kTooShort);
  // X set, no extension header.
  EXPECT_EQ(err("90 60 12 34 00 00 03 e8 de ad be ef be de"), Error::kTooShort);
  // X set, length 2 words with only one present.
  EXPECT_EQ(err("90 60 12 34 00 00 03 e8 de ad be ef be de 00 02 10 aa 00 00"), Error::kTooShort);
  // One-byte element claiming 4 bytes with 3 left in the block.
  EXPECT_EQ(err("90 60 12 34 00 00 03 e8 de ad be ef be de 00 01 13 aa bb cc"),
            Error::kBadExtension);
  // Padding count 0, and padding larger than the payload.
  EXPECT_EQ(err("a0 60 12 34 00 00 03 e8 de ad be ef 01 00"), Error::kBadPadding);
  EXPECT_EQ(err("a0 60 12 34 00 00 03 e8 de ad be ef 01 03"), Error::kBadPadding);
  // Padding exactly the payload is fine (a padding-only probe).
  EXPECT_EQ(err("a0 60 12 34 00 00 03 e8 de ad be ef 00 02"), std::nullopt);
}

TEST(RtpPacket, RtcpMuxDemux) {
  EXPECT_FALSE(is_rtcp(hex("80 60 12 34")));  // PT 96
  EXPECT_FALSE(is_rtcp(hex("80 ef 12 34")));  // PT 111 with marker
  EXPECT_TRUE(is_rtcp(hex("80 c8 00 06")));   // SR
  EXPECT_TRUE(is_rtcp(hex("81 cd 00 03")));   // RTPFB
  EXPECT_TRUE(is_rtcp(hex("80 df 00 01")));   // 223: top of RFC 5761's range
  EXPECT_FALSE(is_rtcp(hex("80 e0 00 01")));  // 224: PT 96 with marker, RTP
  EXPECT_FALSE(is_rtcp(hex("00 01 00 00")));  // STUN
  EXPECT_FALSE(is_rtcp(hex("16 fe fd")));     // DTLS
  EXPECT_FALSE(is_rtcp(hex("80")));
  EXPECT_TRUE(looks_like_rtp_or_rtcp(hex("80 60")));
  EXPECT_FALSE(looks_like_rtp_or_rtcp(hex("16 fe")));
}

TEST(RtpPacket, RewritesInPlaceWithoutTouchingTheRest) {
  auto p = hex("90 60 12 34 00 00 03 e8 de ad be ef be de 00 01 10 aa 00 00 01 02 03");
  const auto before = p;
  ASSERT_TRUE(rewrite_in_place(p, {100, 7, 0x01020304, 0xcafebabe}));
  ASSERT_TRUE(set_marker(p, true));
  auto v = parse_packet(p);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->header.marker);
  EXPECT_EQ(v->header.payload_type, 100);
  EXPECT_EQ(v->header.sequence, 7);
  EXPECT_EQ(v->header.timestamp, 0x01020304u);
  EXPECT_EQ(v->header.ssrc, 0xcafebabeu);
  EXPECT_EQ(p[0], before[0]);
  EXPECT_TRUE(std::equal(p.begin() + 12, p.end(), before.begin() + 12));
  ASSERT_TRUE(set_marker(p, false));
  EXPECT_EQ(p[1], std::byte{100});
  EXPECT_FALSE(set_payload_type(p, 128));
  std::array<std::byte, 11> tiny{};
  EXPECT_FALSE(set_ssrc(tiny, 1));
  EXPECT_FALSE(rewrite_in_place(tiny, {}));
}

TEST(RtpPacket, RewritePacketRemapsExtensionIdsAndDropsUnknown) {
  ExtensionMap in, out;
  ASSERT_TRUE(in.add(1, uri::kMid));
  ASSERT_TRUE(in.add(3, uri::kAbsSendTime));
  ASSERT_TRUE(in.add(5, "urn:example:unknown"));
  ASSERT_TRUE(out.add(2, uri::kMid));
  ASSERT_TRUE(out.add(7, uri::kAbsSendTime));
  // mid "0" (id 1), abs-send-time 01 02 03 (id 3), unknown ff (id 5).
  const auto p = hex("90 60 00 01 00 00 00 02 00 00 00 03 be de 00 02 10 30 32 01 02 03 50 ff 55");
  std::array<std::byte, 64> buf{};
  auto n = rewrite_packet(p, in, out, {.sequence = 9, .ssrc = 4}, buf);
  ASSERT_TRUE(n) << to_string(n.error());
  EXPECT_EQ(bytes_of(std::span(buf).first(*n)),
            hex("90 60 00 09 00 00 00 02 00 00 00 04 be de 00 02 20 30 72 01 02 03 00 00 55"));
  // A subscriber with a two-byte-only id gets the two-byte form.
  ExtensionMap wide;
  ASSERT_TRUE(wide.add(20, uri::kAbsSendTime));
  n = rewrite_packet(p, in, wide, {}, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(buf).first(*n)),
            hex("90 60 00 01 00 00 00 02 00 00 00 03 10 00 00 02 14 03 01 02 03 00 00 00 55"));
  // Nothing mapped: no extension block at all, X cleared.
  n = rewrite_packet(p, in, ExtensionMap{}, {}, buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(buf).first(*n)), hex("80 60 00 01 00 00 00 02 00 00 00 03 55"));
  std::array<std::byte, 10> small{};
  EXPECT_EQ(rewrite_packet(p, in, out, {}, small).error(), Error::kBufferTooSmall);
}

TEST(RtpPacket, BuilderRejectsBadFields) {
  std::array<std::byte, 64> out{};
  PacketBuild b;
  b.header.payload_type = 128;
  EXPECT_EQ(build_packet(b, out).error(), Error::kBadValue);
  b.header.payload_type = 0;
  std::array<std::byte, 300> big{};
  const Extension e{1, big};
  b.extensions = std::span(&e, 1);
  EXPECT_EQ(build_packet(b, out).error(), Error::kBadExtension);
  EXPECT_EQ(packet_size(b), 0u);
  b.extensions = {};
  EXPECT_EQ(build_packet(b, std::span(out).first(11)).error(), Error::kBufferTooSmall);
}

}  // namespace
}  // namespace peerkit::rtp
