// DTLS + SCTP + data channels end to end in memory (peer/data_transport.h): two transports
// joined by a loss-free or lossy link on a virtual clock.
#include "peer/data_transport.h"

#include <gtest/gtest.h>

#include <random>

namespace peerkit::peer {
namespace {

class Seeded final : public RandomSource {
 public:
  explicit Seeded(std::uint32_t s) : e_(s) {}
  void fill(std::span<std::byte> out) override {
    for (auto& b : out) b = std::byte(static_cast<std::uint8_t>(e_()));
  }

 private:
  std::mt19937 e_;
};

struct Pair {
  std::shared_ptr<const dtls::Certificate> ca = *dtls::Certificate::generate();
  std::shared_ptr<const dtls::Certificate> cb = *dtls::Certificate::generate();
  Seeded ra{1}, rb{2};
  ManualClock clock;
  std::unique_ptr<DataTransport> a, b;
  std::vector<DataTransportEvent> ea, eb;
  double loss = 0;
  std::mt19937 link{5};

  explicit Pair(std::uint64_t max_message = 262144) {
    DataTransportConfig c;
    c.role = dtls::Role::kClient;
    c.remote_fingerprints = {cb->fingerprint()};
    c.max_message_size = max_message;
    a = std::make_unique<DataTransport>(*dtls::Context::create(ca), c, ra);
    c.role = dtls::Role::kServer;
    c.remote_fingerprints = {ca->fingerprint()};
    b = std::make_unique<DataTransport>(*dtls::Context::create(cb), c, rb);
  }

  void move(DataTransport& from, DataTransport& to) {
    std::vector<std::vector<std::byte>> packets;
    for (const Transmit& t : from.transmits()) packets.emplace_back(t.data.begin(), t.data.end());
    std::uniform_real_distribution<double> u(0, 1);
    for (const auto& p : packets)
      if (loss == 0 || u(link) >= loss) to.handle_datagram(clock.now(), p);
  }

  bool run(const std::function<bool()>& done, int limit = 100000) {
    for (int i = 0; i < limit; ++i) {
      move(*a, *b);
      move(*b, *a);
      while (auto e = a->poll_event()) ea.push_back(std::move(*e));
      while (auto e = b->poll_event()) eb.push_back(std::move(*e));
      if (done()) return true;
      // Nothing in flight this round: let time pass to the next timer.
      std::optional<Timestamp> t = a->next_timeout();
      if (const auto tb = b->next_timeout(); tb && (!t || *tb < *t)) t = tb;
      clock.advance(Duration::millis(1));
      if (t && *t <= clock.now()) {
        a->handle_timeout(clock.now());
        b->handle_timeout(clock.now());
      }
    }
    return false;
  }

  static bool has_up(const std::vector<DataTransportEvent>& v, TransportStateEvent::Layer layer) {
    for (const auto& e : v)
      if (const auto* s = std::get_if<TransportStateEvent>(&e); s && s->layer == layer && s->up) return true;
    return false;
  }
  static std::vector<sctp::ChannelMessageEvent> messages(const std::vector<DataTransportEvent>& v) {
    std::vector<sctp::ChannelMessageEvent> out;
    for (const auto& e : v)
      if (const auto* c = std::get_if<sctp::DataChannelEvent>(&e))
        if (const auto* m = std::get_if<sctp::ChannelMessageEvent>(c)) out.push_back(*m);
    return out;
  }

  bool connect() {
    a->start(clock.now());
    b->start(clock.now());
    return run([&] {
      return has_up(ea, TransportStateEvent::Layer::kSctp) && has_up(eb, TransportStateEvent::Layer::kSctp);
    });
  }
};

TEST(DataTransport, DtlsThenSctpThenChannels) {
  Pair p;
  ASSERT_TRUE(p.connect());
  EXPECT_TRUE(Pair::has_up(p.ea, TransportStateEvent::Layer::kDtls));
  sctp::DataChannelInit init;
  init.label = "chat";
  const auto id = p.a->channels().create(p.clock.now(), init);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id % 2, 0);  // DTLS client: even
  ASSERT_FALSE(p.a->channels().send(p.clock.now(), *id, as_bytes("hello over DTLS"), false));
  ASSERT_TRUE(p.run([&] { return Pair::messages(p.eb).size() == 1; }));
  EXPECT_EQ(as_string_view(Pair::messages(p.eb)[0].data), "hello over DTLS");
  EXPECT_EQ(p.b->channels().channel(*id)->label, "chat");
  // Records on the wire fit the datagram size.
  EXPECT_LE(p.a->association().max_message_payload(), 1200u);
}

TEST(DataTransport, FourMiBUnderFivePercentLossArrivesIntact) {
  Pair p;
  ASSERT_TRUE(p.connect());
  p.loss = 0.05;
  const auto id = *p.a->channels().create(p.clock.now(), {});
  std::vector<std::byte> file(4 << 20);
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = std::byte(static_cast<std::uint8_t>(i * 31 + (i >> 12)));
  std::size_t sent = 0;
  const std::size_t chunk = 65536;
  std::vector<std::byte> got;
  ASSERT_TRUE(p.run([&] {
    while (sent < file.size() && p.a->channels().buffered_amount(id) < 1 << 20) {
      const auto n = std::min(chunk, file.size() - sent);
      if (p.a->channels().send(p.clock.now(), id, ByteSpan(file).subspan(sent, n), true)) break;
      sent += n;
    }
    for (auto& m : Pair::messages(p.eb)) got.insert(got.end(), m.data.begin(), m.data.end());
    p.eb.clear();
    return got.size() == file.size();
  }, 2'000'000));
  EXPECT_EQ(got, file);
}

TEST(DataTransport, MessagesAboveThePeersLimitAreRefused) {
  Pair p(65536);  // the peer's SDP had no max-message-size: 64 KiB
  ASSERT_TRUE(p.connect());
  const auto id = *p.a->channels().create(p.clock.now(), {});
  EXPECT_FALSE(p.a->channels().send(p.clock.now(), id, std::vector<std::byte>(65536), true));
  EXPECT_TRUE(p.a->channels().send(p.clock.now(), id, std::vector<std::byte>(65537), true));
}

TEST(DataTransport, CloseEndsBothSides) {
  Pair p;
  ASSERT_TRUE(p.connect());
  p.a->close(p.clock.now());
  ASSERT_TRUE(p.run([&] {
    for (const auto& e : p.eb)
      if (const auto* s = std::get_if<TransportStateEvent>(&e); s && !s->up) return true;
    return false;
  }));
}

}  // namespace
}  // namespace peerkit::peer
