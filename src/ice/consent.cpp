// Consent freshness (RFC 7675 §5.1); see consent.h.
#include "ice/consent.h"

#include <algorithm>
#include <array>

namespace peerkit::ice {

void ConsentFreshness::start(Timestamp now) {
  transaction_.reset();
  state_ = State::kFresh;
  last_answer_ = now;
  next_check_ = next_check_time(now);
}

void ConsentFreshness::stop() {
  transaction_.reset();
  state_ = State::kIdle;
}

Timestamp ConsentFreshness::next_check_time(Timestamp now) {
  // RFC 7675 §5.1: randomized to 0.8–1.2 of the interval so that checks do not synchronise.
  const auto base = config_.interval.us();
  const auto jitter = static_cast<std::int64_t>(random_.uniform(401)) - 200;  // ‰ of base
  return now + Duration::micros(base + base * jitter / 1000);
}

void ConsentFreshness::send_request(Timestamp now) {
  const auto request = context_.consent_request();
  if (!request) return;
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  std::array<std::byte, kMaxCheckMessage> buf;
  const auto bytes = build_check_request(buf, tid, *request);
  // Consent is judged by time since the last answer, not by one transaction: retransmit
  // quickly and give up before the next check is due.
  stun::TransactionConfig tc = config_.transaction;
  tc.max_transmissions = 4;
  tc.final_wait_multiplier = 2;
  transaction_.emplace(now, bytes, false, tc);
  if (auto out = transaction_->poll_transmit()) context_.send_consent(now, *out, true);
}

void ConsentFreshness::handle_timeout(Timestamp now) {
  if (state_ != State::kFresh && state_ != State::kStale) return;
  if (transaction_) {
    transaction_->handle_timeout(now);
    if (auto out = transaction_->poll_transmit()) context_.send_consent(now, *out, false);
    if (transaction_->done()) transaction_.reset();
  }
  if (now >= next_check_ && !transaction_) {
    send_request(now);
    next_check_ = next_check_time(now);
  }
  const Duration silent = now - last_answer_;
  if (silent >= config_.failed_timeout) {
    state_ = State::kExpired;  // §5.1: stop sending on this path
    transaction_.reset();
    context_.on_consent_state(state_);
  } else if (silent >= config_.disconnected_timeout && state_ == State::kFresh) {
    state_ = State::kStale;
    context_.on_consent_state(state_);
  }
}

Timestamp ConsentFreshness::next_timeout() const {
  Timestamp t = transaction_ ? transaction_->next_timeout() : Timestamp::never();
  if (state_ != State::kFresh && state_ != State::kStale) return t;
  if (!transaction_) t = std::min(t, next_check_);
  if (state_ == State::kFresh) t = std::min(t, last_answer_ + config_.disconnected_timeout);
  return std::min(t, last_answer_ + config_.failed_timeout);
}

bool ConsentFreshness::expects(const stun::TransactionId& id) const {
  return transaction_ && transaction_->id() == id;
}

void ConsentFreshness::on_response(Timestamp now, const stun::MessageView& m) {
  const auto request = context_.consent_request();
  if (!request || !expects(m.transaction_id())) return;
  const auto response = verify_check_response(m, request->remote_pwd);
  if (!response) return;  // not authentic: as if lost
  transaction_->handle_response(now, m);
  const auto rtt = transaction_->rtt();
  transaction_.reset();
  // A 487 here would be a role change after selection; any error means no consent.
  if (!response->success) return;
  last_answer_ = now;
  if (rtt) context_.on_consent_rtt(*rtt);
  if (state_ == State::kStale) {
    state_ = State::kFresh;
    context_.on_consent_state(state_);
  }
}

}  // namespace peerkit::ice
