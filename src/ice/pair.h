// Candidate pairs and their check-list states (RFC 8445 §6.1.2), the pair priority formula
// (§6.1.2.3), and the per-pair numbers getStats() reports (W3C RTCIceCandidatePairStats).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "common/address.h"
#include "common/time.h"
#include "ice/candidate.h"
#include "stun/client_transaction.h"

namespace peerkit::ice {

// Indices into the agent's local and remote candidates and into its check list, as distinct
// types so that a local index cannot be passed where a remote one or a pair is meant.
struct LocalCandidateId {
  std::size_t value = 0;
  friend auto operator<=>(const LocalCandidateId&, const LocalCandidateId&) = default;
};
struct RemoteCandidateId {
  std::size_t value = 0;
  friend auto operator<=>(const RemoteCandidateId&, const RemoteCandidateId&) = default;
};
struct PairId {
  std::size_t value = 0;
  friend auto operator<=>(const PairId&, const PairId&) = default;
};

enum class PairState : std::uint8_t { kFrozen, kWaiting, kInProgress, kSucceeded, kFailed };
const char* to_string(PairState s);

// §6.1.2.3: 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G the controlling agent's candidate.
std::uint64_t pair_priority(std::uint32_t controlling, std::uint32_t controlled);

struct PairCounters {
  std::uint64_t requests_sent = 0, responses_received = 0;
  std::uint64_t requests_received = 0, responses_sent = 0;
  std::uint64_t consent_requests_sent = 0;
  std::uint64_t bytes_sent = 0, bytes_received = 0;
  Duration total_rtt;
  std::uint64_t rtt_samples = 0;
  std::optional<Duration> current_rtt;
};

struct CandidatePair {
  LocalCandidateId local;
  RemoteCandidateId remote;
  std::uint64_t priority = 0;
  std::string foundation;  // local foundation + ":" + remote foundation (§6.1.2.6)
  PairState state = PairState::kFrozen;
  bool valid = false;                // §7.2.5.3.2: on the valid list
  bool nominated = false;            // §8.1.1
  bool nominate_on_success = false;  // controlled: USE-CANDIDATE seen before success (§7.3.1.5)
  std::optional<stun::ClientTransaction> transaction;
  // A check replaced by a triggered one (§7.3.1.4): no longer retransmitted, but its answer
  // still counts; otherwise two agents replacing each other's checks would never finish.
  std::optional<stun::ClientTransaction> cancelled;
  Timestamp check_started;  // first transmission of the current transaction
  bool transaction_nominates = false;
  std::optional<PairId> valid_pair;  // for a check that discovered a prflx local
  PairCounters counters;
};

struct PairStats {
  Candidate local;
  Candidate remote;
  PairState state;
  bool nominated = false;
  bool selected = false;
  std::uint64_t priority = 0;
  PairCounters counters;
};

}  // namespace peerkit::ice
