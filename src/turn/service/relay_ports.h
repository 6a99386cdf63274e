// Relay port choice (RFC 8656 §7.2: the server picks the relayed port, preferably at random).
// Shared by all workers of the process: it knows which ports of each relay address this process
// already holds, so it never asks the kernel for one of those, and it asks the kernel at most
// kMaxBindAttempts times per Allocate — a crowded or exhausted range costs a bounded amount of
// work, not a walk over every port while the worker stalls.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "common/address.h"
#include "common/random.h"

namespace peerkit::turn {

class RelayPorts {
 public:
  // Bind attempts (syscalls) per Allocate at most, whatever the state of the range.
  static constexpr unsigned kMaxBindAttempts = 16;

  RelayPorts(std::uint16_t min_port, std::uint16_t max_port);

  struct Want {
    bool even = false;  // EVEN-PORT
    bool pair = false;  // EVEN-PORT with R: port and port+1 (the caller binds both)
  };
  enum class Bind {
    kBound,  // the socket (both sockets for a pair) is bound: the port is ours
    kInUse,  // the port is taken by someone else: try another
    kError,  // no socket at all (out of descriptors or memory): trying other ports is useless
  };
  // Tries ports of `ip` this process does not hold — from a random start, then the ports after
  // it, then other random starts — calling bind(port) until one is bound, one fails with
  // kError, or kMaxBindAttempts have been made. The port returned (and port+1 for a pair) is
  // held until release(). nullopt when no usable port is left or no attempt succeeded.
  std::optional<std::uint16_t> acquire(const IpAddress& ip, Want want, RandomSource& random,
                                       const std::function<Bind(std::uint16_t)>& bind);
  void release(const SocketAddress& at);
  std::size_t held() const;

 private:
  // One bit per port of the range in each map. `foreign` remembers ports found taken by other
  // processes, so later Allocates skip them; it is forgotten when nothing else is left.
  struct Range {
    IpAddress ip;
    std::vector<std::uint64_t> held;
    std::vector<std::uint64_t> foreign;
    std::size_t held_count = 0;
    std::size_t foreign_count = 0;
  };
  Range& range_for(const IpAddress& ip);
  // The first usable offset at or after `from` (wrapping), if any; at most one pass.
  std::optional<std::uint32_t> find(const Range& r, std::uint32_t from, Want want) const;
  bool usable(const Range& r, std::uint32_t offset, Want want) const;

  mutable std::mutex mutex_;
  std::uint16_t min_port_;
  std::uint16_t max_port_;
  std::vector<Range> ranges_;  // one per relay address, in the order first seen
};

}  // namespace peerkit::turn
