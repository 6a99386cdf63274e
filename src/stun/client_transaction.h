// STUN client transactions, RFC 8489 §6.2: retransmission with exponential back-off over
// unreliable transports (RTO, Rc, Rm), a single send with timeout Ti over reliable ones.
// Sans-IO: the owner feeds time and responses in and pulls out what to send and when to wake.
// Reused by the TURN client and the ICE agent for every request they make.
#pragma once

#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/time.h"
#include "stun/message.h"

namespace peerkit::stun {

struct TransactionConfig {
  Duration initial_rto = Duration::millis(500);          // §6.2.1 RECOMMENDED 500 ms
  int max_transmissions = 7;                             // Rc
  int final_wait_multiplier = 16;                        // Rm
  Duration reliable_timeout = Duration::millis(39'500);  // Ti, §6.2.2
};

class ClientTransaction {
 public:
  enum class State { kWaiting, kSucceeded, kFailed, kTimedOut };

  ClientTransaction(Timestamp now, ByteSpan request, bool reliable, TransactionConfig config = {});

  const TransactionId& id() const { return id_; }
  State state() const { return state_; }
  bool done() const { return state_ != State::kWaiting; }
  int transmissions() const { return transmissions_; }

  // The request bytes when they are due to be (re)sent, else nothing. The first transmission is
  // due as soon as the transaction exists; call again after each handle_timeout.
  std::optional<ByteSpan> poll_transmit();
  Timestamp next_timeout() const { return done() ? Timestamp::never() : deadline_; }
  void handle_timeout(Timestamp now);
  // Returns true if the response belongs to this transaction (and completes it).
  bool handle_response(Timestamp now, const MessageView& response);
  // Round-trip time of the first transmission, when the response matched an unretransmitted
  // request (Karn's rule: RTT samples from retransmitted requests are ambiguous).
  std::optional<Duration> rtt() const { return rtt_; }

 private:
  std::vector<std::byte> request_;
  TransactionId id_;
  TransactionConfig config_;
  bool reliable_;
  State state_ = State::kWaiting;
  int transmissions_ = 0;
  bool send_pending_ = true;
  Duration rto_;
  Timestamp started_;
  Timestamp deadline_;
  std::optional<Duration> rtt_;
};

}  // namespace peerkit::stun
