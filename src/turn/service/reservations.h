// Relay ports held under RESERVATION-TOKENs (RFC 8656 §7.2, EVEN-PORT with the R bit), shared
// by all workers: the Allocate that redeems a token may be hashed to another worker than the
// one that reserved it, so the reserved socket is kept here as a bare fd, not yet in any event
// loop, and the claiming worker adopts it. Unclaimed reservations are closed after `lifetime`.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "common/address.h"
#include "common/time.h"

namespace peerkit::turn {

class ReservationRegistry {
 public:
  struct Held {
    int fd;
    SocketAddress address;
  };

  // close(fd, address) closes a reservation nobody claimed (default: ::close), so the owner can
  // also return its port and its descriptor to their budgets.
  explicit ReservationRegistry(Duration lifetime = Duration::seconds(30),
                               std::size_t max_held = 4096,
                               std::function<void(int, const SocketAddress&)> close_fd = nullptr);
  ~ReservationRegistry();

  // Takes ownership of fd; returns the token, or nullopt (fd closed) when the registry is full.
  std::optional<std::uint64_t> hold(int fd, const SocketAddress& address, std::uint64_t token,
                                    Timestamp now);
  std::optional<Held> take(std::uint64_t token, Timestamp now);
  void expire(Timestamp now);
  std::size_t size() const;

 private:
  struct Entry {
    Held held;
    Timestamp expires;
  };
  mutable std::mutex mutex_;
  Duration lifetime_;
  std::size_t max_held_;
  std::function<void(int, const SocketAddress&)> close_fd_;
  std::unordered_map<std::uint64_t, Entry> entries_;
};

}  // namespace peerkit::turn
