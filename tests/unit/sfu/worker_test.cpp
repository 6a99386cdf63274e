// sfu::Worker (sfu/worker.h): two participants on one port — ICE-lite checks, DTLS handshakes
// as the server, SRTP both ways — and the router between them: a publisher's SRTP reaches the
// subscriber re-written and re-protected with the subscriber's keys; the router's PLI reaches
// the publisher as SRTCP. The clients are dtls::Transport (OpenSSL) and srtp::Session
// (libsrtp2) on the other end of an in-memory link. Virtual clock.
#include "sfu/worker.h"

#include <gtest/gtest.h>

#include <cstring>
#include <variant>

#include "ice/stun_check.h"
#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "sfu_test_client.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

using test::Client;

const SocketId kPort{3};
const ParticipantId kPub{1}, kSub{2};

dtls::Role other(dtls::Role r) {
  return r == dtls::Role::kClient ? dtls::Role::kServer : dtls::Role::kClient;
}

struct Rig {
  // `sfu_role`: the SFU's DTLS role (client: it answered a=setup:active, the usual case).
  explicit Rig(dtls::Role sfu_role = dtls::Role::kClient)
      : sfu_role(sfu_role),
        server_cert(*dtls::Certificate::generate()),
        worker(*dtls::Context::create(server_cert), {}),
        pub("pubu", "publisher-ice-password-1", *SocketAddress::parse("10.1.0.1:40000"),
            server_cert->fingerprint(), other(sfu_role)),
        sub("subu", "subscriber-ice-password", *SocketAddress::parse("10.1.0.2:40002"),
            server_cert->fingerprint(), other(sfu_role)) {}

  Client& client_at(const SocketAddress& a) { return a == pub.address ? pub : sub; }
  // Delivers what the worker sent, to the client it is addressed to, until nothing moves.
  void pump() {
    for (int round = 0; round < 50; ++round) {
      bool moved = false;
      std::vector<std::pair<SocketAddress, std::vector<std::byte>>> out;
      for (const Transmit& t : worker.transmits()) {
        EXPECT_EQ(t.socket, kPort);
        out.emplace_back(t.to, std::vector<std::byte>(t.data.begin(), t.data.end()));
      }
      for (auto& [to, bytes] : out) {
        moved = true;
        Client& c = client_at(to);
        const auto kind = ice::classify(bytes);
        if (kind == ice::PacketClass::kStun) {
          ++c.stun_answers;
        } else if (kind == ice::PacketClass::kDtls) {
          c.dtls->handle_datagram(clock.now(), bytes);
        } else {
          c.inbox.push_back(std::move(bytes));
        }
      }
      for (Client* c : {&pub, &sub})
        for (const Transmit& t : c->dtls->transmits()) {
          moved = true;
          worker.handle_datagram(clock.now(), kPort, c->address, t.data);
        }
      if (!moved) return;
    }
  }
  void connect(Client& c, ParticipantId id) {
    ASSERT_TRUE(worker.add_participant(id, {c.ufrag, c.pwd, {c.cert->fingerprint()}, sfu_role}));
    // The nominating check; as the DTLS client the SFU then sends its ClientHello itself.
    worker.handle_datagram(clock.now(), kPort, c.address, c.check());
    pump();
    ASSERT_EQ(c.stun_answers, 1);
    if (sfu_role == dtls::Role::kServer) c.dtls->start(clock.now());
    pump();
    ASSERT_EQ(c.dtls->state(), dtls::State::kConnected) << c.dtls->failure();
    ASSERT_TRUE(worker.connected(id));
    c.keys();
  }

  dtls::Role sfu_role;
  ManualClock clock;
  std::shared_ptr<const dtls::Certificate> server_cert;
  Worker worker;
  Client pub, sub;
};

TEST(SfuWorker, PublisherToSubscriberThroughIceDtlsAndSrtpOnOnePort) {
  for (dtls::Role sfu_role : {dtls::Role::kClient, dtls::Role::kServer}) {
    SCOPED_TRACE(sfu_role == dtls::Role::kClient ? "SFU is the DTLS client"
                                                 : "SFU is the DTLS server");
    Rig rig(sfu_role);
    rig.connect(rig.pub, kPub);
    rig.connect(rig.sub, kSub);
    auto e = rig.worker.poll_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->kind, Worker::Event::Kind::kConnected);

    auto track = rig.worker.router().add_track(test::simulcast_track(kPub));
    ASSERT_TRUE(track);
    ASSERT_TRUE(rig.worker.router().subscribe(kSub, *track, test::subscriber(0xB0), 0,
                                              OutboundStream::Config{90'000, 100, 0, 0, 0}, 500));
    // A keyframe of layer 0, protected with the publisher's keys.
    test::SimPublisher source;
    for (const auto& p : source.frame(0, rig.clock.now(), true))
      rig.worker.handle_datagram(rig.clock.now(), kPort, rig.pub.address,
                                 rig.pub.protect(p->bytes, false));
    rig.pump();
    ASSERT_FALSE(rig.sub.inbox.empty());
    int media = 0;
    for (auto& packet : rig.sub.inbox) {
      auto plain = rig.sub.unprotect(packet);
      ASSERT_TRUE(plain) << "the subscriber's keys must open what the SFU sent it";
      if (rtp::is_rtcp(*plain)) continue;
      auto v = rtp::parse_packet(*plain);
      ASSERT_TRUE(v);
      EXPECT_EQ(v->header.ssrc, 0xB0u);
      ++media;
    }
    EXPECT_EQ(media, 1);
    EXPECT_EQ(rig.worker.stats().unprotect_failures, 0u);

    // The subscriber asks for a keyframe (SRTCP PLI): the publisher gets the SFU's own PLI.
    std::array<rtp::RtcpPacket, 1> pli{rtp::Pli{0xB0 + 9, 0xB0}};
    std::array<std::byte, 64> buf{};
    auto n = rtp::build_compound(pli, buf);
    ASSERT_TRUE(n);
    rig.worker.handle_datagram(rig.clock.now(), kPort, rig.sub.address,
                               rig.sub.protect(std::span(buf).first(*n), true));
    rig.pump();
    bool got_pli = false;
    for (auto& packet : rig.pub.inbox) {
      auto plain = rig.pub.unprotect(packet);
      ASSERT_TRUE(plain);
      auto c = rtp::parse_compound(*plain);
      ASSERT_TRUE(c);
      for (const auto& p : *c)
        if (auto* x = std::get_if<rtp::Pli>(&p); x && x->media_ssrc == 0x1111) got_pli = true;
    }
    EXPECT_TRUE(got_pli);
  }
}

TEST(SfuWorker, NothingReachesTheRouterWithoutAVerifiedHandshake) {
  Rig rig;
  // A participant whose SDP fingerprint is someone else's: DTLS fails, SRTP is never keyed.
  auto stranger = *dtls::Certificate::generate();
  ASSERT_TRUE(
      rig.worker.add_participant(kPub, {rig.pub.ufrag, rig.pub.pwd, {stranger->fingerprint()}}));
  rig.worker.handle_datagram(rig.clock.now(), kPort, rig.pub.address, rig.pub.check());
  rig.pump();
  EXPECT_FALSE(rig.worker.connected(kPub));
  bool failed = false;
  while (auto e = rig.worker.poll_event()) failed |= e->kind == Worker::Event::Kind::kFailed;
  EXPECT_TRUE(failed);
  // Media from an address no check bound, and SRTP before keys, are dropped.
  const std::vector<std::byte> rtp_like{std::byte{0x80}, std::byte{96}, std::byte{0}, std::byte{1},
                                        std::byte{0},    std::byte{0},  std::byte{0}, std::byte{0},
                                        std::byte{0},    std::byte{0},  std::byte{0}, std::byte{1}};
  rig.worker.handle_datagram(rig.clock.now(), kPort, *SocketAddress::parse("10.9.9.9:1"), rtp_like);
  rig.worker.handle_datagram(rig.clock.now(), kPort, rig.pub.address, rtp_like);
  EXPECT_EQ(rig.worker.stats().srtp_in, 0u);
  EXPECT_EQ(rig.worker.stats().unprotect_failures, 1u);
  EXPECT_EQ(rig.worker.router().stats().ingress, 0u);
}

}  // namespace
}  // namespace peerkit::sfu
