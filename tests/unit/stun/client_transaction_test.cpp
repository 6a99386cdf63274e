#include "stun/client_transaction.h"

#include <gtest/gtest.h>

#include <vector>

namespace peerkit::stun {
namespace {

std::vector<std::byte> request(TransactionId& tid) {
  for (int i = 0; i < 12; ++i) tid.bytes[i] = std::byte(i + 1);
  static std::byte buf[20];
  MessageBuilder b(buf, Method::kBinding, MessageClass::kRequest, tid);
  auto s = b.finish();
  return {s.begin(), s.end()};
}

// Drives a transaction on a virtual clock, recording when it transmits.
std::vector<std::int64_t> run_until_done(ClientTransaction& t, Timestamp start) {
  std::vector<std::int64_t> sent_ms;
  Timestamp now = start;
  for (int steps = 0; steps < 100 && !t.done(); ++steps) {
    t.handle_timeout(now);
    if (t.poll_transmit()) sent_ms.push_back((now - start).ms());
    now = t.next_timeout();
  }
  return sent_ms;
}

TEST(ClientTransaction, UdpRetransmitsWithBackoffThenTimesOutAt39500ms) {
  TransactionId tid;
  auto req = request(tid);
  const Timestamp start = Timestamp::from_micros(5'000'000);
  ClientTransaction t(start, req, /*reliable=*/false);
  auto sent = run_until_done(t, start);
  // RFC 8489 §6.2.1: 0, 500, 1500, 3500, 7500, 15500, 31500 ms, then give up at 39500 ms.
  EXPECT_EQ(sent, (std::vector<std::int64_t>{0, 500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(t.state(), ClientTransaction::State::kTimedOut);
  EXPECT_EQ(t.transmissions(), 7);
}

TEST(ClientTransaction, TcpSendsOnceAndTimesOutAtTi) {
  TransactionId tid;
  auto req = request(tid);
  const Timestamp start = Timestamp::from_micros(0);
  ClientTransaction t(start, req, /*reliable=*/true);
  t.handle_timeout(start);
  ASSERT_TRUE(t.poll_transmit());
  EXPECT_EQ((t.next_timeout() - start).ms(), 39500);
  t.handle_timeout(start + Duration::millis(39499));
  EXPECT_FALSE(t.done());
  t.handle_timeout(start + Duration::millis(39500));
  EXPECT_EQ(t.state(), ClientTransaction::State::kTimedOut);
  EXPECT_FALSE(t.poll_transmit());
}

TEST(ClientTransaction, MatchingResponseCompletesAndMeasuresRtt) {
  TransactionId tid;
  auto req = request(tid);
  const Timestamp start = Timestamp::from_micros(0);
  ClientTransaction t(start, req, false);
  t.handle_timeout(start);
  ASSERT_TRUE(t.poll_transmit());

  std::byte buf[20];
  TransactionId other = tid;
  other.bytes[0] = std::byte{0x77};
  MessageBuilder wrong(buf, Method::kBinding, MessageClass::kSuccess, other);
  EXPECT_FALSE(t.handle_response(start, *MessageView::parse(wrong.finish())));

  std::byte buf2[20];
  MessageBuilder right(buf2, Method::kBinding, MessageClass::kSuccess, tid);
  EXPECT_TRUE(t.handle_response(start + Duration::millis(42), *MessageView::parse(right.finish())));
  EXPECT_EQ(t.state(), ClientTransaction::State::kSucceeded);
  ASSERT_TRUE(t.rtt());
  EXPECT_EQ(t.rtt()->ms(), 42);
  EXPECT_EQ(t.next_timeout(), Timestamp::never());
}

TEST(ClientTransaction, NoRttSampleAfterRetransmission) {
  TransactionId tid;
  auto req = request(tid);
  ClientTransaction t(Timestamp{}, req, false);
  t.handle_timeout(Timestamp{});
  t.poll_transmit();
  t.handle_timeout(t.next_timeout());
  ASSERT_TRUE(t.poll_transmit());
  std::byte buf[20];
  MessageBuilder err(buf, Method::kBinding, MessageClass::kError, tid);
  EXPECT_TRUE(
      t.handle_response(Timestamp::from_micros(600'000), *MessageView::parse(err.finish())));
  EXPECT_EQ(t.state(), ClientTransaction::State::kFailed);
  EXPECT_FALSE(t.rtt());
}

}  // namespace
}  // namespace peerkit::stun
