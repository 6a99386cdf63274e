#include "rtp/missing_packets.h"

#include <algorithm>

namespace peerkit::rtp {

bool MissingPackets::on_packet(std::uint16_t sequence, Timestamp now) {
  const std::int64_t seq = unwrapper_.unwrap(sequence);
  if (!newest_) {
    newest_ = seq;
    return true;
  }
  if (seq <= *newest_) {  // late: it closes its own gap, if it opened one
    if (missing_.erase(seq) > 0) {
      ++stats_.recovered;
      recompute_next_due();
      return true;
    }
    return std::find(repaired_.begin(), repaired_.end(), seq) == repaired_.end();
  }
  const std::int64_t gap = seq - *newest_ - 1;
  newest_ = seq;
  if (gap == 0) return true;
  if (gap > config_.max_gap) return true;  // an outage or a restart: not asked about
  for (std::int64_t s = seq - gap; s < seq; ++s) missing_.emplace(s, Entry{now, Timestamp(), 0});
  stats_.detected += static_cast<std::uint64_t>(gap);
  forget_oldest_beyond_cap();
  next_due_ = std::min(next_due_, now + config_.reorder_wait);
  return true;
}

bool MissingPackets::is_missing(std::uint16_t sequence) const {
  return newest_ && missing_.contains(unwrapper_.peek(sequence));
}

void MissingPackets::repaired(std::uint16_t sequence) {
  if (!newest_) return;
  const std::int64_t seq = unwrapper_.peek(sequence);
  if (missing_.erase(seq) == 0) return;
  ++stats_.recovered;
  repaired_[repaired_next_] = seq;
  repaired_next_ = (repaired_next_ + 1) % repaired_.size();
  recompute_next_due();
}

Timestamp MissingPackets::due_at(const Entry& e) const {
  if (e.tries == 0) return e.detected + config_.reorder_wait;
  return e.last_asked + config_.retry;
}

std::vector<std::uint16_t> MissingPackets::due(Timestamp now) {
  std::vector<std::uint16_t> out;
  if (now < next_due_) return out;
  for (auto it = missing_.begin(); it != missing_.end();) {
    Entry& e = it->second;
    const bool expired = now - e.detected >= config_.max_age;
    if (expired || (e.tries >= config_.max_tries && due_at(e) <= now)) {
      ++stats_.given_up;  // the last try had its RTT to be answered
      it = missing_.erase(it);
      continue;
    }
    if (due_at(e) <= now) {
      ++e.tries;
      e.last_asked = now;
      out.push_back(static_cast<std::uint16_t>(it->first));
    }
    ++it;
  }
  recompute_next_due();
  return out;
}

void MissingPackets::recompute_next_due() {
  next_due_ = Timestamp::never();
  for (const auto& [seq, e] : missing_)
    next_due_ = std::min({next_due_, due_at(e), e.detected + config_.max_age});
}

void MissingPackets::forget_oldest_beyond_cap() {
  while (missing_.size() > config_.max_missing) {
    missing_.erase(missing_.begin());
    ++stats_.given_up;
  }
}

}  // namespace peerkit::rtp
