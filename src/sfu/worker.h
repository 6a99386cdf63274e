// One SFU worker's transport stack as a sans-IO core (issue 11): every participant of the
// rooms pinned to this worker shares one UDP port. Datagrams in, datagrams out:
//
//   STUN  → ice::LiteResponder (answers checks, binds the source to the participant)
//   DTLS  → that participant's dtls::Transport, client or server as the SDP answer's a=setup
//           says (sdp::build_sfu_answer answers an actpass offer with active: the SFU is the
//           client and starts the handshake once ICE has selected an address); once connected,
//           its SRTP keys make an srtp::Session
//   SRTP  → unprotected and handed to the Router; every Router output is protected with the
//           receiving participant's session and sent to its selected address
//
// by RFC 7983 first-byte demultiplexing on the 5-tuple a valid check bound. Nothing reaches
// the Router before that participant's DTLS handshake verified the fingerprint from its SDP.
// The driver owns the socket and the clock; it calls handle_datagram / handle_timeout and
// sends transmits() after each call.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/time.h"
#include "common/transmit.h"
#include "dtls/context.h"
#include "dtls/transport.h"
#include "ice/lite_responder.h"
#include "sfu/router.h"
#include "srtp/session.h"

namespace peerkit::sfu {

class Worker {
 public:
  struct Config {
    Router::Config router;
    ice::LiteResponder::Config ice;
    std::size_t max_participants = 1000;
  };
  struct ParticipantParams {
    std::string ice_ufrag, ice_pwd;                 // ours, as the SDP answer gives them
    std::vector<dtls::Fingerprint> remote_fingerprints;  // the participant's a=fingerprint
    dtls::Role role = dtls::Role::kClient;               // ours: a=setup:active → client
  };
  struct Event {
    enum class Kind { kConnected, kDisconnected, kFailed } kind;
    ParticipantId participant;
    std::string detail;  // kFailed: why
  };
  struct Stats {
    std::uint64_t srtp_in = 0;
    std::uint64_t srtp_out = 0;
    std::uint64_t unprotect_failures = 0;  // bad tag, replay, before keys
    std::uint64_t undeliverable = 0;       // an output for a participant not connected
  };

  Worker(std::shared_ptr<const dtls::Context> dtls, Config config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // False if the id or the ufrag is taken, or the worker is full.
  bool add_participant(ParticipantId id, ParticipantParams params);
  void remove_participant(ParticipantId id);
  Router& router() { return router_; }

  void handle_datagram(Timestamp now, SocketId socket, const SocketAddress& from, ByteSpan data);
  void handle_timeout(Timestamp now);
  Timestamp next_timeout() const;
  TransmitBatch transmits() { return out_.drain(); }
  std::optional<Event> poll_event();

  bool connected(ParticipantId id) const;
  const Stats& stats() const { return stats_; }
  const ice::LiteResponder& ice() const { return ice_; }

 private:
  struct Participant;
  Participant* find(ParticipantId id);
  void handle_dtls(Timestamp now, ParticipantId id, Participant& p, ByteSpan data);
  void handle_srtp(Timestamp now, ParticipantId id, Participant& p, ByteSpan data);
  void flush_dtls(ParticipantId id, Participant& p);
  void flush_router();
  void flush_ice(Timestamp now);
  std::optional<SocketAddress> destination(const Participant& p) const;

  std::shared_ptr<const dtls::Context> dtls_;
  Config config_;
  ice::LiteResponder ice_;
  Router router_;
  std::map<ParticipantId, std::unique_ptr<Participant>> participants_;
  TransmitQueue out_;
  std::deque<Event> events_;
  Stats stats_;
  std::vector<std::byte> scratch_ = std::vector<std::byte>(srtp::kMaxPacket + srtp::kMaxOverhead);
};

}  // namespace peerkit::sfu
