// What the core needs from outside that is not a packet: relay sockets (the driver binds them)
// and process-wide quotas (shared by all worker threads). Both are interfaces so the core stays
// sans-IO and tests can use in-memory versions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/address.h"
#include "common/time.h"
#include "turn/transmit.h"

namespace peerkit::turn {

struct RelayRequest {
  AddressFamily family = AddressFamily::kIpv4;
  bool even_port = false;      // RFC 8656 §7.2 EVEN-PORT
  bool reserve_next = false;   // ... with the R bit: also hold port+1
  bool dont_fragment = false;  // set DF on packets sent from this relay
};

struct RelayGrant {
  RelayHandle handle;
  SocketAddress address;  // the local address the relay socket is bound to
  // When reserve_next was asked: the token under which port+1 is held (RFC 8656 §7.2). The
  // allocator keeps the reservation, process-wide, because the Allocate that redeems it may
  // arrive at another worker; unclaimed reservations expire after ~30 s.
  std::optional<std::uint64_t> reservation_token;
};

class RelayAllocator {
 public:
  virtual ~RelayAllocator() = default;
  // nullopt when the family has no relay address or the port range is exhausted.
  virtual std::optional<RelayGrant> allocate(const RelayRequest& request) = 0;
  // Whether any relay address of this family is configured (else Allocate gets 440).
  virtual bool supports(AddressFamily family) const = 0;
  virtual void release(RelayHandle handle) = 0;
  // The relay reserved under this token, now owned by the caller; nullopt if unknown or expired.
  virtual std::optional<RelayGrant> claim_reservation(std::uint64_t token) = 0;
};

enum class QuotaResult { kOk, kUserQuota, kAddressQuota, kTotalQuota };

// Allocations per user (USERNAME), per client address and in total, across every worker.
// `client` is already client_key(address, ipv6_limit_prefix): IPv6 clients count per prefix.
class QuotaLedger {
 public:
  virtual ~QuotaLedger() = default;
  virtual QuotaResult acquire(std::string_view user, const IpAddress& client) = 0;
  virtual void release(std::string_view user, const IpAddress& client) = 0;
};

// How many unauthenticated answers (401, 438, 400, 420) a client may draw: one budget per
// client_key() across every worker, or a server could be made to reflect N times as much.
class UnauthBudget {
 public:
  virtual ~UnauthBudget() = default;
  // True if one more unauthenticated answer to `client` (a client_key) may go out now.
  virtual bool allow(Timestamp now, const IpAddress& client) = 0;
};

// The relayed transport addresses (local, as bound) this server holds, across every worker.
// The core adds and removes its allocations' relays; with PolicyOptions::loopback_relays_only
// a loopback peer must be one of them (relay to relay), never another loopback service.
class RelayDirectory {
 public:
  virtual ~RelayDirectory() = default;
  virtual void add(const SocketAddress& relay) = 0;
  virtual void remove(const SocketAddress& relay) = 0;
  virtual bool contains(const SocketAddress& address) const = 0;
};

}  // namespace peerkit::turn
