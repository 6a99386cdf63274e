// peerkit's SCTP against usrsctp (an independent implementation, the one libwebrtc and
// libdatachannel used) in one process: both roles, WebRTC's simultaneous connect, messages
// of every size class both ways, stream reset both ways, partial reliability, loss, shutdown.
// usrsctp runs without threads; its timers are driven from the same loop, in real time
// (it reads the real clock for RTT), so each test takes a fraction of a second.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "sctp/association.h"
#include "sctp_sim.h"
#include "usrsctp_peer.h"

namespace peerkit::sctp {
namespace {

using test::FixedRandom;
using test::pattern;
using test::UsrsctpPeer;

class UsrsctpEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    usrsctp_init_nothreads(0, &UsrsctpPeer::output, nullptr);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    // WebRTC's timer bounds instead of RFC 9260's 1 s minimum, as browsers configure it.
    usrsctp_sysctl_set_sctp_rto_min_default(100);
    usrsctp_sysctl_set_sctp_rto_initial_default(200);
    usrsctp_sysctl_set_sctp_init_rto_max_default(1000);
  }
  void TearDown() override {
    for (int i = 0; i < 300 && usrsctp_finish() != 0; ++i) usrsctp_handle_timers(10);
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new UsrsctpEnvironment);

struct Pair {
  FixedRandom random{42};
  AssociationConfig config;
  Association ours;
  UsrsctpPeer usr;
  SteadyClock clock;
  std::mt19937 loss_random{3};
  double loss = 0;  // each way
  std::vector<ReceivedMessage> got;
  std::vector<AssociationEvent> events;
  std::chrono::steady_clock::time_point last_timers = std::chrono::steady_clock::now();

  explicit Pair(AssociationConfig c = {}) : config(c), ours(config, random) {}

  bool lost() { return loss > 0 && std::uniform_real_distribution<double>(0, 1)(loss_random) < loss; }

  bool step() {
    bool busy = false;
    const auto now = clock.now();
    auto from_usr = std::move(usr.outbox);
    usr.outbox.clear();
    for (const auto& p : from_usr) {
      busy = true;
      if (!lost()) ours.handle_packet(now, p);
    }
    if (const auto t = ours.next_timeout(); t && *t <= now) ours.handle_timeout(now);
    std::vector<std::vector<std::byte>> to_usr;
    for (const Transmit& t : ours.transmits()) to_usr.emplace_back(t.data.begin(), t.data.end());
    for (const auto& p : to_usr) {
      busy = true;
      if (!lost()) usr.input(p.data(), p.size());
    }
    const auto wall = std::chrono::steady_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wall - last_timers).count();
    if (ms > 0) {
      usrsctp_handle_timers(static_cast<uint32_t>(ms));
      last_timers += std::chrono::milliseconds(ms);
    }
    (void)usr.data_socket();  // accepts once the association is up
    while (auto e = ours.poll_event()) {
      if (auto* m = std::get_if<ReceivedMessage>(&*e)) got.push_back(std::move(*m));
      else events.push_back(std::move(*e));
    }
    return busy;
  }

  // Steps until done() (or the wall-clock limit); idles 1 ms only when nothing moved, so the
  // timers on both sides (usrsctp's tick is 10 ms) can come due.
  bool run(const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      const bool busy = step();
      if (done()) return true;
      if (!busy) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

  bool established() {
    return run([&] { return ours.state() == AssociationState::kEstablished && usr.up; });
  }
};

const std::size_t kSizes[] = {1, 2, 100, 1100, 1135, 1136, 1200, 5000, 16384, 65536, 262144};

TEST(SctpUsrsctp, WebRtcStyleBothConnect) {
  Pair p;
  p.usr.connect();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  EXPECT_FALSE(p.ours.idata());          // usrsctp 0.9.5 does not offer I-DATA here
  EXPECT_FALSE(p.ours.zero_checksum());  // nor RFC 9653: CRC32c both ways
}

TEST(SctpUsrsctp, PeerkitConnectsToAListeningUsrsctp) {
  Pair p;
  p.usr.listen();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
}

TEST(SctpUsrsctp, UsrsctpConnectsToPeerkit) {
  Pair p;
  p.usr.connect();  // peerkit never calls connect(): it answers the INIT statelessly
  ASSERT_TRUE(p.established());
}

void both_ways(Pair& p) {
  std::vector<std::vector<std::byte>> sent_to_usr, sent_to_us;
  std::uint32_t seed = 1;
  for (const auto size : kSizes) {
    for (int k = 0; k < 3; ++k) {
      sent_to_usr.push_back(pattern(size, seed++));
      ASSERT_FALSE(p.ours.send(p.clock.now(), 1, 53, sent_to_usr.back()));
      sent_to_us.push_back(pattern(size, seed++));
      while (!p.usr.send(2, 53, sent_to_us.back())) p.step();
    }
  }
  ASSERT_TRUE(p.run([&] {
    return p.usr.received.size() == sent_to_usr.size() && p.got.size() == sent_to_us.size();
  })) << "usrsctp got " << p.usr.received.size() << "/" << sent_to_usr.size() << ", peerkit got "
      << p.got.size() << "/" << sent_to_us.size();
  for (std::size_t i = 0; i < sent_to_usr.size(); ++i) {
    EXPECT_EQ(p.usr.received[i].payload, sent_to_usr[i]) << i;
    EXPECT_EQ(p.usr.received[i].stream, 1);
    EXPECT_EQ(p.usr.received[i].ppid, 53u);
  }
  for (std::size_t i = 0; i < sent_to_us.size(); ++i) {
    EXPECT_EQ(p.got[i].payload, sent_to_us[i]) << i;
    EXPECT_EQ(p.got[i].stream, 2);
  }
}

TEST(SctpUsrsctp, EverySizeClassBothWaysAsInitiator) {
  Pair p;
  p.usr.listen();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  both_ways(p);
}

TEST(SctpUsrsctp, EverySizeClassBothWaysAsResponder) {
  Pair p;
  p.usr.connect();
  ASSERT_TRUE(p.established());
  both_ways(p);
}

TEST(SctpUsrsctp, ReliableUnderLoss) {
  Pair p;
  p.usr.connect();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  p.loss = 0.05;
  both_ways(p);
  EXPECT_GT(p.ours.stats().retransmitted_chunks, 0u);
}

TEST(SctpUsrsctp, UnorderedBothWays) {
  Pair p;
  p.usr.connect();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  SendOptions u;
  u.unordered = true;
  ASSERT_FALSE(p.ours.send(p.clock.now(), 3, 51, pattern(3000, 9), u));
  ASSERT_TRUE(p.usr.send(4, 51, pattern(3000, 10), true));
  ASSERT_TRUE(p.run([&] { return p.usr.received.size() == 1 && p.got.size() == 1; }));
  EXPECT_TRUE(p.usr.received[0].unordered);
  EXPECT_TRUE(p.got[0].unordered);
  EXPECT_EQ(p.got[0].payload, pattern(3000, 10));
}

TEST(SctpUsrsctp, StreamResetBothWays) {
  Pair p;
  p.usr.connect();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  ASSERT_FALSE(p.ours.send(p.clock.now(), 5, 51, pattern(100, 1)));
  const std::uint16_t five[] = {5};
  p.ours.reset_streams(five);
  ASSERT_TRUE(p.run([&] {
    return !p.usr.incoming_resets.empty() && !test::Sim::of<OutgoingResetDoneEvent>(p.events).empty();
  }));
  EXPECT_EQ(p.usr.incoming_resets, std::vector<std::uint16_t>{5});
  EXPECT_EQ(p.usr.received.size(), 1u);
  // And usrsctp resets its stream 6 towards us.
  ASSERT_TRUE(p.usr.send(6, 51, pattern(100, 2)));
  ASSERT_TRUE(p.run([&] { return p.got.size() == 1; }));
  p.usr.reset_stream(6);
  ASSERT_TRUE(p.run([&] { return !test::Sim::of<StreamsResetEvent>(p.events).empty(); }));
  EXPECT_EQ(test::Sim::of<StreamsResetEvent>(p.events)[0].streams, std::vector<std::uint16_t>{6});
  // Both streams carry data again, numbered from zero.
  ASSERT_FALSE(p.ours.send(p.clock.now(), 5, 51, pattern(10, 3)));
  ASSERT_TRUE(p.usr.send(6, 51, pattern(10, 4)));
  ASSERT_TRUE(p.run([&] { return p.usr.received.size() == 2 && p.got.size() == 2; }));
  EXPECT_EQ(p.usr.received[1].payload, pattern(10, 3));
  EXPECT_EQ(p.got[1].payload, pattern(10, 4));
}

TEST(SctpUsrsctp, PartialReliabilityBothWays) {
  Pair p;
  p.usr.connect();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  p.loss = 0.2;
  SendOptions once;
  once.max_retransmits = 0;
  for (std::uint32_t i = 0; i < 60; ++i) {
    ASSERT_FALSE(p.ours.send(p.clock.now(), 7, 53, pattern(1000, i), once));
    while (!p.usr.send(8, 53, pattern(1000, 100 + i), false, 0)) p.step();
  }
  // A reliable message behind them on the same stream must still arrive.
  ASSERT_FALSE(p.ours.send(p.clock.now(), 7, 51, pattern(5, 999)));
  while (!p.usr.send(8, 51, pattern(5, 998))) p.step();
  ASSERT_TRUE(p.run([&] {
    const bool usr_done = !p.usr.received.empty() && p.usr.received.back().payload == pattern(5, 999);
    const bool our_done = !p.got.empty() && p.got.back().payload == pattern(5, 998);
    return usr_done && our_done;
  }, std::chrono::seconds(30)));
  EXPECT_LT(p.usr.received.size(), 61u);
  EXPECT_LT(p.got.size(), 61u);
}

TEST(SctpUsrsctp, ShutdownFromPeerkit) {
  Pair p;
  p.usr.connect();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  ASSERT_FALSE(p.ours.send(p.clock.now(), 1, 53, pattern(70000, 5)));
  p.ours.shutdown(p.clock.now());
  ASSERT_TRUE(p.run([&] { return p.ours.ended() && p.usr.down; }));
  ASSERT_EQ(p.usr.received.size(), 1u);
  EXPECT_FALSE(test::Sim::of<ClosedEvent>(p.events).at(0).aborted);
}

TEST(SctpUsrsctp, AbortFromPeerkit) {
  Pair p;
  p.usr.connect();
  p.ours.connect(p.clock.now());
  ASSERT_TRUE(p.established());
  p.ours.abort(p.clock.now(), "test");
  ASSERT_TRUE(p.run([&] { return p.usr.down; }));
}

}  // namespace
}  // namespace peerkit::sctp
