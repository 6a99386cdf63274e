#include "stun/client_transaction.h"

#include <cstring>

namespace peerkit::stun {

ClientTransaction::ClientTransaction(Timestamp now, ByteSpan request, bool reliable,
                                     TransactionConfig config)
    : request_(request.begin(), request.end()),
      config_(config),
      reliable_(reliable),
      rto_(config.initial_rto),
      started_(now),
      deadline_(now + (reliable ? config.reliable_timeout : config.initial_rto)) {
  if (request.size() >= kHeaderSize) std::memcpy(id_.bytes.data(), request.data() + 8, 12);
  // The first transmission is due at once; poll_transmit hands it out.
  transmissions_ = 1;
}

std::optional<ByteSpan> ClientTransaction::poll_transmit() {
  if (!send_pending_ || done()) return std::nullopt;
  send_pending_ = false;
  return ByteSpan(request_);
}

void ClientTransaction::handle_timeout(Timestamp now) {
  if (done() || now < deadline_) return;
  if (reliable_ || transmissions_ >= config_.max_transmissions) {
    state_ = State::kTimedOut;
    return;
  }
  ++transmissions_;
  send_pending_ = true;
  rto_ = rto_ * 2;
  // After the last transmission wait Rm * RTO (§6.2.1: 39.5 s in total with the defaults).
  deadline_ = now + (transmissions_ == config_.max_transmissions
                         ? config_.initial_rto * config_.final_wait_multiplier
                         : rto_);
}

bool ClientTransaction::handle_response(Timestamp now, const MessageView& response) {
  if (done() || response.transaction_id() != id_) return false;
  const auto cls = response.message_class();
  if (cls != MessageClass::kSuccess && cls != MessageClass::kError) return false;
  state_ = cls == MessageClass::kSuccess ? State::kSucceeded : State::kFailed;
  if (transmissions_ == 1) rtt_ = now - started_;
  return true;
}

}  // namespace peerkit::stun
