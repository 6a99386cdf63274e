// Generic NACK (RFC 4585 §6.2.1), PLI (§6.3.1), FIR (RFC 5104 §4.3.1) and REMB
// (draft-alvestrand-rmcat-remb §2.2), vectors written from the figures (rtp/rtcp_feedback.h).
#include "rtp/rtcp_feedback.h"

#include <gtest/gtest.h>

#include <array>

#include "hex.h"
#include "rtp/rtcp.h"

namespace peerkit::rtp {
namespace {
using test::bytes_of;
using test::hex;

std::vector<std::byte> build(const RtcpPacket& p) {
  std::array<std::byte, 512> buf{};
  auto n = build_compound(std::span(&p, 1), buf);
  EXPECT_TRUE(n) << to_string(n.error());
  return n ? bytes_of(std::span(buf).first(*n)) : std::vector<std::byte>{};
}

template <class T>
T parse_one(const std::vector<std::byte>& d) {
  auto ps = parse_compound(d);
  EXPECT_TRUE(ps) << to_string(ps.error());
  if (!ps || ps->size() != 1 || !std::holds_alternative<T>((*ps)[0])) {
    ADD_FAILURE() << "not exactly one packet of the expected type";
    return T{};
  }
  return std::get<T>((*ps)[0]);
}

TEST(RtcpFeedback, NackExpandsPidAndBlp) {
  // PID 100, BLP 0b101: 100, 101 and 103 are lost.
  const auto d = hex("81 cd 00 03  00 00 00 01  00 00 00 02  00 64 00 05");
  const auto n = parse_one<GenericNack>(d);
  EXPECT_EQ(n.sender_ssrc, 1u);
  EXPECT_EQ(n.media_ssrc, 2u);
  EXPECT_EQ(nack_sequences(n), (std::vector<std::uint16_t>{100, 101, 103}));
  EXPECT_EQ(build(n), d);
}

TEST(RtcpFeedback, NackItemsFromAList) {
  const std::vector<std::uint16_t> a{103, 100, 101, 101};
  EXPECT_EQ(nack_items(a), (std::vector<NackItem>{{100, 0b101}}));
  const std::vector<std::uint16_t> wrap{0, 65535, 1, 15};
  EXPECT_EQ(nack_items(wrap), (std::vector<NackItem>{{65535, 0b1000000000000011}}));
  std::vector<std::uint16_t> forty;
  for (std::uint16_t s = 1; s <= 40; ++s) forty.push_back(s);
  EXPECT_EQ(nack_items(forty), (std::vector<NackItem>{{1, 0xffff}, {18, 0xffff}, {35, 0x1f}}));
  EXPECT_TRUE(nack_items({}).empty());
  // Expansion of the items gives back the set, ascending from the oldest.
  GenericNack n{1, 2, nack_items(forty)};
  EXPECT_EQ(nack_sequences(n), forty);
}

TEST(RtcpFeedback, PliAndFir) {
  const auto pli = hex("81 ce 00 02  00 00 00 01  00 00 00 02");
  EXPECT_EQ(parse_one<Pli>(pli), (Pli{1, 2}));
  EXPECT_EQ(build(Pli{1, 2}), pli);
  // FIR: media SSRC 0, one FCI entry for SSRC 9 with command sequence 7.
  const auto fir = hex("84 ce 00 04  00 00 00 01  00 00 00 00  00 00 00 09  07 00 00 00");
  const auto f = parse_one<Fir>(fir);
  EXPECT_EQ(f.sender_ssrc, 1u);
  EXPECT_EQ(f.entries, (std::vector<FirEntry>{{9, 7}}));
  EXPECT_EQ(build(f), fir);
}

TEST(RtcpFeedback, Remb) {
  // 1 000 000 bps = 250 000 × 2^2: exp 2, mantissa 0x3d090; one SSRC 0x0a.
  const auto d =
      hex("8f ce 00 05  00 00 00 01  00 00 00 00  52 45 4d 42  01 0b d0 90  00 00 00 0a");
  const auto r = parse_one<Remb>(d);
  EXPECT_EQ(r.sender_ssrc, 1u);
  EXPECT_EQ(r.bitrate_bps, 1'000'000u);
  EXPECT_EQ(r.ssrcs, std::vector<std::uint32_t>{0x0a});
  EXPECT_EQ(build(r), d);
  // Values with more than 18 significant bits round down, never up.
  const auto odd = parse_one<Remb>(build(Remb{1, (1u << 20) + 1, {}}));
  EXPECT_EQ(odd.bitrate_bps, 1u << 20);
  const auto huge = parse_one<Remb>(build(Remb{1, 0xffffffffffffffffull, {}}));
  EXPECT_EQ(huge.bitrate_bps, 0x3ffffull << 46);
}

TEST(RtcpFeedback, UnknownFormatsAreSkipped) {
  // RTPFB FMT 3 (TMMBR), PSFB FMT 2 (SLI), PSFB FMT 15 that is not REMB.
  const auto d =
      hex("83 cd 00 02 00 00 00 01 00 00 00 02"
          "82 ce 00 02 00 00 00 01 00 00 00 02"
          "8f ce 00 03 00 00 00 01 00 00 00 00 41 42 43 44");
  auto ps = parse_compound(d);
  ASSERT_TRUE(ps) << to_string(ps.error());
  EXPECT_TRUE(ps->empty());
}

TEST(RtcpFeedback, MalformedFeedback) {
  auto err = [](const char* h) {
    auto ps = parse_compound(hex(h));
    return ps ? std::optional<Error>{} : std::optional<Error>{ps.error()};
  };
  EXPECT_EQ(err("81 cd 00 01 00 00 00 01"), Error::kTooShort);  // NACK, no media
  EXPECT_EQ(err("81 cd 00 03 00 00 00 01 00 00 00 02 00 64 00 05"), std::nullopt);
  EXPECT_EQ(err("81 ce 00 01 00 00 00 01"), Error::kTooShort);                           // PLI
  EXPECT_EQ(err("84 ce 00 03 00 00 00 01 00 00 00 00 00 00 00 09"), Error::kBadLength);  // FIR/2
  EXPECT_EQ(err("8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 02 0b d0 90"),
            Error::kBadLength);  // REMB: 2 SSRCs announced, none present
  EXPECT_EQ(err("8f ce 00 04 00 00 00 01 00 00 00 00 52 45 4d 42 00 fc 00 01"),
            Error::kBadValue);  // exponent 63 overflows 64 bits
  EXPECT_EQ(err("8f ce 00 03 00 00 00 01 00 00 00 00 52 45 4d 42"), Error::kTooShort);
  // A NACK body that is not whole FCI words cannot be built by RTCP's word lengths, but a
  // direct call on a bad body must still fail cleanly.
  const auto odd = hex("00 00 00 01 00 00 00 02 00 64");
  EXPECT_EQ(parse_nack(RtcpCommon{1, rtcp_type::kRtpfb, odd}).error(), Error::kBadLength);
  const auto fir_odd = hex("00 00 00 01 00 00 00 00 00 00 00 09 07 00");
  EXPECT_EQ(parse_fir(RtcpCommon{4, rtcp_type::kPsfb, fir_odd}).error(), Error::kBadLength);
}

TEST(RtcpFeedback, RembRefusesTooManySsrcs) {
  Remb r{1, 1000, std::vector<std::uint32_t>(256, 7)};
  std::array<std::byte, 2048> buf{};
  ByteWriter w(buf);
  EXPECT_EQ(write_remb(r, w).error(), Error::kTooMany);
}

}  // namespace
}  // namespace peerkit::rtp
