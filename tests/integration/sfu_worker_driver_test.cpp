// sfu::WorkerDriver on a real UDP socket on 127.0.0.1: a publisher and a subscriber (OpenSSL
// DTLS clients, libsrtp2 sessions, each on its own UDP socket) connect to the worker's one
// port; the publisher's SRTP reaches the subscriber re-written for it. Loopback only.
#include "sfu/driver/worker_driver.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "unit/sfu/sfu_test_client.h"
#include "unit/sfu/sim_publisher.h"

namespace peerkit::sfu {
namespace {

// A client's own UDP socket on 127.0.0.1, non-blocking.
struct UdpClient {
  explicit UdpClient(test::Client& c) : client(c) {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    client.address = SocketAddress(*IpAddress::parse("127.0.0.1"), ntohs(a.sin_port));
  }
  ~UdpClient() { ::close(fd); }
  void send_to(const SocketAddress& to, ByteSpan bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(to.port());
    ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  // Reads everything waiting: STUN counted, DTLS to the client, the rest kept.
  void read(Timestamp now) {
    std::array<std::byte, 2048> buf{};
    for (;;) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) return;
      const ByteSpan d(buf.data(), static_cast<std::size_t>(n));
      const auto kind = ice::classify(d);
      if (kind == ice::PacketClass::kStun) {
        ++client.stun_answers;
      } else if (kind == ice::PacketClass::kDtls) {
        client.dtls->handle_datagram(now, d);
      } else {
        client.inbox.emplace_back(d.begin(), d.end());
      }
    }
  }
  void flush_dtls(const SocketAddress& server) {
    for (const Transmit& t : client.dtls->transmits()) send_to(server, t.data);
  }
  test::Client& client;
  int fd = -1;
};

TEST(SfuWorkerDriver, PublisherToSubscriberOverRealUdpOnOnePort) {
  net::Loop loop("sfu-worker");
  auto server_cert = *dtls::Certificate::generate();
  Worker worker(*dtls::Context::create(server_cert), {});
  WorkerDriver driver(loop, worker);
  ASSERT_EQ(driver.bind(*SocketAddress::parse("127.0.0.1:0")), "");
  const SocketAddress port = driver.local_address();
  ASSERT_NE(port.port(), 0);
  int connected = 0;
  driver.on_event = [&](const Worker::Event& e) {
    if (e.kind == Worker::Event::Kind::kConnected) ++connected;
  };
  driver.start();

  const SocketAddress placeholder = *SocketAddress::parse("127.0.0.1:1");
  test::Client pub("pubu", "publisher-ice-password-1", placeholder, server_cert->fingerprint());
  test::Client sub("subu", "subscriber-ice-password", placeholder, server_cert->fingerprint());
  UdpClient pub_udp(pub), sub_udp(sub);
  const ParticipantId kPub{1}, kSub{2};
  ASSERT_TRUE(worker.add_participant(kPub, {pub.ufrag, pub.pwd, {pub.cert->fingerprint()}}));
  ASSERT_TRUE(worker.add_participant(kSub, {sub.ufrag, sub.pwd, {sub.cert->fingerprint()}}));

  // Runs the loop and the clients until `done` (or 5 s): no sleeps, the loop's own clock.
  auto run_until = [&](auto done) {
    const Timestamp end = loop.now() + Duration::seconds(5);
    while (!done() && loop.now() < end) {
      loop.run_for(Duration::millis(2));
      for (UdpClient* u : {&pub_udp, &sub_udp}) {
        u->read(loop.now());
        u->flush_dtls(port);
      }
    }
    return done();
  };
  for (UdpClient* u : {&pub_udp, &sub_udp}) {
    u->send_to(port, u->client.check());
    ASSERT_TRUE(run_until([&] { return u->client.stun_answers > 0; }));
    // The SFU answered a=setup:active: it sends the ClientHello once the check nominated.
    ASSERT_TRUE(run_until([&] { return u->client.dtls->state() == dtls::State::kConnected; }))
        << u->client.dtls->failure();
    u->client.keys();
  }
  ASSERT_TRUE(run_until([&] { return connected == 2; }));

  auto track = worker.router().add_track(test::simulcast_track(kPub));
  ASSERT_TRUE(track);
  ASSERT_TRUE(worker.router().subscribe(kSub, *track, test::subscriber(0xB0), 0,
                                        OutboundStream::Config{90'000, 100, 0, 0, 0}, 500));
  driver.pump();
  test::SimPublisher source;
  for (int f = 0; f < 10; ++f)
    for (const auto& p : source.frame(0, loop.now(), f == 0))
      pub_udp.send_to(port, pub.protect(p->bytes, false));
  int media = 0;
  ASSERT_TRUE(run_until([&] {
    for (auto& packet : sub.inbox) {
      auto plain = sub.unprotect(packet);
      EXPECT_TRUE(plain);
      if (plain && !rtp::is_rtcp(*plain) && rtp::parse_packet(*plain)->header.ssrc == 0xB0) ++media;
    }
    sub.inbox.clear();
    return media >= 10;
  }));
  EXPECT_EQ(media, 10);
  EXPECT_EQ(worker.stats().unprotect_failures, 0u);
  EXPECT_GE(driver.datagrams_in(), 10u);
  // Every read that made the worker send was timed, read to send: the checks, the handshakes
  // and the ten forwarded packets at least (each within the last bucket's 25 ms unless this
  // machine stalls, so only the count and the sum are asserted).
  const auto& latency = driver.forwarding_latency();
  EXPECT_GE(latency.count(), 10u);
  EXPECT_LE(latency.count(), driver.datagrams_in());
  EXPECT_LT(latency.sum_us(), latency.count() * 1'000'000);  // under a second on average
  driver.stop();
}

}  // namespace
}  // namespace peerkit::sfu
