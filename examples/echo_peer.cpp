// echo_peer: answers an offer and sends every message back on the channel it came on (text as
// text, binary as binary). With --ping N it is the other side: it offers, sends N messages of
// growing sizes on channel "echo" and checks that each comes back identical and in order.
//
//   terminal 1:  echo_peer --loopback --ping 100   (prints the offer line)
//   terminal 2:  echo_peer --loopback              (paste the offer; it prints the answer line)
//   then paste the answer line into terminal 1.
// Or with named pipes:  mkfifo o a; echo_peer --ping 100 >o <a & echo_peer <o >a
// Options: --loopback (127.0.0.1 only) or --host-filter F (e.g. 10.0.0.0/8). The echoing side
// exits once the channels it served are closed; the pinging side exits 0 when all came back.
#include "signaling.h"

using namespace std::chrono_literals;

namespace {

int echo(peerkit::Configuration config) {
  peerkit::Runtime runtime;
  auto pc = peerkit::PeerConnection::create(runtime, config);
  examples::Gathering gathering(*pc);
  examples::Waiter w;
  std::vector<std::shared_ptr<peerkit::DataChannel>> channels;
  int open = 0;
  std::uint64_t echoed = 0;
  bool failed = false;
  pc->on_connection_state([&](peerkit::PeerConnectionState s) {
    auto l = w.lock();
    failed = s == peerkit::PeerConnectionState::kFailed || s == peerkit::PeerConnectionState::kClosed;
    w.notify();
  });
  pc->on_data_channel([&](std::shared_ptr<peerkit::DataChannel> ch) {
    ch->on_message([&, ch = ch.get()](const peerkit::Message& m) {
      if (m.binary) (void)ch->send(std::span<const std::byte>(m.data));
      else (void)ch->send(m.text());
      auto l = w.lock();
      ++echoed;
    });
    ch->on_close([&] { auto l = w.lock(); --open; w.notify(); });
    auto l = w.lock();
    ++open;
    channels.push_back(std::move(ch));
  });
  if (auto e = pc->set_remote_description(examples::read_description("offer"))) examples::fail(*e);
  auto answer = pc->create_answer();
  if (auto* e = std::get_if<std::string>(&answer)) examples::fail(*e);
  if (auto e = pc->set_local_description(std::get<peerkit::SessionDescription>(answer))) examples::fail(*e);
  examples::print_line(gathering.wait_line(std::get<peerkit::SessionDescription>(answer), 10s));
  if (!w.wait([&] { return !channels.empty() || failed; }, 30s) || channels.empty()) examples::fail("no channel opened");
  // Serve until every channel has closed (or the connection failed); an hour at most.
  w.wait([&] { return open == 0 || failed; }, 3600s);
  std::fprintf(stderr, "echo_peer: echoed %llu messages\n", static_cast<unsigned long long>(echoed));
  pc->close();
  return 0;
}

int ping(peerkit::Configuration config, int count) {
  peerkit::Runtime runtime;
  auto pc = peerkit::PeerConnection::create(runtime, config);
  examples::Gathering gathering(*pc);
  examples::Waiter w;
  bool open = false, closed = false;
  std::vector<peerkit::Message> back;
  auto made = pc->create_data_channel("echo");
  if (auto* e = std::get_if<std::string>(&made)) examples::fail(*e);
  auto ch = std::get<std::shared_ptr<peerkit::DataChannel>>(made);
  ch->on_open([&] { auto l = w.lock(); open = true; w.notify(); });
  ch->on_close([&] { auto l = w.lock(); closed = true; w.notify(); });
  ch->on_message([&](const peerkit::Message& m) { auto l = w.lock(); back.push_back(m); w.notify(); });

  auto offer = pc->create_offer();
  if (auto* e = std::get_if<std::string>(&offer)) examples::fail(*e);
  if (auto e = pc->set_local_description(std::get<peerkit::SessionDescription>(offer))) examples::fail(*e);
  examples::print_line(gathering.wait_line(std::get<peerkit::SessionDescription>(offer), 10s));
  if (auto e = pc->set_remote_description(examples::read_description("answer"))) examples::fail(*e);
  if (!w.wait([&] { return open || closed; }, 30s) || !open) examples::fail("the channel did not open");

  // Message i: i*97 bytes (0, 97, 194, …), even ones text, odd ones binary.
  std::vector<peerkit::Message> sent;
  for (int i = 0; i < count; ++i) {
    peerkit::Message m{i % 2 == 1, std::vector<std::byte>(static_cast<std::size_t>(i) * 97)};
    for (std::size_t k = 0; k < m.data.size(); ++k) m.data[k] = std::byte('a' + (i + k) % 26);
    auto e = m.binary ? ch->send(std::span<const std::byte>(m.data)) : ch->send(m.text());
    if (e) examples::fail(*e);
    sent.push_back(std::move(m));
  }
  if (!w.wait([&] { return back.size() >= sent.size() || closed; }, 30s))
    examples::fail("only " + std::to_string(back.size()) + " of " + std::to_string(count) + " came back");
  int same = 0;
  {
    auto l = w.lock();
    for (std::size_t i = 0; i < sent.size() && i < back.size(); ++i)
      same += back[i].binary == sent[i].binary && back[i].data == sent[i].data;
  }
  std::fprintf(stderr, "echo_peer: %d/%d messages came back identical and in order\n", same, count);
  ch->close();
  w.wait([&] { return closed; }, 5s);
  pc->close();
  return same == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto config = examples::configuration_from(args);
  if (args.empty()) return echo(config);
  if (args.size() == 2 && args[0] == "--ping") {
    int n = std::atoi(args[1].c_str());
    if (n > 0) return ping(config, n);
  }
  examples::fail("usage: echo_peer [--loopback | --host-filter F] [--ping N]");
}
