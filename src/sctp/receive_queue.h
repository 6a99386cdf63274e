// The receiving half of an association (RFC 9260 §6.2, RFC 8260 §2.1, RFC 3758 §3.6): which
// TSNs have arrived (cumulative ack, gap blocks, duplicates), reassembly of fragments, and
// delivery in stream order (ordered) or as soon as whole (unordered). Bounded: the advertised
// window is what is left of max_buffer, chunks beyond it or too far ahead are dropped (the peer
// retransmits them), and only streams in use have state (65 535 streams cost nothing).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <span>
#include <unordered_map>
#include <vector>

#include "sctp/packet.h"

namespace peerkit::sctp {

struct ReceivedMessage {
  std::uint16_t stream = 0;
  std::uint32_t ppid = 0;
  bool unordered = false;
  std::vector<std::byte> payload;
};

class ReceiveQueue {
 public:
  static constexpr std::size_t kAssemblyReserve = 64 * 1024;  // see add_in_order
  ReceiveQueue(std::uint32_t peer_initial_tsn, std::size_t max_buffer);

  enum class Result { kNew, kDuplicate, kDropped };
  Result add(const DataChunk& d);
  // RFC 3758 §3.6 / RFC 8260 §2.3: skip what the sender abandoned.
  void forward(const ForwardTsnChunk& f);
  // RFC 6525 §5.2.2: the peer restarts numbering on these streams (empty: all). Valid once
  // every TSN up to last_tsn has arrived; returns false while some are missing.
  bool reset_streams(std::uint32_t last_tsn, std::span<const std::uint16_t> streams);

  std::uint32_t cumulative_tsn() const { return static_cast<std::uint32_t>(cum_); }
  // Up to `max` gap blocks, offsets from the cumulative TSN (RFC 9260 §3.3.4).
  std::size_t gap_blocks(std::span<GapBlock> out) const;
  bool has_gaps() const { return !above_.empty(); }
  std::uint32_t a_rwnd() const;
  std::uint16_t take_duplicates();

  bool has_message() const { return !delivered_.empty(); }
  ReceivedMessage pop_message();
  std::size_t buffered_bytes() const { return buffered_; }

 private:
  struct Fragment {
    std::uint16_t stream;
    std::uint16_t ssn;
    std::uint32_t mid;
    std::uint32_t fsn;
    std::uint32_t ppid;
    std::uint8_t flags;
    std::vector<std::byte> payload;
    std::uint32_t fsn_count = 1;  // I-DATA: fragments merged into this one (fsn .. fsn+count-1)
  };
  // The message being assembled from fragments arriving in order, the common case: appended to
  // one buffer, no per-fragment storage. Spilled into the fragment maps when order breaks.
  struct Assembly {
    bool active = false;
    std::uint16_t stream = 0;
    bool unordered = false;
    std::uint16_t ssn = 0;
    std::uint32_t mid = 0;
    std::uint32_t next_fsn = 0;
    std::uint64_t last_tsn = 0;
    std::uint32_t ppid = 0;
    std::vector<std::byte> payload;
  };
  struct StreamKey {
    std::uint16_t stream;
    bool unordered;
    bool operator==(const StreamKey&) const = default;
  };
  struct StreamKeyHash {
    std::size_t operator()(const StreamKey& k) const { return k.stream * 2u + k.unordered; }
  };
  struct OrderedStream {
    std::uint32_t next = 0;                      // SSN (DATA) or MID (I-DATA) due next
    std::map<std::uint32_t, ReceivedMessage> ready;  // whole, waiting for earlier ones
  };

  std::uint64_t unwrap(std::uint32_t tsn) const;
  void advance_cumulative();
  bool add_in_order(const DataChunk& d, std::uint64_t tsn);
  void spill_assembly();
  void assemble_data(std::uint64_t tsn);
  void assemble_idata(const StreamKey& key, std::uint32_t mid);
  void complete(ReceivedMessage m, std::uint32_t order);
  void deliver_ready(std::uint16_t stream);
  std::uint32_t order_key(std::uint16_t ssn_or_mid_low, std::uint32_t mid) const;

  std::size_t max_buffer_;
  std::size_t buffered_ = 0;
  std::uint64_t cum_;             // unwrapped cumulative TSN
  std::set<std::uint64_t> above_;  // received TSNs past cum_
  std::uint16_t duplicates_ = 0;
  bool idata_seen_ = false;
  std::map<std::uint64_t, Fragment> data_fragments_;  // DATA: by TSN
  // I-DATA: by stream, unordered flag and MID, then FSN.
  std::map<std::tuple<std::uint16_t, bool, std::uint32_t>, std::map<std::uint32_t, Fragment>>
      idata_fragments_;
  std::unordered_map<std::uint16_t, OrderedStream> ordered_;
  std::deque<ReceivedMessage> delivered_;
  Assembly assembly_;
};

}  // namespace peerkit::sctp
