#include "sctp/send_buffer.h"

#include <algorithm>
#include <map>

namespace peerkit::sctp {

namespace {
constexpr std::size_t kMaxGapBlocksRead = 256;
}  // namespace

SendBuffer::SendBuffer(std::uint32_t initial_tsn, std::size_t max_bytes)
    : max_bytes_(max_bytes),
      cum_ack_(std::uint64_t{1} << 32 | (initial_tsn - 1)),
      next_tsn_(cum_ack_ + 1) {}

std::uint64_t SendBuffer::unwrap(std::uint32_t tsn) const {
  const auto delta = static_cast<std::int32_t>(tsn - static_cast<std::uint32_t>(cum_ack_));
  return cum_ack_ + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
}

bool SendBuffer::enqueue(Timestamp now, std::uint16_t stream, std::uint32_t ppid,
                         ByteSpan payload, const SendOptions& options) {
  if (payload.empty() || total_bytes_ + payload.size() > max_bytes_) return false;
  Message m;
  m.data = std::make_shared<const std::vector<std::byte>>(payload.begin(), payload.end());
  m.stream = stream;
  m.ppid = ppid;
  m.options = options;
  if (options.lifetime) m.expires = now + *options.lifetime;
  pending_.push_back(std::move(m));
  unsent_by_stream_[stream] += payload.size();
  total_bytes_ += payload.size();
  return true;
}

bool SendBuffer::has_unsent_on(std::uint16_t stream) const {
  return unsent_by_stream_.count(stream) != 0;
}

std::size_t SendBuffer::buffered_amount(std::uint16_t stream) const {
  const auto it = unsent_by_stream_.find(stream);
  return it == unsent_by_stream_.end() ? 0 : it->second;
}

DataChunk SendBuffer::view(std::uint64_t tsn, const Chunk& c) const {
  DataChunk d;
  d.idata = idata_;
  d.flags = c.flags;
  d.tsn = static_cast<std::uint32_t>(tsn);
  d.stream = c.stream;
  d.ssn = c.ssn;
  d.mid = c.mid;
  d.fsn = c.fsn;
  d.ppid = c.ppid;
  d.payload = ByteSpan(c.data->data() + c.offset, c.length);
  return d;
}

std::optional<DataChunk> SendBuffer::next_new(Timestamp now, std::size_t max_payload) {
  while (!pending_.empty()) {
    Message& m = pending_.front();
    const std::size_t left = m.data->size() - m.offset;
    if (!m.started && m.expires && now >= *m.expires) {
      // Never sent, so never numbered: dropping it leaves no hole for the peer to skip.
      total_bytes_ -= left;
      if ((unsent_by_stream_[m.stream] -= left) == 0) unsent_by_stream_.erase(m.stream);
      ++abandoned_messages_;
      pending_.pop_front();
      continue;
    }
    if (max_payload == 0) return std::nullopt;
    if (!m.started) {
      auto& n = numbers_[m.stream];
      if (m.options.unordered) {
        m.mid = n.mid_unordered++;
      } else {
        m.ssn = n.ssn++;
        m.mid = n.mid_ordered++;
      }
      m.serial = next_serial_++;
      m.started = true;
    }
    const std::size_t len = std::min(max_payload, left);
    Chunk c;
    c.data = m.data;
    c.offset = static_cast<std::uint32_t>(m.offset);
    c.length = static_cast<std::uint32_t>(len);
    c.stream = m.stream;
    c.ssn = m.ssn;
    c.mid = m.mid;
    c.fsn = m.fsn++;
    c.ppid = m.ppid;
    c.flags = static_cast<std::uint8_t>((m.offset == 0 ? kFlagBeginning : 0) |
                                        (len == left ? kFlagEnd : 0) |
                                        (m.options.unordered ? kFlagUnordered : 0));
    c.message = m.serial;
    c.max_retransmits = m.options.max_retransmits;
    c.expires = m.expires;
    c.sent = now;
    c.transmissions = 1;
    const std::uint64_t tsn = next_tsn_++;
    outstanding_.push_back(std::move(c));
    ++outstanding_count_;
    flight_bytes_ += len;
    if ((unsent_by_stream_[m.stream] -= len) == 0) unsent_by_stream_.erase(m.stream);
    m.offset += len;
    const DataChunk out = view(tsn, outstanding_.back());
    if (m.offset == m.data->size()) pending_.pop_front();
    return out;
  }
  return std::nullopt;
}

std::optional<DataChunk> SendBuffer::next_retransmission(Timestamp now, std::size_t max_payload) {
  if (retransmit_count_ == 0) return std::nullopt;
  for (std::size_t i = 0; i < outstanding_.size(); ++i) {
    Chunk& c = outstanding_[i];
    if (!c.retransmit) continue;
    if ((c.max_retransmits && c.transmissions > *c.max_retransmits) ||
        (c.expires && now >= *c.expires)) {
      abandon_message(c.message);  // RFC 3758 §3.5 A1/A2: give up rather than resend
      continue;
    }
    if (c.length > max_payload) return std::nullopt;  // goes first in the next packet
    c.retransmit = false;
    --retransmit_count_;
    ++c.transmissions;
    c.misses = 0;
    c.sent = now;
    flight_bytes_ += c.length;
    ++retransmitted_;
    return view(cum_ack_ + 1 + i, c);
  }
  return std::nullopt;
}

void SendBuffer::settle(Chunk& c, bool abandoned) {
  if (c.acked || c.abandoned) return;
  if (c.retransmit) {
    c.retransmit = false;
    --retransmit_count_;
  } else {
    flight_bytes_ -= c.length;
  }
  (abandoned ? c.abandoned : c.acked) = true;
  total_bytes_ -= c.length;
  --outstanding_count_;
}

SendBuffer::SackOutcome SendBuffer::on_sack(Timestamp now, const SackChunk& sack) {
  SackOutcome out;
  const std::uint64_t cum = unwrap(sack.cumulative_tsn_ack);
  if (cum < cum_ack_ || cum >= next_tsn_) return out;  // stale, or acks what was never sent
  while (cum_ack_ < cum) {
    Chunk& c = outstanding_.front();
    if (!c.acked && !c.abandoned) {
      out.cumulative_bytes += c.length;
      if (c.transmissions == 1 && !c.retransmit) out.rtt = now - c.sent;
      settle(c, false);
    }
    outstanding_.pop_front();
    ++cum_ack_;
    out.cumulative_advanced = true;
  }
  std::optional<std::uint64_t> highest_new;
  // A peer could list 65 535 overlapping blocks over everything in flight; a few hundred
  // describe any real loss pattern, and the rest wait for the next SACK.
  const std::size_t blocks = std::min<std::size_t>(sack.gap_count, kMaxGapBlocksRead);
  for (std::size_t i = 0; i < blocks; ++i) {
    const GapBlock g = sack.gap_block(i);
    const std::uint64_t start = cum + g.start, end = cum + g.end;
    if (g.start == 0 || g.start > g.end || end >= next_tsn_) continue;
    for (std::uint64_t t = start; t <= end; ++t) {
      Chunk& c = outstanding_[t - cum_ack_ - 1];
      if (c.acked || c.abandoned) continue;
      out.gap_bytes += c.length;
      if (c.transmissions == 1 && !c.retransmit) out.rtt = now - c.sent;
      settle(c, false);
      highest_new = t;
    }
  }
  // RFC 9260 §7.2.4: a chunk below the highest newly acked TSN was missed once more; the
  // third miss retransmits it at once.
  if (highest_new) {
    for (std::uint64_t t = cum_ack_ + 1; t < *highest_new; ++t) {
      Chunk& c = outstanding_[t - cum_ack_ - 1];
      if (c.acked || c.abandoned || c.retransmit) continue;
      if (++c.misses >= 3) {
        c.retransmit = true;
        ++retransmit_count_;
        flight_bytes_ -= c.length;
        out.fast_retransmit = true;
      }
    }
  }
  return out;
}

void SendBuffer::on_timeout() {
  for (auto& c : outstanding_) {
    if (c.acked || c.abandoned || c.retransmit) continue;
    c.retransmit = true;
    ++retransmit_count_;
    flight_bytes_ -= c.length;
  }
}

void SendBuffer::abandon_message(std::uint64_t serial) {
  for (auto& c : outstanding_)
    if (c.message == serial) settle(c, true);
  if (!pending_.empty() && pending_.front().started && pending_.front().serial == serial) {
    Message& m = pending_.front();
    const std::size_t left = m.data->size() - m.offset;
    total_bytes_ -= left;
    if ((unsent_by_stream_[m.stream] -= left) == 0) unsent_by_stream_.erase(m.stream);
    pending_.pop_front();
  }
  ++abandoned_messages_;
}

bool SendBuffer::abandon_expired(Timestamp now) {
  bool any = false;
  for (auto& c : outstanding_) {
    if (c.acked || c.abandoned) continue;
    const bool too_old = c.expires && now >= *c.expires;
    const bool too_often = c.retransmit && c.max_retransmits && c.transmissions > *c.max_retransmits;
    if (too_old || too_often) {
      abandon_message(c.message);
      any = true;
    }
  }
  if (!pending_.empty() && pending_.front().started && pending_.front().expires &&
      now >= *pending_.front().expires) {
    abandon_message(pending_.front().serial);
    any = true;
  }
  return any;
}

std::optional<SendBuffer::Forward> SendBuffer::forward_tsn() const {
  std::uint64_t point = cum_ack_;
  bool any = false;
  for (const auto& c : outstanding_) {
    if (!c.acked && !c.abandoned) break;
    ++point;
    any = any || c.abandoned;
  }
  if (!any) return std::nullopt;
  Forward f{static_cast<std::uint32_t>(point), {}};
  // The highest abandoned message number per stream (and, for I-DATA, per ordering).
  std::map<std::pair<std::uint16_t, bool>, std::uint32_t> highest;
  for (std::uint64_t t = cum_ack_ + 1; t <= point; ++t) {
    const Chunk& c = outstanding_[t - cum_ack_ - 1];
    if (!c.abandoned) continue;
    const bool unordered = c.flags & kFlagUnordered;
    if (unordered && !idata_) continue;  // FORWARD TSN lists ordered streams only
    highest[{c.stream, unordered}] = idata_ ? c.mid : c.ssn;
  }
  for (const auto& [key, number] : highest) f.entries.push_back({key.first, key.second, number});
  return f;
}

void SendBuffer::reset_stream_numbers(std::span<const std::uint16_t> streams) {
  if (streams.empty()) {
    numbers_.clear();
    return;
  }
  for (const auto s : streams) numbers_.erase(s);
}

}  // namespace peerkit::sctp
