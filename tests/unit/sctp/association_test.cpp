// SCTP associations on a simulated link (sctp_sim.h): set-up, reliable ordered transfer under
// loss, duplication and reordering, unordered and partially reliable delivery, stream reset,
// shutdown and abort, timers.
#include "sctp/association.h"

#include <gtest/gtest.h>

#include <map>

#include "sctp_sim.h"

namespace peerkit::sctp {
namespace {

using test::LinkProfile;
using test::pattern;
using test::Sim;

TEST(SctpAssociation, BothEndsConnectAtOnce) {
  Sim s;
  ASSERT_TRUE(s.connect_both());
  EXPECT_EQ(Sim::of<ConnectedEvent>(s.events_a).size(), 1u);
  EXPECT_EQ(Sim::of<ConnectedEvent>(s.events_b).size(), 1u);
  EXPECT_TRUE(s.a.idata() && s.b.idata());
  EXPECT_TRUE(s.a.zero_checksum() && s.b.zero_checksum());
}

TEST(SctpAssociation, OneEndConnects) {
  Sim s;
  s.a.connect(s.clock.now());
  ASSERT_TRUE(s.run([&] { return s.a.state() == AssociationState::kEstablished &&
                                 s.b.state() == AssociationState::kEstablished; }));
}

TEST(SctpAssociation, LostInitIsRetransmittedWithin200ms) {
  Sim s;
  int inits = 0;
  std::vector<Timestamp> at;
  s.tamper = [&](bool to_b, std::vector<std::byte>& p) {
    if (to_b && p.size() > 12 && std::to_integer<int>(p[12]) == 1) {
      at.push_back(s.clock.now());
      if (inits++ == 0) p.clear();  // the first INIT is lost
    }
  };
  const auto start = s.clock.now();
  s.a.connect(start);
  ASSERT_TRUE(s.run([&] { return s.a.state() == AssociationState::kEstablished; }));
  ASSERT_GE(at.size(), 2u);
  EXPECT_LE(at[1] - start, Duration::millis(200));
}

// Every message once, in order per stream, with the bytes it was sent with.
void expect_in_order(const std::vector<ReceivedMessage>& got,
                     const std::map<std::uint16_t, std::vector<std::vector<std::byte>>>& sent) {
  std::map<std::uint16_t, std::size_t> next;
  for (const auto& m : got) {
    const auto& list = sent.at(m.stream);
    auto& i = next[m.stream];
    ASSERT_LT(i, list.size());
    ASSERT_EQ(m.payload, list[i]) << "stream " << m.stream << " message " << i;
    ++i;
  }
  for (const auto& [stream, list] : sent) EXPECT_EQ(next[stream], list.size()) << stream;
}

void reliable_transfer(LinkProfile profile, bool idata) {
  AssociationConfig c;
  c.idata = idata;
  Sim s(c, c, profile);
  ASSERT_TRUE(s.connect_both());
  EXPECT_EQ(s.a.idata(), idata);
  std::map<std::uint16_t, std::vector<std::vector<std::byte>>> sent_ab, sent_ba;
  const std::size_t sizes[] = {1, 100, 1100, 1101, 5000, 65536, 262144, 3, 20000};
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < 120; ++i) {
    const std::uint16_t stream = static_cast<std::uint16_t>(i % 3 * 2);
    const auto msg = pattern(sizes[i % std::size(sizes)], i);
    total += msg.size();
    ASSERT_FALSE(s.a.send(s.clock.now(), stream, 53, msg));
    sent_ab[stream].push_back(msg);
    if (i % 4 == 0) {
      const auto back = pattern(sizes[(i + 3) % std::size(sizes)], 1000 + i);
      ASSERT_FALSE(s.b.send(s.clock.now(), static_cast<std::uint16_t>(stream + 1), 53, back));
      sent_ba[static_cast<std::uint16_t>(stream + 1)].push_back(back);
    }
  }
  std::size_t want_b = 120, want_a = 30;
  ASSERT_TRUE(s.run([&] { return s.got_b.size() == want_b && s.got_a.size() == want_a; },
                    Duration::seconds(600)))
      << "b got " << s.got_b.size() << ", a got " << s.got_a.size();
  expect_in_order(s.got_b, sent_ab);
  expect_in_order(s.got_a, sent_ba);
  if (profile.loss > 0) {
    EXPECT_GT(s.a.stats().retransmitted_chunks, 0u);  // the link really lost packets
    EXPECT_GT(s.b.stats().duplicates_received, 0u);
  }
  EXPECT_GT(total, 2'000'000u);
}

TEST(SctpAssociation, ReliableOrderedOverACleanLink) {
  reliable_transfer({}, true);
}

TEST(SctpAssociation, ReliableOrderedUnderLossDuplicationAndReordering) {
  reliable_transfer({0.05, 0.02, Duration::millis(20), Duration::millis(15)}, true);
}

TEST(SctpAssociation, ReliableOrderedWithPlainDataChunks) {
  reliable_transfer({0.05, 0.02, Duration::millis(20), Duration::millis(15)}, false);
}

TEST(SctpAssociation, FallsBackToDataWhenThePeerLacksIData) {
  AssociationConfig old;
  old.idata = false;
  old.zero_checksum = false;
  Sim s({}, old);
  ASSERT_TRUE(s.connect_both());
  EXPECT_FALSE(s.a.idata());
  EXPECT_FALSE(s.a.zero_checksum());
  ASSERT_FALSE(s.a.send(s.clock.now(), 0, 51, pattern(3000, 1)));
  ASSERT_TRUE(s.run([&] { return s.got_b.size() == 1; }));
}

TEST(SctpAssociation, UnorderedMessagesArriveWhole) {
  Sim s({}, {}, {0.1, 0, Duration::millis(10), Duration::millis(30)});
  ASSERT_TRUE(s.connect_both());
  SendOptions u;
  u.unordered = true;
  for (std::uint32_t i = 0; i < 50; ++i) ASSERT_FALSE(s.a.send(s.clock.now(), 1, 53, pattern(3000 + i, i), u));
  ASSERT_TRUE(s.run([&] { return s.got_b.size() == 50; }, Duration::seconds(120)));
  std::vector<bool> seen(50);
  for (const auto& m : s.got_b) {
    EXPECT_TRUE(m.unordered);
    const std::size_t i = m.payload.size() - 3000;
    ASSERT_LT(i, 50u);
    EXPECT_FALSE(seen[i]);
    seen[i] = true;
    EXPECT_EQ(m.payload, pattern(3000 + i, static_cast<std::uint32_t>(i)));
  }
}

TEST(SctpAssociation, PartialReliabilityAbandonsAndMovesOn) {
  for (const bool idata : {true, false}) {
    AssociationConfig c;
    c.idata = idata;
    Sim s(c, c, {0.3, 0, Duration::millis(10), Duration::millis(0)});
    ASSERT_TRUE(s.connect_both());
    SendOptions once;
    once.max_retransmits = 0;
    for (std::uint32_t i = 0; i < 100; ++i)
      ASSERT_FALSE(s.a.send(s.clock.now(), 2, 53, pattern(2500, i), once));
    // A reliable message after them on another stream, and one on the same stream.
    ASSERT_FALSE(s.a.send(s.clock.now(), 4, 51, pattern(10, 999)));
    std::optional<Timestamp> sent_last;
    ASSERT_TRUE(s.run([&] {
      for (const auto& m : s.got_b)
        if (m.stream == 4) return true;
      return false;
    }, Duration::seconds(120))) << "idata=" << idata;
    // What arrived on stream 2 is in order, intact, with no duplicates; some were dropped.
    std::size_t on2 = 0;
    std::int64_t last = -1;
    for (const auto& m : s.got_b) {
      if (m.stream != 2) continue;
      ++on2;
      bool found = false;
      for (std::uint32_t i = 0; i < 100; ++i)
        if (m.payload == pattern(2500, i)) {
          EXPECT_GT(static_cast<std::int64_t>(i), last);
          last = i;
          found = true;
        }
      EXPECT_TRUE(found);
    }
    EXPECT_LT(on2, 100u) << "with 30% loss and no retransmissions some must be lost";
    EXPECT_GT(on2, 20u);
    // And the stream still works afterwards.
    const auto before = s.got_b.size();
    ASSERT_FALSE(s.a.send(s.clock.now(), 2, 51, pattern(40, 4242)));
    ASSERT_TRUE(s.run([&] { return s.got_b.size() > before; }, Duration::seconds(60)));
    EXPECT_EQ(s.got_b.back().payload, pattern(40, 4242));
  }
}

TEST(SctpAssociation, LifetimeExpiredMessagesAreNotDelivered) {
  Sim s({}, {}, {0, 0, Duration::millis(50), Duration::millis(0)});
  ASSERT_TRUE(s.connect_both());
  SendOptions short_life;
  short_life.lifetime = Duration::millis(1);
  // More than the congestion window: the tail waits, expires and is never sent.
  for (std::uint32_t i = 0; i < 200; ++i)
    ASSERT_FALSE(s.a.send(s.clock.now(), 0, 53, pattern(1000, i), short_life));
  ASSERT_FALSE(s.a.send(s.clock.now(), 1, 51, pattern(5, 1)));
  ASSERT_TRUE(s.run([&] {
    for (const auto& m : s.got_b) if (m.stream == 1) return true;
    return false;
  }));
  std::size_t on0 = 0;
  for (const auto& m : s.got_b) on0 += m.stream == 0;
  EXPECT_LT(on0, 200u);
  EXPECT_GT(on0, 0u);
}

TEST(SctpAssociation, StreamResetIsSeenOnBothSidesAndNumberingRestarts) {
  Sim s;
  ASSERT_TRUE(s.connect_both());
  for (std::uint32_t i = 0; i < 5; ++i) ASSERT_FALSE(s.a.send(s.clock.now(), 7, 51, pattern(100, i)));
  const std::uint16_t streams[] = {7};
  s.a.reset_streams(streams);
  EXPECT_EQ(s.a.send(s.clock.now(), 7, 51, pattern(1, 1)), Association::SendError::kStreamResetting);
  ASSERT_TRUE(s.run([&] { return !Sim::of<OutgoingResetDoneEvent>(s.events_a).empty(); }));
  ASSERT_EQ(s.got_b.size(), 5u);  // queued data went out before the reset
  const auto resets = Sim::of<StreamsResetEvent>(s.events_b);
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_EQ(resets[0].streams, std::vector<std::uint16_t>{7});
  // The stream is reused (a new channel with the same id): its numbering starts over.
  ASSERT_FALSE(s.a.send(s.clock.now(), 7, 51, pattern(100, 77)));
  ASSERT_TRUE(s.run([&] { return s.got_b.size() == 6; }));
  EXPECT_EQ(s.got_b.back().payload, pattern(100, 77));
}

TEST(SctpAssociation, GracefulShutdownDeliversEverythingFirst) {
  Sim s;
  ASSERT_TRUE(s.connect_both());
  for (std::uint32_t i = 0; i < 20; ++i) ASSERT_FALSE(s.a.send(s.clock.now(), 0, 53, pattern(10000, i)));
  s.a.shutdown(s.clock.now());
  ASSERT_TRUE(s.run([&] { return s.a.ended() && s.b.ended(); }));
  EXPECT_EQ(s.got_b.size(), 20u);
  const auto ca = Sim::of<ClosedEvent>(s.events_a), cb = Sim::of<ClosedEvent>(s.events_b);
  ASSERT_EQ(ca.size(), 1u);
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_FALSE(ca[0].aborted);
  EXPECT_FALSE(cb[0].aborted);
}

TEST(SctpAssociation, AbortEndsBothAtOnce) {
  Sim s;
  ASSERT_TRUE(s.connect_both());
  s.a.abort(s.clock.now(), "user closed");
  ASSERT_TRUE(s.run([&] { return s.b.ended(); }));
  const auto cb = Sim::of<ClosedEvent>(s.events_b);
  ASSERT_EQ(cb.size(), 1u);
  EXPECT_TRUE(cb[0].aborted);
  EXPECT_NE(cb[0].reason.find("cause 12"), std::string::npos);
}

TEST(SctpAssociation, UnreachablePeerEndsTheAssociation) {
  Sim s;
  ASSERT_TRUE(s.connect_both());
  s.profile.loss = 1.0;
  ASSERT_FALSE(s.a.send(s.clock.now(), 0, 53, pattern(100, 1)));
  ASSERT_TRUE(s.run([&] { return s.a.ended(); }, Duration::seconds(600)));
  EXPECT_TRUE(Sim::of<ClosedEvent>(s.events_a).at(0).aborted);
}

TEST(SctpAssociation, RecoversAfterATimeoutInsteadOfCollapsing) {
  Sim s({}, {}, {0, 0, Duration::millis(5), Duration::millis(0)});
  ASSERT_TRUE(s.connect_both());
  // Black out the link for a while mid-transfer: T3 fires, cwnd drops to one MTU...
  int sent = 0;
  s.tamper = [&](bool to_b, std::vector<std::byte>& p) {
    if (to_b && ++sent > 50 && sent < 120) p.clear();
  };
  for (std::uint32_t i = 0; i < 400; ++i) ASSERT_FALSE(s.a.send(s.clock.now(), 0, 53, pattern(8000, i)));
  const auto start = s.clock.now();
  ASSERT_TRUE(s.run([&] { return s.got_b.size() == 400; }, Duration::seconds(120)));
  EXPECT_GE(s.a.stats().t3_expiries, 1u);
  // ...and slow start brings it back: 3.2 MB over a 10 ms RTT link in well under 10 s.
  EXPECT_LT(s.clock.now() - start, Duration::seconds(10));
  EXPECT_GT(s.a.stats().cwnd, 8 * 1160u);
}

TEST(SctpAssociation, ForgedCookieIsIgnored) {
  Sim s;
  s.a.connect(s.clock.now());
  s.tamper = [&](bool to_b, std::vector<std::byte>& p) {
    if (to_b && p.size() > 40 && std::to_integer<int>(p[12]) == 10) p[30] ^= std::byte{1};  // COOKIE ECHO
  };
  EXPECT_FALSE(s.run([&] { return s.b.state() == AssociationState::kEstablished; }, Duration::seconds(5)));
}

TEST(SctpAssociation, HighStreamNumbersCostNothingUntilUsed) {
  Sim s;
  ASSERT_TRUE(s.connect_both());
  ASSERT_FALSE(s.a.send(s.clock.now(), 65534, 51, pattern(10, 1)));
  EXPECT_EQ(s.a.send(s.clock.now(), 65535, 51, pattern(10, 1)), Association::SendError::kTooLarge);
  ASSERT_TRUE(s.run([&] { return s.got_b.size() == 1; }));
  EXPECT_EQ(s.got_b[0].stream, 65534);
}

TEST(SctpAssociation, SendBufferIsBounded) {
  AssociationConfig c;
  c.max_send_buffer = 100000;
  Sim s(c, c);
  ASSERT_TRUE(s.connect_both());
  EXPECT_FALSE(s.a.send(s.clock.now(), 0, 53, pattern(60000, 1)));
  EXPECT_EQ(s.a.send(s.clock.now(), 0, 53, pattern(60000, 2)), Association::SendError::kBufferFull);
  EXPECT_EQ(s.a.buffered_amount(0), 60000u);
  EXPECT_EQ(s.a.send(s.clock.now(), 0, 53, {}), Association::SendError::kEmpty);
}

TEST(SctpAssociation, OneSackPerInputBatch) {
  Sim s;
  ASSERT_TRUE(s.connect_both());
  for (std::uint32_t i = 0; i < 20; ++i) ASSERT_FALSE(s.a.send(s.clock.now(), 0, 53, pattern(1000, i)));
  // Hand b a whole flight before draining it once.
  std::vector<std::vector<std::byte>> flight;
  for (const Transmit& t : s.a.transmits()) flight.emplace_back(t.data.begin(), t.data.end());
  ASSERT_GE(flight.size(), 3u);
  for (const auto& p : flight) s.b.handle_packet(s.clock.now(), p);
  std::size_t packets = 0;
  for (const Transmit& t : s.b.transmits()) {
    (void)t;
    ++packets;
  }
  EXPECT_EQ(packets, 1u);
  EXPECT_EQ(s.b.stats().sacks_sent, 1u);
}

}  // namespace
}  // namespace peerkit::sctp

namespace peerkit::sctp {
namespace {

// A SACK listing 65 535 overlapping gap blocks over everything in flight is read only in part:
// the work per SACK stays bounded, and the next honest SACK finishes the job.
TEST(SctpSendBuffer, HugeGapListsAreReadInPart) {
  SendBuffer s(1, 1 << 20);
  const auto now = Timestamp::from_micros(1'000'000);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(s.enqueue(now, 0, 53, test::pattern(1000, i), {}));
  while (s.next_new(now, 1000)) {
  }
  std::vector<std::byte> blocks(65535 * 4);
  for (std::size_t i = 0; i < 65535; ++i) {
    ByteWriter w(MutableByteSpan(blocks.data() + i * 4, 4));
    w.u16(i < 256 ? 2 : 3);  // the first 256 blocks repeat TSN 2; the rest cover 3..199
    w.u16(i < 256 ? 2 : 199);
  }
  SackChunk sack;
  sack.cumulative_tsn_ack = 0;  // TSN 1 still missing
  sack.a_rwnd = 1 << 20;
  sack.gap_count = 65535;
  sack.gap_blocks = blocks;
  const auto o = s.on_sack(now, sack);
  EXPECT_EQ(o.gap_bytes, 1000u);  // only the blocks read: TSN 2
  EXPECT_FALSE(s.all_acked());
}

}  // namespace
}  // namespace peerkit::sctp

namespace peerkit::sctp::test {
namespace {

// 4 MiB over a 1 ms link with 5 % random loss each way, drained every second datagram as the
// ICE driver does (AgentDriver::kDatagramsPerRound). Loss must be repaired by fast retransmit,
// not by waiting for T3 again and again: drained once per delivery instant (one SACK per
// window), a lost SACK stalls the sender until T3 — 3.8 s and 25 T3 expiries here.
TEST(SctpAssociation, RandomLossIsRepairedByFastRetransmitNotTimeouts) {
  Sim s({}, {}, {0.05, 0, Duration::millis(1), Duration::millis(0)});
  s.batch = 2;
  ASSERT_TRUE(s.connect_both());
  const std::size_t kMessages = 64;
  std::size_t queued = 0;
  const Timestamp start = s.clock.now();
  ASSERT_TRUE(s.run([&] {
    while (queued < kMessages && s.a.buffered_amount(0) < (1u << 20))
      if (!s.a.send(s.clock.now(), 0, 53, pattern(65536, static_cast<std::uint32_t>(queued)))) ++queued;
    return s.got_b.size() == kMessages;
  }, Duration::seconds(120)));
  const auto took = s.clock.now() - start;
  const auto st = s.a.stats();
  std::printf("4 MiB at 5%% loss: %.3f s virtual, %llu fast retransmits, %llu T3 expiries, %llu retransmitted chunks, %llu packets\n",
              static_cast<double>(took.us()) / 1e6, (unsigned long long)st.fast_retransmits,
              (unsigned long long)st.t3_expiries, (unsigned long long)st.retransmitted_chunks,
              (unsigned long long)st.packets_sent);
  EXPECT_GT(st.fast_retransmits, 0u);
  EXPECT_LE(st.t3_expiries, 5u);
  // Reno's loss response bounds this at about MSS/RTT x 1.22/sqrt(p) ~ 3 MB/s here (Mathis et
  // al.), so ~1.3 s; before the fix it took 3.8 s, most of it in T3 waits.
  EXPECT_LT(took, Duration::seconds(2));
}

}  // namespace
}  // namespace peerkit::sctp::test
