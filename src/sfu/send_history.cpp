#include "sfu/send_history.h"

namespace peerkit::sfu {

void SendHistory::on_sent(std::uint16_t transport_seq, std::size_t size, Timestamp now) {
  const std::int64_t seq = unwrap_.unwrap(transport_seq);
  while (ring_.size() < kCapacity) {
    const Entry& old = slot(seq);
    if (old.seq < 0 || old.seq >= seq || old.reported != Entry::Reported::kNo || now - old.send_time > kKeep) break;
    grow();
  }
  slot(seq) = Entry{seq, now, static_cast<std::uint32_t>(size), Entry::Reported::kNo};
}

// Twice the slots: each entry goes to its place in the bigger ring. No two meet there — they
// held different slots of the old ring, so their numbers differ mod N, hence mod 2N (the sizes
// are 256 · 2^k up to kCapacity).
void SendHistory::grow() {
  static_assert((kCapacity & (kCapacity - 1)) == 0 && (kInitialCapacity & (kInitialCapacity - 1)) == 0);
  std::vector<Entry> bigger(ring_.size() * 2);
  for (const auto& e : ring_)
    if (e.seq >= 0) bigger[static_cast<std::size_t>(e.seq) % bigger.size()] = e;
  ring_ = std::move(bigger);
}

SendHistory::Entry* SendHistory::find(std::int64_t seq) {
  if (seq < 0) return nullptr;
  Entry& e = slot(seq);
  return e.seq == seq ? &e : nullptr;
}

std::vector<PacketResult> SendHistory::on_feedback(const rtp::TransportFeedback& feedback) {
  std::vector<PacketResult> out;
  if (!unwrap_.newest()) return out;  // nothing sent yet: nothing to match
  out.reserve(feedback.packets.size());
  const std::int64_t base = unwrap_.peek(feedback.base_sequence);
  // §3.1: the reference time is in 64 ms units, each receive delta relative to the previous
  // received packet (the first to the reference time), in 250 µs units.
  std::int64_t arrival_us = std::int64_t{feedback.reference_time} * rtp::kTwccReferenceUs;
  for (std::size_t i = 0; i < feedback.packets.size(); ++i) {
    const auto& p = feedback.packets[i];
    const bool received = p.status != rtp::TwccStatus::kNotReceived;
    if (received) arrival_us += std::int64_t{p.delta} * rtp::kTwccDeltaUs;
    Entry* e = find(base + static_cast<std::int64_t>(i));
    if (e == nullptr) {
      ++unknown_reports_;
      continue;
    }
    using R = Entry::Reported;
    if (e->reported == R::kReceived || (e->reported == R::kLost && !received)) continue;
    e->reported = received ? R::kReceived : R::kLost;
    out.push_back(PacketResult{e->send_time, e->size, received,
                               received ? Timestamp::from_micros(arrival_us) : Timestamp{}});
  }
  return out;
}

}  // namespace peerkit::sfu
