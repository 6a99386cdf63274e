#include "turn/service/metrics.h"

#include <string_view>

namespace peerkit::turn {

void WorkerMetrics::publish(const Counters& c) {
  set(Metric::kAllocationsCreated, c.allocations_created);
  set(Metric::kAllocationsDeleted, c.allocations_deleted);
  set(Metric::kAllocationsExpired, c.allocations_expired);
  set(Metric::kBindingRequests, c.binding_requests);
  set(Metric::kPacketsToPeer, c.packets_to_peer);
  set(Metric::kBytesToPeer, c.bytes_to_peer);
  set(Metric::kPacketsToClient, c.packets_to_client);
  set(Metric::kBytesToClient, c.bytes_to_client);
  set(Metric::kAuthChallenges, c.auth_challenges);
  set(Metric::kAuthFailures, c.auth_failures);
  set(Metric::kStaleNonces, c.stale_nonces);
  set(Metric::kDeniedPeers, c.denied_peers);
  set(Metric::kQuotaRejections, c.quota_rejections);
  set(Metric::kRateLimited, c.rate_limited);
  set(Metric::kBandwidthDrops, c.bandwidth_drops);
  set(Metric::kMalformed, c.malformed);
  set(Metric::kNoPermissionDrops, c.no_permission_drops);
}

namespace {

struct Row {
  Metric metric;
  const char* name;
  const char* type;
  const char* help;
  const char* labels;  // `direction="to_peer"` or empty
};

constexpr Row kRows[] = {
    {Metric::kAllocations, "peerkit_turn_allocations", "gauge", "Current allocations.", ""},
    {Metric::kPermissions, "peerkit_turn_permissions", "gauge", "Current permissions.", ""},
    {Metric::kChannels, "peerkit_turn_channels", "gauge", "Current channel bindings.", ""},
    {Metric::kTcpConnections, "peerkit_turn_stream_connections", "gauge",
     "Open TCP/TLS client connections.", ""},
    {Metric::kAllocationsCreated, "peerkit_turn_allocations_created_total", "counter",
     "Allocations created.", ""},
    {Metric::kAllocationsDeleted, "peerkit_turn_allocations_deleted_total", "counter",
     "Allocations deleted by Refresh(0) or connection close.", ""},
    {Metric::kAllocationsExpired, "peerkit_turn_allocations_expired_total", "counter",
     "Allocations that expired.", ""},
    {Metric::kBindingRequests, "peerkit_turn_binding_requests_total", "counter",
     "STUN Binding requests answered.", ""},
    {Metric::kPacketsToPeer, "peerkit_turn_relayed_packets_total", "counter", "Packets relayed.",
     "direction=\"to_peer\""},
    {Metric::kPacketsToClient, "peerkit_turn_relayed_packets_total", "counter", "Packets relayed.",
     "direction=\"to_client\""},
    {Metric::kBytesToPeer, "peerkit_turn_relayed_bytes_total", "counter", "Payload bytes relayed.",
     "direction=\"to_peer\""},
    {Metric::kBytesToClient, "peerkit_turn_relayed_bytes_total", "counter",
     "Payload bytes relayed.", "direction=\"to_client\""},
    {Metric::kAuthChallenges, "peerkit_turn_auth_challenges_total", "counter",
     "401 challenges to requests without credentials.", ""},
    {Metric::kAuthFailures, "peerkit_turn_auth_failures_total", "counter",
     "Requests with wrong, unknown or expired credentials.", ""},
    {Metric::kStaleNonces, "peerkit_turn_stale_nonces_total", "counter", "438 Stale Nonce answers.",
     ""},
    {Metric::kDeniedPeers, "peerkit_turn_denied_peers_total", "counter",
     "Peer addresses refused by the relay policy.", ""},
    {Metric::kQuotaRejections, "peerkit_turn_quota_rejections_total", "counter",
     "Requests refused by a quota or limit.", ""},
    {Metric::kRateLimited, "peerkit_turn_unauthenticated_rate_limited_total", "counter",
     "Unauthenticated answers suppressed by the per-source limit.", ""},
    {Metric::kBandwidthDrops, "peerkit_turn_bandwidth_drops_total", "counter",
     "Packets dropped by max-bps.", ""},
    {Metric::kMalformed, "peerkit_turn_malformed_total", "counter", "Malformed packets dropped.",
     ""},
    {Metric::kNoPermissionDrops, "peerkit_turn_no_permission_drops_total", "counter",
     "Packets dropped for lack of a permission or channel.", ""},
    {Metric::kUdpSendDrops, "peerkit_turn_udp_send_drops_total", "counter",
     "Datagrams the kernel refused to send (buffer full).", ""},
    {Metric::kTruncated, "peerkit_turn_oversized_datagrams_total", "counter",
     "Received datagrams over 8 KiB, dropped.", ""},
    {Metric::kStreamDrops, "peerkit_turn_stream_queue_drops_total", "counter",
     "Frames dropped because a TCP/TLS client's write queue was full.", ""},
};

}  // namespace

void collect_metrics(const std::vector<const WorkerMetrics*>& workers, net::MetricFamilies& out) {
  // Rows of one name are adjacent in kRows and become one family with a sample per row.
  for (std::size_t i = 0; i < std::size(kRows);) {
    const Row& first = kRows[i];
    std::vector<net::Sample> samples;
    for (; i < std::size(kRows) && std::string_view(kRows[i].name) == first.name; ++i) {
      std::uint64_t sum = 0;
      for (const auto* w : workers) sum += w->get(kRows[i].metric);
      net::Sample sample{{}, static_cast<double>(sum)};
      if (const std::string_view l = kRows[i].labels; !l.empty()) {
        const auto eq = l.find('=');
        sample.labels.emplace_back(l.substr(0, eq), l.substr(eq + 2, l.size() - eq - 3));
      }
      samples.push_back(std::move(sample));
    }
    net::add_family(out, first.name, first.help,
                    std::string_view(first.type) == "counter" ? prometheus::MetricType::Counter
                                                              : prometheus::MetricType::Gauge,
                    samples);
  }
}

}  // namespace peerkit::turn
