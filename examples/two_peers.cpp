// two_peers: two PeerConnections in one process, on 127.0.0.1 only. Signalling is direct: each
// peer's candidates and descriptions are handed to the other from its callbacks (trickle ICE),
// which the thread model allows (include/peerkit/peer_connection.h). Peer A opens channel
// "chat" and says hello; B answers; both print what they got.
//
//   two_peers        (exit status 0 when both messages arrived, within 10 s)
#include "signaling.h"

using namespace std::chrono_literals;

int main() {
  peerkit::Configuration config;
  config.host_filter = "127.0.0.1/32";
  config.allow_loopback = true;
  peerkit::Runtime runtime{2};  // one loop thread per peer
  auto a = peerkit::PeerConnection::create(runtime, config);
  auto b = peerkit::PeerConnection::create(runtime, config);

  examples::Waiter w;
  std::string a_got, b_got;
  // Candidates may come before the other side has a remote description, which
  // add_ice_candidate refuses (as browsers do): hold them until then.
  struct Side {
    std::shared_ptr<peerkit::PeerConnection> pc;
    bool has_remote = false;
    std::vector<peerkit::IceCandidate> held;
  } to_a{a}, to_b{b};
  auto deliver = [&](Side& to, const peerkit::IceCandidate& c) {
    {
      auto l = w.lock();
      if (!to.has_remote) return to.held.push_back(c);
    }
    (void)to.pc->add_ice_candidate(c);  // from the other loop: queued, errors go to on_error
  };
  auto remote_set = [&](Side& to) {
    std::vector<peerkit::IceCandidate> held;
    {
      auto l = w.lock();
      to.has_remote = true;
      held.swap(to.held);
    }
    for (const auto& c : held) (void)to.pc->add_ice_candidate(c);
  };
  a->on_local_candidate([&](const peerkit::IceCandidate& c) { deliver(to_b, c); });
  b->on_local_candidate([&](const peerkit::IceCandidate& c) { deliver(to_a, c); });
  a->on_error([](const std::string& e) { std::fprintf(stderr, "a: %s\n", e.c_str()); });
  b->on_error([](const std::string& e) { std::fprintf(stderr, "b: %s\n", e.c_str()); });

  std::shared_ptr<peerkit::DataChannel> b_chat;  // keep it: dropping a DataChannel closes it
  b->on_data_channel([&](std::shared_ptr<peerkit::DataChannel> ch) {
    ch->on_message([&, ch = ch.get()](const peerkit::Message& m) {
      {
        auto l = w.lock();
        b_got = m.text();
        w.notify();
      }
      (void)ch->send("hello from b");
    });
    auto l = w.lock();
    b_chat = std::move(ch);
  });
  auto made = a->create_data_channel("chat");
  if (auto* e = std::get_if<std::string>(&made)) examples::fail(*e);
  auto chat = std::get<std::shared_ptr<peerkit::DataChannel>>(made);
  chat->on_open([&] { (void)chat->send("hello from a"); });
  chat->on_message([&](const peerkit::Message& m) {
    auto l = w.lock();
    a_got = m.text();
    w.notify();
  });

  // Offer/answer from this thread (calls that return a value wait for the loop).
  auto offer = std::get<peerkit::SessionDescription>(a->create_offer());
  if (auto e = a->set_local_description(offer)) examples::fail(*e);
  if (auto e = b->set_remote_description(offer)) examples::fail(*e);
  remote_set(to_b);
  auto answer = std::get<peerkit::SessionDescription>(b->create_answer());
  if (auto e = b->set_local_description(answer)) examples::fail(*e);
  if (auto e = a->set_remote_description(answer)) examples::fail(*e);
  remote_set(to_a);

  const bool ok = w.wait([&] { return !a_got.empty() && !b_got.empty(); }, 10s);
  {
    auto l = w.lock();
    std::fprintf(stderr, "two_peers: b got \"%s\", a got \"%s\"\n", b_got.c_str(), a_got.c_str());
  }
  a->close();
  b->close();
  return ok && a_got == "hello from b" && b_got == "hello from a" ? 0 : 1;
}
