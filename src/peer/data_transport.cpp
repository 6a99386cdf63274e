#include "peer/data_transport.h"

namespace peerkit::peer {
namespace {

sctp::AssociationConfig sctp_config(const DataTransportConfig& c) {
  sctp::AssociationConfig s = c.sctp;
  // An SCTP packet must fit one DTLS record in one datagram: 1200 bytes less the DTLS record
  // overhead of the largest AEAD suite (13 header + 8 nonce + 16 tag) and a margin.
  if (c.mtu > 64) s.mtu = std::min(s.mtu, c.mtu - 40);
  return s;
}

}  // namespace

DataTransport::DataTransport(std::shared_ptr<const dtls::Context> context,
                             DataTransportConfig config, RandomSource& random)
    : config_(std::move(config)),
      dtls_(std::move(context),
            dtls::TransportOptions{config_.role, config_.remote_fingerprints, config_.mtu}),
      association_(sctp_config(config_), random),
      channels_(association_, config_.role == dtls::Role::kClient, config_.max_message_size) {}

void DataTransport::start(Timestamp now) {
  now_ = now;
  dtls_.start(now);
  drive(now);
}

void DataTransport::set_remote_fingerprints(Timestamp now, std::vector<dtls::Fingerprint> f) {
  now_ = now;
  dtls_.set_remote_fingerprints(now, std::move(f));
  drive(now);
}

void DataTransport::handle_datagram(Timestamp now, ByteSpan datagram) {
  now_ = now;
  dtls_.handle_datagram(now, datagram);
  drive(now);
}

void DataTransport::handle_timeout(Timestamp now) {
  now_ = now;
  if (const auto t = dtls_.next_timeout(); t && *t <= now) dtls_.handle_timeout(now);
  if (const auto t = association_.next_timeout(); t && *t <= now) association_.handle_timeout(now);
  drive(now);
}

std::optional<Timestamp> DataTransport::next_timeout() const {
  auto a = dtls_.next_timeout();
  const auto b = association_.next_timeout();
  if (b && (!a || *b < *a)) a = b;
  return a;
}

void DataTransport::drive(Timestamp now) {
  while (const auto s = dtls_.poll_state_change()) {
    if (*s == dtls::State::kConnected) {
      events_.emplace_back(TransportStateEvent{TransportStateEvent::Layer::kDtls, true, {}});
      if (!sctp_started_ && config_.data) {
        sctp_started_ = true;
        association_.connect(now);
      }
    } else if (*s == dtls::State::kFailed || *s == dtls::State::kClosed) {
      events_.emplace_back(TransportStateEvent{TransportStateEvent::Layer::kDtls, false,
                                               *s == dtls::State::kFailed ? dtls_.failure() : "closed"});
      if (!association_.ended()) association_.abort(now, "DTLS transport ended");
    }
  }
  for (const Transmit& record : dtls_.received()) association_.handle_packet(now, record.data);
  while (auto e = association_.poll_event()) {
    if (std::holds_alternative<sctp::ConnectedEvent>(*e)) {
      events_.emplace_back(TransportStateEvent{TransportStateEvent::Layer::kSctp, true, {}});
    } else if (const auto* closed = std::get_if<sctp::ClosedEvent>(&*e)) {
      events_.emplace_back(TransportStateEvent{TransportStateEvent::Layer::kSctp, false, closed->reason});
    }
    channels_.handle(now, std::move(*e));
  }
  while (auto e = channels_.poll_event()) events_.emplace_back(std::move(*e));
}

void DataTransport::flush_sctp() {
  if (dtls_.state() != dtls::State::kConnected) {
    for (const Transmit& t : association_.transmits()) (void)t;  // nothing can carry them yet
    return;
  }
  for (const Transmit& packet : association_.transmits()) (void)dtls_.send(packet.data);
}

TransmitBatch DataTransport::transmits() {
  flush_sctp();
  drive(now_);  // the channel layer may have queued DCEP ACKs while draining events
  flush_sctp();
  return dtls_.transmits();
}

void DataTransport::close(Timestamp now) {
  now_ = now;
  if (!association_.ended() && association_.state() != sctp::AssociationState::kClosed)
    association_.abort(now, "closed");
  flush_sctp();
  dtls_.close(now);
  drive(now);
}

std::optional<DataTransportEvent> DataTransport::poll_event() {
  drive(now_);
  if (next_event_ == events_.size()) {
    events_.clear();
    next_event_ = 0;
    return std::nullopt;
  }
  return std::move(events_[next_event_++]);
}

}  // namespace peerkit::peer
