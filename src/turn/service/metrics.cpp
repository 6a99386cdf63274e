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

constexpr auto kGauge = prometheus::MetricType::Gauge;
constexpr auto kCounter = prometheus::MetricType::Counter;

struct Row {
  Metric metric;
  const char* name;
  prometheus::MetricType type;
  const char* help;
  const char* direction;  // the `direction` label (to_peer, to_client), or empty
};

constexpr Row kRows[] = {
    {Metric::kAllocations, "peerkit_turn_allocations", kGauge, "Current allocations.", ""},
    {Metric::kPermissions, "peerkit_turn_permissions", kGauge, "Current permissions.", ""},
    {Metric::kChannels, "peerkit_turn_channels", kGauge, "Current channel bindings.", ""},
    {Metric::kTcpConnections, "peerkit_turn_stream_connections", kGauge,
     "Open TCP/TLS client connections.", ""},
    {Metric::kAllocationsCreated, "peerkit_turn_allocations_created_total", kCounter,
     "Allocations created.", ""},
    {Metric::kAllocationsDeleted, "peerkit_turn_allocations_deleted_total", kCounter,
     "Allocations deleted by Refresh(0) or connection close.", ""},
    {Metric::kAllocationsExpired, "peerkit_turn_allocations_expired_total", kCounter,
     "Allocations that expired.", ""},
    {Metric::kBindingRequests, "peerkit_turn_binding_requests_total", kCounter,
     "STUN Binding requests answered.", ""},
    {Metric::kPacketsToPeer, "peerkit_turn_relayed_packets_total", kCounter, "Packets relayed.",
     "to_peer"},
    {Metric::kPacketsToClient, "peerkit_turn_relayed_packets_total", kCounter, "Packets relayed.",
     "to_client"},
    {Metric::kBytesToPeer, "peerkit_turn_relayed_bytes_total", kCounter, "Payload bytes relayed.",
     "to_peer"},
    {Metric::kBytesToClient, "peerkit_turn_relayed_bytes_total", kCounter, "Payload bytes relayed.",
     "to_client"},
    {Metric::kAuthChallenges, "peerkit_turn_auth_challenges_total", kCounter,
     "401 challenges to requests without credentials.", ""},
    {Metric::kAuthFailures, "peerkit_turn_auth_failures_total", kCounter,
     "Requests with wrong, unknown or expired credentials.", ""},
    {Metric::kStaleNonces, "peerkit_turn_stale_nonces_total", kCounter, "438 Stale Nonce answers.",
     ""},
    {Metric::kDeniedPeers, "peerkit_turn_denied_peers_total", kCounter,
     "Peer addresses refused by the relay policy.", ""},
    {Metric::kQuotaRejections, "peerkit_turn_quota_rejections_total", kCounter,
     "Requests refused by a quota or limit.", ""},
    {Metric::kRateLimited, "peerkit_turn_unauthenticated_rate_limited_total", kCounter,
     "Unauthenticated answers suppressed by the per-source limit.", ""},
    {Metric::kBandwidthDrops, "peerkit_turn_bandwidth_drops_total", kCounter,
     "Packets dropped by max-bps.", ""},
    {Metric::kMalformed, "peerkit_turn_malformed_total", kCounter, "Malformed packets dropped.",
     ""},
    {Metric::kNoPermissionDrops, "peerkit_turn_no_permission_drops_total", kCounter,
     "Packets dropped for lack of a permission or channel.", ""},
    {Metric::kUdpSendDrops, "peerkit_turn_udp_send_drops_total", kCounter,
     "Datagrams the kernel refused to send (buffer full).", ""},
    {Metric::kTruncated, "peerkit_turn_oversized_datagrams_total", kCounter,
     "Received datagrams over 8 KiB, dropped.", ""},
    {Metric::kStreamDrops, "peerkit_turn_stream_queue_drops_total", kCounter,
     "Frames dropped because a TCP/TLS client's write queue was full.", ""},
    {Metric::kRelayBindAttempts, "peerkit_turn_relay_bind_attempts_total", kCounter,
     "Relay sockets the server tried to bind (at most 16 per Allocate).", ""},
    {Metric::kDescriptorRejections, "peerkit_turn_descriptor_rejections_total", kCounter,
     "Allocates refused with 508 because the relay descriptor budget was used up.", ""},
    {Metric::kStreamsRefused, "peerkit_turn_stream_connections_refused_total", kCounter,
     "TCP/TLS connections closed at accept: per-address, per-worker or descriptor limit.", ""},
    {Metric::kStreamsTimedOut, "peerkit_turn_stream_allocate_timeouts_total", kCounter,
     "TCP/TLS connections closed for not allocating within max-allocate-timeout.", ""},
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
      if (*kRows[i].direction) sample.labels.emplace_back("direction", kRows[i].direction);
      samples.push_back(std::move(sample));
    }
    net::add_family(out, first.name, first.help, first.type, samples);
  }
}

}  // namespace peerkit::turn
