#include "sfu/packet_history.h"

#include <algorithm>

namespace peerkit::sfu {

PacketHistory::PacketHistory(const Config& config) : config_(config) {
  config_.max_packets = std::max<std::size_t>(1, config_.max_packets);
  slots_.resize(std::min(config_.max_packets, kInitialSlots));
}

// Half as many slots again (at most max_packets): a ring within 1.5× of what the rate needs,
// every held entry moved to its place in the new one.
// Entries outside [oldest_, newest_] (stale ones the ring skipped) are let go; those inside span
// fewer numbers than the old ring, so no two meet in the (larger) new one.
void PacketHistory::grow() {
  std::vector<Entry> bigger(std::min(config_.max_packets, slots_.size() + slots_.size() / 2));
  size_ = 0;
  for (auto& e : slots_)
    if (e.packet && e.sequence >= oldest_ && e.sequence <= newest_) {
      bigger[static_cast<std::size_t>(e.sequence) % bigger.size()] = std::move(e);
      ++size_;
    }
  slots_ = std::move(bigger);
}

void PacketHistory::store(Timestamp now, IngressRef packet, const EgressFields& fields) {
  expire(now);
  const std::int64_t seq = unwrapper_.unwrap(fields.sequence);
  // The ring grows while it would overwrite a packet still young enough to be asked for: the
  // slots follow the stream's rate over max_age, up to max_packets.
  while (slots_.size() < config_.max_packets) {
    const Entry& e = slot(seq);
    if (!e.packet || e.sequence >= seq || now - e.sent_at > config_.max_age) break;
    grow();
  }
  if (newest_ >= 0 && seq <= newest_ - static_cast<std::int64_t>(slots_.size()))
    return;  // older than the whole ring: it could only overwrite a newer packet
  Entry& e = slot(seq);
  if (!e.packet) ++size_;
  e = Entry{std::move(packet), fields, seq, now, std::nullopt};
  if (newest_ < 0) oldest_ = seq;
  newest_ = std::max(newest_, seq);
  oldest_ = std::max(oldest_, newest_ - static_cast<std::int64_t>(slots_.size()) + 1);
  oldest_ = std::min(oldest_, seq);
}

void PacketHistory::expire(Timestamp now) {
  if (newest_ < 0) return;
  // The ring holds at most slots_.size() consecutive numbers; walk the oldest ones out.
  oldest_ = std::max(oldest_, newest_ - static_cast<std::int64_t>(slots_.size()) + 1);
  while (oldest_ <= newest_) {
    Entry& e = slot(oldest_);
    if (e.packet && e.sequence == oldest_ && now - e.sent_at <= config_.max_age) break;
    if (e.packet && e.sequence <= oldest_) {  // expired, or a stale one the ring skipped
      e.packet.reset();
      --size_;
    }
    ++oldest_;
  }
}

Expected<const PacketHistory::Entry*, PacketHistory::Miss> PacketHistory::take_for_resend(
    Timestamp now, std::uint16_t sequence, Duration rtt) {
  if (newest_ < 0) return Unexpected(Miss::kUnknown);
  const std::int64_t seq = unwrapper_.peek(sequence);
  Entry& e = slot(seq);
  if (!e.packet || e.sequence != seq) return Unexpected(Miss::kUnknown);
  if (now - e.sent_at > config_.max_age) return Unexpected(Miss::kExpired);
  const Duration interval = std::max(rtt, config_.min_resend_interval);
  if (e.resent_at && now - *e.resent_at < interval) return Unexpected(Miss::kRateLimited);
  e.resent_at = now;
  return &e;
}

}  // namespace peerkit::sfu
