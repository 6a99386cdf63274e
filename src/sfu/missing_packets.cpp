#include "sfu/missing_packets.h"

#include <algorithm>

namespace peerkit::sfu {

void MissingPackets::on_packet(std::uint16_t sequence, Timestamp now) {
  const std::int64_t seq = unwrapper_.unwrap(sequence);
  if (!newest_) {
    newest_ = seq;
    return;
  }
  if (seq <= *newest_) {  // late: it closes its own gap, if it opened one
    if (missing_.erase(seq) > 0) ++stats_.recovered;
    return;
  }
  const std::int64_t gap = seq - *newest_ - 1;
  newest_ = seq;
  if (gap == 0) return;
  if (gap > config_.max_gap) {  // a restart, not loss: what was missing before is moot too
    missing_.clear();
    return;
  }
  // Only the newest max_missing can be kept: skip straight to them.
  const std::int64_t first = seq - std::min<std::int64_t>(gap, static_cast<std::int64_t>(config_.max_missing));
  for (std::int64_t s = first; s < seq; ++s) missing_.emplace(s, Entry{now, Timestamp(), 0});
  stats_.detected += static_cast<std::uint64_t>(gap);
  forget_oldest_beyond_cap();
}

bool MissingPackets::repaired(std::uint16_t sequence) {
  if (!newest_) return false;
  const std::int64_t seq = unwrapper_.peek(sequence);
  if (missing_.erase(seq) == 0) return false;
  ++stats_.recovered;
  return true;
}

Timestamp MissingPackets::due_at(const Entry& e, Duration rtt) const {
  if (e.tries == 0) return e.detected + config_.reorder_wait;
  return e.last_asked + std::max(config_.retry, rtt);
}

std::vector<std::uint16_t> MissingPackets::due(Timestamp now, Duration rtt) {
  std::vector<std::uint16_t> out;
  for (auto it = missing_.begin(); it != missing_.end();) {
    Entry& e = it->second;
    const bool expired = now - e.detected >= config_.max_age;
    if (expired || (e.tries >= config_.max_tries && due_at(e, rtt) <= now)) {
      ++stats_.given_up;  // the last try had its RTT to be answered
      it = missing_.erase(it);
      continue;
    }
    if (e.tries < config_.max_tries && due_at(e, rtt) <= now) {
      ++e.tries;
      e.last_asked = now;
      out.push_back(static_cast<std::uint16_t>(it->first));
    }
    ++it;
  }
  return out;
}

Timestamp MissingPackets::next_timeout(Duration rtt) const {
  Timestamp next = Timestamp::never();
  for (const auto& [seq, e] : missing_) {
    next = std::min(next, due_at(e, rtt));
    next = std::min(next, e.detected + config_.max_age);
  }
  return next;
}

void MissingPackets::forget_oldest_beyond_cap() {
  while (missing_.size() > config_.max_missing) {
    missing_.erase(missing_.begin());
    ++stats_.given_up;
  }
}

}  // namespace peerkit::sfu
