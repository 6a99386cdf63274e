// DTLS transport (dtls/transport.h) on an in-memory link: handshake, fingerprint checks,
// fragmented and 1.3-capable ClientHellos, data, close, SRTP keys, timers.
#include "dtls/transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "dtls_pair.h"

namespace peerkit::dtls {
namespace {

using test::Datagram;
using test::Pair;
using test::received_text;
using test::take;

ByteSpan text(std::string_view s) {
  return as_bytes(s);
}

TEST(DtlsTransport, HandshakeThenDataBothWays) {
  Pair p;
  p.connect();
  ASSERT_EQ(p.client->state(), State::kConnected) << p.client->failure();
  ASSERT_EQ(p.server->state(), State::kConnected) << p.server->failure();
  ASSERT_TRUE(p.client->send(text("hello from the client")));
  ASSERT_TRUE(p.server->send(text("hello from the server")));
  p.pump();
  EXPECT_EQ(received_text(*p.server), std::vector<std::string>{"hello from the client"});
  EXPECT_EQ(received_text(*p.client), std::vector<std::string>{"hello from the server"});
  EXPECT_EQ(p.client->poll_state_change(), State::kConnecting);
  EXPECT_EQ(p.client->poll_state_change(), State::kConnected);
  EXPECT_EQ(p.client->poll_state_change(), std::nullopt);
}

TEST(DtlsTransport, RecordsFitTheMtu) {
  Pair p;
  p.connect();
  ASSERT_EQ(p.client->state(), State::kConnected);
  const auto max = p.client->max_plaintext();
  EXPECT_GT(max, 1100u);
  EXPECT_LT(max, 1200u);
  const std::string big(max, 'x');
  ASSERT_TRUE(p.client->send(text(big)));
  for (const auto& d : take(*p.client)) {
    EXPECT_LE(d.size(), 1200u);
    p.server->handle_datagram(p.clock.now(), d);
  }
  EXPECT_EQ(received_text(*p.server), std::vector<std::string>{big});
  EXPECT_FALSE(p.client->send(text(std::string(max + 1, 'x'))));
}

TEST(DtlsTransport, FingerprintMismatchFailsBothSidesAndDeliversNothing) {
  TransportOptions server;
  server.remote_fingerprints = {(*Certificate::generate())->fingerprint()};  // someone else
  Pair p({}, server);
  p.connect();
  EXPECT_EQ(p.server->state(), State::kFailed);
  EXPECT_EQ(p.server->failure(), "remote certificate does not match the SDP fingerprint");
  EXPECT_EQ(p.client->state(), State::kFailed);  // it got the bad_certificate alert
  EXPECT_FALSE(p.client->send(text("secret")));
  EXPECT_TRUE(received_text(*p.server).empty());
}

TEST(DtlsTransport, ClientRefusesAServerWithTheWrongCertificate) {
  TransportOptions client;
  client.remote_fingerprints = {(*Certificate::generate())->fingerprint()};
  Pair p(client, {});
  p.connect();
  EXPECT_EQ(p.client->state(), State::kFailed);
  EXPECT_NE(p.server->state(), State::kConnected);
}

TEST(DtlsTransport, LateFingerprintHoldsDataUntilItMatches) {
  Pair p({}, {}, /*fingerprints=*/false);
  p.client->set_remote_fingerprints(p.clock.now(), {p.server_cert->fingerprint()});
  p.connect();
  ASSERT_EQ(p.client->state(), State::kConnected);
  EXPECT_EQ(p.server->state(), State::kConnecting);  // handshake done, SDP not here yet
  ASSERT_TRUE(p.client->send(text("too early")));
  p.pump();
  EXPECT_TRUE(received_text(*p.server).empty());
  EXPECT_EQ(p.server->dropped_unverified(), 1u);
  p.server->set_remote_fingerprints(p.clock.now(), {p.client_cert->fingerprint()});
  EXPECT_EQ(p.server->state(), State::kConnected);
  ASSERT_TRUE(p.client->send(text("now")));
  p.pump();
  EXPECT_EQ(received_text(*p.server), std::vector<std::string>{"now"});
}

TEST(DtlsTransport, LateWrongFingerprintFails) {
  Pair p({}, {}, false);
  p.client->set_remote_fingerprints(p.clock.now(), {p.server_cert->fingerprint()});
  p.connect();
  p.server->set_remote_fingerprints(p.clock.now(), {p.server_cert->fingerprint()});
  EXPECT_EQ(p.server->state(), State::kFailed);
}

// Flights larger than the MTU (certificates) travel as handshake fragments in several
// datagrams and are reassembled (RFC 6347 §4.2.3). The ClientHello case is in
// client_hello_test.cpp.
TEST(DtlsTransport, HandshakeFlightsFragmentedAcrossDatagrams) {
  TransportOptions small;
  small.mtu = 256;
  Pair p(small, small);
  std::size_t largest = 0, server_flight = 0;
  p.link = [&](bool from_client, const Datagram& d) {
    largest = std::max(largest, d.size());
    if (!from_client) ++server_flight;
    return true;
  };
  p.connect();
  EXPECT_EQ(p.client->state(), State::kConnected) << p.client->failure();
  EXPECT_EQ(p.server->state(), State::kConnected) << p.server->failure();
  EXPECT_LE(largest, 256u);
  EXPECT_GT(server_flight, 2u);
}

TEST(DtlsTransport, SrtpKeysMatchCrosswise) {
  Pair p;
  p.connect();
  const auto c = p.client->srtp_keying();
  const auto s = p.server->srtp_keying();
  ASSERT_TRUE(c && s);
  EXPECT_EQ(c->profile, 0x0007);  // SRTP_AEAD_AES_128_GCM, first in our list
  EXPECT_EQ(c->local_key.size(), 16u);
  EXPECT_EQ(c->local_salt.size(), 12u);
  EXPECT_EQ(c->local_key, s->remote_key);
  EXPECT_EQ(c->remote_key, s->local_key);
  EXPECT_EQ(c->local_salt, s->remote_salt);
  EXPECT_NE(c->local_key, c->remote_key);
}

TEST(DtlsTransport, CloseNotifyIsSeenByThePeer) {
  Pair p;
  p.connect();
  p.client->close(p.clock.now());
  EXPECT_EQ(p.client->state(), State::kClosed);
  p.pump();
  EXPECT_EQ(p.server->state(), State::kClosed);
  EXPECT_FALSE(p.server->send(text("after close")));
}

TEST(DtlsTransport, HandshakeTimesOutOnTheCallersClock) {
  Pair p;
  p.client->start(p.clock.now());
  (void)take(*p.client);  // lost
  ASSERT_TRUE(p.client->next_timeout());
  p.clock.advance(Duration::seconds(30));
  p.client->handle_timeout(p.clock.now());
  EXPECT_EQ(p.client->state(), State::kFailed);
  EXPECT_EQ(p.client->failure(), "DTLS handshake timed out");
  EXPECT_FALSE(p.client->next_timeout());
}

TEST(DtlsTransport, GarbageNeverCrashesOrConnects) {
  Pair p;
  p.server->start(p.clock.now());
  for (int i = 0; i < 200; ++i) {
    Datagram d(static_cast<std::size_t>(i * 7 % 300 + 1));
    for (std::size_t k = 0; k < d.size(); ++k) d[k] = std::byte(static_cast<unsigned>(i * 31 + k * 17));
    d[0] = std::byte{22};  // handshake content type
    p.server->handle_datagram(p.clock.now(), d);
  }
  EXPECT_NE(p.server->state(), State::kConnected);
  EXPECT_TRUE(received_text(*p.server).empty());
}

TEST(DtlsTransport, LooksLikeDtls) {
  const std::byte dtls[] = {std::byte{22}};
  const std::byte stun[] = {std::byte{0}};
  const std::byte rtp[] = {std::byte{128}};
  EXPECT_TRUE(looks_like_dtls(dtls));
  EXPECT_FALSE(looks_like_dtls(stun));
  EXPECT_FALSE(looks_like_dtls(rtp));
}

// OpenSSL keeps its own clock for retransmissions, so this one test waits in real time — for
// the deadline the transport itself names, never a fixed sleep.
TEST(DtlsTransportRealTime, FirstRetransmissionAfterAtMost100ms) {
  Pair p;
  SteadyClock clock;
  const auto start = clock.now();
  p.client->start(start);
  const auto first = take(*p.client);
  ASSERT_FALSE(first.empty());
  const auto due = p.client->next_timeout();
  ASSERT_TRUE(due);
  EXPECT_LE(*due - start, Duration::millis(100));
  std::vector<Datagram> again;
  while (again.empty() && clock.now() - start < Duration::seconds(2)) {
    const auto next = p.client->next_timeout();
    ASSERT_TRUE(next);
    std::this_thread::sleep_for(std::chrono::microseconds(std::max<std::int64_t>(0, (*next - clock.now()).us())));
    p.client->handle_timeout(clock.now());
    again = take(*p.client);
  }
  ASSERT_FALSE(again.empty());
  EXPECT_LT(clock.now() - start, Duration::millis(400));
  // The same ClientHello again (a new record sequence number, the same handshake message).
  ASSERT_EQ(again.front().size(), first.front().size());
  EXPECT_TRUE(std::equal(again.front().begin() + 13, again.front().end(), first.front().begin() + 13));
}

}  // namespace
}  // namespace peerkit::dtls
