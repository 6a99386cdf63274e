// SR, RR, SDES, BYE and compound packets (RFC 3550 §6), vectors written from the §6.4–§6.6
// figures (rtp/rtcp.h).
#include "rtp/rtcp.h"

#include <gtest/gtest.h>

#include <array>

#include "hex.h"

namespace peerkit::rtp {
namespace {
using test::bytes_of;
using test::hex;

const char* kSr =
    "80 c8 00 06  00 00 00 01  00 00 00 02 00 00 00 03  00 00 00 04  00 00 00 05  00 00 00 06";
// RR from SSRC 0x11 with one block about 0x0a: fraction 0x40, cumulative −2, highest 0x10005,
// jitter 16, LSR 0x12345678, DLSR 1 s.
const char* kRr =
    "81 c9 00 07  00 00 00 11  00 00 00 0a  40 ff ff fe  00 01 00 05  00 00 00 10"
    "12 34 56 78  00 01 00 00";
const char* kSdes = "81 ca 00 03  00 00 00 01  01 04 61 62 63 64 00 00";
const char* kBye = "81 cb 00 02  00 00 00 01  03 62 79 65";

std::vector<std::byte> build(const std::vector<RtcpPacket>& ps) {
  std::array<std::byte, 1500> buf{};
  auto n = build_compound(ps, buf);
  EXPECT_TRUE(n) << to_string(n.error());
  return n ? bytes_of(std::span(buf).first(*n)) : std::vector<std::byte>{};
}

TEST(Rtcp, SenderReport) {
  const auto d = hex(kSr);
  auto ps = parse_compound(d);
  ASSERT_TRUE(ps) << to_string(ps.error());
  ASSERT_EQ(ps->size(), 1u);
  const auto& sr = std::get<SenderReport>((*ps)[0]);
  EXPECT_EQ(sr.ssrc, 1u);
  EXPECT_EQ(sr.ntp_time, 0x0000000200000003ull);
  EXPECT_EQ(sr.rtp_time, 4u);
  EXPECT_EQ(sr.packet_count, 5u);
  EXPECT_EQ(sr.octet_count, 6u);
  EXPECT_TRUE(sr.reports.empty());
  EXPECT_EQ(build(*ps), d);
}

TEST(Rtcp, ReceiverReportWithASignedCumulativeLoss) {
  const auto d = hex(kRr);
  auto ps = parse_compound(d);
  ASSERT_TRUE(ps);
  const auto& rr = std::get<ReceiverReport>((*ps)[0]);
  EXPECT_EQ(rr.ssrc, 0x11u);
  ASSERT_EQ(rr.reports.size(), 1u);
  const ReportBlock& b = rr.reports[0];
  EXPECT_EQ(b.ssrc, 0x0au);
  EXPECT_EQ(b.fraction_lost, 0x40);
  EXPECT_EQ(b.cumulative_lost, -2);
  EXPECT_EQ(b.highest_sequence, 0x10005u);
  EXPECT_EQ(b.jitter, 16u);
  EXPECT_EQ(b.last_sr, 0x12345678u);
  EXPECT_EQ(b.delay_since_last_sr, 0x10000u);
  EXPECT_EQ(build(*ps), d);
}

TEST(Rtcp, SdesAndByeText) {
  auto ps = parse_compound(hex(kSdes));
  ASSERT_TRUE(ps);
  const auto& s = std::get<Sdes>((*ps)[0]);
  ASSERT_EQ(s.chunks.size(), 1u);
  EXPECT_EQ(s.chunks[0].ssrc, 1u);
  EXPECT_EQ(first_cname(s), "abcd");
  EXPECT_EQ(build(*ps), hex(kSdes));

  ps = parse_compound(hex(kBye));
  ASSERT_TRUE(ps);
  const auto& b = std::get<Bye>((*ps)[0]);
  EXPECT_EQ(b.ssrcs, std::vector<std::uint32_t>{1});
  EXPECT_EQ(b.reason, "bye");
  EXPECT_EQ(build(*ps), hex(kBye));
}

TEST(Rtcp, SdesChunkOfExactWordsNeedsAFullNullWord) {
  // Chunk 1 ends mid-word and is padded; chunk 2 has no items but still needs a null word.
  Sdes s{{SdesChunk{7, {{sdes_item::kCname, "ab"}, {6, "tool"}}}, SdesChunk{8, {}}}};
  const auto bytes = build({s});
  EXPECT_EQ(bytes, hex("82 ca 00 06  00 00 00 07  01 02 61 62  06 04 74 6f 6f 6c  00 00"
                       "00 00 00 08  00 00 00 00"));
  auto ps = parse_compound(bytes);
  ASSERT_TRUE(ps);
  EXPECT_EQ(std::get<Sdes>((*ps)[0]), s);
}

TEST(Rtcp, CompoundKeepsOrderAndSkipsUnknownTypes) {
  // SR, SDES, then APP (204) and XR (207), which are skipped.
  const auto d = hex(std::string(kSr) + kSdes + "80 cc 00 02 00 00 00 01 6e 61 6d 65" +
                     "80 cf 00 01 00 00 00 01");
  auto ps = parse_compound(d);
  ASSERT_TRUE(ps) << to_string(ps.error());
  ASSERT_EQ(ps->size(), 2u);
  EXPECT_TRUE(std::holds_alternative<SenderReport>((*ps)[0]));
  EXPECT_TRUE(std::holds_alternative<Sdes>((*ps)[1]));
  auto parts = split_compound(d);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[2].type, rtcp_type::kApp);
  EXPECT_EQ((*parts)[2].body.size(), 8u);
  EXPECT_EQ(build(*ps), hex(std::string(kSr) + kSdes));
}

TEST(Rtcp, PaddingIsRemovedFromTheLastPacket) {
  // RR with no blocks, padded by 4 (P bit, last byte 04).
  auto ps = parse_compound(hex("a0 c9 00 02 00 00 00 11 00 00 00 04"));
  ASSERT_TRUE(ps) << to_string(ps.error());
  EXPECT_EQ(std::get<ReceiverReport>((*ps)[0]).ssrc, 0x11u);
}

TEST(Rtcp, MalformedCompounds) {
  auto err = [](const std::string& h) {
    auto ps = parse_compound(hex(h));
    return ps ? std::optional<Error>{} : std::optional<Error>{ps.error()};
  };
  EXPECT_EQ(err(""), Error::kTooShort);
  EXPECT_EQ(err("80 c8 00"), Error::kTooShort);
  EXPECT_EQ(err("40 c8 00 00"), Error::kBadVersion);
  EXPECT_EQ(err("80 c8 00 07 00 00 00 01"), Error::kBadLength);   // length past the end
  EXPECT_EQ(err(std::string(kBye) + "81 cb"), Error::kTooShort);  // trailing partial header
  EXPECT_EQ(err("80 c8 00 01 00 00 00 01"), Error::kTooShort);    // SR without sender info
  EXPECT_EQ(err("81 c9 00 01 00 00 00 11"), Error::kBadLength);   // RC 1, no block
  EXPECT_EQ(err("80 c9 00 00"), Error::kTooShort);                // RR without SSRC
  EXPECT_EQ(err("81 ca 00 02 00 00 00 01 01 05 61 62"), Error::kBadLength);  // item overruns
  EXPECT_EQ(err("81 ca 00 02 00 00 00 01 01 02 61 62"), Error::kBadLength);  // no terminator
  EXPECT_EQ(err("82 cb 00 01 00 00 00 01"), Error::kBadLength);              // SC 2, one SSRC
  EXPECT_EQ(err("81 cb 00 02 00 00 00 01 05 62 79 65"), Error::kBadLength);  // reason overruns
  EXPECT_EQ(err("a0 c9 00 01 00 00 00 00"), Error::kBadPadding);             // pad count 0
  EXPECT_EQ(err("a0 c9 00 01 00 00 00 09"), Error::kBadPadding);             // pad > body
  // Every truncation of a valid SR is an error, never a crash or a partial success.
  const auto sr = hex(kSr);
  for (std::size_t n = 0; n < sr.size(); ++n)
    EXPECT_FALSE(parse_compound(std::span(sr).first(n))) << n;
  std::vector<std::byte> many;
  for (int i = 0; i <= static_cast<int>(kMaxCompoundPackets); ++i) {
    auto pli = hex("81 ce 00 02 00 00 00 01 00 00 00 02");
    many.insert(many.end(), pli.begin(), pli.end());
  }
  EXPECT_EQ(parse_compound(many).error(), Error::kTooMany);
}

TEST(Rtcp, BuildersRejectOverlongFields) {
  std::array<std::byte, 2048> buf{};
  SenderReport sr;
  sr.reports.resize(32);
  EXPECT_EQ(build_compound(std::vector<RtcpPacket>{sr}, buf).error(), Error::kTooMany);
  Bye b{{1}, std::string(256, 'x')};
  EXPECT_EQ(build_compound(std::vector<RtcpPacket>{b}, buf).error(), Error::kBadValue);
  Sdes s{{SdesChunk{1, {{0, "x"}}}}};
  EXPECT_EQ(build_compound(std::vector<RtcpPacket>{s}, buf).error(), Error::kBadValue);
  ReceiverReport rr{1, {ReportBlock{}}};
  EXPECT_EQ(build_compound(std::vector<RtcpPacket>{rr}, std::span(buf).first(20)).error(),
            Error::kBufferTooSmall);
}

TEST(Rtcp, ReportBlocksRoundTripAtTheirLimits) {
  ReceiverReport rr{0xffffffff, {}};
  for (int i = 0; i < 31; ++i)
    rr.reports.push_back(
        {static_cast<std::uint32_t>(i), 255, i % 2 ? -8388608 : 8388607, 0xffffffff, 7, 8, 9});
  const auto bytes = build({rr});
  EXPECT_EQ(bytes.size(), 8u + 31 * 24);
  auto ps = parse_compound(bytes);
  ASSERT_TRUE(ps);
  EXPECT_EQ(std::get<ReceiverReport>((*ps)[0]), rr);
}

}  // namespace
}  // namespace peerkit::rtp
