#include "turn/stream_framing.h"

#include <gtest/gtest.h>

#include <vector>

#include "support/bytes.h"

namespace peerkit::turn {
namespace {

using peerkit::testing::bytes;

TEST(StreamFraming, ChannelDataIsPaddedOnStreams) {
  auto b = bytes({0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0, 0x40});
  auto r = next_frame(b);
  EXPECT_EQ(r.status, FrameStatus::kFrame);
  EXPECT_EQ(r.frame_length, 9u);
  EXPECT_EQ(r.consumed, 12u);
  EXPECT_EQ(next_frame(ByteSpan(b).first(11)).status, FrameStatus::kNeedMore);
}

TEST(StreamFraming, StunUsesTheHeaderLength) {
  std::vector<std::byte> m(28);
  m[3] = std::byte{8};
  m[4] = std::byte{0x21};
  m[5] = std::byte{0x12};
  m[6] = std::byte{0xA4};
  m[7] = std::byte{0x42};
  auto r = next_frame(m);
  EXPECT_EQ(r.status, FrameStatus::kFrame);
  EXPECT_EQ(r.frame_length, 28u);
  EXPECT_EQ(next_frame(ByteSpan(m).first(27)).status, FrameStatus::kNeedMore);
  m[3] = std::byte{7};  // not a multiple of four
  EXPECT_EQ(next_frame(m).status, FrameStatus::kInvalid);
}

TEST(StreamFraming, AnythingElseIsInvalid) {
  EXPECT_EQ(next_frame(bytes({0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x00})).status,
            FrameStatus::kInvalid);                                             // a TLS ClientHello
  EXPECT_EQ(next_frame(bytes({0x80, 0, 0, 0})).status, FrameStatus::kInvalid);  // RTP
  EXPECT_EQ(next_frame(bytes({0x40})).status, FrameStatus::kNeedMore);
}

}  // namespace
}  // namespace peerkit::turn
