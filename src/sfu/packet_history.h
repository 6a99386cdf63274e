// What one subscriber's stream sent, kept for retransmission (RFC 4585 §6.2.1 NACK, answered
// with RFC 4588 RTX by sfu/nack_responder.h). An entry is not a copy of the egress packet: it
// holds a reference to the shared ingress packet and the egress fields computed for it, so a
// retransmission is re-written on demand and a subscribed track costs 64 bytes per entry
// (≤ 64 KiB at the video cap) instead of a 1 200-byte copy.
//
// Bounded twice: by age (1 s audio, 2 s video — older packets are useless to a jitter buffer and
// pin ingress buffers) and by count (a ring indexed by egress sequence number). The ring starts
// at kInitialSlots and grows by half only when it would overwrite a packet younger than max_age, so it
// costs what the stream's rate needs (T12: a 150-packet/s camera layer holds 300 entries over 2 s),
// not max_packets up front. Repeats of the
// same sequence number are rate-limited to one per max(RTT, 10 ms): a receiver re-NACKs a packet
// until it arrives, and answering every NACK would multiply the load on a congested link.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/time.h"
#include "rtp/sequence.h"
#include "sfu/egress_writer.h"
#include "sfu/ingress_packet.h"

namespace peerkit::sfu {

class PacketHistory {
 public:
  struct Config {
    Duration max_age = Duration::seconds(2);
    std::size_t max_packets = 1024;
    Duration min_resend_interval = Duration::millis(10);
  };
  static Config audio() { return {Duration::seconds(1), 128, Duration::millis(10)}; }
  static Config video() { return {Duration::seconds(2), 1024, Duration::millis(10)}; }

  static constexpr std::size_t kInitialSlots = 64;

  explicit PacketHistory(const Config& config);

  // Records a packet as sent at `now` with the fields it was written with.
  void store(Timestamp now, IngressRef packet, const EgressFields& fields);

  struct Entry {
    IngressRef packet;
    EgressFields fields;
    std::int64_t sequence = 0;  // unwrapped egress sequence
    Timestamp sent_at;
    std::optional<Timestamp> resent_at;
  };

  enum class Miss : std::uint8_t { kUnknown, kExpired, kRateLimited };
  // The entry for a NACKed egress sequence number if it may be resent now (and marks it resent).
  // kUnknown: never stored or overwritten by a newer packet; kExpired: older than max_age;
  // kRateLimited: resent less than max(rtt, min_resend_interval) ago.
  Expected<const Entry*, Miss> take_for_resend(Timestamp now, std::uint16_t sequence, Duration rtt);

  // Drops entries older than max_age, releasing their ingress packets. store() calls it too.
  void expire(Timestamp now);

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  const Config& config() const { return config_; }

 private:
  Entry& slot(std::int64_t seq) { return slots_[static_cast<std::size_t>(seq) % slots_.size()]; }
  void grow();

  Config config_;
  std::vector<Entry> slots_;
  rtp::SeqUnwrapper unwrapper_;
  std::int64_t oldest_ = 0;  // lowest unwrapped sequence that may still be held
  std::int64_t newest_ = -1;
  std::size_t size_ = 0;
};

}  // namespace peerkit::sfu
