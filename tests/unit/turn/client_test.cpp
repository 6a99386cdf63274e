// The TURN client core against the TURN server core, both on one virtual clock: what the
// client sends is fed to the server, what the server answers is fed back.
#include "turn/client.h"

#include "harness.h"

namespace peerkit::turn::testing {
namespace {

class TurnClientTest : public TurnHarness {
 protected:
  std::unique_ptr<Client> make_client(const char* password = "alice-pass") {
    ClientConfig c;
    c.server = addr("203.0.113.1:3478");
    c.username = "alice";
    c.password = password;
    return std::make_unique<Client>(c, client_random);
  }
  // Carries packets both ways until neither side has anything to say. Relayed payloads are
  // collected in `to_peers`; a server that is "down" swallows everything.
  void pump(Client& client) {
    for (int round = 0; round < 20; ++round) {
      bool moved = false;
      for (const peerkit::Transmit& t : client.transmits()) {
        const ByteSpan bytes = t.data;
        moved = true;
        ++client_packets;
        if (server_down) continue;
        for (auto& r : feed(route, bytes)) deliver(client, r);
      }
      if (!moved) return;
    }
  }
  void deliver(Client& client, const Response& r) {
    if (r.transmit.via == Transmit::Via::kRelay) {
      to_peers.emplace_back(r.transmit.to, std::string(as_string_view(r.bytes)));
      relay_handle = r.transmit.relay;
      return;
    }
    if (auto data = client.handle_packet(now, r.bytes))
      from_peers.emplace_back(data->peer, std::string(as_string_view(data->payload)));
  }
  // Advances both cores to `until`, firing every timer on the way.
  void run_until(Client& client, Timestamp until) {
    while (true) {
      const Timestamp next = std::min(client.next_timeout(), server->next_timeout());
      if (next > until) break;
      now = std::max(now, next);
      server->handle_timeout(now);
      client.handle_timeout(now);
      pump(client);
    }
    now = until;
  }
  void peer_says(Client& client, const SocketAddress& peer, std::string_view text) {
    for (auto& r : from_peer(relay_handle, peer, text)) deliver(client, r);
  }

  SeededRandom client_random{7};
  ClientRoute route = udp();
  bool server_down = false;
  int client_packets = 0;
  RelayHandle relay_handle;
  std::vector<std::pair<SocketAddress, std::string>> to_peers, from_peers;
};

TEST_F(TurnClientTest, AllocatesAfterThe401RoundTrip) {
  auto client = make_client();
  client->allocate(now);
  pump(*client);
  ASSERT_EQ(client->state(), Client::State::kAllocated) << client->failure();
  EXPECT_EQ(client->relayed_address()->ip(), *IpAddress::parse("198.51.100.1"));
  EXPECT_EQ(client->mapped_address(), route.remote);
  EXPECT_EQ(client->counters().requests, 2u);  // unauthenticated, then with the nonce
  EXPECT_EQ(server->allocation_count(), 1u);
}

TEST_F(TurnClientTest, WrongPasswordFailsWithAReason) {
  auto client = make_client("not-it");
  client->allocate(now);
  pump(*client);
  EXPECT_EQ(client->state(), Client::State::kFailed);
  EXPECT_NE(client->failure().find("401"), std::string::npos);
  EXPECT_EQ(server->allocation_count(), 0u);
}

TEST_F(TurnClientTest, SilentServerFailsWithinFourSeconds) {
  server_down = true;
  auto client = make_client();
  const Timestamp start = now;
  client->allocate(now);
  pump(*client);
  run_until(*client, start + Duration::seconds(10));
  EXPECT_EQ(client->state(), Client::State::kFailed);
  EXPECT_EQ(client_packets, 4);
  EXPECT_EQ(client->next_timeout(), Timestamp::never());  // nothing left to wake up for
}

TEST_F(TurnClientTest, DataWaitsForThePermissionThenUsesAChannel) {
  auto client = make_client();
  client->allocate(now);
  pump(*client);
  const auto peer = addr("8.8.4.4:6000");
  EXPECT_TRUE(client->send(now, peer, as_bytes(std::string_view("first"))));
  EXPECT_FALSE(client->permitted(peer.ip()));
  pump(*client);  // CreatePermission answered, "first" flushed as a Send indication
  ASSERT_EQ(to_peers.size(), 1u);
  EXPECT_EQ(to_peers[0], std::make_pair(peer, std::string("first")));
  EXPECT_TRUE(client->permitted(peer.ip()));
  EXPECT_EQ(client->counters().sent_indications, 1u);
  EXPECT_TRUE(client->send(now, peer, as_bytes(std::string_view("second"))));
  pump(*client);  // the ChannelBind asked for with "first" has succeeded by now
  ASSERT_EQ(to_peers.size(), 2u);
  EXPECT_EQ(to_peers[1].second, "second");
  EXPECT_EQ(client->counters().sent_channel_data, 1u);
  // The peer answers: it arrives as ChannelData and is handed out with the peer's address.
  peer_says(*client, peer, "back");
  ASSERT_EQ(from_peers.size(), 1u);
  EXPECT_EQ(from_peers[0], std::make_pair(peer, std::string("back")));
}

TEST_F(TurnClientTest, RefreshesKeepAllocationPermissionAndChannelAliveForAnHour) {
  options.nonce_lifetime = Duration::seconds(300);  // forces 438 + retry along the way
  rebuild();
  auto client = make_client();
  client->allocate(now);
  pump(*client);
  const auto peer = addr("8.8.4.4:6000");
  client->send(now, peer, as_bytes(std::string_view("a")));
  pump(*client);
  client->send(now, peer, as_bytes(std::string_view("b")));
  pump(*client);
  run_until(*client, now + Duration::seconds(3600));
  ASSERT_EQ(client->state(), Client::State::kAllocated) << client->failure();
  EXPECT_EQ(server->allocation_count(), 1u);
  EXPECT_EQ(server->channel_count(), 1u);
  peer_says(*client, peer, "still here");
  ASSERT_EQ(from_peers.size(), 1u);
  EXPECT_EQ(from_peers[0].second, "still here");
}

TEST_F(TurnClientTest, CloseDeletesTheAllocation) {
  auto client = make_client();
  client->allocate(now);
  pump(*client);
  ASSERT_EQ(server->allocation_count(), 1u);
  client->close(now);
  pump(*client);
  EXPECT_EQ(client->state(), Client::State::kClosed);
  EXPECT_EQ(server->allocation_count(), 0u);
}

TEST_F(TurnClientTest, WaitingDataIsBounded) {
  auto client = make_client();
  client->allocate(now);
  pump(*client);
  server_down = true;  // the permission never comes
  std::vector<std::byte> big(40 * 1024);
  EXPECT_TRUE(client->send(now, addr("8.8.4.4:6000"), big));
  EXPECT_FALSE(client->send(now, addr("8.8.4.4:6000"), big));
}

TEST_F(TurnClientTest, ForgedDataFromUnpermittedPeerIsDropped) {
  auto client = make_client();
  client->allocate(now);
  pump(*client);
  std::byte buf[256];
  stun::MessageBuilder b(buf, Method::kData, MessageClass::kIndication, next_tid());
  stun::add_xor_address(b, attr::kXorPeerAddress, addr("9.9.9.9:1"));
  b.add(attr::kData, std::string_view("x"));
  EXPECT_FALSE(client->handle_packet(now, b.finish()));
  EXPECT_EQ(client->counters().dropped, 1u);
}

}  // namespace
}  // namespace peerkit::turn::testing
