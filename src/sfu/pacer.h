// The pacer of one subscriber connection (issue 11): media, retransmissions and probe padding
// leave at a pacing rate — kFactor × the connection's bandwidth estimate, libwebrtc's factor for
// video — instead of in the bursts they arrive in (a publisher's frame is a burst of packets).
// A bottleneck near the estimate then sees a queue that stays short, which the delay-based
// estimator reads as the path keeping up (draft-ietf-rmcat-gcc-02 §5.3 measures delay
// variation between packet groups; a frame-sized burst into a link at 90 % load saws the
// queue up every frame and reads as over-use).
//
// An interval budget: it fills at the pacing rate, up to kMaxBurst of it while idle (a lone
// packet, or the start of a frame, goes at once), and a packet may leave while the budget is
// above zero, taking it below by at most one packet. Packets that must wait keep their order.
// The transport-wide send time is the time a packet leaves (the caller records it on release),
// so the estimator never mistakes time in this queue for time in the network.
//
// Bounded: what waits drains within about kMaxQueueDelay — the pacer sends faster than the
// pacing rate when the queue holds more than that rate moves in that time (an estimate below
// what even the lowest layers send: media late rather than lost) — and beyond kMaxQueued
// packets a packet is dropped (the receiver NACKs it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "common/time.h"

namespace peerkit::sfu {

class Pacer {
 public:
  static constexpr double kFactor = 2.5;
  static constexpr Duration kMaxBurst = Duration::millis(5);
  static constexpr Duration kMaxQueueDelay = Duration::millis(300);  // drained within it
  static constexpr std::size_t kMaxQueued = 1024;

  struct Packet {
    std::vector<std::byte> bytes;
    std::optional<std::uint16_t> transport_sequence;
  };

  // Whether a packet of `size` bytes may leave now, at `rate_bps` (the pacing rate): nothing is
  // queued and the budget allows it; the budget is then taken.
  bool admit(std::size_t size, double rate_bps, Timestamp now);
  // Queues a packet admit() refused. False when the queue is full (it is dropped).
  bool enqueue(Packet p, double rate_bps, Timestamp now);
  // The next packet that may leave at `now` (call until nullopt).
  std::optional<Packet> release(double rate_bps, Timestamp now);
  // When the front packet may leave (never when nothing waits).
  Timestamp next_release(double rate_bps) const;

  bool empty() const { return queue_.empty(); }
  std::size_t queued() const { return queue_.size(); }
  std::uint64_t drops() const { return drops_; }

 private:
  void refill(double rate_bps, Timestamp now);
  double effective(double rate_bps, Timestamp now) const;
  double budget_ = 0;  // bytes
  std::optional<Timestamp> last_;
  std::deque<Packet> queue_;
  std::deque<Timestamp> queued_at_;  // each queued packet's arrival, for the drain rate
  std::size_t queued_bytes_ = 0;
  std::uint64_t drops_ = 0;
};

}  // namespace peerkit::sfu
