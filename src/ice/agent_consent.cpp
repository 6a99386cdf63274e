// The path in use — the selected pair, or during an ICE restart (RFC 8445 §9) the old pair with
// the old credentials until a new pair is selected — and the agent's side of consent freshness
// (RFC 7675, ice/consent.h): which request to send, where, and what the consent states mean
// for the connection state.
#include "ice/agent.h"
#include "ice/stun_check.h"

namespace peerkit::ice {

std::optional<Agent::Path> Agent::active_path() const {
  if (const auto selected = check_list_.selected()) {
    const auto& p = check_list_[*selected];
    return Path{&local(p.local), *remote(p.remote).address, local_ufrag_, remote_ufrag_,
                remote_pwd_};
  }
  if (previous_)
    return Path{&previous_->local, previous_->remote, previous_->local_ufrag,
                previous_->remote_ufrag, previous_->remote_pwd};
  return std::nullopt;
}

// Consent runs while there is a path to keep and it has not been lost (RFC 7675 §5.1: after
// expiry nothing is sent until a new pair is selected).
bool Agent::consent_running() const {
  return state_ != ConnectionState::kFailed && active_path().has_value();
}

std::optional<CheckRequest> Agent::consent_request() const {
  const auto path = active_path();
  if (!path) return std::nullopt;
  CheckRequest r;
  r.local_ufrag = path->local_ufrag;
  r.remote_ufrag = path->remote_ufrag;
  r.remote_pwd = path->remote_pwd;
  r.priority = prflx_priority(*path->local);
  r.controlling = role_ == Role::kControlling;
  r.tie_breaker = tie_breaker_;
  return r;
}

void Agent::send_consent(Timestamp now, ByteSpan request, bool first) {
  const auto path = active_path();
  if (!path) return;
  send_from(now, *path->local, path->remote, request);
  if (const auto selected = check_list_.selected(); first && selected)
    ++check_list_[*selected].counters.consent_requests_sent;
}

void Agent::on_consent_rtt(Duration rtt) {
  const auto selected = check_list_.selected();
  if (!selected) return;
  auto& c = check_list_[*selected].counters;
  c.current_rtt = rtt;
  c.total_rtt = c.total_rtt + rtt;
  ++c.rtt_samples;
  ++c.responses_received;
}

void Agent::on_consent_state(ConsentFreshness::State s) {
  switch (s) {
    case ConsentFreshness::State::kStale:
      if (state_ == ConnectionState::kConnected) set_state(ConnectionState::kDisconnected);
      break;
    case ConsentFreshness::State::kFresh:
      if (state_ == ConnectionState::kDisconnected) set_state(ConnectionState::kConnected);
      break;
    case ConsentFreshness::State::kExpired:
      set_state(ConnectionState::kFailed);
      break;
    case ConsentFreshness::State::kIdle:
      break;
  }
}

}  // namespace peerkit::ice
