// peerkit's own STUN/TURN server core on the simulated network: Binding for server-reflexive
// candidates, Allocate/permissions/channels for relay ones, relay sockets as simulated
// endpoints on the server's address.
#pragma once

#include <memory>
#include <set>

#include "common/random.h"
#include "sim_network.h"
#include "turn/server.h"

namespace peerkit::sim {

class TurnServer : public turn::RelayAllocator, public turn::QuotaLedger {
 public:
  TurnServer(Network& net, SocketAddress at, std::string user, std::string password)
      : net_(net), at_(at) {
    turn::ServerOptions options;
    options.unix_time_offset = 1'700'000'000;
    turn::PolicyOptions policy;
    policy.allowed.push_back(*parse_ip_range("203.0.113.0/24"));
    policy.allowed.push_back(*parse_ip_range("10.0.0.0/8"));
    std::array<std::byte, 32> secret{};
    secret[0] = std::byte{1};
    server_ = std::make_unique<turn::Server>(
        options,
        turn::CredentialStore("sim.test", {*turn::parse_static_user(user + ":" + password)}, {}),
        turn::PeerPolicy(policy), *this, *this,
        turn::NonceIssuer(secret, options.nonce_lifetime, true), random_);
    net_.bind(at_, [this](const SocketAddress& from, ByteSpan data) { on_client(from, data); });
  }

  Timestamp next_timeout() const { return server_->next_timeout(); }
  void handle_timeout(Timestamp now) { server_->handle_timeout(now); }
  const turn::Server& core() const { return *server_; }

  // RelayAllocator
  std::optional<turn::RelayGrant> allocate(const turn::RelayRequest&) override {
    const turn::RelayHandle h = ++last_;
    const SocketAddress a(at_.ip(), static_cast<std::uint16_t>(50000 + h));
    net_.bind(a, [this, h](const SocketAddress& from, ByteSpan data) { on_peer(h, from, data); });
    relays_[h] = a;
    return turn::RelayGrant{h, a, std::nullopt};
  }
  bool supports(AddressFamily f) const override { return f == AddressFamily::kIpv4; }
  void release(turn::RelayHandle h) override {
    net_.unbind(relays_[h]);
    relays_.erase(h);
  }
  std::optional<turn::RelayGrant> claim_reservation(std::uint64_t) override { return std::nullopt; }
  // QuotaLedger
  turn::QuotaResult acquire(std::string_view) override { return turn::QuotaResult::kOk; }
  void release(std::string_view) override {}

 private:
  void on_client(const SocketAddress& from, ByteSpan data) {
    turn::TransmitQueue out;
    server_->handle_client_packet(net_.now(), {turn::Transport::kUdp, 0, at_, from}, data, out);
    flush(out);
  }
  void on_peer(turn::RelayHandle h, const SocketAddress& from, ByteSpan data) {
    std::vector<std::byte> buf(4 + data.size());
    std::copy(data.begin(), data.end(), buf.begin() + 4);
    turn::TransmitQueue out;
    server_->handle_peer_packet(net_.now(), h, from, MutableByteSpan(buf).subspan(4), 4, out);
    flush(out);
  }
  void flush(turn::TransmitQueue& out) {
    for (const auto& t : out.items()) {
      const auto payload = out.payload(t);
      if (t.via == turn::Transmit::Via::kClient)
        net_.send(at_, t.client.remote, payload);
      else if (relays_.contains(t.relay))
        net_.send(relays_[t.relay], t.to, payload);
    }
    out.clear();
  }

  Network& net_;
  SocketAddress at_;
  SeededRandom random_{99};
  std::map<turn::RelayHandle, SocketAddress> relays_;
  turn::RelayHandle last_ = 0;
  std::unique_ptr<turn::Server> server_;  // last: its destructor releases relays
};

}  // namespace peerkit::sim
