#include "sfu/speaker_detector.h"

#include <algorithm>

namespace peerkit::sfu {

void SpeakerDetector::on_audio_level(ParticipantId p, rtp::AudioLevel level, Timestamp now) {
  auto it = speakers_.find(p);
  if (it == speakers_.end()) {
    if (speakers_.size() >= config_.max_participants) return;
    it = speakers_.emplace(p, Speaker{}).first;
  }
  Speaker& s = it->second;
  if (level.voice) s.sends_voice_flag = true;
  const std::int64_t index = bin_of(now);
  if (evaluated_ && index <= *evaluated_) return;  // late for a bin already judged
  Bin& b = s.bins[static_cast<std::size_t>(index) % kMediumBins];
  if (b.index != index) b = Bin{index, false, 127};
  b.loudest_level = std::min(b.loudest_level, level.level);
  // A sender that never flags voice is judged by level alone (RFC 6464 §3: V is optional).
  const bool voiced = level.voice || !s.sends_voice_flag;
  if (voiced && level.level <= kSpeechDbov) b.active = true;
}

void SpeakerDetector::remove(ParticipantId p) {
  if (speakers_.erase(p) == 0) return;
  if (dominant_ == p) {
    dominant_.reset();
    events_.push_back({Event::Kind::kDominant, std::nullopt, {}});
  }
  if (auto it = std::find(loudest_.begin(), loudest_.end(), p); it != loudest_.end()) {
    loudest_.erase(it);
    events_.push_back({Event::Kind::kLoudest, std::nullopt, loudest_});
  }
}

Timestamp SpeakerDetector::next_timeout() const {
  if (speakers_.empty()) return Timestamp::never();
  const std::int64_t next = evaluated_ ? *evaluated_ + 2 : 0;  // the end of the bin after it
  return Timestamp::from_micros(next * kBin.us());
}

void SpeakerDetector::handle_timeout(Timestamp now) {
  const std::int64_t last_complete = bin_of(now) - 1;
  if (evaluated_ && last_complete <= *evaluated_) return;
  evaluate(last_complete);
  evaluated_ = last_complete;
}

void SpeakerDetector::score(Speaker& s, std::int64_t last) const {
  std::size_t short_active = 0, medium_active = 0;
  int loudest = 127;
  for (const Bin& b : s.bins) {
    if (b.index < 0 || b.index > last || last - b.index >= static_cast<std::int64_t>(kMediumBins))
      continue;
    if (!b.active) continue;
    ++medium_active;
    if (last - b.index < static_cast<std::int64_t>(kShortBins)) {
      ++short_active;
      loudest = std::min<int>(loudest, b.loudest_level);
    }
  }
  s.short_score = static_cast<double>(short_active) / kShortBins;
  s.medium_score = static_cast<double>(medium_active) / kMediumBins;
  s.loudness = 127 - loudest;
}

void SpeakerDetector::evaluate(std::int64_t last_complete) {
  for (auto& [p, s] : speakers_) score(s, last_complete);
  choose_dominant();
  choose_loudest();
}

void SpeakerDetector::choose_dominant() {
  // The one talking most over the medium window, among those talking now.
  const Speaker* best = nullptr;
  ParticipantId best_id;
  for (const auto& [p, s] : speakers_) {
    if (s.short_score < kTalking) continue;
    if (!best || s.medium_score > best->medium_score ||
        (s.medium_score == best->medium_score && s.loudness > best->loudness)) {
      best = &s;
      best_id = p;
    }
  }
  if (!best || best_id == dominant_) return;
  bool take = !dominant_;
  if (dominant_) {
    const Speaker& current = speakers_.at(*dominant_);
    const bool current_silent = current.short_score == 0;
    take = current_silent || best->medium_score > current.medium_score + kMediumMargin;
  }
  if (!take) return;
  dominant_ = best_id;
  events_.push_back({Event::Kind::kDominant, dominant_, {}});
}

void SpeakerDetector::choose_loudest() {
  auto rank = [&](ParticipantId a, ParticipantId b) {
    const Speaker &x = speakers_.at(a), &y = speakers_.at(b);
    if (x.short_score != y.short_score) return x.short_score > y.short_score;
    if (x.loudness != y.loudness) return x.loudness > y.loudness;
    return a < b;
  };
  // Members who still talk at all keep their place.
  std::vector<ParticipantId> next;
  for (ParticipantId p : loudest_)
    if (speakers_.at(p).short_score > 0) next.push_back(p);
  std::vector<ParticipantId> others;
  for (const auto& [p, s] : speakers_)
    if (s.short_score > 0 && std::find(next.begin(), next.end(), p) == next.end())
      others.push_back(p);
  std::sort(others.begin(), others.end(), rank);
  std::size_t o = 0;
  while (next.size() < config_.loudest && o < others.size()) next.push_back(others[o++]);
  // A full set admits a newcomer only for someone clearly quieter.
  for (; o < others.size() && !next.empty(); ++o) {
    auto weakest = std::min_element(next.begin(), next.end(), [&](ParticipantId a, ParticipantId b) {
      return rank(b, a);
    });
    if (speakers_.at(others[o]).short_score < speakers_.at(*weakest).short_score + kLoudestMargin)
      break;  // `others` is sorted: no later one does better
    *weakest = others[o];
  }
  std::sort(next.begin(), next.end(), rank);
  // The order moves with every bin; only a change of who is in the set is news.
  auto a = next, b = loudest_;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const bool changed = a != b;
  loudest_ = std::move(next);
  if (changed) events_.push_back({Event::Kind::kLoudest, std::nullopt, loudest_});
}

std::optional<SpeakerDetector::Event> SpeakerDetector::poll_event() {
  if (events_.empty()) return std::nullopt;
  Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

double SpeakerDetector::short_score(ParticipantId p) const {
  auto it = speakers_.find(p);
  return it == speakers_.end() ? 0 : it->second.short_score;
}
double SpeakerDetector::medium_score(ParticipantId p) const {
  auto it = speakers_.find(p);
  return it == speakers_.end() ? 0 : it->second.medium_score;
}

}  // namespace peerkit::sfu
