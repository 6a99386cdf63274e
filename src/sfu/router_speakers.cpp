// Router: who speaks in each group (room), from the RFC 6464 audio levels publishers' packets
// carry, and loudest-N audio forwarding (Config::loudest_audio): in a large room only the N
// loudest microphones reach subscribers. A paused audio stream resumes without a gap in its
// sequence numbers and with its timestamps moved on by the pause (sfu/outbound_stream.h), as
// after Opus DTX. A talker outside the set is heard once it is in it: a bin (100 ms) or two
// of its first words are not forwarded.
#include <algorithm>
#include <set>

#include "rtp/extension_values.h"
#include "sfu/router.h"
#include "sfu/router_internal.h"

namespace peerkit::sfu {

void Router::on_audio(Timestamp now, const Track& t, const rtp::PacketView& v) {
  if (config_.loudest_audio == 0) return;  // nothing acts on speakers yet otherwise
  auto id = t.params.extensions.id_of(rtp::ExtensionKind::kAudioLevel);
  if (!id) return;
  auto data = v.extensions.find(static_cast<std::uint8_t>(*id));
  if (!data) return;
  auto level = rtp::parse_audio_level(*data);
  if (!level) return;
  auto it = speakers_.find(t.params.group);
  if (it == speakers_.end())
    it = speakers_
             .emplace(t.params.group,
                      SpeakerDetector({.loudest = std::max<std::size_t>(config_.loudest_audio, 1)}))
             .first;
  it->second.on_audio_level(t.params.publisher, *level, now);
}

void Router::update_speakers(Timestamp now) {
  for (auto& [group, detector] : speakers_) {
    if (detector.next_timeout() > now) continue;
    detector.handle_timeout(now);
    bool loudest_changed = false;
    while (auto e = detector.poll_event())
      loudest_changed |= e->kind == SpeakerDetector::Event::Kind::kLoudest;
    if (loudest_changed && config_.loudest_audio > 0) apply_loudest(group);
  }
}

std::size_t Router::audio_publishers(std::uint32_t group) const {
  std::set<ParticipantId> publishers;
  for (const auto& [id, other] : tracks_)
    if (other->params.codec == Codec::kOpus && other->params.group == group)
      publishers.insert(other->params.publisher);
  return publishers.size();
}

bool Router::audio_forwarded(const Track& t, std::optional<std::size_t> publishers) const {
  if (config_.loudest_audio == 0) return true;
  if (publishers.value_or(audio_publishers(t.params.group)) <= config_.loudest_audio) return true;
  auto it = speakers_.find(t.params.group);
  if (it == speakers_.end()) return true;  // no levels yet: nobody to prefer
  const auto& loudest = it->second.loudest();
  return std::find(loudest.begin(), loudest.end(), t.params.publisher) != loudest.end();
}

// The group's audio publishers are counted once, not once per track.
void Router::apply_loudest(std::uint32_t group) {
  const std::size_t publishers = audio_publishers(group);
  for (auto& [id, t] : tracks_) {
    if (t->params.codec != Codec::kOpus || t->params.group != group) continue;
    const bool on = audio_forwarded(*t, publishers);
    for (SubscriptionId sid : t->subscriptions) {
      Subscription& s = *subscriptions_.at(sid);
      const std::optional<int> want = on ? std::optional<int>(0) : std::nullopt;
      if (s.stream.target_layer() == want) continue;
      s.stream.set_target_layer(want);
      if (!on) ++stats_.audio_paused;
    }
  }
}

const SpeakerDetector* Router::speakers(std::uint32_t group) const {
  auto it = speakers_.find(group);
  return it == speakers_.end() ? nullptr : &it->second;
}

}  // namespace peerkit::sfu
