// Everything of a PeerConnection above ICE, sans-IO: DTLS (dtls/transport.h) carrying one SCTP
// association (sctp/association.h, RFC 8261) carrying the data channels (sctp/data_channels.h).
// ICE hands it the DTLS datagrams of the selected pair and sends what transmits() yields.
//
//   ICE ──datagram──▶ DTLS ──records──▶ SCTP ──messages──▶ channels ──▶ events
//   ICE ◀──records─── DTLS ◀──packets── SCTP ◀──send()──── channels
//
// Both ends start SCTP as soon as DTLS is up (what browsers do; the INITs cross and resolve to
// one association). SCTP packets are written when the caller drains transmits(), so a batch of
// input datagrams gets one SACK.
#pragma once

#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "common/random.h"
#include "common/time.h"
#include "common/transmit.h"
#include "dtls/transport.h"
#include "sctp/association.h"
#include "sctp/data_channels.h"

namespace peerkit::peer {

struct DataTransportConfig {
  dtls::Role role = dtls::Role::kClient;            // from a=setup (active → client)
  std::vector<dtls::Fingerprint> remote_fingerprints;  // from the remote SDP (may come later)
  std::size_t mtu = 1200;                           // the DTLS datagram size
  std::uint64_t max_message_size = 65536;           // what we may send (sdp::sendable_message_size)
  sctp::AssociationConfig sctp;
  // Whether a data-channel section was negotiated: without one (a media-only connection) DTLS
  // carries only the SRTP key export, and no SCTP association is started.
  bool data = true;
};

struct TransportStateEvent {
  enum class Layer { kDtls, kSctp } layer;
  bool up = false;         // connected (DTLS) / established (SCTP)
  std::string reason;      // when down: why
};
using DataTransportEvent = std::variant<TransportStateEvent, sctp::DataChannelEvent>;

class DataTransport {
 public:
  DataTransport(std::shared_ptr<const dtls::Context> context, DataTransportConfig config,
                RandomSource& random);

  // When ICE has a selected pair: the DTLS client sends its ClientHello.
  void start(Timestamp now);
  void set_remote_fingerprints(Timestamp now, std::vector<dtls::Fingerprint> fingerprints);
  void handle_datagram(Timestamp now, ByteSpan datagram);
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;
  // DTLS records to send through ICE, one datagram each.
  TransmitBatch transmits();
  void close(Timestamp now);

  sctp::DataChannels& channels() { return channels_; }
  const sctp::Association& association() const { return association_; }
  const dtls::Transport& dtls() const { return dtls_; }
  std::optional<DataTransportEvent> poll_event();

 private:
  void drive(Timestamp now);
  void flush_sctp();

  DataTransportConfig config_;
  dtls::Transport dtls_;
  sctp::Association association_;
  sctp::DataChannels channels_;
  Timestamp now_;
  bool sctp_started_ = false;
  std::vector<DataTransportEvent> events_;
  std::size_t next_event_ = 0;
};

}  // namespace peerkit::peer
