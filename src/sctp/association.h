// One SCTP association over DTLS for WebRTC data channels (RFC 8261, RFC 8831 §5), as a
// sans-IO core: packets in (handle_packet), packets out (transmits()), a timeout the caller
// drives, and events. Only what data channels use is here: no multi-homing, no ECN, one path.
//
//  - Handshake (RFC 9260 §5.1): INIT, INIT ACK with a signed stateless cookie (cookie.h),
//    COOKIE ECHO, COOKIE ACK; both ends may connect at once (§5.2.1, what WebRTC peers do).
//  - Data: DATA or I-DATA (RFC 8260, when both offer it), fragmentation to the MTU, SACK with
//    gap blocks (at most one per input batch: SACKs are written when the caller drains
//    transmits()), fast retransmit, T3-rtx with RTO per RFC 6298 (rto.h), congestion control
//    per RFC 9260 §7.2, partial reliability (RFC 3758 FORWARD TSN / I-FORWARD-TSN).
//  - Stream reset (RFC 6525) for closing data channels; HEARTBEAT for idle paths;
//    SHUTDOWN and ABORT with error causes; zero checksum (RFC 9653) when both agree.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/random.h"
#include "common/time.h"
#include "common/transmit.h"
#include "sctp/cookie.h"
#include "sctp/packet.h"
#include "sctp/packet_writer.h"
#include "sctp/receive_queue.h"
#include "sctp/rto.h"
#include "sctp/send_buffer.h"

namespace peerkit::sctp {

struct AssociationConfig {
  std::uint16_t local_port = 5000;   // a=sctp-port
  std::uint16_t remote_port = 5000;
  std::size_t mtu = 1160;            // SCTP packet size: fits one DTLS record in 1200 bytes
  std::uint16_t streams = 65535;     // announced both ways; costs nothing until used
  std::size_t max_receive_buffer = 1 << 20;
  std::size_t max_send_buffer = 8 << 20;
  RtoBounds rto;
  int max_init_retransmits = 8;
  int max_retransmits = 10;          // Association.Max.Retrans (RFC 9260 §16)
  Duration delayed_ack = Duration::millis(200);
  Duration heartbeat_interval = Duration::seconds(30);
  Duration cookie_lifetime = Duration::seconds(60);
  bool idata = true;
  bool zero_checksum = true;         // RFC 9653 over DTLS
};

enum class AssociationState {
  kClosed,
  kCookieWait,
  kCookieEchoed,
  kEstablished,
  kShutdownPending,
  kShutdownSent,
  kShutdownReceived,
  kShutdownAckSent,
};

struct ConnectedEvent {};
struct StreamsResetEvent {  // the peer reset these incoming streams (its channels closed)
  std::vector<std::uint16_t> streams;
};
struct OutgoingResetDoneEvent {  // our reset of these outgoing streams was performed
  std::vector<std::uint16_t> streams;
};
struct ClosedEvent {  // ended: shut down, aborted (by either side) or failed
  std::string reason;
  bool aborted = false;
};
using AssociationEvent =
    std::variant<ConnectedEvent, ReceivedMessage, StreamsResetEvent, OutgoingResetDoneEvent, ClosedEvent>;

struct AssociationStats {
  std::uint64_t packets_sent = 0, packets_received = 0, bad_checksums = 0;
  std::uint64_t data_chunks_sent = 0, retransmitted_chunks = 0, fast_retransmits = 0, t3_expiries = 0;
  std::uint64_t sacks_sent = 0, duplicates_received = 0, dropped_chunks = 0;
  std::size_t cwnd = 0, ssthresh = 0, peer_rwnd = 0, flight_bytes = 0;
  std::optional<Duration> srtt;
  Duration rto;
};

class Association {
 public:
  Association(const AssociationConfig& config, RandomSource& random);

  // Sends INIT. In WebRTC both peers connect; the collision resolves to one association.
  void connect(Timestamp now);
  void handle_packet(Timestamp now, ByteSpan packet);
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;
  // Writes whatever is due (SACK, retransmissions, new data within cwnd and the peer's window)
  // and hands it out; one packet per entry, to be sent in order.
  TransmitBatch transmits();

  enum class SendError { kNotConnected, kBufferFull, kEmpty, kTooLarge, kStreamResetting };
  std::optional<SendError> send(Timestamp now, std::uint16_t stream, std::uint32_t ppid,
                                ByteSpan payload, const SendOptions& options = {});
  std::size_t buffered_amount(std::uint16_t stream) const { return send_.buffered_amount(stream); }
  std::size_t buffered_total() const { return send_.total_bytes(); }
  // RFC 6525 §5.1.2: reset outgoing streams once what is queued on them has been sent.
  void reset_streams(std::span<const std::uint16_t> streams);
  // Graceful close (SHUTDOWN once everything is acknowledged) and abort (at once, with a cause).
  void shutdown(Timestamp now);
  void abort(Timestamp now, std::string_view reason);

  std::optional<AssociationEvent> poll_event();
  AssociationState state() const { return state_; }
  bool ended() const { return ended_; }
  bool idata() const { return idata_; }
  bool zero_checksum() const { return zero_checksum_; }
  std::size_t max_message_payload() const;
  AssociationStats stats() const;

 private:
  // association_handshake.cpp
  void handle_init(Timestamp now, const ChunkView& c);
  void handle_init_ack(Timestamp now, const ChunkView& c);
  void handle_cookie_echo(Timestamp now, const ChunkView& c);
  void handle_cookie_ack(Timestamp now);
  void established(Timestamp now, std::uint32_t peer_tag, std::uint32_t peer_initial_tsn,
                   std::uint32_t peer_rwnd, bool idata, bool forward_tsn, bool reconfig,
                   bool zero_checksum);
  void send_init(Timestamp now);
  InitFields local_init_fields() const;
  // association.cpp
  void handle_chunk(Timestamp now, const ChunkView& c, bool& stop);
  void handle_data(Timestamp now, const ChunkView& c);
  void handle_sack(Timestamp now, const ChunkView& c);
  void handle_forward_tsn(Timestamp now, const ChunkView& c);
  void handle_reconfig(Timestamp now, const ChunkView& c);
  void handle_abort(const ChunkView& c);
  void handle_shutdown(Timestamp now, const ChunkView& c);
  void close_with(std::string reason, bool aborted);
  void maybe_send_shutdown(Timestamp now);
  void on_t3(Timestamp now);
  // association_output.cpp
  void produce(Timestamp now);
  void write_control(PacketWriter& w, Timestamp now);
  bool start_reset_request(Timestamp now);
  // Writes one packet now (handshake and replies): `build` adds the chunks.
  void send_now(std::uint32_t verification_tag, bool allow_zero_checksum,
                const std::function<void(PacketWriter&)>& build);
  std::size_t payload_room(const PacketWriter& w) const;

  AssociationConfig config_;
  RandomSource& random_;
  CookieKey cookie_key_{};
  AssociationState state_ = AssociationState::kClosed;
  bool ended_ = false;  // closed after having lived: nothing more happens
  Timestamp now_;

  std::uint32_t local_tag_;
  std::uint32_t peer_tag_ = 0;
  std::uint32_t local_initial_tsn_;
  bool idata_ = false, forward_tsn_ = false, reconfig_ = false, zero_checksum_ = false;
  // From the peer's INIT ACK, used when its COOKIE ACK arrives.
  struct PeerInit {
    std::uint32_t tag, initial_tsn, a_rwnd;
    bool idata, forward_tsn, reconfig, zero_checksum;
  };
  std::optional<PeerInit> peer_init_;

  SendBuffer send_;
  std::optional<ReceiveQueue> receive_;
  RtoEstimator rto_;
  std::size_t cwnd_ = 0, ssthresh_ = 0, partial_bytes_acked_ = 0, peer_rwnd_ = 0;
  std::optional<std::uint32_t> fast_recovery_exit_;

  // Timers (absent: not running).
  std::optional<Timestamp> t1_, t3_, delayed_ack_, t2_shutdown_, heartbeat_, reconfig_timer_;
  int t1_count_ = 0, error_count_ = 0, t2_count_ = 0;
  std::vector<std::byte> cookie_echo_;  // the cookie we echo until COOKIE ACK

  // What the next produce() writes.
  bool sack_due_ = false;
  std::uint32_t data_packets_since_sack_ = 0;
  bool forward_due_ = false;
  bool send_shutdown_ = false, send_shutdown_ack_ = false, send_shutdown_complete_ = false;
  bool send_cookie_ack_ = false;
  std::vector<std::byte> heartbeat_ack_info_;
  bool heartbeat_ack_due_ = false;
  bool heartbeat_due_ = false;
  std::optional<Timestamp> heartbeat_sent_;
  std::optional<ReconfigResponse> reconfig_response_due_;

  // Stream reset (RFC 6525): ours waiting and in flight, and the peer's we could not do yet.
  std::vector<std::uint16_t> resets_wanted_;
  std::optional<OutgoingResetRequest> reset_in_flight_;
  std::vector<std::uint16_t> reset_in_flight_streams_;
  std::uint32_t next_reconfig_seq_;
  std::uint32_t peer_reconfig_seq_ = 0;  // the next request number we expect from the peer
  bool reset_request_due_ = false;  // (re)send reset_in_flight_ in the next packet

  TransmitQueue out_;
  std::deque<AssociationEvent> events_;
  AssociationStats stats_;
};

}  // namespace peerkit::sctp
