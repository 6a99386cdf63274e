// A simulated IPv4 network on a virtual clock for ICE scenarios: endpoints bound to addresses,
// NAT boxes in front of private networks, and links with seeded loss, delay and jitter (which
// reorders). Time only moves when the scenario loop moves it, so a 30 s timeout costs
// microseconds.
//
// NAT models (RFC 4787 terms):
//  - kPortRestricted: endpoint-independent mapping, address-and-port-dependent filtering
//    (Linux MASQUERADE);
//  - kSymmetric: address-and-port-dependent mapping (a new external port per destination, like
//    MASQUERADE --random-fully) and the same filtering.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"
#include "common/time.h"

namespace peerkit::sim {

inline SocketAddress addr(const char* text) {
  return *SocketAddress::parse(text);
}
inline IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

enum class NatType { kPortRestricted, kSymmetric };

struct LinkQuality {
  double loss = 0;  // probability a packet is dropped, per crossing of the NAT/WAN edge
  Duration delay = Duration::millis(10);
  Duration jitter;  // uniform extra delay in [0, jitter): reorders packets
};

class Network {
 public:
  using Handler = std::function<void(const SocketAddress& from, ByteSpan data)>;

  explicit Network(std::uint64_t seed) : rng_(seed) {}

  Timestamp now() const { return now_; }

  // A private network `prefix` (e.g. "10.0.1.") behind a NAT whose public address is `outside`.
  void add_nat(const std::string& prefix, IpAddress outside, NatType type) {
    nats_.push_back(Nat{prefix, outside, type, {}, {}, {}, 40000});
  }
  // Flushes every mapping of the NAT in front of `prefix` (conntrack -F).
  void flush_nat(const std::string& prefix) {
    for (auto& n : nats_)
      if (n.prefix == prefix) {
        n.mappings.clear();
        n.reverse.clear();
        n.allowed.clear();
        n.next_port += 1000;  // new mappings get new ports, as after a reboot or rebinding
      }
  }
  void bind(const SocketAddress& at, Handler h) { endpoints_[at] = std::move(h); }
  void unbind(const SocketAddress& at) { endpoints_.erase(at); }
  // All traffic to and from this IP disappears (a peer that vanished).
  void blackhole(const IpAddress& a) { blackholed_.insert(a); }

  LinkQuality wan;  // applies to every packet that crosses a NAT or goes host to host

  void send(const SocketAddress& from, const SocketAddress& to, ByteSpan data) {
    ++sent_;
    if (blackholed_.contains(from.ip()) || blackholed_.contains(to.ip())) return;
    SocketAddress src = from;
    Nat* from_nat = nat_of(from.ip());
    Nat* to_nat = nat_of(to.ip());
    // Private addresses are not routed from outside their network.
    if (to_nat && to_nat != from_nat) {
      ++dropped_;
      return;
    }
    if (from_nat && from_nat != to_nat) src = map_outbound(*from_nat, from, to);
    if (wan.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < wan.loss) {
      ++dropped_;
      return;
    }
    Duration d = wan.delay;
    if (wan.jitter.us() > 0)
      d = d +
          Duration::micros(std::uniform_int_distribution<std::int64_t>(0, wan.jitter.us())(rng_));
    queue_.push(Packet{now_ + d, seq_++, src, to, std::vector<std::byte>(data.begin(), data.end()),
                       from_nat != nullptr && from_nat == to_nat});
  }

  Timestamp next_delivery() const { return queue_.empty() ? Timestamp::never() : queue_.top().at; }
  // Delivers everything due at or before `t`, then sets the clock to `t`.
  void advance_to(Timestamp t) {
    while (!queue_.empty() && queue_.top().at <= t) {
      Packet p = queue_.top();
      queue_.pop();
      now_ = std::max(now_, p.at);
      deliver(p);
    }
    now_ = std::max(now_, t);
  }

  std::uint64_t sent() const { return sent_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  struct Nat {
    std::string prefix;
    IpAddress outside;
    NatType type;
    // key: (internal endpoint, destination or nothing for EIM) → external port
    std::map<std::pair<SocketAddress, SocketAddress>, std::uint16_t> mappings;
    std::map<std::uint16_t, SocketAddress> reverse;  // external port → internal endpoint
    std::set<std::pair<std::uint16_t, SocketAddress>> allowed;  // (external port, remote)
    std::uint16_t next_port;
  };
  struct Packet {
    Timestamp at;
    std::uint64_t seq;
    SocketAddress from, to;
    std::vector<std::byte> data;
    bool inside = false;  // between two hosts of one private network
    bool operator>(const Packet& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
  };

  Nat* nat_of(const IpAddress& a) {
    const std::string s = a.to_string();
    for (auto& n : nats_)
      if (s.starts_with(n.prefix)) return &n;
    return nullptr;
  }

  SocketAddress map_outbound(Nat& n, const SocketAddress& from, const SocketAddress& to) {
    const auto key = std::make_pair(from, n.type == NatType::kSymmetric ? to : SocketAddress());
    auto it = n.mappings.find(key);
    if (it == n.mappings.end()) {
      it = n.mappings.emplace(key, n.next_port++).first;
      n.reverse[it->second] = from;
    }
    n.allowed.insert({it->second, to});  // APDF: only this remote may answer
    return SocketAddress(n.outside, it->second);
  }

  void deliver(const Packet& p) {
    SocketAddress to = p.to;
    for (auto& n : nats_) {
      if (p.inside || to.ip() != n.outside) continue;
      auto r = n.reverse.find(to.port());
      if (r == n.reverse.end() || !n.allowed.contains({to.port(), p.from})) {
        ++dropped_;  // filtered
        return;
      }
      to = r->second;
    }
    auto e = endpoints_.find(to);
    if (e == endpoints_.end()) return;
    e->second(p.from, p.data);
  }

  std::mt19937_64 rng_;
  Timestamp now_ = Timestamp::from_micros(1'000'000);
  std::vector<Nat> nats_;
  std::map<SocketAddress, Handler> endpoints_;
  std::set<IpAddress> blackholed_;
  std::priority_queue<Packet, std::vector<Packet>, std::greater<>> queue_;
  std::uint64_t seq_ = 0, sent_ = 0, dropped_ = 0;
};

}  // namespace peerkit::sim
