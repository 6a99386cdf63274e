// Test harness for the TURN server core: in-memory relays and quotas, a virtual clock, and a
// client that speaks long-term-credential TURN (401 → nonce → authenticated retry).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "stun/attributes.h"
#include "stun/integrity.h"
#include "support/turn_fakes.h"
#include "support/turn_requests.h"
#include "turn/server.h"

namespace peerkit::turn::testing {

namespace attr = stun::attr;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;

inline SocketAddress addr(const char* s) {
  return *SocketAddress::parse(s);
}

using peerkit::testing::FakeQuotas;
using peerkit::testing::FakeRelays;

struct Response {
  std::vector<std::byte> bytes;
  Transmit transmit;
  std::optional<MessageView> view() const {
    auto m = MessageView::parse(bytes);
    if (!m) return std::nullopt;
    return *m;
  }
  int error_code() const {
    auto m = view();
    if (!m) return -1;
    auto e = stun::find_error_code(*m);
    return e ? e->code : 0;
  }
};

class TurnHarness : public ::testing::Test {
 protected:
  static constexpr std::int64_t kUnixStart = 1'700'000'000;

  void SetUp() override {
    // A double or unknown release, or a quota below zero, fails the test that caused it.
    relays.on_misuse = [](const char* what) { ADD_FAILURE() << what; };
    quotas.on_misuse = [](const char* what) { ADD_FAILURE() << what; };
    rebuild();
  }

  void rebuild(PolicyOptions policy = {}) {
    server.reset();
    relays.expire_reservations();
    std::vector<StaticUser> users = {*parse_static_user("alice:alice-pass"),
                                     *parse_static_user("bob:bob-pass")};
    CredentialStore creds("peerkit.test", users, secrets);
    std::array<std::byte, 32> secret{};
    secret[0] = std::byte{7};
    options.unix_time_offset = kUnixStart - now.us() / 1'000'000;
    server = std::make_unique<Server>(options, creds, PeerPolicy(policy), relays, quotas,
                                      NonceIssuer(secret, options.nonce_lifetime, true), random);
  }

  ClientRoute udp(const char* client = "100.72.0.10:40000") {
    return {Transport::kUdp, 0, addr("203.0.113.1:3478"), addr(client)};
  }

  // Feed one packet; collect everything the server wants to send.
  std::vector<Response> feed(const ClientRoute& route, ByteSpan bytes) {
    TransmitQueue out;
    server->handle_client_packet(now, route, bytes, out);
    return drain(out);
  }
  std::vector<Response> drain(TransmitQueue& out) {
    std::vector<Response> r;
    for (const auto& t : out.items()) {
      auto p = out.payload(t);
      r.push_back({{p.begin(), p.end()}, t});
    }
    return r;
  }

  stun::TransactionId next_tid() {
    stun::TransactionId t;
    random.fill(t.bytes);
    return t;
  }

  // Builds a request; `add` adds method-specific attributes. Authenticated with the current
  // nonce when `user` is given.
  template <class F>
  std::vector<std::byte> request(Method method, F add, const char* user = nullptr,
                                 const char* password = nullptr,
                                 std::optional<stun::TransactionId> tid = std::nullopt,
                                 const std::string& realm = "peerkit.test") {
    std::optional<peerkit::testing::LongTermCredentials> credentials;
    if (user) credentials = {user, realm, password, nonce};
    return peerkit::testing::turn_request(method, tid ? *tid : next_tid(), add, credentials);
  }

  // One request with the 401 round trip first when no nonce is known yet.
  template <class F>
  Response call(const ClientRoute& route, Method method, F add, const char* user = "alice",
                const char* password = "alice-pass",
                std::optional<stun::TransactionId> tid = std::nullopt) {
    if (nonce.empty()) {
      auto r = feed(route, request(method, add, nullptr, nullptr));
      EXPECT_EQ(r.size(), 1u);
      if (r.empty()) return {};
      EXPECT_EQ(r[0].error_code(), 401);
      nonce = std::string(as_string_view(*r[0].view()->find(attr::kNonce)));
    }
    auto r = feed(route, request(method, add, user, password, tid));
    EXPECT_EQ(r.size(), 1u);
    if (r.empty()) return {};
    if (r[0].error_code() == 438 && retry_stale) {
      // What a client does (RFC 8489 §9.2.5): take the new nonce and try once more.
      nonce = std::string(as_string_view(*r[0].view()->find(attr::kNonce)));
      r = feed(route, request(method, add, user, password, tid));
      EXPECT_EQ(r.size(), 1u);
    }
    return r.empty() ? Response{} : r[0];
  }

  Response allocate(const ClientRoute& route, const char* user = "alice",
                    const char* password = "alice-pass") {
    return call(
        route, Method::kAllocate, [](MessageBuilder& b) { stun::add_requested_transport(b, 17); },
        user, password);
  }
  SocketAddress relayed(const Response& r) {
    auto m = r.view();
    return *stun::decode_xor_address(*m->find(attr::kXorRelayedAddress), m->transaction_id());
  }
  Response permit(const ClientRoute& route, const SocketAddress& peer, const char* user = "alice",
                  const char* password = "alice-pass") {
    return call(
        route, Method::kCreatePermission,
        [&](MessageBuilder& b) { stun::add_xor_address(b, attr::kXorPeerAddress, peer); }, user,
        password);
  }
  Response bind(const ClientRoute& route, std::uint16_t channel, const SocketAddress& peer) {
    return call(route, Method::kChannelBind, [&](MessageBuilder& b) {
      stun::add_channel_number(b, channel);
      stun::add_xor_address(b, attr::kXorPeerAddress, peer);
    });
  }
  std::vector<Response> channel_data(const ClientRoute& route, std::uint16_t channel,
                                     std::string_view payload) {
    return feed(route, peerkit::testing::channel_data(channel, payload));
  }
  std::vector<Response> send_indication(const ClientRoute& route, const SocketAddress& peer,
                                        std::string_view payload) {
    return feed(route, peerkit::testing::send_indication(next_tid(), peer, payload));
  }
  std::vector<Response> from_peer(RelayHandle relay, const SocketAddress& peer,
                                  std::string_view payload, std::size_t headroom = 4) {
    std::vector<std::byte> buf(headroom + payload.size());
    std::memcpy(buf.data() + headroom, payload.data(), payload.size());
    TransmitQueue out;
    server->handle_peer_packet(
        now, relay, peer, MutableByteSpan(buf.data() + headroom, payload.size()), headroom, out);
    return drain(out);
  }
  void advance(Duration d) {
    now = now + d;
    server->handle_timeout(now);
  }

  Timestamp now = Timestamp::from_micros(10'000'000);
  ServerOptions options;
  std::vector<std::string> secrets = {"rest-secret"};
  FakeRelays relays;
  FakeQuotas quotas;
  SeededRandom random{42};
  std::unique_ptr<Server> server;
  std::string nonce;
  bool retry_stale = true;
};

}  // namespace peerkit::turn::testing
