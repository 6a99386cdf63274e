// The public PeerConnection (include/peerkit/peer_connection.h): two peers in one process,
// gathering on loopback only (never eth0), signalling through the test. Also the thread model:
// calls from other threads and from inside callbacks, callbacks after the causing call, none
// after close, connections spread over the Runtime's threads.
#include "peerkit/peer_connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace peerkit {
namespace {

Configuration loopback() {
  Configuration c;
  c.host_filter = "127.0.0.1/32";
  c.allow_loopback = true;
  return c;
}

// Waits (on a condition variable, with a deadline) for what the callbacks report.
struct Waiter {
  std::mutex m;
  std::condition_variable cv;
  template <class P>
  bool wait(P p, std::chrono::seconds limit = std::chrono::seconds(15)) {
    std::unique_lock l(m);
    return cv.wait_for(l, limit, p);
  }
  void notify() { cv.notify_all(); }
};

struct TwoPeers {
  Runtime runtime{2};
  std::shared_ptr<PeerConnection> a = PeerConnection::create(runtime, loopback());
  std::shared_ptr<PeerConnection> b = PeerConnection::create(runtime, loopback());
  Waiter w;
  std::shared_ptr<DataChannel> b_channel;
  std::vector<Message> a_got, b_got;
  std::atomic<bool> a_open{false};

  // Signalling as an application does it: candidates that arrive before the remote
  // description are held and added after it (add_ice_candidate refuses them before, as
  // browsers do).
  std::mutex signal_m;
  bool a_has_remote = false, b_has_remote = false;
  std::vector<IceCandidate> for_a, for_b;
  void to(std::shared_ptr<PeerConnection>& pc, bool& has_remote, std::vector<IceCandidate>& held,
          const IceCandidate& c) {
    {
      std::lock_guard l(signal_m);
      if (!has_remote) {
        held.push_back(c);
        return;
      }
    }
    // From a's loop into b's (another loop): queued, never waited for.
    EXPECT_FALSE(pc->add_ice_candidate(c));
  }
  void remote_set(std::shared_ptr<PeerConnection>& pc, bool& has_remote, std::vector<IceCandidate>& held) {
    std::vector<IceCandidate> now;
    {
      std::lock_guard l(signal_m);
      has_remote = true;
      now.swap(held);
    }
    for (const auto& c : now) EXPECT_FALSE(pc->add_ice_candidate(c));
  }

  TwoPeers() {
    a->on_local_candidate([this](const IceCandidate& c) { to(b, b_has_remote, for_b, c); });
    b->on_local_candidate([this](const IceCandidate& c) { to(a, a_has_remote, for_a, c); });
    b->on_data_channel([this](std::shared_ptr<DataChannel> ch) {
      ch->on_message([this](const Message& m) {
        std::lock_guard l(w.m);
        b_got.push_back(m);
        w.notify();
      });
      std::lock_guard l(w.m);
      b_channel = ch;
      w.notify();
    });
  }

  // The callbacks above run on the Runtime's loops and touch the members declared after a and
  // b, which are destroyed first. Closing both (no callback runs after close() returns; a
  // callback running meanwhile finishes first) keeps a late event — b's on_data_channel for a
  // channel the test did not wait for, a last candidate — off freed memory.
  ~TwoPeers() {
    a->close();
    b->close();
  }

  std::string negotiate() {
    auto offer = a->create_offer();
    if (auto* e = std::get_if<std::string>(&offer)) return *e;
    if (auto e = a->set_local_description(std::get<SessionDescription>(offer))) return *e;
    if (auto e = b->set_remote_description(std::get<SessionDescription>(offer))) return *e;
    remote_set(b, b_has_remote, for_b);
    auto answer = b->create_answer();
    if (auto* e = std::get_if<std::string>(&answer)) return *e;
    if (auto e = b->set_local_description(std::get<SessionDescription>(answer))) return *e;
    if (auto e = a->set_remote_description(std::get<SessionDescription>(answer))) return *e;
    remote_set(a, a_has_remote, for_a);
    return "";
  }
};

std::string describe(PeerConnection& pc) {
  const auto s = pc.get_stats();
  std::string out = std::string("state=") + to_string(pc.connection_state()) + " dtls=" + s.dtls_state +
                    " selected=" + s.selected_candidate_pair_local + " pairs:";
  for (const auto& p : s.candidate_pairs)
    out += " [" + p.state + (p.nominated ? " nominated" : "") + " req=" + std::to_string(p.requests_sent) +
           " resp=" + std::to_string(p.responses_received) + "]";
  return out;
}

TEST(PeerConnection, TwoPeersOpenAChannelAndTalkBothWays) {
  TwoPeers p;
  auto made = p.a->create_data_channel("chat");
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<DataChannel>>(made));
  auto chat = std::get<std::shared_ptr<DataChannel>>(made);
  EXPECT_FALSE(chat->id());  // no DTLS role yet
  chat->on_open([&] {
    p.a_open = true;
    p.w.notify();
  });
  chat->on_message([&](const Message& m) {
    std::lock_guard l(p.w.m);
    p.a_got.push_back(m);
    p.w.notify();
  });
  ASSERT_EQ(p.negotiate(), "");
  ASSERT_TRUE(p.w.wait([&] { return p.a_open.load() && p.b_channel != nullptr; }))
      << "a: " << describe(*p.a) << "\nb: " << describe(*p.b);
  EXPECT_EQ(p.a->connection_state(), PeerConnectionState::kConnected);
  EXPECT_EQ(p.b_channel->label(), "chat");
  ASSERT_FALSE(chat->send("hello from a"));
  ASSERT_FALSE(p.b_channel->send(std::vector<std::byte>(100000, std::byte{7})));
  ASSERT_TRUE(p.w.wait([&] { return p.b_got.size() == 1 && p.a_got.size() == 1; }));
  EXPECT_EQ(p.b_got[0].text(), "hello from a");
  EXPECT_FALSE(p.b_got[0].binary);
  EXPECT_EQ(p.a_got[0].data.size(), 100000u);
  EXPECT_TRUE(p.a_got[0].binary);
  const auto stats = p.a->get_stats();
  EXPECT_EQ(stats.dtls_state, "connected");
  EXPECT_NE(stats.selected_candidate_pair_local.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(stats.messages_sent, 1u);
  // RTCTransportStats and RTCDataChannelStats, as a browser's getStats() names them.
  const auto bs = p.b->get_stats();
  EXPECT_EQ(stats.transport.ice_role, "controlling");  // the offerer
  EXPECT_EQ(bs.transport.ice_role, "controlled");
  EXPECT_NE(stats.transport.dtls_role, bs.transport.dtls_role);
  EXPECT_TRUE(stats.transport.dtls_role == "client" || stats.transport.dtls_role == "server");
  EXPECT_EQ(stats.transport.dtls_state, "connected");
  EXPECT_EQ(stats.transport.tls_version, "FEFD");
  EXPECT_EQ(stats.transport.dtls_cipher.rfind("TLS_ECDHE_ECDSA_WITH_", 0), 0u) << stats.transport.dtls_cipher;
  EXPECT_EQ(stats.transport.dtls_cipher, bs.transport.dtls_cipher);
  EXPECT_GT(stats.transport.packets_sent, 0u);
  EXPECT_GT(stats.transport.bytes_received, 100000u);  // b's message came through this transport
  ASSERT_EQ(stats.data_channels.size(), 1u);
  EXPECT_EQ(stats.data_channels[0].label, "chat");
  EXPECT_EQ(stats.data_channels[0].state, "open");
  EXPECT_EQ(stats.data_channels[0].data_channel_identifier, chat->id());
  EXPECT_EQ(stats.data_channels[0].messages_sent, 1u);
  EXPECT_EQ(stats.data_channels[0].bytes_sent, 12u);
  EXPECT_EQ(stats.data_channels[0].messages_received, 1u);
  EXPECT_EQ(stats.data_channels[0].bytes_received, 100000u);
  ASSERT_EQ(bs.data_channels.size(), 1u);
  EXPECT_EQ(bs.data_channels[0].bytes_received, 12u);
}

// A channel created from an application thread on a running association opens at once, and
// its open event is delivered on the loop while the application is still setting on_open (seen
// against wrtc in tests/interop). A handler set after that delivery still gets the event.
TEST(PeerConnection, OnOpenSetAfterTheChannelOpenedStillFires) {
  TwoPeers p;
  auto first = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("first"));
  ASSERT_EQ(p.negotiate(), "");
  ASSERT_TRUE(p.w.wait([&] { return p.b_channel != nullptr && first->ready_state() == "open"; }))
      << "a: " << describe(*p.a) << "\nb: " << describe(*p.b);
  auto late = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("late"));
  // get_stats() waits for a's loop, which has by then run the delivery queued before it: the
  // open event has been delivered to no handler.
  (void)p.a->get_stats();
  EXPECT_EQ(late->ready_state(), "open");
  std::atomic<bool> opened{false};
  late->on_open([&] {
    opened = true;
    p.w.notify();
  });
  EXPECT_TRUE(p.w.wait([&] { return opened.load(); }, std::chrono::seconds(5)));
}

TEST(PeerConnection, MessagesBeforeOnMessageWaitForItInOrder) {
  TwoPeers p;
  auto first = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("first"));
  ASSERT_EQ(p.negotiate(), "");
  ASSERT_TRUE(p.w.wait([&] { return p.b_channel != nullptr && first->ready_state() == "open"; }))
      << "a: " << describe(*p.a) << "\nb: " << describe(*p.b);
  // b answers a new channel at once, before a's application has set on_message on it.
  std::vector<std::shared_ptr<DataChannel>> b_keep;
  p.b->on_data_channel([&](std::shared_ptr<DataChannel> ch) {
    for (const char* text : {"one", "two", "three"}) EXPECT_FALSE(ch->send(std::string_view(text)));
    b_keep.push_back(ch);
  });
  auto late = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("late"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (p.a->get_stats().messages_received < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  (void)p.a->get_stats();  // by now a's loop has run the deliveries queued before: no handler
  std::vector<std::string> got;
  late->on_message([&](const Message& m) {
    std::lock_guard l(p.w.m);
    got.emplace_back(m.text());
    p.w.notify();
  });
  ASSERT_TRUE(p.w.wait([&] { return got.size() == 3; }, std::chrono::seconds(5)));
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "three"}));
  ASSERT_FALSE(b_keep.empty());
  EXPECT_FALSE(b_keep[0]->send(std::string_view("four")));  // later ones come straight through
  ASSERT_TRUE(p.w.wait([&] { return got.size() == 4; }, std::chrono::seconds(5)));
  EXPECT_EQ(got.back(), "four");
}

// As with browsers: once gathering is complete, localDescription carries the candidates, so two
// peers that never trickle connect with one description each way.
TEST(PeerConnection, WithoutTrickleTheDescriptionsAloneConnect) {
  Runtime runtime{2};
  auto a = PeerConnection::create(runtime, loopback());
  auto b = PeerConnection::create(runtime, loopback());
  Waiter w;
  std::atomic<bool> a_done{false}, b_done{false}, open{false};
  std::shared_ptr<DataChannel> b_channel;
  a->on_gathering_complete([&] { a_done = true; w.notify(); });
  b->on_gathering_complete([&] { b_done = true; w.notify(); });
  b->on_data_channel([&](std::shared_ptr<DataChannel> ch) {
    std::lock_guard l(w.m);
    b_channel = ch;
    w.notify();
  });
  auto chat = std::get<std::shared_ptr<DataChannel>>(a->create_data_channel("no-trickle"));
  chat->on_open([&] { open = true; w.notify(); });
  ASSERT_FALSE(a->set_local_description(std::get<SessionDescription>(a->create_offer())));
  ASSERT_TRUE(w.wait([&] { return a_done.load(); }));
  const auto offer = *a->local_description();
  EXPECT_NE(offer.sdp.find("\r\na=candidate:"), std::string::npos) << offer.sdp;
  EXPECT_NE(offer.sdp.find("\r\na=end-of-candidates\r\n"), std::string::npos) << offer.sdp;
  ASSERT_FALSE(b->set_remote_description(offer));
  ASSERT_FALSE(b->set_local_description(std::get<SessionDescription>(b->create_answer())));
  ASSERT_TRUE(w.wait([&] { return b_done.load(); }));
  ASSERT_FALSE(a->set_remote_description(*b->local_description()));
  ASSERT_TRUE(w.wait([&] { return open.load() && b_channel != nullptr; }))
      << "a: " << describe(*a) << "\nb: " << describe(*b);
  EXPECT_EQ(b_channel->label(), "no-trickle");
}

TEST(PeerConnection, MessagesWaitingForOnMessageAreBounded) {
  TwoPeers p;
  auto first = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("first"));
  ASSERT_EQ(p.negotiate(), "");
  ASSERT_TRUE(p.w.wait([&] { return p.b_channel != nullptr && first->ready_state() == "open"; }));
  // 6 MiB in 64 KiB messages before a's handler exists: only the first 4 MiB (with a 64-byte
  // charge per message) wait for it, in order; the rest is dropped.
  constexpr int kMessages = 96;
  std::vector<std::shared_ptr<DataChannel>> b_keep;
  p.b->on_data_channel([&](std::shared_ptr<DataChannel> ch) {
    for (int i = 0; i < kMessages; ++i) EXPECT_FALSE(ch->send(std::vector<std::byte>(65536, std::byte(i))));
    b_keep.push_back(ch);
  });
  auto late = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("late"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (p.a->get_stats().messages_received < kMessages && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(p.a->get_stats().messages_received, static_cast<std::uint64_t>(kMessages));
  (void)p.a->get_stats();
  std::vector<int> got;
  late->on_message([&](const Message& m) {
    std::lock_guard l(p.w.m);
    got.push_back(static_cast<int>(m.data.at(0)));
    p.w.notify();
  });
  const std::size_t fit = (4u << 20) / (65536 + 64);  // 63
  ASSERT_TRUE(p.w.wait([&] { return got.size() == fit; }, std::chrono::seconds(5)));
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], static_cast<int>(i));
  EXPECT_FALSE(b_keep[0]->send(std::string_view("after")));  // the handler gets new ones at once
  ASSERT_TRUE(p.w.wait([&] { return got.size() == fit + 1; }, std::chrono::seconds(5)));
}

TEST(PeerConnection, CloseIsSeenOnBothSidesAndNoCallbackFollowsClose) {
  TwoPeers p;
  auto chat = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("c"));
  std::atomic<bool> a_closed{false}, b_closed{false};
  chat->on_close([&] {
    a_closed = true;
    p.w.notify();
  });
  ASSERT_EQ(p.negotiate(), "");
  ASSERT_TRUE(p.w.wait([&] { return p.b_channel != nullptr; }))
      << "a: " << describe(*p.a) << "\nb: " << describe(*p.b);
  p.b_channel->on_close([&] {
    b_closed = true;
    p.w.notify();
  });
  chat->close();
  ASSERT_TRUE(p.w.wait([&] { return a_closed.load() && b_closed.load(); }));
  EXPECT_EQ(chat->ready_state(), "closed");
  // After close() returns, nothing more is called on a's callbacks.
  std::atomic<int> after{0};
  p.a->on_connection_state([&](PeerConnectionState) { ++after; });
  p.a->close();
  p.b->close();
  EXPECT_EQ(p.a->connection_state(), PeerConnectionState::kClosed);
  EXPECT_EQ(after.load(), 0);
}

// W3C RTCPeerConnectionState: a DTLS transport closed by the remote end (close_notify) still
// counts as connected; the connection does not go back to "connecting".
TEST(PeerConnection, ARemoteCloseLeavesTheConnectionConnected) {
  TwoPeers p;
  auto chat = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("c"));
  std::mutex m;
  std::vector<PeerConnectionState> seen;
  p.a->on_connection_state([&](PeerConnectionState s) {
    std::lock_guard l(m);
    seen.push_back(s);
  });
  ASSERT_EQ(p.negotiate(), "");
  ASSERT_TRUE(p.w.wait([&] { return p.b_channel != nullptr && chat->ready_state() == "open"; }))
      << "a: " << describe(*p.a) << "\nb: " << describe(*p.b);
  p.b->close();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (p.a->get_stats().transport.dtls_state != "closed" && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(p.a->get_stats().transport.dtls_state, "closed");
  (void)p.a->get_stats();  // the state change, if any, has been delivered by now
  EXPECT_EQ(p.a->connection_state(), PeerConnectionState::kConnected);
  std::lock_guard l(m);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), PeerConnectionState::kConnected);
}

TEST(PeerConnection, CallsFromInsideCallbacksAndOtherThreadsDoNotDeadlock) {
  TwoPeers p;
  auto chat = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("echo"));
  std::atomic<int> echoed{0};
  // b echoes from inside its message callback (a call on the loop thread, from a callback).
  p.b->on_data_channel([&](std::shared_ptr<DataChannel> ch) {
    std::lock_guard l(p.w.m);
    p.b_channel = ch;
    ch->on_message([ch](const Message& m) { (void)ch->send(m.text()); });
    // and a state query and a new channel from inside a callback, too
    (void)p.b->connection_state();
    (void)p.b->get_stats();
    p.w.notify();
  });
  chat->on_message([&](const Message&) {
    ++echoed;
    p.w.notify();
  });
  ASSERT_EQ(p.negotiate(), "");
  ASSERT_TRUE(p.w.wait([&] { return p.b_channel != nullptr && chat->ready_state() == "open"; }))
      << "a: " << describe(*p.a) << "\nb: " << describe(*p.b) << "\nchat: " << chat->ready_state();
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t)
    senders.emplace_back([&] {
      for (int i = 0; i < 25; ++i) (void)chat->send("ping");
    });
  for (auto& t : senders) t.join();
  ASSERT_TRUE(p.w.wait([&] { return echoed.load() == 100; }));
  // A call made from a's loop into b (another loop) is queued; its error reaches b's on_error.
  std::string b_error;
  p.b->on_error([&](const std::string& e) {
    std::lock_guard l(p.w.m);
    b_error = e;
    p.w.notify();
  });
  chat->on_message([&](const Message&) { EXPECT_FALSE(p.b->add_ice_candidate({"candidate:garbage", "0"})); });
  ASSERT_FALSE(chat->send("one more"));
  ASSERT_TRUE(p.w.wait([&] { return !b_error.empty(); }));
  EXPECT_EQ(b_error.rfind("OperationError", 0), 0u) << b_error;
}

// An application's callback that holds its own channel (natural in JavaScript, a cycle in C++)
// must not keep the channel alive after close — also when the peer closed the channel just
// before, so that its close task was still queued when close() came (CI's LeakSanitizer
// found that leak after CallsFromInsideCallbacksAndOtherThreadsDoNotDeadlock).
TEST(PeerConnection, ACallbackHoldingItsOwnChannelDoesNotOutliveClose) {
  std::weak_ptr<DataChannel> held;
  {
    TwoPeers p;
    auto chat = std::get<std::shared_ptr<DataChannel>>(p.a->create_data_channel("held"));
    p.b->on_data_channel([&](std::shared_ptr<DataChannel> ch) {
      std::lock_guard l(p.w.m);
      held = ch;
      ch->on_message([ch](const Message&) { (void)ch->ready_state(); });
      ch->on_close([ch] { (void)ch->ready_state(); });
      p.w.notify();
    });
    ASSERT_EQ(p.negotiate(), "");
    ASSERT_TRUE(p.w.wait([&] { return !held.expired(); }));
    chat->close();  // b hears it and queues the channel's close task...
    p.a->close();
    p.b->close();   // ...which this may overtake
  }
  EXPECT_TRUE(held.expired());
}

TEST(PeerConnection, BadInputGetsBrowserErrors) {
  Runtime runtime;
  auto pc = PeerConnection::create(runtime, loopback());
  auto e = pc->set_remote_description({"offer", "v=0\r\n"});
  ASSERT_TRUE(e);
  EXPECT_EQ(pc->signaling_state(), SignalingState::kStable);
  EXPECT_TRUE(pc->set_remote_description({"bogus", ""}));
  EXPECT_TRUE(pc->add_ice_candidate({"candidate:1 1 udp 1 127.0.0.1 9 typ host", "0"}));  // no remote yet
  EXPECT_TRUE(std::holds_alternative<std::string>(pc->create_answer()));
  DataChannelInit both;
  both.max_retransmits = 1;
  both.max_packet_life_time = 1;
  EXPECT_TRUE(std::holds_alternative<std::string>(pc->create_data_channel("x", both)));
  Configuration bad;
  bad.ice_servers = {{"http://example", "", ""}};
  auto pc2 = PeerConnection::create(runtime, bad);
  EXPECT_TRUE(std::holds_alternative<std::string>(pc2->create_offer()));
}

}  // namespace
}  // namespace peerkit

namespace peerkit {
namespace {

// add_track refuses at once what the negotiation would refuse later, so a track handed to the
// application is one that will be offered.
TEST(PeerConnectionTracks, BadTrackInitIsRefusedWhenAdded) {
  Runtime runtime{1};
  auto pc = PeerConnection::create(runtime, loopback());
  auto bad_id = pc->add_track({"video", "two words", ""});
  ASSERT_TRUE(std::holds_alternative<std::string>(bad_id));
  EXPECT_EQ(std::get<std::string>(bad_id).rfind("SyntaxError", 0), 0u);
  auto bad_kind = pc->add_track({"screen", "", ""});
  ASSERT_TRUE(std::holds_alternative<std::string>(bad_kind));
  EXPECT_EQ(std::get<std::string>(bad_kind).rfind("TypeError", 0), 0u);
  auto ok = pc->add_track({"video", "cam-stream", "cam"});
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<MediaTrack>>(ok));
  auto offer = pc->create_offer();
  ASSERT_TRUE(std::holds_alternative<SessionDescription>(offer));
  EXPECT_NE(std::get<SessionDescription>(offer).sdp.find("a=msid:cam-stream cam"), std::string::npos);
  EXPECT_EQ(std::get<SessionDescription>(offer).sdp.find("two words"), std::string::npos);
  pc->close();
}

}  // namespace
}  // namespace peerkit
