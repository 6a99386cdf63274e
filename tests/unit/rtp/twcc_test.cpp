// Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): the
// three chunk kinds, small/large deltas, reference time and feedback count (rtp/twcc.h).
#include "rtp/twcc.h"

#include <gtest/gtest.h>

#include <array>

#include "hex.h"
#include "rtp/rtcp.h"

namespace peerkit::rtp {
namespace {
using test::bytes_of;
using test::hex;

using S = TwccStatus;

std::vector<std::byte> build(const TransportFeedback& f) {
  std::array<std::byte, 70000> buf{};
  ByteWriter w(buf);
  auto ok = write_transport_feedback(f, w);
  EXPECT_TRUE(ok) << to_string(ok.error());
  return bytes_of(w.written());
}

Expected<TransportFeedback, Error> parse(const std::vector<std::byte>& d) {
  auto parts = split_compound(d);
  if (!parts) return Unexpected(parts.error());
  EXPECT_EQ(parts->size(), 1u);
  return parse_transport_feedback((*parts)[0]);
}

// Base 10, 4 packets: small 1 ms, small 63.75 ms, lost, large −1 ms. One 2-bit vector chunk
// 11 01 01 00 10 00 00 00 = d4 80; deltas 04 ff ff fc; two bytes of padding.
const char* kMixed =
    "8f cd 00 06  00 00 00 01  00 00 00 02  00 0a 00 04  00 00 10 03  d4 80 04 ff  ff fc 00 00";

TEST(Twcc, ParsesATwoBitVector) {
  auto f = parse(hex(kMixed));
  ASSERT_TRUE(f) << to_string(f.error());
  EXPECT_EQ(f->sender_ssrc, 1u);
  EXPECT_EQ(f->media_ssrc, 2u);
  EXPECT_EQ(f->base_sequence, 10);
  EXPECT_EQ(f->reference_time, 0x10);
  EXPECT_EQ(f->feedback_count, 3);
  EXPECT_EQ(
      f->packets,
      (std::vector<TwccPacket>{
          {S::kSmallDelta, 4}, {S::kSmallDelta, 255}, {S::kNotReceived, 0}, {S::kLargeDelta, -4}}));
  EXPECT_EQ(build(*f), hex(kMixed));
}

TEST(Twcc, ParsesARunLengthChunk) {
  // 20 packets all received with delta 1: chunk 0 01 0000000010100 = 20 14.
  std::string h = "8f cd 00 0a  00 00 00 01  00 00 00 02  ff fe 00 14  ff ff ff 00  20 14";
  for (int i = 0; i < 20; ++i) h += " 01";
  h += " 00 00";
  auto f = parse(hex(h));
  ASSERT_TRUE(f) << to_string(f.error());
  EXPECT_EQ(f->base_sequence, 0xfffe);
  EXPECT_EQ(f->reference_time, -1);  // 24-bit signed
  EXPECT_EQ(f->feedback_count, 0);
  ASSERT_EQ(f->packets.size(), 20u);
  for (const auto& p : f->packets) EXPECT_EQ(p, (TwccPacket{S::kSmallDelta, 1}));
  EXPECT_EQ(build(*f), hex(h));
}

TEST(Twcc, ParsesAOneBitVectorAndIgnoresSymbolsPastTheCount) {
  // 1 0 | 1 1 0 0 0 0 0 0 0 0 0 0 0 1 = b0 01, but only 13 packets: the 14th symbol is ignored.
  const auto d =
      hex("8f cd 00 06 00 00 00 01 00 00 00 02 00 00 00 0d 00 00 00 00 b0 01 05 06"
          "00 00 00 00");
  auto f = parse(d);
  ASSERT_TRUE(f) << to_string(f.error());
  ASSERT_EQ(f->packets.size(), 13u);
  EXPECT_EQ(f->packets[0], (TwccPacket{S::kSmallDelta, 5}));
  EXPECT_EQ(f->packets[1], (TwccPacket{S::kSmallDelta, 6}));
  for (std::size_t i = 2; i < 13; ++i) EXPECT_EQ(f->packets[i].status, S::kNotReceived);
}

TEST(Twcc, BuilderRoundTripsLongMixedFeedback) {
  TransportFeedback f{5, 6, 65000, -(1 << 23), 255, {}};
  std::uint32_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    x = x * 1103515245u + 12345u;
    const unsigned r = (x >> 16) % 10;
    if (i >= 1000 && i < 1100)
      f.packets.push_back({S::kNotReceived, 0});  // a long gap: a run
    else if (r < 2)
      f.packets.push_back({S::kNotReceived, 0});
    else if (r < 8)
      f.packets.push_back({S::kSmallDelta, static_cast<std::int32_t>(x % 256)});
    else
      f.packets.push_back({S::kLargeDelta, static_cast<std::int32_t>(x % 65536) - 32768});
  }
  const auto bytes = build(f);
  EXPECT_EQ(bytes.size() % 4, 0u);
  auto g = parse(bytes);
  ASSERT_TRUE(g) << to_string(g.error());
  EXPECT_EQ(*g, f);
  // Also through the compound parser.
  auto ps = parse_compound(bytes);
  ASSERT_TRUE(ps);
  EXPECT_EQ(std::get<TransportFeedback>((*ps)[0]), f);
}

TEST(Twcc, EmptyFeedbackRoundTrips) {
  TransportFeedback f{1, 2, 7, 0, 1, {}};
  auto g = parse(build(f));
  ASSERT_TRUE(g);
  EXPECT_EQ(*g, f);
}

TEST(Twcc, MalformedFeedback) {
  auto err = [](const std::string& h) {
    auto f = parse(hex(h));
    return f ? std::optional<Error>{} : std::optional<Error>{f.error()};
  };
  const std::string head = "8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 00 ";
  EXPECT_EQ(err(head + "60 01 00 00"), Error::kBadValue);  // run of reserved status 3
  EXPECT_EQ(err(head + "20 00 00 00"), Error::kBadValue);  // run length 0
  EXPECT_EQ(err(head + "f0 00 00 00"), Error::kBadValue);  // 2-bit vector with a symbol 3
  EXPECT_EQ(err("8f cd 00 04 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 00"),
            Error::kTooShort);  // count 1, no chunk
  EXPECT_EQ(err("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 00 40 03 01 02"),
            Error::kTooShort);  // 3 large deltas, 2 bytes present
  EXPECT_EQ(err("8f cd 00 03 00 00 00 01 00 00 00 02 00 00 00 01"), Error::kTooShort);
}

TEST(Twcc, BuilderRejectsValuesThatDoNotFit) {
  std::array<std::byte, 256> buf{};
  auto fails = [&](const TransportFeedback& f) {
    ByteWriter w(buf);
    auto r = write_transport_feedback(f, w);
    return r ? std::optional<Error>{} : std::optional<Error>{r.error()};
  };
  EXPECT_EQ(fails({1, 2, 0, 0, 0, {{S::kSmallDelta, 256}}}), Error::kBadValue);
  EXPECT_EQ(fails({1, 2, 0, 0, 0, {{S::kSmallDelta, -1}}}), Error::kBadValue);
  EXPECT_EQ(fails({1, 2, 0, 0, 0, {{S::kLargeDelta, 40000}}}), Error::kBadValue);
  EXPECT_EQ(fails({1, 2, 0, 0, 0, {{S::kNotReceived, 3}}}), Error::kBadValue);
  EXPECT_EQ(fails({1, 2, 0, 1 << 23, 0, {}}), Error::kBadValue);
  EXPECT_EQ(twcc_status_for(255), S::kSmallDelta);
  EXPECT_EQ(twcc_status_for(256), S::kLargeDelta);
  EXPECT_EQ(twcc_status_for(-1), S::kLargeDelta);
}

}  // namespace
}  // namespace peerkit::rtp
