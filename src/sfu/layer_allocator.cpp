#include "sfu/layer_allocator.h"

namespace peerkit::sfu {

namespace {

// The next layer above `from` (or the lowest when nullopt) up to `max` that is sending.
std::optional<int> next_layer(const LayerDemand& d, std::optional<int> from, int max) {
  for (int l = from ? *from + 1 : 0; l <= max && l < kMaxLayers; ++l)
    if (d.rate_bps[static_cast<std::size_t>(l)] > 0) return l;
  return std::nullopt;
}

double cost(const LayerDemand& d, int layer, double headroom) {
  const double rate = d.rate_bps[static_cast<std::size_t>(layer)];
  if (d.current && layer == *d.current) return rate * kHoldShare;
  return d.current && layer < *d.current ? rate : rate * headroom;
}

}  // namespace

LayerPlan allocate_layers(double budget_bps, std::span<const LayerDemand> demands,
                          double upgrade_headroom) {
  LayerPlan plan;
  plan.layers.resize(demands.size());
  double used = 0;
  for (std::size_t i = 0; i < demands.size(); ++i) {
    const LayerDemand& d = demands[i];
    if (d.audio) {
      plan.layers[i] = d.preferred;
      used += d.rate_bps[0];
      continue;
    }
    if (!d.preferred) continue;
    // The lowest sending layer, whatever the budget: below it there is only a frozen tile.
    // If none sends yet, aim at what was asked so the first keyframe of it starts the stream.
    auto lowest = next_layer(d, std::nullopt, *d.preferred);
    plan.layers[i] = lowest ? lowest : d.preferred;
    if (lowest) used += d.rate_bps[static_cast<std::size_t>(*lowest)];
  }
  auto upgrade_cost = [&](std::size_t i) -> std::optional<double> {
    const LayerDemand& d = demands[i];
    if (d.audio || !d.preferred || !plan.layers[i]) return std::nullopt;
    const double now_rate = d.rate_bps[static_cast<std::size_t>(*plan.layers[i])];
    if (now_rate == 0) return std::nullopt;  // not sending: nothing to build on
    auto up = next_layer(d, plan.layers[i], *d.preferred);
    if (!up) return std::nullopt;
    return cost(d, *up, upgrade_headroom) - now_rate;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < demands.size(); ++i) {
      auto extra = upgrade_cost(i);
      if (!extra || used + *extra > budget_bps) continue;
      used += *extra;
      plan.layers[i] = next_layer(demands[i], plan.layers[i], *demands[i].preferred);
      changed = true;
    }
  }
  for (std::size_t i = 0; i < demands.size(); ++i)
    if (auto extra = upgrade_cost(i))
      if (!plan.blocked_upgrade_bps || used + *extra < *plan.blocked_upgrade_bps)
        plan.blocked_upgrade_bps = used + *extra;
  plan.allocated_bps = used;
  return plan;
}

}  // namespace peerkit::sfu
