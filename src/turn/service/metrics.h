// Worker counters published for Prometheus. Each worker copies its core's counters into relaxed
// atomics at most every 100 ms while traffic flows and once per second when idle; the metrics
// endpoint sums them when scraped. The relay data path itself never touches an atomic.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "net/metrics.h"
#include "turn/allocation.h"

namespace peerkit::turn {

enum class Metric : std::size_t {
  kAllocations,
  kPermissions,
  kChannels,
  kTcpConnections,
  kAllocationsCreated,
  kAllocationsDeleted,
  kAllocationsExpired,
  kBindingRequests,
  kPacketsToPeer,
  kBytesToPeer,
  kPacketsToClient,
  kBytesToClient,
  kAuthChallenges,
  kAuthFailures,
  kStaleNonces,
  kDeniedPeers,
  kQuotaRejections,
  kRateLimited,
  kBandwidthDrops,
  kMalformed,
  kNoPermissionDrops,
  kUdpSendDrops,
  kTruncated,
  kStreamDrops,
  kRelayBindAttempts,
  kDescriptorRejections,
  kStreamsRefused,
  kStreamsTimedOut,
  kCount
};

struct WorkerMetrics {
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Metric::kCount)> values{};
  void set(Metric m, std::uint64_t v) {
    values[static_cast<std::size_t>(m)].store(v, std::memory_order_relaxed);
  }
  std::uint64_t get(Metric m) const {
    return values[static_cast<std::size_t>(m)].load(std::memory_order_relaxed);
  }
  void publish(const Counters& c);
};

// The sum over workers, as Prometheus families (names and labels as documented in docs/turn.md).
void collect_metrics(const std::vector<const WorkerMetrics*>& workers, net::MetricFamilies& out);

}  // namespace peerkit::turn
