// What every worker of one TurnService shares to enforce per-user, per-address and global
// limits: the allocation quotas, the unauthenticated-answer budget and the set of relayed
// transport addresses. None of it is on the relay data path except RelayDirectory::contains(),
// which is a lock-free bit test and is asked only in loopback_relays_only mode.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "turn/resources.h"
#include "turn/unauth_limiter.h"

namespace peerkit::turn {

// Allocations per user, per client key and in total. Touched only when an allocation is created
// or deleted, so one mutex is the simple answer. Limits of 0 mean unlimited.
class SharedQuotas final : public QuotaLedger {
 public:
  SharedQuotas(std::size_t per_user, std::size_t per_address, std::size_t total)
      : per_user_(per_user), per_address_(per_address), total_limit_(total) {}

  QuotaResult acquire(std::string_view user, const IpAddress& client) override {
    std::lock_guard lock(mutex_);
    if (total_limit_ && total_ >= total_limit_) return QuotaResult::kTotalQuota;
    auto user_it = users_.find(std::string(user));
    if (per_user_ && user_it != users_.end() && user_it->second >= per_user_)
      return QuotaResult::kUserQuota;
    auto address_it = addresses_.find(client);
    if (per_address_ && address_it != addresses_.end() && address_it->second >= per_address_)
      return QuotaResult::kAddressQuota;
    ++users_[std::string(user)];
    ++addresses_[client];
    ++total_;
    return QuotaResult::kOk;
  }
  void release(std::string_view user, const IpAddress& client) override {
    std::lock_guard lock(mutex_);
    auto it = users_.find(std::string(user));
    if (it == users_.end()) return;
    if (--it->second == 0) users_.erase(it);
    if (auto a = addresses_.find(client); a != addresses_.end() && --a->second == 0)
      addresses_.erase(a);
    --total_;
  }

 private:
  std::mutex mutex_;
  std::size_t per_user_;
  std::size_t per_address_;
  std::size_t total_limit_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> users_;
  std::unordered_map<IpAddress, std::size_t, IpAddressHash> addresses_;
};

// One UnauthLimiter table for every worker: a client has one budget whichever worker its
// datagrams reach (SO_REUSEPORT spreads one address's source ports over all of them). Only the
// path that answers an unauthenticated request takes a lock, and only the one of kShards that
// guards the client's slot, so workers answering different clients rarely meet.
class SharedUnauthLimiter final : public UnauthBudget {
 public:
  static constexpr std::size_t kShards = 64;

  SharedUnauthLimiter(std::uint32_t rate_per_s, std::uint32_t burst, std::uint64_t salt)
      : table_(rate_per_s, burst, salt) {}

  bool allow(Timestamp now, const IpAddress& client) override {
    if (table_.unlimited()) return true;
    const std::size_t slot = table_.slot_of(client);
    std::lock_guard lock(shards_[slot % kShards]);
    return table_.take(slot, now);
  }

 private:
  UnauthLimiter table_;
  std::array<std::mutex, kShards> shards_;
};

// The relayed transport addresses held by every worker: one bit per port for each relay IP
// (8 KiB per IP), set and cleared with atomic operations, so the check is one load and no lock.
// The relay IPs are fixed at start; an address on any other IP is never contained.
class SharedRelayDirectory final : public RelayDirectory {
 public:
  explicit SharedRelayDirectory(const std::vector<IpAddress>& relay_ips) {
    for (const auto& ip : relay_ips) {
      bool seen = false;
      for (const auto& e : ips_) seen = seen || e.ip == ip;
      if (!seen) ips_.push_back({ip, std::make_unique<Bits>()});
    }
  }

  void add(const SocketAddress& relay) override {
    if (auto* bits = find(relay.ip()))
      word(*bits, relay.port()).fetch_or(bit(relay.port()), std::memory_order_release);
  }
  void remove(const SocketAddress& relay) override {
    if (auto* bits = find(relay.ip()))
      word(*bits, relay.port()).fetch_and(~bit(relay.port()), std::memory_order_release);
  }
  bool contains(const SocketAddress& a) const override {
    const auto* bits = find(a.ip());
    return bits && (word(*bits, a.port()).load(std::memory_order_acquire) & bit(a.port())) != 0;
  }

 private:
  using Bits = std::array<std::atomic<std::uint64_t>, 65536 / 64>;
  struct Entry {
    IpAddress ip;
    std::unique_ptr<Bits> bits;
  };
  static std::atomic<std::uint64_t>& word(Bits& b, std::uint16_t port) { return b[port / 64]; }
  static const std::atomic<std::uint64_t>& word(const Bits& b, std::uint16_t port) {
    return b[port / 64];
  }
  static std::uint64_t bit(std::uint16_t port) { return std::uint64_t{1} << (port % 64); }
  Bits* find(const IpAddress& ip) const {
    for (const auto& e : ips_)
      if (e.ip == ip) return e.bits.get();
    return nullptr;
  }

  std::vector<Entry> ips_;
};

}  // namespace peerkit::turn
