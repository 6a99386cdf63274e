// The SFU core's identifiers, shared by the router and the per-room helpers.
#pragma once

#include <compare>
#include <cstdint>

namespace peerkit::sfu {

struct ParticipantId {
  std::uint32_t value = 0;
  auto operator<=>(const ParticipantId&) const = default;
};
struct TrackId {
  std::uint32_t value = 0;
  auto operator<=>(const TrackId&) const = default;
};
struct SubscriptionId {
  std::uint32_t value = 0;
  auto operator<=>(const SubscriptionId&) const = default;
};

}  // namespace peerkit::sfu
