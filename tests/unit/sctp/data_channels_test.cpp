// Data channels over two associations on a simulated link (sctp/data_channels.h, dcep.h).
#include "sctp/data_channels.h"

#include <gtest/gtest.h>

#include "sctp_sim.h"

namespace peerkit::sctp {
namespace {

using test::pattern;
using test::Sim;

TEST(Dcep, OpenRoundTripsAndRejectsBadLengths) {
  DcepOpen o;
  o.type = ChannelType::kPartialRexmitUnordered;
  o.reliability = 3;
  o.label = "chat";
  o.protocol = "json";
  const auto bytes = encode_open(o);
  const auto back = decode_open(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->label, "chat");
  EXPECT_EQ(back->protocol, "json");
  EXPECT_FALSE(back->ordered());
  EXPECT_EQ(back->reliability, 3u);
  auto cut = bytes;
  cut.pop_back();
  EXPECT_FALSE(decode_open(cut));
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_FALSE(decode_open(longer));
  auto bad_type = bytes;
  bad_type[1] = std::byte{0x05};
  EXPECT_FALSE(decode_open(bad_type));
  EXPECT_TRUE(is_ack(encode_ack()));
}

struct Peers {
  Sim sim;
  DataChannels a{sim.a, true, 262144};   // DTLS client: even ids
  DataChannels b{sim.b, false, 262144};  // DTLS server: odd ids
  std::vector<DataChannelEvent> ea, eb;

  Peers() {}

  bool run(const std::function<bool()>& done, Duration limit = Duration::seconds(30)) {
    return sim.run([&] {
      pump();
      return done();
    }, limit);
  }
  void pump() {
    // The sim collects association events into events_a/got_a; feed them to the channels.
    for (auto& m : sim.got_a) a.handle(sim.clock.now(), std::move(m));
    for (auto& e : sim.events_a) a.handle(sim.clock.now(), std::move(e));
    for (auto& m : sim.got_b) b.handle(sim.clock.now(), std::move(m));
    for (auto& e : sim.events_b) b.handle(sim.clock.now(), std::move(e));
    sim.got_a.clear();
    sim.events_a.clear();
    sim.got_b.clear();
    sim.events_b.clear();
    while (auto e = a.poll_event()) ea.push_back(std::move(*e));
    while (auto e = b.poll_event()) eb.push_back(std::move(*e));
  }
  template <class E>
  static std::vector<E> of(const std::vector<DataChannelEvent>& v) {
    std::vector<E> out;
    for (const auto& e : v)
      if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
    return out;
  }
  bool connect() {
    sim.a.connect(sim.clock.now());
    sim.b.connect(sim.clock.now());
    return run([&] { return sim.a.state() == AssociationState::kEstablished &&
                            sim.b.state() == AssociationState::kEstablished; });
  }
};

TEST(DataChannels, InBandOpenBothWaysWithParityIds) {
  Peers p;
  // Created before the association is up: opened when it is.
  DataChannelInit chat;
  chat.label = "chat";
  chat.protocol = "peerkit-chat";
  const auto id_a = p.a.create(p.sim.clock.now(), chat);
  ASSERT_TRUE(id_a);
  EXPECT_EQ(*id_a, 0);
  ASSERT_TRUE(p.connect());
  DataChannelInit files;
  files.label = "files";
  const auto id_b = p.b.create(p.sim.clock.now(), files);
  ASSERT_TRUE(id_b);
  EXPECT_EQ(*id_b, 1);
  ASSERT_TRUE(p.run([&] {
    return Peers::of<IncomingChannelEvent>(p.eb).size() == 1 && Peers::of<IncomingChannelEvent>(p.ea).size() == 1;
  }));
  const auto* remote = p.b.channel(0);
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->label, "chat");
  EXPECT_EQ(remote->protocol, "peerkit-chat");
  EXPECT_EQ(remote->state, ChannelState::kOpen);
  EXPECT_EQ(p.a.channel(1)->label, "files");
  EXPECT_EQ(Peers::of<ChannelOpenEvent>(p.ea).size(), 1u);
}

TEST(DataChannels, StringBinaryAndEmptyMessages) {
  Peers p;
  ASSERT_TRUE(p.connect());
  const auto id = *p.a.create(p.sim.clock.now(), {});
  const std::string hello = "héllo";
  ASSERT_FALSE(p.a.send(p.sim.clock.now(), id, as_bytes(hello), false));
  ASSERT_FALSE(p.a.send(p.sim.clock.now(), id, pattern(300, 1), true));
  ASSERT_FALSE(p.a.send(p.sim.clock.now(), id, {}, false));
  ASSERT_FALSE(p.a.send(p.sim.clock.now(), id, {}, true));
  ASSERT_FALSE(p.a.send(p.sim.clock.now(), id, pattern(262144, 2), true));  // the max size
  ASSERT_TRUE(p.run([&] { return Peers::of<ChannelMessageEvent>(p.eb).size() == 5; }));
  const auto m = Peers::of<ChannelMessageEvent>(p.eb);
  EXPECT_FALSE(m[0].binary);
  EXPECT_EQ(as_string_view(m[0].data), hello);
  EXPECT_TRUE(m[1].binary);
  EXPECT_EQ(m[1].data, pattern(300, 1));
  EXPECT_FALSE(m[2].binary);
  EXPECT_TRUE(m[2].data.empty());
  EXPECT_TRUE(m[3].binary);
  EXPECT_TRUE(m[3].data.empty());
  EXPECT_EQ(m[4].data, pattern(262144, 2));
  // Larger than the peer accepts: refused here, never sent.
  const auto err = p.a.send(p.sim.clock.now(), id, pattern(262145, 3), true);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("max-message-size"), std::string::npos);
}

TEST(DataChannels, ChannelOptionsReachThePeer) {
  Peers p;
  ASSERT_TRUE(p.connect());
  DataChannelInit u;
  u.label = "unordered-lossy";
  u.ordered = false;
  u.max_retransmits = 0;
  DataChannelInit t;
  t.label = "timed";
  t.max_packet_life_time = 150;
  const auto iu = *p.a.create(p.sim.clock.now(), u);
  const auto it = *p.a.create(p.sim.clock.now(), t);
  ASSERT_TRUE(p.run([&] { return Peers::of<IncomingChannelEvent>(p.eb).size() == 2; }));
  EXPECT_FALSE(p.b.channel(iu)->ordered);
  EXPECT_EQ(p.b.channel(iu)->max_retransmits, 0);
  EXPECT_TRUE(p.b.channel(it)->ordered);
  EXPECT_EQ(p.b.channel(it)->max_packet_life_time, 150);
  DataChannelInit both = u;
  both.max_packet_life_time = 1;
  EXPECT_FALSE(p.a.create(p.sim.clock.now(), both));
}

TEST(DataChannels, NegotiatedChannelsNeedNoDcep) {
  Peers p;
  ASSERT_TRUE(p.connect());
  DataChannelInit n;
  n.label = "sync";
  n.negotiated_id = 42;
  ASSERT_EQ(*p.a.create(p.sim.clock.now(), n), 42);
  ASSERT_EQ(*p.b.create(p.sim.clock.now(), n), 42);
  EXPECT_FALSE(p.a.create(p.sim.clock.now(), n));  // in use
  ASSERT_FALSE(p.a.send(p.sim.clock.now(), 42, as_bytes("x"), false));
  ASSERT_TRUE(p.run([&] { return Peers::of<ChannelMessageEvent>(p.eb).size() == 1; }));
  EXPECT_TRUE(Peers::of<IncomingChannelEvent>(p.eb).empty());
}

TEST(DataChannels, CloseIsSeenOnBothSidesAndTheIdIsReused) {
  Peers p;
  ASSERT_TRUE(p.connect());
  const auto id = *p.a.create(p.sim.clock.now(), {});
  ASSERT_FALSE(p.a.send(p.sim.clock.now(), id, as_bytes("last words"), false));
  ASSERT_TRUE(p.run([&] { return Peers::of<IncomingChannelEvent>(p.eb).size() == 1; }));
  p.a.close(id);
  ASSERT_TRUE(p.run([&] {
    return Peers::of<ChannelClosedEvent>(p.ea).size() == 1 && Peers::of<ChannelClosedEvent>(p.eb).size() == 1;
  }));
  EXPECT_EQ(Peers::of<ChannelMessageEvent>(p.eb).size(), 1u);  // delivered before the close
  EXPECT_EQ(p.a.channel(id), nullptr);
  EXPECT_EQ(*p.a.create(p.sim.clock.now(), {}), id);
  ASSERT_TRUE(p.run([&] { return Peers::of<IncomingChannelEvent>(p.eb).size() == 2; }));
}

TEST(DataChannels, SixteenChannelsAtOnce) {
  Peers p;
  ASSERT_TRUE(p.connect());
  std::vector<std::uint16_t> ids;
  for (int i = 0; i < 16; ++i) {
    DataChannelInit c;
    c.label = "c" + std::to_string(i);
    c.ordered = i % 2 == 0;
    ids.push_back(*p.a.create(p.sim.clock.now(), c));
  }
  for (std::size_t i = 0; i < ids.size(); ++i)
    ASSERT_FALSE(p.a.send(p.sim.clock.now(), ids[i], pattern(5000, static_cast<std::uint32_t>(i)), true));
  ASSERT_TRUE(p.run([&] { return Peers::of<ChannelMessageEvent>(p.eb).size() == 16; }));
  for (const auto& m : Peers::of<ChannelMessageEvent>(p.eb))
    EXPECT_EQ(m.data, pattern(5000, static_cast<std::uint32_t>(std::find(ids.begin(), ids.end(), m.id) - ids.begin())));
}

TEST(DataChannels, BufferedAmountLowFiresWhenTheQueueDrains) {
  Peers p;
  ASSERT_TRUE(p.connect());
  const auto id = *p.a.create(p.sim.clock.now(), {});
  p.a.set_buffered_amount_low_threshold(id, 10000);
  for (int i = 0; i < 20; ++i) ASSERT_FALSE(p.a.send(p.sim.clock.now(), id, pattern(20000, i), true));
  EXPECT_GT(p.a.buffered_amount(id), 10000u);
  ASSERT_TRUE(p.run([&] { return !Peers::of<BufferedAmountLowEvent>(p.ea).empty(); }));
  EXPECT_LE(p.a.buffered_amount(id), 10000u);
  EXPECT_EQ(Peers::of<BufferedAmountLowEvent>(p.ea).size(), 1u);
}

TEST(DataChannels, AssociationLossClosesEveryChannel) {
  Peers p;
  ASSERT_TRUE(p.connect());
  const auto x = *p.a.create(p.sim.clock.now(), {});
  const auto y = *p.a.create(p.sim.clock.now(), {});
  p.sim.a.abort(p.sim.clock.now(), "gone");
  p.sim.collect();
  p.pump();
  const auto closed = Peers::of<ChannelClosedEvent>(p.ea);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].id, x);
  EXPECT_EQ(closed[1].id, y);
}

}  // namespace
}  // namespace peerkit::sctp
