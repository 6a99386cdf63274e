// T10 (../shared/perf/targets.md): SFU forwarding, one load against peerkit serve's SFU or Janus
// VideoRoom. Publishers and subscribers are peerkit PeerConnections with tracks (the public API),
// so both servers see the same client: one VP8 track per publisher with three simulcast layers
// (rids q, h, f; 1, 3 and 10 RTP packets per synthetic frame; a layer's keyframe when asked by
// PLI/FIR), every subscriber receiving every publisher (one layer each: the server's choice),
// counting packets and numbering gaps without decoding (a gap filled late by a retransmission
// is not lost), and sending what a browser sends — receiver reports, NACKs, transport-wide
// feedback. The server's CPU comes from /proc/PID/stat over the measured window, which starts
// once every subscriber is on the top layer; bench/sfu-bench.sh runs both servers alternately
// in one namespace.
//
//   sfuload peerkit|janus HOST PORT SERVER_PID [publishers subscribers pps seconds layers]
//
// pps is the top layer's packet rate per publisher; layers is 3 (default) or 1 (f alone).
// Prints one line: target=… publishers=… subscribers=… layers=… offered_pps=… (ingress, all
// layers) forwarded=… cpu_s=… pkt_per_cpu_s=… loss=… (gaps in what subscribers received)
// top_share=… (forwarded / the top layers' packets × subscribers) min_subscriber=…. Not a test:
// the numbers move with machine load.
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "peerkit/peer_connection.h"
#include "rtp/packet.h"
#include "sfu_media.h"
#include "sfuload_signaling.h"

using namespace peerkit;
using namespace peerkit::bench;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

namespace {

// VmRSS of /proc/PID/status, in KiB.
long rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  die("no VmRSS in /proc/" + std::to_string(pid) + "/status");
}

double server_cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) die("no /proc/" + std::to_string(pid) + "/stat");
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15 (proc(5))
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: sfuload peerkit|janus HOST PORT SERVER_PID [publishers subscribers pps seconds layers]\n");
    return 2;
  }
  const std::string target = argv[1], host = argv[2];
  const auto port = static_cast<std::uint16_t>(std::stoi(argv[3]));
  const int server_pid = std::stoi(argv[4]);
  const int publishers = argc > 5 ? std::stoi(argv[5]) : 2;
  const int subscribers = argc > 6 ? std::stoi(argv[6]) : 10;
  if (subscribers < 2) die("at least 2 subscribers (T12 compares two halves)");
  const int pps = argc > 7 ? std::stoi(argv[7]) : 1000;  // per publisher
  const double seconds = argc > 8 ? std::stod(argv[8]) : 10;
  const int layer_count = argc > 9 ? std::stoi(argv[9]) : 3;  // 3 (q, h, f) or 1 (f alone)
  if (layer_count != 1 && layer_count != 3) die("layers is 1 or 3");

  std::unique_ptr<bench::SfuSignaling> signaling;
  if (target == "peerkit") signaling = bench::peerkit_signaling(host, port);
  else if (target == "janus") signaling = bench::janus_signaling(host, port);
  else die("target is peerkit or janus");

  const long rss_start = rss_kib(server_pid);
  Runtime runtime(1);
  std::atomic<int> connected{0};
  std::vector<std::unique_ptr<Publisher>> pubs;
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < publishers; ++i) {
    auto p = make_publisher(runtime, host, connected, layer_count);
    auto offer = p->pc->create_offer();
    if (!std::holds_alternative<SessionDescription>(offer)) die(std::get<std::string>(offer));
    const auto answer = signaling->publish(i, described(*p->pc, std::get<SessionDescription>(offer)));
    if (auto e = p->pc->set_remote_description({"answer", answer})) die("publisher answer: " + *e);
    if (layer_count > 1 && p->video->rids().size() != p->layers.size())
      die("the " + target + " answer took " + std::to_string(p->video->rids().size()) + " of the simulcast layers");
    pubs.push_back(std::move(p));
  }
  // Janus offers a feed only once its publisher's PeerConnection is up ("No such feed" before).
  for (auto deadline = Clock::now() + 20s; connected < publishers; std::this_thread::sleep_for(10ms))
    if (Clock::now() > deadline) die(std::to_string(connected) + " of " + std::to_string(publishers) + " publishers connected");
  Pacer pacer(pubs, pps);
  auto pace_from_now = [&] { pacer.restart(); };
  auto run_until = [&](Clock::time_point until) { pacer.run_until(until); };
  // T12: the server's RSS with publishers whose history has filled (2 s of video, more than the
  // SFU keeps), then with every subscriber on top.
  pace_from_now();
  run_until(Clock::now() + 3s);
  const long rss_published = rss_kib(server_pid);
  // Subscribers join once everything is published, so each gets one offer of every publisher's
  // track (a re-offer adding sections is untested on the native peer).
  // In two halves, with media in between: T12's growth per subscribed track is the difference
  // the second half makes (the first half pays what any subscriber pins for everyone, as the
  // ingress packets held for retransmission, which belongs to the published tracks).
  double warm_s = 0;  // the longest wait for every subscriber to be on the top layer
  auto join_subscribers = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      auto s = make_subscriber(runtime, host, connected);
      signaling->add_subscriber(i);
      auto& pc = *s->pc;
      if (auto e = pc.set_remote_description({"offer", signaling->subscribe_offer(i)})) die("subscribe offer: " + *e);
      auto answer = pc.create_answer();
      if (!std::holds_alternative<SessionDescription>(answer)) die(std::get<std::string>(answer));
      signaling->answer(i, described(pc, std::get<SessionDescription>(answer)));
      subs.push_back(std::move(s));
    }
    const int expected = publishers + to;
    for (auto deadline = Clock::now() + 20s; connected < expected; std::this_thread::sleep_for(10ms))
      if (Clock::now() > deadline) die(std::to_string(connected) + " of " + std::to_string(expected) + " connections up");
    pace_from_now();
    run_until(Clock::now() + 2s);  // keyframes and layer choices for the new subscribers; histories fill
    // Like for like: every subscriber on every publisher's top layer before anything is
    // measured. Janus forwards the top layer at once; peerkit's SFU chooses each subscriber's
    // layers on its estimate from the subscriber's transport-wide feedback, which starts low
    // and climbs (slow start, padding probes).
    const double top_pps = static_cast<double>(pps) * publishers;
    const auto began = Clock::now();
    for (;;) {
      std::vector<std::uint64_t> before;
      for (auto& sub : subs) before.push_back(sub->received.load());
      const auto t0 = Clock::now();
      run_until(t0 + 500ms);
      const double span = std::chrono::duration<double>(Clock::now() - t0).count();
      bool all_top = true;
      for (std::size_t k = 0; k < subs.size(); ++k)
        all_top &= static_cast<double>(subs[k]->received.load() - before[k]) / span >= 0.9 * top_pps;
      if (all_top) break;
      if (Clock::now() - began > 30s) {
        std::fprintf(stderr, "sfuload: not every subscriber reached the top layer within 30 s\n");
        break;
      }
    }
    warm_s = std::max(warm_s, std::chrono::duration<double>(Clock::now() - began).count());
  };
  const int first_half = subscribers / 2;
  join_subscribers(0, first_half);
  const long rss_half = rss_kib(server_pid);
  join_subscribers(first_half, subscribers);
  const long rss_subscribed = rss_kib(server_pid);
  signaling->keep_alive();
  pace_from_now();
  auto received = [&] {
    std::uint64_t n = 0;
    for (auto& s : subs) n += s->received.load();
    return n;
  };
  auto sent = [&] {
    std::uint64_t n = 0;
    for (auto& p : pubs) n += p->sent();
    return n;
  };
  const double cpu0 = server_cpu_seconds(server_pid);  // before the counts: no packet outside the CPU window
  auto missing = [&] {
    std::uint64_t n = 0;
    for (auto& s : subs) n += s->missing.load();
    return n;
  };
  auto top_sent = [&] {  // the top layer's packets: what a subscriber on the top layer gets
    std::uint64_t n = 0;
    for (auto& p : pubs) n += p->layers.back()->sent;
    return n;
  };
  const std::uint64_t sent0 = sent(), recv0 = received(), missing0 = missing(), top0 = top_sent();
  std::vector<std::uint64_t> per_sub0;
  for (auto& s : subs) per_sub0.push_back(s->received.load());
  const auto t0 = Clock::now();
  run_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  const double window = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::uint64_t sent1 = sent(), top1 = top_sent();
  // What is in flight arrives (counted: it was sent in the window), and the server's CPU for it
  // is counted too; the publishers are idle meanwhile.
  std::this_thread::sleep_for(300ms);
  const std::uint64_t recv1 = received(), missing1 = missing();
  const double cpu1 = server_cpu_seconds(server_pid);
  std::uint64_t min_sub = UINT64_MAX;
  for (std::size_t i = 0; i < subs.size(); ++i) min_sub = std::min(min_sub, subs[i]->received.load() - per_sub0[i]);

  const double forwarded = static_cast<double>(recv1 - recv0);
  const double lost = std::max(0.0, static_cast<double>(missing1) - static_cast<double>(missing0));
  // T12: total growth = publishers × per published + publishers × subscribers × per subscribed.
  const double per_subscribed = static_cast<double>(rss_subscribed - rss_half) /
                                (static_cast<double>(publishers) * (subscribers - first_half));
  const double per_published =
      (static_cast<double>(rss_half - rss_start) - per_subscribed * publishers * first_half) / publishers;
  // 1.0: every subscriber got every publisher's top layer (the layer choice, not loss).
  const double top_packets = static_cast<double>(top1 - top0) * subscribers;
  const double cpu = cpu1 - cpu0;
  std::printf("target=%s publishers=%d subscribers=%d layers=%d offered_pps=%.0f forwarded=%.0f forwarded_pps=%.0f "
              "cpu_s=%.3f pkt_per_cpu_s=%.0f loss=%.5f top_share=%.3f min_subscriber=%llu "
              "rss_start_kib=%ld rss_published_kib=%ld rss_half_kib=%ld rss_subscribed_kib=%ld kib_per_published=%.1f "
              "kib_per_subscribed=%.1f warm_s=%.1f\n",
              target.c_str(), publishers, subscribers, layer_count, static_cast<double>(sent1 - sent0) / window,
              forwarded, forwarded / window, cpu, cpu > 0 ? forwarded / cpu : 0.0,
              forwarded + lost > 0 ? lost / (forwarded + lost) : 1.0, top_packets > 0 ? forwarded / top_packets : 0.0,
              static_cast<unsigned long long>(min_sub), rss_start, rss_published, rss_half, rss_subscribed,
              per_published, per_subscribed, warm_s);
  std::fflush(stdout);  // the figure is out, whatever happens next
  for (auto& p : pubs) p->pc->close();
  for (auto& s : subs) s->pc->close();
  // Janus's event poller may sit in a long poll for 30 s more: end here rather than wait for it
  // (the script stops both servers itself).
  std::_Exit(0);
}
