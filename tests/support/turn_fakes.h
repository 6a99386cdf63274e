// In-memory versions of what the TURN server core takes from its driver (turn/resources.h): relay
// sockets and process-wide quotas. Used by the unit harness, the sim tests and the stateful
// fuzzer. Misuse by the core — a relay released twice or never handed out, a quota released
// below zero — calls `on_misuse`: unit tests make it a test failure, fuzzers a trap. The default
// aborts, so misuse is never silent.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "turn/resources.h"

namespace peerkit::testing {

using MisuseHook = std::function<void(const char* what)>;

inline void abort_on_misuse(const char* what) {
  std::fprintf(stderr, "turn fake misused: %s\n", what);
  std::abort();
}

class FakeRelays : public turn::RelayAllocator {
 public:
  std::optional<turn::RelayGrant> allocate(const turn::RelayRequest& r) override {
    if (!supports(r.family) || live.size() >= capacity) return std::nullopt;
    std::uint16_t port = next_port;
    if (r.even_port && port % 2) ++port;
    next_port = static_cast<std::uint16_t>(port + (r.reserve_next ? 2 : 1));
    const IpAddress ip = r.family == AddressFamily::kIpv4 ? ipv4_address : ipv6_address;
    last_handle = last_handle.next();
    turn::RelayGrant g{last_handle, SocketAddress(ip, port)};
    grant(g.handle, g.address);
    if (r.reserve_next) {
      g.reservation_token = 0xABC00000u + last_handle.value;
      last_handle = last_handle.next();
      reserved[*g.reservation_token] = {last_handle,
                                        SocketAddress(ip, static_cast<std::uint16_t>(port + 1))};
      grant(last_handle, reserved[*g.reservation_token].address);
    }
    last_request = r;
    return g;
  }
  bool supports(AddressFamily f) const override { return f == AddressFamily::kIpv4 || ipv6; }
  void release(turn::RelayHandle h) override {
    auto it = live.find(h);
    if (it == live.end()) return on_misuse("relay released twice or never allocated");
    if (on_release) on_release(h, it->second);
    live.erase(it);
  }
  std::optional<turn::RelayGrant> claim_reservation(std::uint64_t token) override {
    auto it = reserved.find(token);
    if (it == reserved.end()) return std::nullopt;
    auto g = it->second;
    reserved.erase(it);
    return g;
  }
  // What the driver does after ~30 s without a claim.
  void expire_reservations() {
    for (auto& [t, g] : reserved) release(g.handle);
    reserved.clear();
  }

  std::map<turn::RelayHandle, SocketAddress> live;  // handed out, not yet released
  std::map<std::uint64_t, turn::RelayGrant> reserved;
  std::size_t capacity = 1000;
  bool ipv6 = true;
  IpAddress ipv4_address = *IpAddress::parse("198.51.100.1");
  IpAddress ipv6_address = *IpAddress::parse("2001:db8::1");
  turn::RelayHandle last_handle;
  std::uint16_t next_port = 50000;
  turn::RelayRequest last_request;
  // Called for every relay handed out and given back (a simulated network binds it there).
  std::function<void(turn::RelayHandle, const SocketAddress&)> on_grant, on_release;
  MisuseHook on_misuse = abort_on_misuse;

 private:
  void grant(turn::RelayHandle h, const SocketAddress& a) {
    live[h] = a;
    if (on_grant) on_grant(h, a);
  }
};

// Limits of 0 mean unlimited.
class FakeQuotas : public turn::QuotaLedger {
 public:
  turn::QuotaResult acquire(std::string_view user, const IpAddress& client) override {
    if (total_limit && total >= total_limit) return turn::QuotaResult::kTotalQuota;
    if (user_limit && per_user[std::string(user)] >= user_limit)
      return turn::QuotaResult::kUserQuota;
    if (address_limit && per_address[client] >= address_limit)
      return turn::QuotaResult::kAddressQuota;
    ++total;
    ++per_user[std::string(user)];
    ++per_address[client];
    return turn::QuotaResult::kOk;
  }
  void release(std::string_view user, const IpAddress& client) override {
    auto& mine = per_user[std::string(user)];
    auto& theirs = per_address[client];
    if (total == 0 || mine == 0 || theirs == 0) return on_misuse("quota released below zero");
    --total;
    --mine;
    --theirs;
  }

  std::size_t user_limit = 0, address_limit = 0, total_limit = 0, total = 0;
  std::map<std::string, std::size_t> per_user;
  std::map<IpAddress, std::size_t> per_address;  // by the key the core passes
  MisuseHook on_misuse = abort_on_misuse;
};

}  // namespace peerkit::testing
