// What the TURN core asks its driver to send. The core appends to a TransmitQueue during
// handle_*; the driver drains it after each batch (with sendmmsg for UDP). Payload bytes either
// live in the queue's own buffer, or — for the zero-copy relay path — in the driver's receive
// buffer, which the driver keeps untouched until it has drained the queue.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"

namespace peerkit::turn {

enum class Transport : std::uint8_t { kUdp, kTcp, kTls };
const char* to_string(Transport t);

// How a client reached the server: the 5-tuple (RFC 8656 §2) plus, for TCP/TLS, the id the
// driver gave the connection. Two UDP clients differ by address; two streams by connection.
struct ClientRoute {
  Transport transport = Transport::kUdp;
  std::uint64_t connection = 0;  // 0 for UDP
  SocketAddress local;           // the server address the packet arrived at
  SocketAddress remote;          // the client's address

  bool operator==(const ClientRoute&) const = default;
};
struct ClientRouteHash {
  std::size_t operator()(const ClientRoute& r) const noexcept {
    return SocketAddressHash{}(r.remote) ^ (SocketAddressHash{}(r.local) * 7) ^
           (std::hash<std::uint64_t>{}(r.connection) * 31);
  }
};

// A relay socket, as the driver names it to the core. A type of its own, so it cannot be
// swapped with a connection id, a port or a count without a compile error.
struct RelayHandle {
  constexpr RelayHandle() = default;
  constexpr explicit RelayHandle(std::uint32_t v) : value(v) {}
  std::uint32_t value = 0;
  constexpr RelayHandle next() const { return RelayHandle(value + 1); }
  auto operator<=>(const RelayHandle&) const = default;
};

struct Transmit {
  enum class Via : std::uint8_t { kClient, kRelay };
  Via via = Via::kClient;
  ClientRoute client;                   // via kClient: answer on this route
  RelayHandle relay;                    // via kRelay: send from this relay socket
  SocketAddress to;                     // via kRelay: the peer
  const std::byte* external = nullptr;  // payload outside the queue buffer, or
  std::uint32_t offset = 0;             // offset into the queue buffer
  std::uint32_t length = 0;
};

class TransmitQueue {
 public:
  TransmitQueue() { buffer_.reserve(64 * 1536); }

  // Space for a payload of up to `max` bytes; pass the bytes used to commit().
  MutableByteSpan reserve(std::size_t max) {
    pending_ = buffer_.size();
    buffer_.resize(pending_ + max);
    return MutableByteSpan(buffer_.data() + pending_, max);
  }
  void commit(Transmit t, std::size_t used) {
    buffer_.resize(pending_ + used);
    t.external = nullptr;
    t.offset = static_cast<std::uint32_t>(pending_);
    t.length = static_cast<std::uint32_t>(used);
    items_.push_back(t);
  }
  void push_external(Transmit t, ByteSpan payload) {
    t.external = payload.data();
    t.length = static_cast<std::uint32_t>(payload.size());
    items_.push_back(t);
  }

  const std::vector<Transmit>& items() const { return items_; }
  ByteSpan payload(const Transmit& t) const {
    return t.external ? ByteSpan(t.external, t.length)
                      : ByteSpan(buffer_.data() + t.offset, t.length);
  }
  bool empty() const { return items_.empty(); }
  void clear() {
    items_.clear();
    buffer_.clear();
  }

 private:
  std::vector<std::byte> buffer_;
  std::vector<Transmit> items_;
  std::size_t pending_ = 0;
};

}  // namespace peerkit::turn

template <>
struct std::hash<peerkit::turn::RelayHandle> {
  std::size_t operator()(peerkit::turn::RelayHandle h) const noexcept {
    return std::hash<std::uint32_t>{}(h.value);
  }
};
