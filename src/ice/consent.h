// Consent freshness (RFC 7675) on the path in use: a Binding request every interval ±20 %
// (§5.1), consent refreshed by every authenticated success answer, `stale` (the agent shows
// disconnected) after disconnected_timeout without one, `expired` (failed: stop sending,
// §5.1's 30 s) after failed_timeout.
//
// A handler with its own state behind a narrow Context (dcSCTP's HeartbeatHandler pattern):
// the agent says which path and credentials are in use, sends the bytes, and maps the states
// onto its connection state. Time comes in with every call; no clock is read.
#pragma once

#include <optional>

#include "common/bytes.h"
#include "common/random.h"
#include "common/time.h"
#include "ice/stun_check.h"
#include "stun/client_transaction.h"
#include "stun/message.h"

namespace peerkit::ice {

class ConsentFreshness {
 public:
  enum class State : std::uint8_t {
    kIdle,     // no path selected yet (or closed)
    kFresh,    // an answer within disconnected_timeout
    kStale,    // none for disconnected_timeout: the path may be gone (RFC 7675 §5.1 note)
    kExpired,  // none for failed_timeout: consent lost, nothing more is sent (§5.1)
  };

  struct Config {
    Duration interval = Duration::seconds(2);
    Duration disconnected_timeout = Duration::seconds(5);
    Duration failed_timeout = Duration::seconds(30);
    stun::TransactionConfig transaction;  // of the connectivity checks; shortened here
  };

  // What the handler needs from the agent. Called only from inside the handler's methods.
  class Context {
   public:
    virtual ~Context() = default;
    // The request to send on the path in use (its credentials, role and PRIORITY), or nullopt
    // when there is no path. Its remote_pwd also authenticates the answers.
    virtual std::optional<CheckRequest> consent_request() const = 0;
    // Sends a request on the path in use; `first` is false for a retransmission.
    virtual void send_consent(Timestamp now, ByteSpan request, bool first) = 0;
    // A success answer and its round-trip time (for getStats).
    virtual void on_consent_rtt(Duration rtt) = 0;
    // kFresh (after kStale), kStale or kExpired.
    virtual void on_consent_state(State state) = 0;
  };

  ConsentFreshness(Config config, Context& context, RandomSource& random)
      : config_(config), context_(context), random_(random) {}

  State state() const { return state_; }
  // A new path was selected: consent starts fresh from `now`.
  void start(Timestamp now);
  void stop();

  void handle_timeout(Timestamp now);
  Timestamp next_timeout() const;
  // Whether a response with this transaction id answers the request in flight.
  bool expects(const stun::TransactionId& id) const;
  void on_response(Timestamp now, const stun::MessageView& response);

 private:
  void send_request(Timestamp now);
  Timestamp next_check_time(Timestamp now);

  Config config_;
  Context& context_;
  RandomSource& random_;
  State state_ = State::kIdle;
  std::optional<stun::ClientTransaction> transaction_;  // the one request in flight
  Timestamp next_check_ = Timestamp::never();
  Timestamp last_answer_ = Timestamp::never();
};

}  // namespace peerkit::ice
