// Caps how many unauthenticated answers (401, 438) one client can draw per second, so the
// server cannot be used to reflect traffic at a spoofed victim (coturn 4.13.1/4.14 added the
// same). A fixed table of token buckets indexed by a salted hash of the client key (the address,
// IPv6 masked to its prefix): bounded memory, O(1), no eviction; two keys sharing a slot share a
// budget, which only makes limiting stricter.
//
// One thread. A Server that runs alone owns one; the workers of `peerkit turn` share one table
// through service/shared_quotas.h's SharedUnauthLimiter, which locks a slot's shard around
// take() — so one address has one budget however many workers its packets are spread over.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/address.h"
#include "common/time.h"
#include "common/token_bucket.h"
#include "turn/resources.h"

namespace peerkit::turn {

class UnauthLimiter final : public UnauthBudget {
 public:
  static constexpr std::size_t kSlots = 4096;

  UnauthLimiter(std::uint32_t rate_per_s, std::uint32_t burst, std::uint64_t salt);
  // True if one more unauthenticated answer to `client` may go out now.
  bool allow(Timestamp now, const IpAddress& client) override;

  // The parts of allow(), for a wrapper that locks per slot: which slot `client` counts in, and
  // taking one answer from a slot. Different slots are independent objects.
  bool unlimited() const { return rate_ == 0; }
  std::size_t slot_of(const IpAddress& client) const;
  bool take(std::size_t slot, Timestamp now);

 private:
  std::uint32_t rate_;
  std::uint32_t burst_;
  std::uint64_t salt_;
  std::vector<std::optional<TokenBucket>> buckets_;  // made full on a slot's first use
};

}  // namespace peerkit::turn
