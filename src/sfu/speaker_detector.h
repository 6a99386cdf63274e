// Who is speaking in a room (issue 11): the dominant speaker (for the app's highlight and
// speaker view) and the loudest N (audio forwarding to large rooms), from the audio level each
// publisher's packets carry (RFC 6464: −dBov 0–127 and the encoder's voice-activity flag), with
// no decoding.
//
// Time is cut into 100 ms bins; a bin of a participant is *active* when a packet in it was at
// least kSpeechDbov loud and flagged as voice (a sender that never sets the flag is judged by
// level alone). Scores per participant: short = active share of the last 500 ms, medium = of
// the last 2 s. The dominant speaker changes (evaluated at each bin boundary) when
//   - the current one has been silent for 500 ms and another is talking now (short ≥ 0.6), or
//   - another has clearly talked more over the last 2 s (medium above the current's + 0.15) and
//     is talking now;
// so a cough or a "yes" over a speaker does not steal the highlight, while a hand-over is seen
// within about half a second. Nobody talking keeps the last speaker. The loudest N are ranked
// by short score (then loudness); a member keeps its place while it talks at all, and is
// replaced only by someone talking clearly more (short + 0.4).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "common/time.h"
#include "rtp/extension_values.h"
#include "sfu/ids.h"

namespace peerkit::sfu {

class SpeakerDetector {
 public:
  struct Config {
    std::size_t loudest = 3;
    std::size_t max_participants = 1000;  // more are ignored until one is removed
  };
  static constexpr Duration kBin = Duration::millis(100);
  static constexpr std::size_t kShortBins = 5, kMediumBins = 20;
  static constexpr std::uint8_t kSpeechDbov = 50;  // −50 dBov or louder may be speech
  static constexpr double kTalking = 0.6, kMediumMargin = 0.15, kLoudestMargin = 0.4;

  struct Event {
    enum class Kind { kDominant, kLoudest } kind;
    std::optional<ParticipantId> dominant;  // kDominant
    std::vector<ParticipantId> loudest;     // kLoudest, loudest first
  };

  explicit SpeakerDetector(Config config) : config_(config) {}

  void on_audio_level(ParticipantId p, rtp::AudioLevel level, Timestamp now);
  void remove(ParticipantId p);
  // Evaluates every bin completed by `now`.
  void handle_timeout(Timestamp now);
  Timestamp next_timeout() const;
  std::optional<Event> poll_event();

  std::optional<ParticipantId> dominant() const { return dominant_; }
  const std::vector<ParticipantId>& loudest() const { return loudest_; }
  // 0–1, as last evaluated (for metrics and tests).
  double short_score(ParticipantId p) const;
  double medium_score(ParticipantId p) const;

 private:
  struct Bin {
    std::int64_t index = -1;
    bool active = false;
    std::uint8_t loudest_level = 127;
  };
  struct Speaker {
    std::array<Bin, kMediumBins> bins{};
    bool sends_voice_flag = false;
    double short_score = 0, medium_score = 0, loudness = 0;
  };
  static std::int64_t bin_of(Timestamp t) { return t.us() / kBin.us(); }
  void score(Speaker& s, std::int64_t last_complete) const;
  void evaluate(std::int64_t last_complete);
  void choose_dominant();
  void choose_loudest();

  Config config_;
  std::map<ParticipantId, Speaker> speakers_;
  std::optional<std::int64_t> evaluated_;  // the last bin evaluated
  std::optional<ParticipantId> dominant_;
  std::vector<ParticipantId> loudest_;
  std::deque<Event> events_;
};

}  // namespace peerkit::sfu
