// ChannelData wire format (RFC 8656 §12.4, §12.5): parse, encode, padding, channel ranges.
#include "turn/channel_data.h"

#include <gtest/gtest.h>

#include <vector>

#include "support/bytes.h"

namespace peerkit::turn {
namespace {

using peerkit::testing::bytes;

TEST(ChannelData, ParsesNumberAndPayload) {
  const auto b = bytes({0x40, 0x01, 0x00, 0x03, 'a', 'b', 'c'});
  const auto v = parse_channel_data(b);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->channel, ChannelNumber{0x4001});
  ASSERT_EQ(v->payload.size(), 3u);
  EXPECT_EQ(v->payload.data(), b.data() + 4);  // a view, not a copy
  EXPECT_EQ(v->payload[2], std::byte{'c'});
}

TEST(ChannelData, EmptyPayloadIsValid) {
  const auto v = parse_channel_data(bytes({0x4F, 0xFF, 0x00, 0x00}));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->channel, kLastChannel);
  EXPECT_TRUE(v->payload.empty());
}

TEST(ChannelData, TruncatedHeaderIsRejected) {
  for (std::size_t n = 0; n < 4; ++n) {
    const auto b = bytes({0x40, 0x00, 0x00, 0x00});
    EXPECT_FALSE(parse_channel_data(ByteSpan(b).first(n))) << n;
    EXPECT_FALSE(parse_channel_data_header(ByteSpan(b).first(n))) << n;
  }
}

TEST(ChannelData, LengthLargerThanTheDataIsRejected) {
  EXPECT_FALSE(parse_channel_data(bytes({0x40, 0x00, 0x00, 0x04, 1, 2, 3})));
  EXPECT_FALSE(parse_channel_data(bytes({0x40, 0x00, 0xFF, 0xFF, 1})));
  // The header alone still reads, which is what a stream framer needs to wait for the rest.
  const auto h = parse_channel_data_header(bytes({0x40, 0x00, 0x00, 0x04, 1, 2, 3}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->length, 4u);
}

TEST(ChannelData, PaddingAfterThePayloadIsIgnored) {
  const auto v = parse_channel_data(bytes({0x40, 0x00, 0x00, 0x01, 'x', 0, 0, 0}));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payload.size(), 1u);
}

TEST(ChannelData, SizeIsPaddedToFourOnlyOnStreams) {
  EXPECT_EQ(channel_data_size(0, true), 4u);
  EXPECT_EQ(channel_data_size(1, true), 8u);
  EXPECT_EQ(channel_data_size(4, true), 8u);
  EXPECT_EQ(channel_data_size(5, true), 12u);
  EXPECT_EQ(channel_data_size(5, false), 9u);
  EXPECT_EQ(channel_data_size(0xFFFF, true), 0x10004u);
}

TEST(ChannelData, EncodesHeaderInPlace) {
  // Headroom before the payload, as the server uses it for UDP clients: the payload stays put.
  auto buf = bytes({0xEE, 0xEE, 0xEE, 0xEE, 'h', 'i'});
  ASSERT_TRUE(encode_channel_data_header(buf, ChannelNumber{0x4ABC}, 2));
  EXPECT_EQ(buf, bytes({0x4A, 0xBC, 0x00, 0x02, 'h', 'i'}));
  std::byte small[3];
  EXPECT_FALSE(encode_channel_data_header(small, ChannelNumber{0x4000}, 1));
  EXPECT_FALSE(encode_channel_data_header(buf, ChannelNumber{0x4000}, 0x10000));
}

TEST(ChannelData, EncodesWholeMessageWithZeroPadding) {
  const auto payload = bytes({1, 2, 3, 4, 5});
  std::vector<std::byte> out(16, std::byte{0xEE});
  ASSERT_EQ(encode_channel_data(out, ChannelNumber{0x4002}, payload, true), 12u);
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.begin() + 12),
            bytes({0x40, 0x02, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0}));
  EXPECT_EQ(out[12], std::byte{0xEE});  // nothing written past the message
  ASSERT_EQ(encode_channel_data(out, ChannelNumber{0x4002}, payload, false), 9u);
  std::vector<std::byte> short_out(11);
  EXPECT_EQ(encode_channel_data(short_out, ChannelNumber{0x4002}, payload, true), 0u);
  // What one side writes the other reads back.
  const auto v = parse_channel_data(ByteSpan(out).first(9));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->channel, ChannelNumber{0x4002});
  EXPECT_TRUE(std::equal(v->payload.begin(), v->payload.end(), payload.begin(), payload.end()));
}

TEST(ChannelData, FirstByteClassification) {
  // Top two bits 01: every first byte of an RFC 5766 channel number, 0x40-0x7F.
  for (int b = 0; b < 256; ++b)
    EXPECT_EQ(is_channel_data(static_cast<std::uint8_t>(b)), b >= 0x40 && b <= 0x7F) << b;
}

TEST(ChannelData, ChannelNumberRanges) {
  EXPECT_FALSE(is_valid_channel(ChannelNumber{0x3FFF}));
  EXPECT_TRUE(is_valid_channel(ChannelNumber{0x4000}));
  EXPECT_TRUE(is_valid_channel(ChannelNumber{0x4FFF}));
  EXPECT_FALSE(is_valid_channel(ChannelNumber{0x5000}));  // reserved by RFC 8656 §12
  EXPECT_TRUE(is_valid_channel(ChannelNumber{0x5000}, true));
  EXPECT_TRUE(is_valid_channel(ChannelNumber{0x7FFE}, true));
  EXPECT_FALSE(is_valid_channel(ChannelNumber{0x7FFF}, true));
  EXPECT_FALSE(is_valid_channel(ChannelNumber{0x3FFF}, true));
  EXPECT_FALSE(is_valid_channel(ChannelNumber{0x8000}, true));
}

}  // namespace
}  // namespace peerkit::turn
