// T13 (../shared/perf/targets.md): SFU adaptation. One publisher sends a synthetic VP8 track in
// three simulcast layers (q, h, f: 1, 3 and 10 packets a frame) to peerkit serve's SFU; two
// native subscribers receive it — one through an impaired path (bench/impair_relay.h: RTT,
// random loss both ways, and a bottleneck cap toward the subscriber switched on and off), one
// direct (the control). The subscribers are peerkit PeerConnections: they NACK gaps, restore
// the SFU's RTX and send transport-wide feedback, on which the SFU's estimate for each of them
// runs. Phases: until the impaired subscriber is on the top layer (at most 30 s); the cap for
// CAPPED_S seconds; the cap lifted, until it is back on the top layer (at most 30 s).
//
//   sfuadapt HOST PORT [cap_kbps rtt_ms loss_percent top_pps capped_s]
//
// The layer a subscriber receives is read from its packet rate over the last 500 ms (the SFU
// rewrites layer switches into one stream; the layers' rates differ 3×). Prints one line:
//   T13: cap_kbps=… rtt_ms=… loss=… layers_kbps=q/h/f fitting=… settle_s=… goodput=… (of the
//   cap, the last 5 s capped) residual_loss=… (after NACK/RTX, capped phase) back_on_top_s=…
//   control_on_top=… (share of the capped phase the direct subscriber was on f) …
// Janus is not measured: its VideoRoom does not switch layers by itself (issue 11).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "impair_relay.h"
#include "sfu_media.h"
#include "sfuload_signaling.h"

using namespace peerkit;
using namespace peerkit::bench;
using Clock = std::chrono::steady_clock;

namespace {

// The subscribe offer pointed at the relay: its UDP host candidates get the relay's port, and
// other candidates (ICE-TCP) are left out, so that the path goes through the impairment.
std::string via_relay(const std::string& sdp, std::uint16_t relay_port, std::string* server_host,
                      std::uint16_t* server_port) {
  std::istringstream in(sdp);
  std::string out, line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("a=candidate:", 0) == 0) {
      std::istringstream fields(line);
      std::vector<std::string> f;
      for (std::string x; fields >> x;) f.push_back(x);
      if (f.size() < 8 || (f[2] != "udp" && f[2] != "UDP")) continue;
      *server_host = f[4];
      *server_port = static_cast<std::uint16_t>(std::stoi(f[5]));
      f[5] = std::to_string(relay_port);
      line.clear();
      for (const auto& x : f) line += (line.empty() ? "" : " ") + x;
    }
    out += line + "\r\n";
  }
  return out;
}

std::string server_candidate(const std::string& sdp, std::uint16_t* port) {
  std::string host;
  (void)via_relay(sdp, 0, &host, port);
  return host;
}

struct Sample {
  double t;  // seconds since the phase began
  int layer;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: sfuadapt HOST PORT [cap_kbps rtt_ms loss_percent top_pps capped_s]\n");
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
  const double cap_kbps = argc > 3 ? std::stod(argv[3]) : 1000;
  const double rtt_ms = argc > 4 ? std::stod(argv[4]) : 100;
  const double loss = (argc > 5 ? std::stod(argv[5]) : 2) / 100;
  // f ≈ 3 Mbit/s, h ≈ 0.9, q ≈ 0.3 at 360: under a 1 Mbit/s cap h is the layer that fits.
  const int top_pps = argc > 6 ? std::stoi(argv[6]) : 360;
  const double capped_s = argc > 7 ? std::stod(argv[7]) : 15;

  auto signaling = peerkit_signaling(host, port);
  Runtime runtime(1);
  std::atomic<int> connected{0};
  std::vector<std::unique_ptr<Publisher>> pubs;
  {
    auto p = make_publisher(runtime, host, connected, 3);
    auto offer = p->pc->create_offer();
    if (!std::holds_alternative<SessionDescription>(offer)) die(std::get<std::string>(offer));
    const auto answer = signaling->publish(0, described(*p->pc, std::get<SessionDescription>(offer)));
    if (auto e = p->pc->set_remote_description({"answer", answer})) die("publisher answer: " + *e);
    if (p->video->rids().size() != 3) die("the SFU took " + std::to_string(p->video->rids().size()) + " of 3 layers");
    pubs.push_back(std::move(p));
  }
  for (auto deadline = Clock::now() + 20s; connected < 1; std::this_thread::sleep_for(10ms))
    if (Clock::now() > deadline) die("the publisher did not connect");
  Pacer pacer(pubs, top_pps);
  pacer.restart();
  pacer.run_until(Clock::now() + 1s);

  // Subscriber 0 behind the relay, subscriber 1 direct.
  std::unique_ptr<ImpairRelay> relay;
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < 2; ++i) {
    auto s = make_subscriber(runtime, host, connected);
    signaling->add_subscriber(i);
    std::string offer = signaling->subscribe_offer(i);
    if (i == 0) {
      std::uint16_t server_port = 0;
      const std::string server_host = server_candidate(offer, &server_port);
      if (server_port == 0) die("the subscribe offer has no UDP candidate");
      ImpairRelay::Impairment imp;
      imp.one_way_delay = std::chrono::microseconds(static_cast<long>(rtt_ms * 500));
      imp.loss = loss;
      relay = std::make_unique<ImpairRelay>(host, server_host, server_port, imp);
      std::string h;
      std::uint16_t p = 0;
      offer = via_relay(offer, relay->client_port(), &h, &p);
    }
    auto& pc = *s->pc;
    if (auto e = pc.set_remote_description({"offer", offer})) die("subscribe offer: " + *e);
    auto answer = pc.create_answer();
    if (!std::holds_alternative<SessionDescription>(answer)) die(std::get<std::string>(answer));
    signaling->answer(i, described(pc, std::get<SessionDescription>(answer)));
    subs.push_back(std::move(s));
  }
  for (auto deadline = Clock::now() + 20s; connected < 3; std::this_thread::sleep_for(10ms))
    if (Clock::now() > deadline) die(std::to_string(connected) + " of 3 connections up");
  signaling->keep_alive();
  pacer.restart();

  // The layers' packet rates (frames at top_pps / 10 a second) and, from what arrives, their
  // bit rates on the wire: RTP + the SRTP tag (≤ 16) + UDP/IPv4 (28).
  const double fps = top_pps / 10.0;
  const double layer_pps[3] = {fps * 1, fps * 3, fps * 10};
  auto layer_of = [&](double pps) {  // nearest by ratio
    int best = 0;
    for (int l = 1; l < 3; ++l)
      if (std::abs(std::log(pps / layer_pps[l])) < std::abs(std::log(pps / layer_pps[best]))) best = l;
    return pps < layer_pps[0] / 3 ? -1 : best;  // -1: (almost) nothing arrives
  };
  struct Window {
    std::deque<std::pair<Clock::time_point, std::uint64_t>> points;
    double pps(Clock::time_point now, std::uint64_t packets) {
      points.emplace_back(now, packets);
      while (points.size() > 1 && now - points.front().first > 500ms) points.pop_front();
      const double span = std::chrono::duration<double>(now - points.front().first).count();
      return span > 0.2 ? static_cast<double>(packets - points.front().second) / span : -1;
    }
  };
  Window w0, w1;
  int layer0 = -1, layer1 = -1;
  auto step = [&] {  // 100 ms of media, then both subscribers' layers
    pacer.run_until(Clock::now() + 100ms);
    const auto now = Clock::now();
    const double p0 = w0.pps(now, subs[0]->received.load()), p1 = w1.pps(now, subs[1]->received.load());
    if (p0 >= 0) layer0 = layer_of(p0);
    if (p1 >= 0) layer1 = layer_of(p1);
  };
  // Until `done` held for a second without a break, at most `limit`: when it first began to
  // hold for good (seconds from the start), or nullopt.
  auto until_held = [&](auto done, double limit) -> std::optional<double> {
    const auto start = Clock::now();
    std::optional<Clock::time_point> since;
    while (Clock::now() - start < std::chrono::duration<double>(limit)) {
      step();
      if (!done()) since.reset();
      else if (!since) since = Clock::now();
      if (since && Clock::now() - *since >= 1s) return std::chrono::duration<double>(*since - start).count();
    }
    return std::nullopt;
  };

  const auto warm = until_held([&] { return layer0 == 2 && layer1 == 2; }, 30);

  // The cap. The fitting layer: the highest whose rate on the wire is under it.
  const double wire_bytes = static_cast<double>(subs[0]->bytes.load()) / std::max<std::uint64_t>(1, subs[0]->received.load()) + 16 + 28;
  double layer_kbps[3];
  int fitting = 0;
  for (int l = 0; l < 3; ++l) {
    layer_kbps[l] = layer_pps[l] * wire_bytes * 8 / 1000;
    if (layer_kbps[l] <= cap_kbps) fitting = l;
  }
  const auto q0 = relay->counters();
  relay->set_cap(cap_kbps * 1000);
  const auto cap_on = Clock::now();
  const std::uint64_t recv_a = subs[0]->received.load(), missing_a = subs[0]->missing.load();
  std::vector<Sample> capped;
  int control_on_top = 0;
  std::uint64_t bytes_at_last5 = 0;
  bool last5 = false;
  while (Clock::now() - cap_on < std::chrono::duration<double>(capped_s)) {
    step();
    const double t = std::chrono::duration<double>(Clock::now() - cap_on).count();
    capped.push_back({t, layer0});
    if (std::getenv("SFUADAPT_TRACE")) std::fprintf(stderr, "capped t=%.1f layer=%d control=%d\n", t, layer0, layer1);
    control_on_top += layer1 == 2;
    if (!last5 && t >= capped_s - 5) {
      last5 = true;
      bytes_at_last5 = subs[0]->bytes.load();
    }
  }
  const double goodput_kbps = static_cast<double>(subs[0]->bytes.load() - bytes_at_last5) * 8 / 5 / 1000;
  const std::uint64_t recv_b = subs[0]->received.load(), missing_b = subs[0]->missing.load();
  const double lost = std::max(0.0, static_cast<double>(missing_b) - static_cast<double>(missing_a));
  const double residual = lost / std::max(1.0, static_cast<double>(recv_b - recv_a) + lost);
  // Settled: from the first sample after which every sample is on the fitting layer.
  std::optional<double> settle;
  for (auto it = capped.rbegin(); it != capped.rend() && it->layer == fitting; ++it) settle = it->t;
  int changes = 0;
  for (std::size_t i = 1; i < capped.size(); ++i) changes += capped[i].layer != capped[i - 1].layer;
  const auto q1 = relay->counters();

  std::uint64_t nacks = 0, restored = 0;
  for (const auto& r : subs[0]->pc->get_stats().rtp_streams) {
    nacks += r.nack_count;
    restored += r.retransmitted_packets_received;
  }
  relay->set_cap(std::nullopt);
  const auto back = until_held([&] { return layer0 == 2; }, 30);

  auto seconds = [](std::optional<double> v) {
    if (!v) return std::string("never");
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", *v);
    return std::string(b);
  };
  const char* names[3] = {"q", "h", "f"};
  std::printf("T13: cap_kbps=%.0f rtt_ms=%.0f loss=%.3f layers_kbps=%.0f/%.0f/%.0f fitting=%s top_before_cap_s=%s "
              "settle_s=%s layer_changes_capped=%d goodput=%.2f residual_loss=%.4f back_on_top_s=%s "
              "control_on_top=%.2f relay_queue_drops=%llu relay_random_drops=%llu nacks=%llu rtx_restored=%llu\n",
              cap_kbps, rtt_ms, loss, layer_kbps[0], layer_kbps[1], layer_kbps[2], names[fitting], seconds(warm).c_str(),
              seconds(settle).c_str(), changes, goodput_kbps / cap_kbps, residual, seconds(back).c_str(),
              capped.empty() ? 0.0 : static_cast<double>(control_on_top) / static_cast<double>(capped.size()),
              static_cast<unsigned long long>(q1.dropped_queue - q0.dropped_queue),
              static_cast<unsigned long long>(q1.lost_random - q0.lost_random), static_cast<unsigned long long>(nacks),
              static_cast<unsigned long long>(restored));
  std::fflush(stdout);
  for (auto& p : pubs) p->pc->close();
  for (auto& s : subs) s->pc->close();
  relay.reset();
  std::_Exit(0);
}
