#include "sctp/receive_queue.h"

#include <tuple>

#include "sctp/tsn.h"

namespace peerkit::sctp {
namespace {

// How far past the cumulative TSN a chunk may be and still be kept: 16 bits, the reach of a gap
// block offset (RFC 9260 §3.3.4).
constexpr std::uint64_t kMaxAhead = 65535;

}  // namespace

ReceiveQueue::ReceiveQueue(std::uint32_t peer_initial_tsn, std::size_t max_buffer)
    : max_buffer_(max_buffer), cum_(std::uint64_t{1} << 32 | (peer_initial_tsn - 1)) {}

std::uint64_t ReceiveQueue::unwrap(std::uint32_t tsn) const {
  const auto delta = static_cast<std::int32_t>(tsn - static_cast<std::uint32_t>(cum_));
  return cum_ + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
}

std::uint32_t ReceiveQueue::order_key(std::uint16_t ssn, std::uint32_t mid) const {
  return idata_seen_ ? mid : ssn;
}

ReceiveQueue::Result ReceiveQueue::add(const DataChunk& d) {
  const std::uint64_t tsn = unwrap(d.tsn);
  if (tsn <= cum_ || above_.count(tsn)) {
    if (duplicates_ < 0xffff) ++duplicates_;
    return Result::kDuplicate;
  }
  if (tsn > cum_ + kMaxAhead) return Result::kDropped;
  // The next TSN is always taken (it may complete what fills the buffer); anything else only
  // within the window we advertised.
  const bool next = tsn == cum_ + 1;
  if (buffered_ + d.payload.size() > (next ? 2 * max_buffer_ : max_buffer_)) return Result::kDropped;

  if (next) {
    ++cum_;
    advance_cumulative();
  } else {
    above_.insert(tsn);
  }
  if (d.idata) idata_seen_ = true;
  buffered_ += d.payload.size();
  if (d.beginning() && d.end()) {
    complete(ReceivedMessage{d.stream, d.ppid, d.unordered(),
                             std::vector<std::byte>(d.payload.begin(), d.payload.end())},
             order_key(d.ssn, d.mid));
    return Result::kNew;
  }
  if (add_in_order(d, tsn)) return Result::kNew;
  spill_assembly();
  Fragment f{d.stream, d.ssn, d.mid, d.fsn, d.ppid, d.flags,
             std::vector<std::byte>(d.payload.begin(), d.payload.end())};
  if (d.idata) {
    const auto key = std::make_tuple(d.stream, d.unordered(), d.mid);
    idata_fragments_[key].emplace(d.fsn, std::move(f));
    assemble_idata(StreamKey{d.stream, d.unordered()}, d.mid);
  } else {
    data_fragments_.emplace(tsn, std::move(f));
    assemble_data(tsn);
  }
  return Result::kNew;
}

bool ReceiveQueue::add_in_order(const DataChunk& d, std::uint64_t tsn) {
  // Only while nothing is out of order: the chunk was the next TSN (cum_ is now tsn).
  if (tsn != cum_ || !above_.empty() || !data_fragments_.empty()) return false;
  if (d.idata && !idata_fragments_.empty()) return false;
  Assembly& a = assembly_;
  if (d.beginning()) {
    if (a.active) return false;
    a.active = true;
    a.stream = d.stream;
    a.unordered = d.unordered();
    a.ssn = d.ssn;
    a.mid = d.mid;
    a.next_fsn = 1;
    a.ppid = d.ppid;
    // A fragmented message is at least two chunks and often 64 KiB (what browsers send): room
    // for that up front spares the vector's doubling copies (six for 64 KiB in 1 200-byte
    // packets). Bounded by the receive window, as the fragments are.
    a.payload.reserve(std::max<std::size_t>(kAssemblyReserve, d.payload.size()));
    a.payload.assign(d.payload.begin(), d.payload.end());
    a.last_tsn = tsn;
    return true;
  }
  const bool continues = a.active && a.stream == d.stream && a.unordered == d.unordered() &&
                         a.last_tsn + 1 == tsn &&
                         (d.idata ? (a.mid == d.mid && a.next_fsn == d.fsn) : a.ssn == d.ssn);
  if (!continues) return false;
  a.payload.insert(a.payload.end(), d.payload.begin(), d.payload.end());
  a.last_tsn = tsn;
  ++a.next_fsn;
  if (d.end()) {
    a.active = false;
    complete(ReceivedMessage{a.stream, a.ppid, a.unordered, std::move(a.payload)},
             order_key(a.ssn, a.mid));
    a.payload = {};
  }
  return true;
}

void ReceiveQueue::spill_assembly() {
  Assembly& a = assembly_;
  if (!a.active) return;
  a.active = false;
  // One fragment standing for everything received so far: keyed by its last TSN (DATA) so
  // the TSN walk in assemble_data meets it where the next fragment expects it, or as FSN 0
  // spanning next_fsn fragments (I-DATA).
  Fragment f{a.stream, a.ssn, a.mid, 0, a.ppid,
             static_cast<std::uint8_t>(kFlagBeginning | (a.unordered ? kFlagUnordered : 0)),
             std::move(a.payload), a.next_fsn};
  a.payload = {};
  if (idata_seen_) {
    idata_fragments_[std::make_tuple(a.stream, a.unordered, a.mid)].emplace(0, std::move(f));
  } else {
    data_fragments_.emplace(a.last_tsn, std::move(f));
  }
}

void ReceiveQueue::advance_cumulative() {
  while (!above_.empty() && *above_.begin() == cum_ + 1) {
    above_.erase(above_.begin());
    ++cum_;
  }
}

void ReceiveQueue::assemble_data(std::uint64_t tsn) {
  auto it = data_fragments_.find(tsn);
  const Fragment& f = it->second;
  const bool unordered = f.flags & kFlagUnordered;
  auto same_message = [&](const Fragment& g) {
    return g.stream == f.stream && ((g.flags & kFlagUnordered) != 0) == unordered &&
           (unordered || g.ssn == f.ssn);
  };
  // RFC 9260 §6.9: a message's fragments have consecutive TSNs, B on the first, E on the last.
  auto first = it;
  while (!(first->second.flags & kFlagBeginning)) {
    if (first == data_fragments_.begin()) return;
    auto prev = std::prev(first);
    if (prev->first + 1 != first->first || !same_message(prev->second)) return;
    first = prev;
  }
  auto last = it;
  while (!(last->second.flags & kFlagEnd)) {
    auto following = std::next(last);
    if (following == data_fragments_.end() || following->first != last->first + 1 ||
        !same_message(following->second))
      return;
    last = following;
  }
  ReceivedMessage m{f.stream, first->second.ppid, unordered, {}};
  const std::uint16_t ssn = f.ssn;
  for (auto p = first;; ++p) {
    m.payload.insert(m.payload.end(), p->second.payload.begin(), p->second.payload.end());
    if (p == last) break;
  }
  data_fragments_.erase(first, std::next(last));
  complete(std::move(m), ssn);
}

void ReceiveQueue::assemble_idata(const StreamKey& key, std::uint32_t mid) {
  const auto map_key = std::make_tuple(key.stream, key.unordered, mid);
  auto it = idata_fragments_.find(map_key);
  auto& frags = it->second;
  // RFC 8260 §2.1: FSN 0 is the first fragment (B), consecutive up to the one with E.
  if (frags.begin()->first != 0 || !(frags.begin()->second.flags & kFlagBeginning)) return;
  std::uint32_t expect = 0;
  bool whole = false;
  for (const auto& [fsn, g] : frags) {
    if (fsn != expect) return;
    expect += g.fsn_count;
    if (g.flags & kFlagEnd) {
      whole = true;
      break;
    }
  }
  if (!whole) return;
  ReceivedMessage m{key.stream, frags.begin()->second.ppid, key.unordered, {}};
  for (const auto& [fsn, g] : frags) m.payload.insert(m.payload.end(), g.payload.begin(), g.payload.end());
  idata_fragments_.erase(it);
  complete(std::move(m), mid);
}

void ReceiveQueue::complete(ReceivedMessage m, std::uint32_t order) {
  if (m.unordered) {
    delivered_.push_back(std::move(m));
    return;
  }
  const std::uint16_t stream = m.stream;
  auto& s = ordered_[stream];
  if (order == s.next) {
    delivered_.push_back(std::move(m));
    s.next = idata_seen_ ? s.next + 1 : static_cast<std::uint16_t>(s.next + 1);
    deliver_ready(stream);
    return;
  }
  const bool ahead = idata_seen_ ? tsn_before(s.next, order)
                                 : ssn_before(static_cast<std::uint16_t>(s.next),
                                              static_cast<std::uint16_t>(order));
  if (ahead) {
    s.ready.emplace(order, std::move(m));
  } else {
    buffered_ -= std::min(buffered_, m.payload.size());  // an old message: already skipped
  }
}

void ReceiveQueue::deliver_ready(std::uint16_t stream) {
  auto& s = ordered_[stream];
  for (auto it = s.ready.find(s.next); it != s.ready.end(); it = s.ready.find(s.next)) {
    delivered_.push_back(std::move(it->second));
    s.ready.erase(it);
    s.next = idata_seen_ ? s.next + 1 : static_cast<std::uint16_t>(s.next + 1);
  }
}

void ReceiveQueue::forward(const ForwardTsnChunk& f) {
  const std::uint64_t target = unwrap(f.new_cumulative_tsn);
  spill_assembly();  // a partly received message may be one the sender abandoned
  if (target > cum_) {
    cum_ = target;
    while (!above_.empty() && *above_.begin() <= cum_) above_.erase(above_.begin());
    advance_cumulative();
    // DATA fragments at or below the new point belong to abandoned messages, except a run that
    // reaches the point without its last fragment: a sender abandons a message whole, so that
    // one goes on above the point and is reliable (its first fragments were acked in gap blocks).
    std::uint64_t keep_from = cum_ + 1;
    for (auto at = data_fragments_.find(cum_);
         at != data_fragments_.end() && !(at->second.flags & kFlagEnd);) {
      keep_from = at->first;
      if (at->second.flags & kFlagBeginning || at == data_fragments_.begin()) break;
      const auto prev = std::prev(at);
      if (prev->first + 1 != at->first || prev->second.stream != at->second.stream) break;
      at = prev;
    }
    for (auto it = data_fragments_.begin(); it != data_fragments_.end() && it->first < keep_from;) {
      buffered_ -= std::min(buffered_, it->second.payload.size());
      it = data_fragments_.erase(it);
    }
  }
  for (std::size_t i = 0; i < f.entry_count(); ++i) {
    const auto e = f.entry(i);
    if (f.idata) {
      for (auto it = idata_fragments_.begin(); it != idata_fragments_.end();) {
        const auto& [stream, unordered, mid] = it->first;
        if (stream == e.stream && unordered == e.unordered && tsn_before_or_equal(mid, e.ssn_or_mid)) {
          for (const auto& [fsn, g] : it->second) buffered_ -= std::min(buffered_, g.payload.size());
          it = idata_fragments_.erase(it);
        } else {
          ++it;
        }
      }
    }
    if (e.unordered) continue;
    auto& s = ordered_[e.stream];
    const bool skip = f.idata ? tsn_before_or_equal(s.next, e.ssn_or_mid)
                              : !ssn_before(static_cast<std::uint16_t>(e.ssn_or_mid),
                                            static_cast<std::uint16_t>(s.next));
    if (skip) {
      // Messages the sender gave up on will never come: drop waiting ones up to this number.
      for (auto it = s.ready.begin(); it != s.ready.end();) {
        const bool old = f.idata ? tsn_before_or_equal(it->first, e.ssn_or_mid)
                                 : !ssn_before(static_cast<std::uint16_t>(e.ssn_or_mid),
                                               static_cast<std::uint16_t>(it->first));
        if (old) {
          buffered_ -= std::min(buffered_, it->second.payload.size());
          it = s.ready.erase(it);
        } else {
          ++it;
        }
      }
      s.next = f.idata ? e.ssn_or_mid + 1 : static_cast<std::uint16_t>(e.ssn_or_mid + 1);
    }
    deliver_ready(e.stream);
  }
}

bool ReceiveQueue::reset_streams(std::uint32_t last_tsn, std::span<const std::uint16_t> streams) {
  if (unwrap(last_tsn) > cum_) return false;
  if (streams.empty()) {
    ordered_.clear();
  } else {
    for (const auto s : streams) ordered_.erase(s);
  }
  return true;
}

std::size_t ReceiveQueue::gap_blocks(std::span<GapBlock> out) const {
  std::size_t n = 0;
  auto it = above_.begin();
  while (it != above_.end() && n < out.size()) {
    const std::uint64_t start = *it;
    std::uint64_t end = start;
    for (++it; it != above_.end() && *it == end + 1; ++it) end = *it;
    if (end - cum_ > 0xffff) break;
    out[n++] = GapBlock{static_cast<std::uint16_t>(start - cum_), static_cast<std::uint16_t>(end - cum_)};
  }
  return n;
}

std::uint32_t ReceiveQueue::a_rwnd() const {
  return buffered_ >= max_buffer_ ? 0 : static_cast<std::uint32_t>(max_buffer_ - buffered_);
}

std::uint16_t ReceiveQueue::take_duplicates() {
  const auto d = duplicates_;
  duplicates_ = 0;
  return d;
}

ReceivedMessage ReceiveQueue::pop_message() {
  ReceivedMessage m = std::move(delivered_.front());
  delivered_.pop_front();
  buffered_ -= std::min(buffered_, m.payload.size());
  return m;
}

}  // namespace peerkit::sctp
