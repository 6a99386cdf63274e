// KeyframeRequests (sfu/keyframe_requests.h): many subscribers' PLIs become one PLI per layer
// and window toward the publisher; a pending switch asks too. Virtual clock.
#include "sfu/keyframe_requests.h"

#include <gtest/gtest.h>

#include <variant>

#include "sfu/outbound_stream.h"

namespace peerkit::sfu {
namespace {

const Timestamp kT0 = Timestamp::from_micros(1'000'000);

// Drains every due request at `now` and returns how many left.
int drain(KeyframeRequests& k, Timestamp now) {
  int n = 0;
  while (k.poll(now)) ++n;
  return n;
}

TEST(KeyframeRequests, ManySubscribersInOneWindowCauseOnePli) {
  KeyframeRequests k;
  for (int sub = 0; sub < 50; ++sub) k.request(2);
  EXPECT_EQ(drain(k, kT0), 1);
  // More requests inside the 500 ms window wait for its end, then leave as one.
  Timestamp t = kT0;
  int sent = 0;
  for (int ms = 10; ms <= 499; ms += 10) {
    k.request(2);
    sent += drain(k, kT0 + Duration::millis(ms));
  }
  EXPECT_EQ(sent, 0);
  EXPECT_EQ(k.next_timeout(), kT0 + Duration::millis(500));
  t = kT0 + Duration::millis(500);
  EXPECT_EQ(drain(k, t), 1);
  EXPECT_EQ(k.sent(), 2u);
  EXPECT_EQ(k.requested(), 50u + 49u);
  EXPECT_EQ(k.next_timeout(), Timestamp::never());
}

TEST(KeyframeRequests, AtMostOnePerWindowPerLayerOverTime) {
  KeyframeRequests k;
  // Every layer asked for every 20 ms for 10 s: 20 windows × 3 layers.
  int sent = 0;
  for (int ms = 0; ms < 10'000; ms += 20) {
    for (int layer = 0; layer < 3; ++layer) k.request(layer);
    sent += drain(k, kT0 + Duration::millis(ms));
  }
  EXPECT_EQ(sent, 20 * 3);
}

TEST(KeyframeRequests, AKeyframeAnswersPendingRequests) {
  KeyframeRequests k;
  k.request(1);
  ASSERT_EQ(drain(k, kT0), 1);
  k.request(1);  // throttled …
  EXPECT_TRUE(k.pending(1));
  k.on_keyframe(1);  // … and answered by the keyframe the first PLI produced
  EXPECT_FALSE(k.pending(1));
  EXPECT_EQ(drain(k, kT0 + Duration::seconds(1)), 0);
}

TEST(KeyframeRequests, PendingSwitchAsksUntilTheKeyframeArrives) {
  KeyframeRequests k;
  OutboundStream s{OutboundStream::Config{}};
  s.set_target_layer(2);
  int sent = 0;
  // The router asks for the target while a switch is pending, on every 100 ms tick.
  for (int ms = 0; ms < 2000; ms += 100) {
    if (s.switch_pending()) k.request(*s.target_layer());
    sent += drain(k, kT0 + Duration::millis(ms));
  }
  EXPECT_EQ(sent, 4);  // 0, 500, 1000, 1500 ms: the publisher may have lost a PLI
  auto due_layer = [&] {
    k.request(*s.target_layer());
    auto d = k.poll(kT0 + Duration::seconds(10));
    return d ? d->layer : -1;
  };
  EXPECT_EQ(due_layer(), 2);
}

TEST(KeyframeRequests, ALayerWithoutSsrcStaysPendingUntilAddressable) {
  KeyframeRequests k;
  k.request(2);
  EXPECT_FALSE(k.poll(kT0, {true, true, false}));
  EXPECT_TRUE(k.pending(2));
  auto d = k.poll(kT0 + Duration::millis(1));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->layer, 2);
}

TEST(KeyframeRequests, PliOrFirOnTheWire) {
  std::array<std::byte, 64> out{};
  auto n = write_keyframe_request(false, 1, 0x3333, 0, out);
  ASSERT_TRUE(n);
  auto parsed = rtp::parse_compound(std::span(out).first(*n));
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ(std::get<rtp::Pli>((*parsed)[0]), (rtp::Pli{1, 0x3333}));
  KeyframeRequests k;
  k.request(0);
  auto d = k.poll(kT0);
  ASSERT_TRUE(d);
  k.request(0);
  auto d2 = k.poll(kT0 + Duration::seconds(1));
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->fir_sequence, static_cast<std::uint8_t>(d->fir_sequence + 1));
  n = write_keyframe_request(true, 1, 0x3333, d2->fir_sequence, out);
  ASSERT_TRUE(n);
  parsed = rtp::parse_compound(std::span(out).first(*n));
  ASSERT_TRUE(parsed);
  const auto& fir = std::get<rtp::Fir>((*parsed)[0]);
  ASSERT_EQ(fir.entries.size(), 1u);
  EXPECT_EQ(fir.entries[0].ssrc, 0x3333u);
  EXPECT_EQ(fir.entries[0].sequence, d2->fir_sequence);
}

}  // namespace
}  // namespace peerkit::sfu
