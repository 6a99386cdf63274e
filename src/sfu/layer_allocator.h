// Which simulcast layer each of a subscriber connection's video subscriptions gets, given the
// connection's bandwidth estimate (issue 11): audio first, then every video at its lowest
// layer, then upgrades one layer at a time, round-robin, while they fit — so five tiles at the
// middle layer beat one at the top and four frozen. A layer above the one a subscription
// receives now costs `upgrade_headroom` × its rate (hysteresis: an estimate hovering at a
// layer's rate does not flip it every second); keeping the current layer costs kHoldShare of
// its rate, so that one delay-based cut (β = 0.85 × what got through, GCC §5.5), which a
// keyframe's burst or a probe can cause on a path that does carry the layer, does not take
// it away: a second cut does. (T13, a layer at 80–92 % of a 1 Mbit/s cap: without the hold
// share every upgrade was cut back within 300 ms and the subscriber never settled.)
// Layers that sent nothing over the last second (rate 0) are not chosen. A subscription never
// goes above what the client asked for (`preferred`); one the client paused stays paused.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "sfu/ingress_packet.h"

namespace peerkit::sfu {

struct LayerDemand {
  bool audio = false;
  std::optional<int> preferred;  // the highest layer wanted; nullopt = paused
  std::optional<int> current;    // what is being forwarded now
  std::array<double, kMaxLayers> rate_bps{};  // measured ingress rate of each layer
};

struct LayerPlan {
  std::vector<std::optional<int>> layers;  // per demand, in order (audio: its `preferred`)
  double allocated_bps = 0;
  // The cheapest upgrade that did not fit (its total cost), if any: what a probe must show.
  std::optional<double> blocked_upgrade_bps;
};

inline constexpr double kUpgradeHeadroom = 1.15;
inline constexpr double kHoldShare = 0.8;

LayerPlan allocate_layers(double budget_bps, std::span<const LayerDemand> demands,
                          double upgrade_headroom = kUpgradeHeadroom);

}  // namespace peerkit::sfu
