// The sending half of an association: messages waiting to be sent, the chunks in flight by
// TSN, and what a SACK does to them (RFC 9260 §6.1-§6.2.1, §7.2.4 fast retransmit, RFC 3758
// partial reliability). Congestion control lives in the association; this class answers
// "which bytes next" and "what did that SACK ack". Bounded: enqueue() refuses past max_bytes
// (queued plus unacknowledged), which is what bufferedAmount back-pressure rests on.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/bytes.h"
#include "common/time.h"
#include "sctp/packet.h"

namespace peerkit::sctp {

struct SendOptions {
  bool unordered = false;
  std::optional<std::uint16_t> max_retransmits;  // RTCDataChannel maxRetransmits
  std::optional<Duration> lifetime;              // RTCDataChannel maxPacketLifeTime
};

class SendBuffer {
 public:
  SendBuffer(std::uint32_t initial_tsn, std::size_t max_bytes);

  void set_idata(bool on) { idata_ = on; }
  bool enqueue(Timestamp now, std::uint16_t stream, std::uint32_t ppid, ByteSpan payload,
               const SendOptions& options);

  // Takes the next fragment of new data (at most max_payload bytes), assigning its TSN; the
  // chunk is then in flight. Messages past their lifetime are dropped first (never sent).
  std::optional<DataChunk> next_new(Timestamp now, std::size_t max_payload);
  bool has_unsent() const { return !pending_.empty(); }
  bool has_unsent_on(std::uint16_t stream) const;

  // Retransmissions wanted (fast retransmit or T3), lowest TSN first; the chunk is marked sent.
  std::optional<DataChunk> next_retransmission(Timestamp now, std::size_t max_payload);
  bool has_retransmissions() const { return retransmit_count_ > 0; }

  struct SackOutcome {
    std::size_t cumulative_bytes = 0;  // newly acked through the cumulative TSN
    std::size_t gap_bytes = 0;         // newly acked by gap blocks
    bool cumulative_advanced = false;
    bool fast_retransmit = false;      // some chunk reached three miss indications
    std::optional<Duration> rtt;       // from a chunk sent once (Karn's rule)
  };
  SackOutcome on_sack(Timestamp now, const SackChunk& sack);
  // T3-rtx expired (RFC 9260 §6.3.3): every unacked chunk is to be sent again.
  void on_timeout();
  // RFC 3758 §3.5: abandon what is past its limits; true when the peer must be told (a
  // FORWARD TSN is due).
  bool abandon_expired(Timestamp now);

  // The FORWARD TSN (or I-FORWARD-TSN) that moves the peer past abandoned chunks.
  struct Forward {
    std::uint32_t new_cumulative_tsn;
    std::vector<ForwardTsnChunk::Entry> entries;
  };
  std::optional<Forward> forward_tsn() const;

  std::uint32_t next_tsn() const { return static_cast<std::uint32_t>(next_tsn_); }
  std::uint32_t last_assigned_tsn() const { return static_cast<std::uint32_t>(next_tsn_ - 1); }
  std::uint32_t cumulative_ack() const { return static_cast<std::uint32_t>(cum_ack_); }
  std::size_t flight_bytes() const { return flight_bytes_; }
  bool all_acked() const { return outstanding_.empty(); }
  bool has_outstanding() const { return outstanding_count_ > 0; }
  std::size_t buffered_amount(std::uint16_t stream) const;  // unsent bytes of the stream
  std::size_t total_bytes() const { return total_bytes_; }
  std::uint64_t retransmitted_chunks() const { return retransmitted_; }
  std::uint64_t abandoned_messages() const { return abandoned_messages_; }
  // Restarts numbering on streams after a reset (RFC 6525 §5.1.2 step 4).
  void reset_stream_numbers(std::span<const std::uint16_t> streams);

 private:
  using Payload = std::shared_ptr<const std::vector<std::byte>>;
  struct Message {
    Payload data;
    std::uint16_t stream;
    std::uint32_t ppid;
    SendOptions options;
    std::optional<Timestamp> expires;
    std::size_t offset = 0;
    std::uint16_t ssn = 0;
    std::uint32_t mid = 0;
    std::uint32_t fsn = 0;
    std::uint64_t serial = 0;
    bool started = false;
  };
  struct Chunk {
    Payload data;
    std::uint32_t offset, length;
    std::uint16_t stream, ssn;
    std::uint32_t mid, fsn, ppid;
    std::uint8_t flags;
    std::uint64_t message;
    std::optional<std::uint16_t> max_retransmits;
    std::optional<Timestamp> expires;
    Timestamp sent;
    std::uint16_t transmissions = 0;
    std::uint8_t misses = 0;
    bool acked = false, retransmit = false, abandoned = false;
  };
  struct Numbers {
    std::uint16_t ssn = 0;
    std::uint32_t mid_ordered = 0, mid_unordered = 0;
  };

  std::uint64_t unwrap(std::uint32_t tsn) const;
  DataChunk view(std::uint64_t tsn, const Chunk& c) const;
  void abandon_message(std::uint64_t serial);
  void settle(Chunk& c, bool abandoned);  // acked or abandoned: out of flight and the buffer

  bool idata_ = false;
  std::size_t max_bytes_;
  std::size_t total_bytes_ = 0;  // queued + in flight, not yet acked or abandoned
  std::size_t flight_bytes_ = 0;
  std::size_t outstanding_count_ = 0;
  std::size_t retransmit_count_ = 0;
  std::uint64_t cum_ack_;   // unwrapped; outstanding_[0] is cum_ack_ + 1
  std::uint64_t next_tsn_;
  std::uint64_t next_serial_ = 1;
  std::uint64_t retransmitted_ = 0;
  std::uint64_t abandoned_messages_ = 0;
  std::deque<Chunk> outstanding_;
  std::deque<Message> pending_;
  std::unordered_map<std::uint16_t, Numbers> numbers_;
  std::unordered_map<std::uint16_t, std::size_t> unsent_by_stream_;
};

}  // namespace peerkit::sctp
