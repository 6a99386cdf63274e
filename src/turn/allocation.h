// One TURN allocation (RFC 8656 §2.2): the relayed transport address(es), the permissions and
// channel bindings installed on it, its lifetime, and who owns it. Owned by the Server core;
// permissions and channels are few per allocation (bounded by ServerOptions), so they are kept
// in small vectors and found by linear scan, which beats hashing at these sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/time.h"
#include "common/token_bucket.h"
#include "stun/constants.h"
#include "stun/message.h"
#include "turn/channel_data.h"
#include "turn/credentials.h"
#include "turn/transmit.h"

namespace peerkit::turn {

struct Permission {
  IpAddress peer;  // §9: permissions are per IP address, ports ignored
  Timestamp expires;
  std::uint32_t policy_epoch = 0;  // the relay policy version this peer was checked against
  // The policy allows this IP only on ports that are this server's relays (loopback in
  // `peerkit serve`): every datagram's port is checked against the RelayDirectory.
  bool own_relays_only = false;
};

struct ChannelBinding {
  ChannelNumber number;
  SocketAddress peer;
  Timestamp expires;  // after this the binding is gone for data, but until expires + cooldown
                      // the number and the peer may be bound only to each other (§12)
};

struct RelayEndpoint {
  RelayHandle handle;
  SocketAddress local;       // what the socket is bound to
  SocketAddress advertised;  // what XOR-RELAYED-ADDRESS says (external-ip applied)
};

struct Allocation {
  ClientRoute route;
  std::string username;
  IpAddress client_key;  // what the per-address quota counted (client_key of route.remote)
  Key key;
  bool sha256_integrity = false;     // answer with MESSAGE-INTEGRITY-SHA256
  stun::TransactionId allocate_tid;  // a retransmitted Allocate gets the same answer
  std::optional<RelayEndpoint> relay_v4;
  std::optional<RelayEndpoint> relay_v6;
  Timestamp expires;
  std::vector<Permission> permissions;
  std::vector<ChannelBinding> channels;
  TokenBucket to_peer;  // max-bps in bytes, one second of burst; unlimited by default
  TokenBucket to_client;

  const RelayEndpoint* relay_for(AddressFamily f) const {
    const auto& r = f == AddressFamily::kIpv4 ? relay_v4 : relay_v6;
    return r ? &*r : nullptr;
  }
  Permission* find_permission(const IpAddress& peer);
  // The live permission for a peer's IP, for the peer→client path.
  const Permission* live_permission(const IpAddress& peer, Timestamp now) const;
  ChannelBinding* channel_by_number(ChannelNumber number);
  ChannelBinding* channel_by_peer(const SocketAddress& peer);
  // The live binding for a peer, for the peer→client path.
  const ChannelBinding* live_channel_for(const SocketAddress& peer, Timestamp now) const;
};

// Counters a worker keeps; the driver publishes their sum as Prometheus metrics.
struct Counters {
  std::uint64_t allocations_created = 0;
  std::uint64_t allocations_deleted = 0;
  std::uint64_t allocations_expired = 0;
  std::uint64_t binding_requests = 0;
  std::uint64_t packets_to_peer = 0, bytes_to_peer = 0;
  std::uint64_t packets_to_client = 0, bytes_to_client = 0;
  std::uint64_t auth_challenges = 0;  // 401 without credentials (the normal first step)
  std::uint64_t auth_failures = 0;    // wrong credentials, unknown user, bad nonce
  std::uint64_t stale_nonces = 0;
  std::uint64_t denied_peers = 0;      // 403 by relay policy (and dropped Send indications)
  std::uint64_t quota_rejections = 0;  // 486/508 for quotas and limits
  std::uint64_t rate_limited = 0;      // unauthenticated answers suppressed
  std::uint64_t bandwidth_drops = 0;   // over max-bps
  std::uint64_t malformed = 0;         // unparseable packets dropped
  std::uint64_t no_permission_drops = 0;
};

}  // namespace peerkit::turn
