// Internal to the router's .cpp files: the per-track and per-subscription state.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "rtp/missing_packets.h"
#include "rtp/receive_statistics.h"
#include "sfu/router.h"
#include "sfu/sender_reports.h"

namespace peerkit::sfu {

struct Router::Track {
  TrackId id;
  TrackParams params;
  std::array<std::optional<std::uint32_t>, kMaxLayers> layer_ssrc{};
  std::vector<SubscriptionId> subscriptions;
  KeyframeRequests keyframes;
  std::array<RateMeter, kMaxLayers> layer_rate{};  // ingress, for the layer allocator
  // Per layer, as a receiver: the report blocks toward the publisher and its sender clock.
  std::array<std::optional<rtp::ReceiveStatistics>, kMaxLayers> receive{};
  // Per layer, with params.nack: the gaps to ask the publisher about, and the layer's media
  // payload type (a retransmission is rebuilt with it).
  std::array<std::optional<rtp::MissingPackets>, kMaxLayers> missing{};
  std::array<std::optional<std::uint8_t>, kMaxLayers> media_pt{};
};

struct Router::Subscription {
  SubscriptionId id;
  ParticipantId subscriber;
  TrackId track;
  SubscriberParams params;
  OutboundStream stream;
  PacketHistory history;
  NackResponder responder;
  std::optional<int> preferred;  // the highest layer the client wants (set_layer)
  StreamCounters sent;           // for its sender reports
  SentReports reports;
  std::optional<rtp::ReportBlock> last_report;  // the subscriber's latest block about it
};

}  // namespace peerkit::sfu
