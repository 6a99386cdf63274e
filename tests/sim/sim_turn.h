// peerkit's own STUN/TURN server core on the simulated network: Binding for server-reflexive
// candidates, Allocate/permissions/channels for relay ones, relay sockets as simulated
// endpoints on the server's address.
#pragma once

#include <memory>

#include "common/random.h"
#include "sim_network.h"
#include "support/turn_fakes.h"
#include "turn/server.h"

namespace peerkit::sim {

class TurnServer {
 public:
  TurnServer(Network& net, SocketAddress at, std::string user, std::string password)
      : net_(net), at_(at) {
    // Relay sockets are simulated endpoints on the server's address, ports 50001, 50002, ...
    relays_.ipv6 = false;
    relays_.ipv4_address = at_.ip();
    relays_.next_port = 50001;
    relays_.on_grant = [this](turn::RelayHandle h, const SocketAddress& a) {
      net_.bind(a, [this, h](const SocketAddress& from, ByteSpan data) { on_peer(h, from, data); });
    };
    relays_.on_release = [this](turn::RelayHandle, const SocketAddress& a) { net_.unbind(a); };
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
        turn::PeerPolicy(policy), relays_, quotas_,
        turn::NonceIssuer(secret, options.nonce_lifetime, true), random_);
    net_.bind(at_, [this](const SocketAddress& from, ByteSpan data) { on_client(from, data); });
  }

  Timestamp next_timeout() const { return server_->next_timeout(); }
  void handle_timeout(Timestamp now) { server_->handle_timeout(now); }
  const turn::Server& core() const { return *server_; }

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
      else if (auto it = relays_.live.find(t.relay); it != relays_.live.end())
        net_.send(it->second, t.to, payload);
    }
    out.clear();
  }

  Network& net_;
  SocketAddress at_;
  SeededRandom random_{99};
  testing::FakeRelays relays_;
  testing::FakeQuotas quotas_;
  std::unique_ptr<turn::Server> server_;  // last: its destructor releases relays
};

}  // namespace peerkit::sim
