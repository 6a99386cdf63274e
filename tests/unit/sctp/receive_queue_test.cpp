// ReceiveQueue on its own: FORWARD TSN (RFC 3758 §3.6) must skip only what the sender
// abandoned. Found against Chromium (tests/browser/datachannels.js): a reliable message whose
// first fragments lay at or below the new cumulative TSN (acked through gap blocks while an
// earlier abandoned TSN was missing) was dropped with them, and its ordered stream stalled.
#include "sctp/receive_queue.h"

#include <gtest/gtest.h>

#include <vector>

namespace peerkit::sctp {
namespace {

DataChunk data(std::uint32_t tsn, std::uint16_t stream, std::uint16_t ssn, std::uint8_t flags,
               const std::vector<std::byte>& payload) {
  DataChunk d;
  d.flags = flags;
  d.tsn = tsn;
  d.stream = stream;
  d.ssn = ssn;
  d.ppid = 53;
  d.payload = payload;
  return d;
}

TEST(ReceiveQueueForwardTsn, KeepsAReliableMessageThatStraddlesTheNewCumulativeTsn) {
  ReceiveQueue q(1, 1 << 20);
  const std::vector<std::byte> a(100, std::byte{1}), b(100, std::byte{2}), c(100, std::byte{3});
  // TSN 1 (an unordered message of a partially reliable channel) never arrives; TSNs 2-4 are a
  // reliable ordered message on stream 2, of which 2 and 3 arrive first.
  EXPECT_EQ(q.add(data(2, 2, 0, kFlagBeginning, a)), ReceiveQueue::Result::kNew);
  EXPECT_EQ(q.add(data(3, 2, 0, 0, b)), ReceiveQueue::Result::kNew);
  // The sender abandons TSN 1; 2 and 3 are acked, so its new cumulative TSN is 3.
  ForwardTsnChunk f;
  f.new_cumulative_tsn = 3;
  q.forward(f);
  EXPECT_EQ(q.cumulative_tsn(), 3u);
  EXPECT_FALSE(q.has_message());
  EXPECT_EQ(q.add(data(4, 2, 0, kFlagEnd, c)), ReceiveQueue::Result::kNew);
  ASSERT_TRUE(q.has_message());
  const auto m = q.pop_message();
  EXPECT_EQ(m.stream, 2);
  ASSERT_EQ(m.payload.size(), 300u);
  EXPECT_EQ(m.payload[0], std::byte{1});
  EXPECT_EQ(m.payload[299], std::byte{3});
}

TEST(ReceiveQueueForwardTsn, DropsTheFragmentsOfAnAbandonedMessage) {
  ReceiveQueue q(1, 1 << 20);
  const std::vector<std::byte> a(100, std::byte{1});
  // An unordered message at TSNs 1-2: 1 arrives, 2 is lost, the sender abandons the message.
  q.add(data(1, 1, 0, kFlagBeginning | kFlagUnordered, a));
  ForwardTsnChunk f;
  f.new_cumulative_tsn = 2;
  q.forward(f);
  EXPECT_EQ(q.cumulative_tsn(), 2u);
  EXPECT_FALSE(q.has_message());
  EXPECT_EQ(q.buffered_bytes(), 0u);
  // A late copy of the lost fragment is a duplicate, not the end of a message.
  EXPECT_EQ(q.add(data(2, 1, 0, kFlagEnd | kFlagUnordered, a)), ReceiveQueue::Result::kDuplicate);
  EXPECT_FALSE(q.has_message());
}

}  // namespace
}  // namespace peerkit::sctp
