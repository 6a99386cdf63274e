// What an ICE agent is told before it starts: its role, its servers, its timers and its limits.
// Every default is documented in docs/ice.md; every count is bounded (a peer that trickles ten
// thousand candidates costs at most max_remote_candidates).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/time.h"
#include "stun/client_transaction.h"

namespace peerkit::ice {

enum class Role : std::uint8_t { kControlling, kControlled };
enum class TransportPolicy : std::uint8_t { kAll, kRelay };  // RTCIceTransportPolicy

enum class ServerTransport : std::uint8_t { kUdp, kTcp, kTls };

struct IceServer {
  enum class Kind : std::uint8_t { kStun, kTurn };
  Kind kind = Kind::kStun;
  SocketAddress address;
  ServerTransport transport = ServerTransport::kUdp;  // TURN only; STUN is UDP
  std::string username;                               // TURN
  std::string password;                               // TURN; never logged
  // The name the URL gave, when it was not an IP literal: TURN over TLS checks the server's
  // certificate against it (RFC 8656 §3.2) and sends it as SNI. Empty: the IP is the name.
  std::string host_name;
};

struct AgentLimits {
  std::size_t max_local_candidates = 24;
  std::size_t max_remote_candidates = 64;
  std::size_t max_pairs = 256;
  std::size_t max_triggered = 64;
  std::size_t max_servers = 8;
};

struct AgentConfig {
  Role role = Role::kControlling;
  TransportPolicy policy = TransportPolicy::kAll;
  std::vector<IceServer> servers;
  // RFC 8445 §14.2: one new check every Ta (50 ms is the WebRTC value, RFC 8445 §14.4).
  Duration ta = Duration::millis(50);
  // Checks retransmit quickly and give up after ~8 s (RFC 8445 §14.3 leaves RTO to the app).
  stun::TransactionConfig check_transaction{Duration::millis(250), 6, 4, Duration::seconds(8)};
  // A STUN server that does not answer is given up on after 1.75 s: it must never hold up the
  // other servers or the end of gathering.
  stun::TransactionConfig gather_transaction{Duration::millis(250), 3, 4, Duration::seconds(3)};
  // Regular nomination (RFC 8445 §8.1.1): the controlling agent nominates the best valid pair
  // once no higher-priority pair is still frozen, waiting or in progress, but not before
  // nomination_wait and not later than nomination_max_wait after the first pair succeeded
  // (behind symmetric NATs the direct pairs only time out, and the relay should not wait
  // for that).
  Duration nomination_wait = Duration::millis(0);
  Duration nomination_max_wait = Duration::seconds(1);
  // Consent freshness (RFC 7675 §5.1): a check every interval ±20 %; `disconnected` when no
  // answer for disconnected_timeout, `failed` (consent lost, §5.1's 30 s) after failed_timeout.
  // The interval is shorter than RFC 7675's 5 s so that a live path answers at least twice
  // inside disconnected_timeout and never flaps.
  Duration consent_interval = Duration::seconds(2);
  Duration disconnected_timeout = Duration::seconds(5);
  Duration failed_timeout = Duration::seconds(30);
  // With candidates exhausted and nothing valid, `failed` comes at once; this bounds the wait
  // when the peer never signals end-of-candidates.
  Duration connect_timeout = Duration::seconds(30);
  AgentLimits limits;
};

}  // namespace peerkit::ice
