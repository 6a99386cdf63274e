// Options of the PeerJS-compatible signaling core. Names and defaults follow PeerServer 1.0.2
// (../shared/specs/peerjs-protocol.md §1.4) where PeerServer has them; the limits PeerServer
// lacks are peerkit's and documented in docs/signaling.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/time.h"

namespace peerkit::signaling {

struct PeerJsOptions {
  std::string key = "peerjs";
  Duration expire_timeout = Duration::millis(5000);  // age of an offline queue before EXPIRE
  Duration alive_timeout = Duration::millis(90000);  // no HEARTBEAT for this long: reaped
  std::size_t concurrent_limit = 5000;               // registered ids
  bool allow_discovery = false;                      // GET /<key>/peers
  // PeerServer keeps a reconnecting client silent (no OPEN), which leaves the official client
  // "disconnected" forever (spec §2.8); sending OPEN again is safe and fixes that.
  bool open_on_takeover = true;

  // peerkit's own limits (PeerServer has none of these).
  std::size_t max_id_bytes = 256;           // id and token length
  std::size_t max_queued_per_id = 128;      // offline messages waiting for one id
  std::size_t max_offline_ids = 10000;      // ids with an offline queue at once
  std::uint32_t messages_per_second = 200;  // per connection; 0 = unlimited
  std::uint32_t message_burst = 400;
  // Bytes in offline queues (a message costs its relayed frame, its sender id and
  // kQueuedMessageOverhead). A media OFFER is ~6 KB and a connection attempt with its CANDIDATEs
  // ~10 KB, so 256 KiB per destination holds ~25 attempts to one absent id, 1 MiB per sender ~100,
  // 4 MiB per client address a few busy tabs behind one NAT, and 64 MiB in total keeps a small
  // server's worst case at 64 MiB (PeerServer: unbounded). A message over any of them is refused
  // with an immediate EXPIRE to its sender.
  std::size_t max_queued_bytes_per_id = 256 * 1024;
  std::size_t max_queued_bytes_per_sender = 1 << 20;
  std::size_t max_queued_bytes_per_address = 4 << 20;
  std::size_t max_queued_bytes_total = 64 << 20;
  // Per-address budgets count IPv6 clients by this prefix (common/client_key.h).
  std::uint8_t ipv6_limit_prefix = 64;
};

// Counted per queued message on top of its bytes: the queue entry and the allocator's headers.
inline constexpr std::size_t kQueuedMessageOverhead = 96;

}  // namespace peerkit::signaling
