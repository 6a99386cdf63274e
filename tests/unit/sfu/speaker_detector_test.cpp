// Dominant speaker and loudest-N from RFC 6464 audio levels (sfu/speaker_detector.h), on a
// virtual clock with synthetic 20 ms Opus packets.
#include "sfu/speaker_detector.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

namespace peerkit::sfu {
namespace {

const ParticipantId kA{1}, kB{2}, kC{3}, kD{4}, kNoise{9};

// What each participant sends at time t (ms since the start): a level, or nothing (DTX/muted).
using Script = std::function<std::optional<rtp::AudioLevel>(ParticipantId, int ms)>;

rtp::AudioLevel speech(std::uint8_t dbov = 30) { return {true, dbov}; }
rtp::AudioLevel quiet() { return {false, 110}; }

struct Room {
  explicit Room(std::vector<ParticipantId> who, SpeakerDetector::Config c = {}) : d(c), people(who) {}
  // Runs from `from` to `to` ms: a packet from everyone every 20 ms, timers as the driver would.
  void run(int from, int to, const Script& script) {
    for (int ms = from; ms < to; ms += 20) {
      const Timestamp now = t0 + Duration::millis(ms);
      for (ParticipantId p : people)
        if (auto level = script(p, ms)) d.on_audio_level(p, *level, now);
      if (d.next_timeout() <= now) d.handle_timeout(now);
      while (auto e = d.poll_event())
        if (e->kind == SpeakerDetector::Event::Kind::kDominant)
          changes.emplace_back(ms, e->dominant);
    }
  }
  // When (ms) the dominant speaker became `p`, if it did.
  std::optional<int> became(ParticipantId p) const {
    for (const auto& [ms, who] : changes)
      if (who == p) return ms;
    return std::nullopt;
  }

  SpeakerDetector d;
  std::vector<ParticipantId> people;
  Timestamp t0 = Timestamp::from_micros(10'000'000);
  std::vector<std::pair<int, std::optional<ParticipantId>>> changes;
};

TEST(SpeakerDetector, AHandOverIsSeenWithinHalfASecondOrSo) {
  Room room({kA, kB, kC});
  room.run(0, 6000, [](ParticipantId p, int ms) -> std::optional<rtp::AudioLevel> {
    if (p == kA) return ms < 3000 ? speech() : quiet();
    if (p == kB) return ms >= 3000 ? speech(35) : quiet();
    return quiet();
  });
  ASSERT_TRUE(room.became(kA));
  EXPECT_LT(*room.became(kA), 700);
  ASSERT_TRUE(room.became(kB));
  EXPECT_GE(*room.became(kB), 3000);
  EXPECT_LT(*room.became(kB), 3700);
  EXPECT_EQ(room.d.dominant(), kB);
  EXPECT_EQ(room.changes.size(), 2u);  // A, then B: no flapping
}

TEST(SpeakerDetector, ACoughOrAShortYesOverTheSpeakerDoesNotStealIt) {
  Room room({kA, kB});
  room.run(0, 8000, [](ParticipantId p, int ms) -> std::optional<rtp::AudioLevel> {
    if (p == kA) return speech();
    // B: a 200 ms cough at 2 s (louder than A), a 700 ms "yes, exactly" at 5 s.
    const bool b_talks = (ms >= 2000 && ms < 2200) || (ms >= 5000 && ms < 5700);
    return b_talks ? speech(10) : quiet();
  });
  EXPECT_EQ(room.d.dominant(), kA);
  EXPECT_EQ(room.changes.size(), 1u);
  EXPECT_FALSE(room.became(kB));
}

TEST(SpeakerDetector, SomeoneWhoTalksClearlyMoreTakesOverEvenIfTheOtherKeepsInterjecting) {
  Room room({kA, kB});
  room.run(0, 10000, [](ParticipantId p, int ms) -> std::optional<rtp::AudioLevel> {
    if (p == kA) return ms < 3000 || (ms / 100) % 10 == 0 ? speech() : quiet();  // then 10 %
    return ms >= 3000 ? speech() : quiet();
  });
  ASSERT_TRUE(room.became(kB));
  EXPECT_LT(*room.became(kB), 5000);
  EXPECT_EQ(room.d.dominant(), kB);
}

TEST(SpeakerDetector, SilenceKeepsTheLastSpeakerAndUnvoicedNoiseIsNotSpeech) {
  Room room({kA, kB});
  room.run(0, 6000, [](ParticipantId p, int ms) -> std::optional<rtp::AudioLevel> {
    if (p == kB) return quiet();
    if (ms < 1000) return speech();
    return std::nullopt;  // A goes silent (DTX: no packets at all)
  });
  EXPECT_EQ(room.d.dominant(), kA);
  EXPECT_EQ(room.changes.size(), 1u);
  // Loud noise from a sender whose encoder flags voice (it did once): the flag is honoured, so
  // the noise is not speech. (A sender that never sets V is judged by level alone.)
  Room flagged({kA, kNoise});
  flagged.run(0, 4000, [](ParticipantId p, int ms) -> std::optional<rtp::AudioLevel> {
    if (p == kNoise) return rtp::AudioLevel{ms == 0, 20};  // flagged once: V is honoured
    return ms < 1000 ? speech() : quiet();
  });
  EXPECT_EQ(flagged.d.dominant(), kA);
  EXPECT_FALSE(flagged.became(kNoise));
}

TEST(SpeakerDetector, LoudestNKeepsItsMembersWhileTheyTalkAndAdmitsClearlyLouderOnes) {
  Room room({kA, kB, kC, kD}, {.loudest = 2});
  // A and B talk throughout; C murmurs now and then (20 %); D starts talking fully at 3 s, B
  // stops at 5 s.
  room.run(0, 8000, [](ParticipantId p, int ms) -> std::optional<rtp::AudioLevel> {
    if (p == kA) return speech();
    if (p == kB) return ms < 5000 ? speech() : quiet();
    if (p == kC) return (ms / 100) % 5 == 0 ? speech(45) : quiet();
    return ms >= 3000 ? speech() : quiet();
  });
  const auto& l = room.d.loudest();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_NE(std::find(l.begin(), l.end(), kA), l.end());
  EXPECT_NE(std::find(l.begin(), l.end(), kD), l.end());
  // Before B stopped, D (talking as much as A and B) could not push a talking member out.
  Room mid({kA, kB, kC, kD}, {.loudest = 2});
  mid.run(0, 4900, [](ParticipantId p, int ms) -> std::optional<rtp::AudioLevel> {
    if (p == kA || p == kB) return speech();
    return p == kD && ms >= 3000 ? speech() : quiet();
  });
  const auto& m = mid.d.loudest();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(std::find(m.begin(), m.end(), kD), m.end());
}

TEST(SpeakerDetector, ARemovedParticipantIsForgottenAndAnnounced) {
  Room room({kA, kB});
  room.run(0, 2000, [](ParticipantId p, int) -> std::optional<rtp::AudioLevel> {
    return p == kA ? speech() : quiet();
  });
  ASSERT_EQ(room.d.dominant(), kA);
  room.d.remove(kA);
  EXPECT_FALSE(room.d.dominant());
  auto e = room.d.poll_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, SpeakerDetector::Event::Kind::kDominant);
  EXPECT_FALSE(e->dominant);
  EXPECT_EQ(room.d.short_score(kA), 0);
}

TEST(SpeakerDetector, ParticipantsBeyondTheCapAreIgnored) {
  SpeakerDetector d({.loudest = 3, .max_participants = 2});
  const Timestamp t = Timestamp::from_micros(1'000'000);
  for (std::uint32_t i = 1; i <= 5; ++i)
    for (int ms = 0; ms < 1000; ms += 20) d.on_audio_level({i}, speech(), t + Duration::millis(ms));
  d.handle_timeout(t + Duration::millis(1100));
  EXPECT_GT(d.short_score({1}), 0);
  EXPECT_GT(d.short_score({2}), 0);
  EXPECT_EQ(d.short_score({3}), 0);
}

}  // namespace
}  // namespace peerkit::sfu
