// net/stream over real loopback sockets, each test once over plain TCP and once over TLS.
#include "net/stream.h"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>

#include "stream_pair.h"

namespace peerkit::net {
namespace {

using testing::frame;
using testing::StreamPair;

class StreamTest : public ::testing::TestWithParam<bool> {};

// Limits that let a 16 MiB frame through, for the tests that need a write to stay in flight.
const StreamOptions kRoomFor16MiB{.max_queue_bytes = 64 << 20, .max_frame_bytes = 32 << 20};

TEST_P(StreamTest, FramesArriveWholeAndInOrder) {
  StreamPair p(GetParam());
  p.start();
  for (std::size_t i = 0; i < 20; ++i) ASSERT_TRUE(p.client.stream->send(frame(i * 977, i)));
  ASSERT_TRUE(p.run_until([&] { return p.server.frames.size() == 20; }));
  for (std::size_t i = 0; i < 20; ++i) {
    ASSERT_EQ(p.server.frames[i].size(), 4 + i * 977);
    if (i > 0) {
      EXPECT_EQ(p.server.frames[i].back(), std::byte(i));
    }
  }
  EXPECT_EQ(p.client.ready, 1);
  EXPECT_EQ(p.server.ready, 1);
  EXPECT_EQ(p.server.stream->stats().frames_received, 20u);
}

TEST_P(StreamTest, TheFirstFrameLeavesAtOnceAndTheRestQueuedBehindItInOneWrite) {
  StreamPair p(GetParam());
  p.start();
  ASSERT_TRUE(p.run_until([&] { return p.client.ready && p.server.ready; }));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(p.client.stream->send(frame(100, 1)));
  EXPECT_EQ(p.client.stream->stats().writes, 1u);  // started by the first send, without waiting
  ASSERT_TRUE(p.run_until([&] { return p.server.frames.size() == 100; }));
  EXPECT_EQ(p.client.stream->stats().writes, 2u);  // the other 99 went together
  EXPECT_EQ(p.client.stream->stats().bytes_written, 100u * 104u);
}

TEST_P(StreamTest, WhatIsQueuedWhileAWriteIsInFlightLeavesInTheNextSingleWrite) {
  StreamPair p(GetParam(), kRoomFor16MiB, kRoomFor16MiB);
  p.start();
  ASSERT_TRUE(p.run_until([&] { return p.client.ready && p.server.ready; }));
  // 16 MiB cannot leave in one system call round: the peer's socket buffer fills first.
  ASSERT_TRUE(p.client.stream->send(frame(16 << 20, 7)));
  int queued_in_flight = 0;
  std::function<void()> queue_more = [&] {
    if (queued_in_flight == 50) return;
    // Queued only while the big write is still on its way.
    if (p.client.stream->queued_bytes() >= (16u << 20)) {
      ASSERT_TRUE(p.client.stream->send(frame(10, 2)));
      ++queued_in_flight;
    } else if (queued_in_flight > 0) {
      return;  // the big write is done
    }
    boost::asio::post(p.loop().context(), queue_more);
  };
  boost::asio::post(p.loop().context(), queue_more);
  ASSERT_TRUE(p.run_until([&] {
    return p.client.stream->queued_bytes() == 0 && p.server.frames.size() == 1u + queued_in_flight;
  }));
  ASSERT_GE(queued_in_flight, 2);  // several frames queued behind the big write
  // One write for the big frame, one for everything queued while it was in flight.
  EXPECT_EQ(p.client.stream->stats().writes, 2u);
  EXPECT_EQ(p.server.frames[0].size(), 4u + (16u << 20));
}

TEST_P(StreamTest, TheWriteQueueIsBoundedInBytes) {
  StreamOptions small;
  small.max_queue_bytes = 1000;
  StreamPair p(GetParam(), {}, small);
  p.start();
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += p.client.stream->send(frame(196, 3)) ? 1 : 0;
  EXPECT_EQ(accepted, 5);  // 5 × 200 bytes fill the 1000-byte queue
  EXPECT_EQ(p.client.stream->stats().frames_dropped, 5u);
  EXPECT_EQ(p.client.stream->queued_bytes(), 1000u);
  ASSERT_TRUE(p.run_until([&] { return p.server.frames.size() == 5; }));
  ASSERT_TRUE(p.run_until([&] { return p.client.stream->queued_bytes() == 0; }));
  EXPECT_TRUE(p.client.stream->send(frame(196, 4)));  // room again once written
}

TEST_P(StreamTest, CloseWhileAWriteIsInFlightReportsOnceOnBothSides) {
  StreamPair p(GetParam(), kRoomFor16MiB, kRoomFor16MiB);
  p.start();
  ASSERT_TRUE(p.run_until([&] { return p.client.ready && p.server.ready; }));
  ASSERT_TRUE(p.client.stream->send(frame(16 << 20, 9)));
  boost::asio::post(p.loop().context(), [&] {
    ASSERT_EQ(p.client.stream->stats().writes, 1u);  // the write is in flight
    p.client.stream->close();
    p.client.stream->close();  // twice is harmless
  });
  ASSERT_TRUE(p.run_until([&] { return !p.client.closes.empty() && !p.server.closes.empty(); }));
  p.loop().run_for(Duration::millis(20));
  ASSERT_EQ(p.client.closes.size(), 1u);
  EXPECT_EQ(p.client.closes[0], "closed locally");
  EXPECT_EQ(p.server.closes.size(), 1u);
  EXPECT_TRUE(p.server.frames.empty());
  EXPECT_FALSE(p.client.stream->send(frame(1, 1)));
}

TEST_P(StreamTest, BytesThatAreNotAFrameCloseTheStream) {
  StreamPair p(GetParam());
  p.start();
  std::vector<std::byte> junk(8, std::byte{0xFF});  // length 0xFFFFFFFF: the framer refuses it
  ASSERT_TRUE(p.client.stream->send(junk));
  ASSERT_TRUE(p.run_until([&] { return !p.server.closes.empty(); }));
  EXPECT_EQ(p.server.closes[0], "bytes that are not a frame");
  ASSERT_TRUE(p.run_until([&] { return !p.client.closes.empty(); }));
}

TEST_P(StreamTest, AFrameLargerThanTheLimitClosesTheStream) {
  StreamOptions limited;
  limited.max_frame_bytes = 8192;
  StreamPair p(GetParam(), limited, {});
  p.start();
  ASSERT_TRUE(p.client.stream->send(frame(10000, 5)));
  ASSERT_TRUE(p.run_until([&] { return !p.server.closes.empty(); }));
  EXPECT_EQ(p.server.closes[0], "frame larger than the limit");
  EXPECT_TRUE(p.server.frames.empty());
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, StreamTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Tls" : "Plain"; });

}  // namespace
}  // namespace peerkit::net
