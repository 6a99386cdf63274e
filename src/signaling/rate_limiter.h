// A token bucket per connection (messages per second with a burst; common/token_bucket.h,
// driven by the caller's clock) and a per-address connection counter. Both are sans-IO and used
// by the drivers and the protocol cores to keep one client from starving the others.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "common/address.h"
#include "common/client_key.h"
#include "common/time.h"
#include "common/token_bucket.h"
#include "signaling/transport.h"

namespace peerkit::signaling {

// Open connections per client address, for --max-connections-per-ip. An address counts as its
// client_key: IPv6 by --ipv6-limit-prefix (default /64), IPv4-mapped IPv6 as IPv4.
class ConnectionsPerAddress {
 public:
  explicit ConnectionsPerAddress(std::uint32_t limit,
                                 std::uint8_t ipv6_prefix = kDefaultIpv6LimitPrefix)
      : limit_(limit), prefix_(ipv6_prefix) {}

  // False (and nothing counted) when the address is at its limit; 0 means unlimited.
  bool acquire(const IpAddress& address) {
    auto& count = counts_[client_key(address, prefix_)];
    if (limit_ != 0 && count >= limit_) return false;
    ++count;
    return true;
  }
  void release(const IpAddress& address) {
    auto it = counts_.find(client_key(address, prefix_));
    if (it == counts_.end()) return;
    if (--it->second == 0) counts_.erase(it);
  }
  std::uint32_t count(const IpAddress& address) const {
    auto it = counts_.find(client_key(address, prefix_));
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::uint32_t limit_;
  std::uint8_t prefix_;
  std::unordered_map<IpAddress, std::uint32_t, IpAddressHash> counts_;
};

// The first step of every incoming frame on both protocols: the connection's message rate. A
// connection that keeps sending after more than `burst` drops in a row is closed (1008) rather
// than served forever; the caller decides what else a drop means for its protocol.
struct FrameGate {
  explicit FrameGate(TokenBucket rate) : bucket(rate) {}
  TokenBucket bucket;
  std::uint32_t drops_in_a_row = 0;
  bool closing = false;  // close sent (for any reason): later frames are ignored
};

enum class Admission {
  kAccepted,
  kIgnored,    // the session is closing
  kFirstDrop,  // over the rate, and the first of a run of drops
  kDropped,    // over the rate again (closed once the run passes the burst)
};

inline Admission admit_frame(FrameGate& gate, Timestamp now, std::uint32_t burst,
                             std::uint64_t& rate_limited, Transport& transport, SessionId session) {
  if (gate.closing) return Admission::kIgnored;
  if (gate.bucket.take(now)) {
    gate.drops_in_a_row = 0;
    return Admission::kAccepted;
  }
  ++rate_limited;
  const bool first = gate.drops_in_a_row++ == 0;
  if (gate.drops_in_a_row > std::max<std::uint32_t>(burst, 1)) {
    gate.closing = true;
    transport.close(session, kClosePolicy, "message rate limit exceeded");
  }
  return first ? Admission::kFirstDrop : Admission::kDropped;
}

}  // namespace peerkit::signaling
