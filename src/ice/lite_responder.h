// The ICE side of an SFU port (issue 11): an ICE-lite agent for many sessions that share one UDP
// socket (RFC 8445 §2.5 lite implementations, §7.3 answering checks).
//
// A lite agent gathers only host candidates, sends no checks of its own and is always the
// controlled agent; the browser (a full agent) checks it and nominates with USE-CANDIDATE.
// Every session (one participant's PeerConnection) has its own ufrag/pwd from the SDP. A Binding
// request is matched to its session by the first half of USERNAME ("our-ufrag:their-ufrag"),
// authenticated with that session's pwd and answered with XOR-MAPPED-ADDRESS (§7.3.1.2); the
// source address then belongs to that session, so DTLS and SRTP from it (RFC 7983 first-byte
// demultiplexing) are routed without any lookup beyond the 5-tuple. The nominated address
// becomes where the session's media go (§7.3.1.5); a later nomination from another address
// (the browser's network changed, an ICE restart) moves it.
//
// Safety: an unknown ufrag, a bad FINGERPRINT or a datagram from an address no check has bound
// is dropped without an answer (no reflection to spoofed sources); a bad MESSAGE-INTEGRITY is
// answered 401 as §7.3 asks. Consent (RFC 7675 §5.1): the browser re-checks every few seconds;
// an address with no valid check for `consent_timeout` is forgotten, and a session whose
// nominated address went is reported disconnected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/address.h"
#include "common/bytes.h"
#include "common/time.h"
#include "common/transmit.h"
#include "ice/demux.h"

namespace peerkit::ice {

class LiteResponder {
 public:
  using SessionId = std::uint64_t;
  struct Config {
    std::size_t max_sessions = 10'000;
    std::size_t max_addresses_per_session = 8;  // candidate pairs a browser checks
    Duration consent_timeout = Duration::seconds(30);
  };
  struct Routed {
    SessionId session;
    PacketClass kind;  // kStun: a check, answered already; kDtls / kRtp: for the session
  };
  struct Event {
    enum class Kind { kSelected, kDisconnected } kind;
    SessionId session;
    SocketAddress address;  // kSelected: where media go now; kDisconnected: the one lost
  };
  struct Stats {
    std::uint64_t checks_answered = 0;
    std::uint64_t checks_refused = 0;  // answered 400/401
    std::uint64_t dropped_stun = 0;    // unknown ufrag, bad fingerprint, not a request
    std::uint64_t dropped_unbound = 0;  // non-STUN from an address no check bound
  };

  explicit LiteResponder(Config config) : config_(config) {}

  // False if the ufrag is in use (RFC 8445 §5.3: it must be unique here), or the cap is reached.
  bool add_session(SessionId id, std::string local_ufrag, std::string local_pwd);
  void remove_session(SessionId id);

  // A datagram that arrived on `socket` from `from`. Answers go out on the same socket.
  std::optional<Routed> handle(Timestamp now, SocketId socket, const SocketAddress& from,
                               ByteSpan data);
  TransmitBatch transmits() { return out_.drain(); }
  std::optional<Event> poll_event();
  void handle_timeout(Timestamp now);
  Timestamp next_timeout() const;

  std::optional<SocketAddress> selected(SessionId id) const;
  std::size_t session_count() const { return sessions_.size(); }
  std::size_t address_count() const { return addresses_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct Session {
    std::string ufrag, pwd;
    std::optional<SocketAddress> selected;
    std::size_t addresses = 0;
  };
  struct Binding {
    SessionId session;
    Timestamp last_check;
  };
  std::optional<Routed> handle_stun(Timestamp now, SocketId socket, const SocketAddress& from,
                                    ByteSpan data);
  void bind(Timestamp now, SessionId id, Session& s, const SocketAddress& from);
  void forget(const SocketAddress& address);

  // Consent is swept once a second, not per address: the driver asks for the next timeout
  // after every datagram, and tens of thousands of addresses would make that a scan.
  static constexpr Duration kSweepInterval = Duration::seconds(1);
  Config config_;
  Timestamp next_sweep_;
  std::unordered_map<SessionId, Session> sessions_;
  std::unordered_map<std::string, SessionId> by_ufrag_;
  std::unordered_map<SocketAddress, Binding, SocketAddressHash> addresses_;
  std::deque<Event> events_;
  TransmitQueue out_;
  Stats stats_;
};

}  // namespace peerkit::ice
