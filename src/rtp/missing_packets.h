// The receiving side of NACK on the publisher leg (RFC 4585 §6.2.1): which sequence numbers of
// one publisher layer are missing, and when to ask for them.
//
//   - A gap opens when a packet arrives ahead of the next expected number; every number in it
//     is missing. A packet that arrives late (reordered, or resent without RTX) closes its own.
//   - The first NACK waits `reorder_wait`, so ordinary reordering is not mistaken for loss;
//     each missing number is asked for at most `max_tries` times, `retry` apart (at least the
//     RTT: an answer cannot come sooner), and forgotten after `max_age` — by then a publisher's
//     history (Chrome keeps about a second) and the subscribers' jitter buffers have moved on.
//   - A jump larger than `max_gap` is not loss worth asking about but an outage or a restart of
//     the numbering (a publisher keeps about a second of history): nothing is asked.
//   - At most `max_missing` numbers are tracked; the oldest give way.
//
// is_missing() says whether a retransmission (an RTX packet's OSN) is one we are waiting for,
// so the router forwards only packets its subscribers have not had; repaired() records that it
// was forwarded, and a late original of it is then refused by on_packet() (it would reach the
// subscribers twice).
//
// next_timeout() is cached: the driver asks after every read, whoever sent it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/time.h"
#include "rtp/sequence.h"

namespace peerkit::rtp {

class MissingPackets {
 public:
  struct Config {
    Duration reorder_wait = Duration::millis(5);
    Duration retry = Duration::millis(50);  // between tries: at least the RTT
    int max_tries = 3;
    Duration max_age = Duration::seconds(1);
    std::int64_t max_gap = 100;
    std::size_t max_missing = 256;
  };

  MissingPackets() : MissingPackets(Config{}) {}
  explicit MissingPackets(const Config& config) : config_(config) {}

  // A media packet of the layer arrived (original or resent on the same SSRC). False for the
  // late original of a number already repaired: drop it.
  bool on_packet(std::uint16_t sequence, Timestamp now);
  // Whether a retransmission of `sequence` is wanted, and (once forwarded) that it came.
  bool is_missing(std::uint16_t sequence) const;
  void repaired(std::uint16_t sequence);

  // The numbers to ask for now, each counted as one try; expired ones are dropped.
  std::vector<std::uint16_t> due(Timestamp now);
  Timestamp next_timeout() const { return next_due_; }

  std::size_t missing() const { return missing_.size(); }
  struct Stats {
    std::uint64_t detected = 0;   // numbers that went missing
    std::uint64_t recovered = 0;  // of them, arrived later (late or resent)
    std::uint64_t given_up = 0;   // tries or age ran out
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    Timestamp detected;
    Timestamp last_asked;
    int tries = 0;
  };
  Timestamp due_at(const Entry& e) const;
  void forget_oldest_beyond_cap();
  void recompute_next_due();

  Config config_;
  SeqUnwrapper unwrapper_;
  std::optional<std::int64_t> newest_;
  std::map<std::int64_t, Entry> missing_;  // by unwrapped sequence number
  std::array<std::int64_t, 64> repaired_{};  // the last repaired numbers (a ring), 0 = none
  std::size_t repaired_next_ = 0;
  Timestamp next_due_ = Timestamp::never();
  Stats stats_;
};

}  // namespace peerkit::rtp
