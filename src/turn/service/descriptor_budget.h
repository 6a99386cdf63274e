// The process's file descriptors, budgeted (RLIMIT_NOFILE is the hard limit; on the machines we
// test on it is 20 000 and cannot be raised). Listeners, the log, the metrics endpoint and the
// event loops' own descriptors come out of a fixed reserve; what is left is split into a share
// for relay sockets (one per relayed address family of an allocation, plus EVEN-PORT
// reservations) and a share for accepted TCP/TLS client connections. Every relay socket and
// every accepted connection takes one descriptor from its share before it exists and gives it
// back when closed, so an Allocate beyond the relay share gets 508 while descriptors remain for
// clients to connect, and the process never reaches the kernel's limit. Lock-free: workers take
// and give from their own threads.
#pragma once

#include <atomic>
#include <cstddef>

namespace peerkit::turn {

class DescriptorShare {
 public:
  explicit DescriptorShare(std::size_t limit) : limit_(limit) {}
  // All or nothing: false (and nothing taken) when fewer than n are left.
  bool take(std::size_t n = 1) {
    std::size_t used = used_.load(std::memory_order_relaxed);
    do {
      if (used + n > limit_) return false;
    } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
    return true;
  }
  void give(std::size_t n = 1) { used_.fetch_sub(n, std::memory_order_relaxed); }
  std::size_t used() const { return used_.load(std::memory_order_relaxed); }
  std::size_t limit() const { return limit_; }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

struct DescriptorBudget {
  DescriptorBudget(std::size_t relay_limit, std::size_t connection_limit)
      : relays(relay_limit), connections(connection_limit) {}
  DescriptorShare relays;       // relay sockets, reserved ports included
  DescriptorShare connections;  // accepted TCP/TLS client connections
};

// How many descriptors the process keeps for itself, outside both shares: standard streams, the
// log file, each worker's listeners and event-loop descriptors, the metrics endpoint and its
// scrapes, certificate reloads. `files` is RLIMIT_NOFILE.
std::size_t descriptor_reserve(std::size_t files, std::size_t workers,
                               std::size_t sockets_per_worker);

}  // namespace peerkit::turn
