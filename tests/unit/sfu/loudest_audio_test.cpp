// Loudest-N audio forwarding (Router::Config::loudest_audio): in a group with more audio
// publishers than N only the N loudest reach subscribers, and a hand-over moves the audio
// with it, without a gap in a resumed stream's sequence numbers. Virtual clock.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "rtp/extension_values.h"
#include "rtp/packet.h"
#include "sfu/router.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

constexpr std::uint8_t kLevelId = 6;
const ParticipantId kListener{50};

struct AudioRoom {
  ManualClock clock{Timestamp::from_micros(10'000'000)};
  Router router;
  std::map<std::uint32_t, std::uint16_t> seq;          // per publisher
  std::map<std::uint32_t, std::uint32_t> sub_of;       // subscriber SSRC → publisher
  std::map<std::uint32_t, std::vector<std::uint16_t>> heard;  // publisher → egress seqs
  std::map<std::uint32_t, std::vector<std::uint16_t>> ever;   // the same, never cleared
  int frames = 0;

  explicit AudioRoom(std::size_t loudest) : router(Router::Config{.loudest_audio = loudest}) {}

  void publish(std::uint32_t who, std::uint32_t group = 7) {
    TrackParams t;
    t.publisher = ParticipantId{who};
    t.codec = Codec::kOpus;
    t.clock_rate = 48'000;
    t.mid = "a";
    t.group = group;
    (void)t.extensions.add(4, rtp::ExtensionKind::kMid);
    (void)t.extensions.add(kLevelId, rtp::ExtensionKind::kAudioLevel);
    auto track = router.add_track(std::move(t));
    ASSERT_TRUE(track);
    const std::uint32_t ssrc = 0x7000 + who * 2;
    ASSERT_TRUE(router.subscribe(kListener, *track, test::subscriber(ssrc), 0,
                                 OutboundStream::Config{48'000, 100, 0, 0, 0}, 1));
    sub_of[ssrc] = who;
  }
  // 20 ms of Opus from each publisher: `loud` ones at −20 dBov with the voice flag, the others
  // silent (−127).
  void tick(const std::set<std::uint32_t>& loud) {
    for (auto& [who, s] : seq) {
      const auto level = rtp::audio_level_bytes({loud.contains(who), std::uint8_t(loud.contains(who) ? 20 : 127)});
      std::array<rtp::Extension, 2> ext{{{4, as_bytes("a")}, {kLevelId, level}}};
      std::array<std::byte, 40> opus{};
      rtp::PacketBuild b;
      b.header.payload_type = 111;
      b.header.sequence = s++;
      b.header.timestamp = 960u * static_cast<std::uint32_t>(frames);
      b.header.ssrc = 0x100 + who;
      b.extensions = ext;
      b.payload = opus;
      std::array<std::byte, 200> buf{};
      auto n = rtp::build_packet(b, buf);
      ASSERT_TRUE(n);
      router.handle_rtp(clock.now(), ParticipantId{who}, std::span(buf).first(*n));
    }
    ++frames;
    clock.advance(Duration::millis(20));
    router.handle_timeout(clock.now());
    while (auto o = router.poll_output())
      if (!o->rtcp) {
        auto v = rtp::parse_packet(o->bytes);
        heard[sub_of.at(v->header.ssrc)].push_back(v->header.sequence);
        ever[sub_of.at(v->header.ssrc)].push_back(v->header.sequence);
      }
  }
  std::set<std::uint32_t> heard_in(int ticks, const std::set<std::uint32_t>& loud) {
    heard.clear();
    for (int i = 0; i < ticks; ++i) tick(loud);
    std::set<std::uint32_t> out;
    for (const auto& [who, seqs] : heard)
      if (seqs.size() >= static_cast<std::size_t>(ticks / 2)) out.insert(who);
    return out;
  }
};

TEST(LoudestAudio, OnlyTheLoudestNOfALargeGroupAreForwardedAndAHandOverMovesTheAudio) {
  AudioRoom r(2);
  for (std::uint32_t who : {1u, 2u, 3u, 4u}) {
    r.publish(who);
    r.seq[who] = static_cast<std::uint16_t>(1000 * who);
  }
  r.heard_in(50, {1, 2});  // a second for the detector to rank them
  EXPECT_EQ(r.heard_in(50, {1, 2}), (std::set<std::uint32_t>{1, 2}));
  EXPECT_GT(r.router.stats().audio_paused, 0u);
  // 1 falls silent and 3 starts: within a second 3 is heard instead of 1.
  r.heard_in(50, {2, 3});
  EXPECT_EQ(r.heard_in(50, {2, 3}), (std::set<std::uint32_t>{2, 3}));
  // 1 talks again (and 3 stops): 1's stream, paused meanwhile, resumes without a gap in its
  // numbers over the whole call — the subscriber sees a pause, as after DTX, not loss.
  r.heard_in(50, {1, 2});
  EXPECT_TRUE(r.heard_in(25, {1, 2}).contains(1));
  const auto& ones = r.ever[1];
  ASSERT_GT(ones.size(), 100u);
  for (std::size_t i = 1; i < ones.size(); ++i)
    ASSERT_EQ(ones[i], static_cast<std::uint16_t>(ones[i - 1] + 1)) << i;
  EXPECT_LT(ones.size(), 275u);  // and it was paused for a while
}

TEST(LoudestAudio, ASmallGroupAndOtherGroupsForwardEveryone) {
  AudioRoom r(2);
  r.publish(1);
  r.publish(2);
  r.publish(3, /*group=*/8);  // another room: not counted in group 7
  for (std::uint32_t who : {1u, 2u, 3u}) r.seq[who] = 0;
  r.heard_in(50, {1});
  EXPECT_EQ(r.heard_in(50, {1}), (std::set<std::uint32_t>{1, 2, 3}));  // silent 2 too: ≤ N
  EXPECT_EQ(r.router.stats().audio_paused, 0u);
}

TEST(LoudestAudio, OffByDefault) {
  AudioRoom r(0);
  for (std::uint32_t who : {1u, 2u, 3u, 4u}) {
    r.publish(who);
    r.seq[who] = 0;
  }
  r.heard_in(50, {1});
  EXPECT_EQ(r.heard_in(50, {1}), (std::set<std::uint32_t>{1, 2, 3, 4}));
  EXPECT_EQ(r.router.speakers(7), nullptr);
}

}  // namespace
}  // namespace peerkit::sfu
