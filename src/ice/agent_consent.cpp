// Consent freshness (RFC 7675) on the path in use, and which path that is: the selected pair,
// or during an ICE restart (RFC 8445 §9) the old pair with the old credentials until a new
// pair is selected.
#include "ice/agent.h"
#include "ice/stun_check.h"

namespace peerkit::ice {

std::optional<Agent::Path> Agent::active_path() const {
  if (selected_) {
    const auto& p = pairs_[*selected_];
    return Path{&locals_[p.local], *remotes_[p.remote].address, local_ufrag_, remote_ufrag_,
                remote_pwd_};
  }
  if (previous_)
    return Path{&previous_->local, previous_->remote, previous_->local_ufrag,
                previous_->remote_ufrag, previous_->remote_pwd};
  return std::nullopt;
}

Timestamp Agent::next_consent_time(Timestamp now) {
  // RFC 7675 §5.1: randomized to 0.8–1.2 of the interval so that checks do not synchronise.
  const auto base = config_.consent_interval.us();
  const auto jitter = static_cast<std::int64_t>(random_.uniform(401)) - 200;  // ‰ of base
  return now + Duration::micros(base + base * jitter / 1000);
}

void Agent::send_consent(Timestamp now) {
  const auto path = active_path();
  if (!path) return;
  CheckRequest r;
  r.local_ufrag = path->local_ufrag;
  r.remote_ufrag = path->remote_ufrag;
  r.remote_pwd = path->remote_pwd;
  r.priority = prflx_priority(*path->local);
  r.controlling = role_ == Role::kControlling;
  r.tie_breaker = tie_breaker_;
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  std::array<std::byte, kMaxCheckMessage> buf;
  const auto bytes = build_check_request(buf, tid, r);
  // Consent is judged by time since the last answer, not by one transaction: retransmit
  // quickly and give up before the next check is due.
  stun::TransactionConfig tc = config_.check_transaction;
  tc.max_transmissions = 4;
  tc.final_wait_multiplier = 2;
  consent_.emplace(Consent{stun::ClientTransaction(now, bytes, false, tc), now});
  if (auto out = consent_->transaction.poll_transmit())
    send_from(now, *path->local, path->remote, *out);
  if (selected_) ++pairs_[*selected_].counters.consent_requests_sent;
}

void Agent::handle_consent(Timestamp now) {
  const auto path = active_path();
  if (!path || state_ == ConnectionState::kFailed) return;
  if (consent_) {
    consent_->transaction.handle_timeout(now);
    if (auto out = consent_->transaction.poll_transmit())
      send_from(now, *path->local, path->remote, *out);
    if (consent_->transaction.done()) consent_.reset();
  }
  if (now >= next_consent_ && !consent_) {
    send_consent(now);
    next_consent_ = next_consent_time(now);
  }
  const Duration silent = now - last_consent_;
  if (silent >= config_.failed_timeout) {
    // RFC 7675 §5.1: consent expired; stop sending on this path.
    set_state(ConnectionState::kFailed);
    consent_.reset();
  } else if (silent >= config_.disconnected_timeout && state_ == ConnectionState::kConnected) {
    set_state(ConnectionState::kDisconnected);
  }
}

void Agent::on_consent_response(Timestamp now, const stun::MessageView& m) {
  const auto path = active_path();
  if (!path) return;
  const auto response = verify_check_response(m, path->remote_pwd);
  if (!response) return;
  consent_->transaction.handle_response(now, m);
  const auto rtt = consent_->transaction.rtt();
  consent_.reset();
  if (!response->success) {
    // A 487 here would be a role change after selection; anything else means no consent.
    return;
  }
  last_consent_ = now;
  if (selected_ && rtt) {
    auto& c = pairs_[*selected_].counters;
    c.current_rtt = *rtt;
    c.total_rtt = c.total_rtt + *rtt;
    ++c.rtt_samples;
    ++c.responses_received;
  }
  if (state_ == ConnectionState::kDisconnected) set_state(ConnectionState::kConnected);
}

}  // namespace peerkit::ice
