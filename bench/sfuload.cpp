// T10 (../shared/perf/targets.md): SFU forwarding, one load against peerkit serve's SFU or Janus
// VideoRoom. Publishers and subscribers are peerkit PeerConnections with tracks (the public API),
// so both servers see the same client: one VP8 track per publisher, looped synthetic frames of
// PACKETS_PER_FRAME RTP packets (a keyframe when asked by PLI/FIR), every subscriber receiving every
// publisher, counting packets without decoding. The server's CPU comes from /proc/PID/stat over the
// measured window; bench/sfu-bench.sh runs both servers alternately in one namespace.
//
//   sfuload peerkit|janus HOST PORT SERVER_PID [publishers subscribers pps seconds]
//
// Prints one line: target=… publishers=… subscribers=… offered_pps=… forwarded=… cpu_s=…
// pkt_per_cpu_s=… loss=… min_subscriber=…. Not a test: the numbers move with machine load.
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
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "peerkit/peer_connection.h"
#include "rtp/packet.h"
#include "sfuload_signaling.h"

using namespace peerkit;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace json = boost::json;

namespace {

constexpr int kPacketsPerFrame = 10;
constexpr std::size_t kPayload = 1000;  // bytes of VP8 payload per packet (≈ 1 050 on the wire)

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "sfuload: %s\n", why.c_str());
  std::exit(1);
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

Configuration on_host(const std::string& host) {  // gathers HOST alone (rule 1: a namespace's)
  Configuration c;
  c.host_filter = host + "/32";
  c.allow_loopback = host.rfind("127.", 0) == 0;
  return c;
}

// Waits for gathering, so the description carries our candidates: Janus is a full ICE agent
// and takes them from the SDP (peerkit's SFU is ICE-lite and needs none).
std::string described(PeerConnection& pc, const SessionDescription& d) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  pc.on_gathering_complete([&] {
    std::lock_guard l(m);
    done = true;
    cv.notify_all();
  });
  if (auto e = pc.set_local_description(d)) die("set_local_description: " + *e);
  std::unique_lock l(m);
  if (!cv.wait_for(l, 10s, [&] { return done; })) die("ICE gathering did not complete");
  l.unlock();
  pc.on_gathering_complete(nullptr);
  return pc.local_description()->sdp;
}

struct Publisher {
  std::shared_ptr<PeerConnection> pc;
  std::shared_ptr<MediaTrack> video;
  std::atomic<int> keyframes_asked{1};  // the first frame is a keyframe
  std::uint16_t seq = 1;
  std::uint32_t frame = 0;
  std::uint64_t sent = 0;
  std::vector<std::byte> buffer = std::vector<std::byte>(rtp::kFixedHeaderSize + kPayload);

  // One packet of the current frame; a frame's first packet starts the VP8 partition (RFC 7741
  // §4.2: S=1, PID 0), and a keyframe's has the 9d 01 2a start code.
  void send_next() {
    const int index = static_cast<int>(sent % kPacketsPerFrame);
    bool key = false;
    if (index == 0) key = keyframes_asked.exchange(0) > 0;
    std::vector<std::byte> payload(kPayload, std::byte{0x5A});
    payload[0] = std::byte{static_cast<unsigned char>(index == 0 ? 0x10 : 0x00)};
    if (index == 0) {
      const unsigned char header[] = {static_cast<unsigned char>(key ? 0x10 : 0x11), 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02};
      for (std::size_t i = 0; i < sizeof header; ++i) payload[1 + i] = std::byte{header[i]};
    }
    rtp::PacketBuild b;
    b.header.sequence = seq++;
    b.header.timestamp = frame * 3000u;
    b.header.marker = index == kPacketsPerFrame - 1;
    b.header.ssrc = 1;
    b.payload = payload;
    const auto n = rtp::build_packet(b, buffer);
    if (!n) die("cannot build RTP");
    (void)video->send_rtp(std::span<const std::byte>(buffer.data(), *n));
    if (b.header.marker) ++frame;
    ++sent;
  }
};

struct Subscriber {
  std::shared_ptr<PeerConnection> pc;
  std::atomic<std::uint64_t> received{0};
  std::vector<std::shared_ptr<MediaTrack>> tracks;  // kept: dropping a track drops its callbacks
  std::mutex m;
};

std::shared_ptr<PeerConnection> make_pc(Runtime& runtime, const std::string& host, std::atomic<int>& connected) {
  auto pc = PeerConnection::create(runtime, on_host(host));
  pc->on_connection_state([&connected](PeerConnectionState s) {
    if (s == PeerConnectionState::kConnected) ++connected;
    if (s == PeerConnectionState::kFailed) std::fprintf(stderr, "sfuload: a connection failed\n");
  });
  return pc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: sfuload peerkit|janus HOST PORT SERVER_PID [publishers subscribers pps seconds]\n");
    return 2;
  }
  const std::string target = argv[1], host = argv[2];
  const auto port = static_cast<std::uint16_t>(std::stoi(argv[3]));
  const int server_pid = std::stoi(argv[4]);
  const int publishers = argc > 5 ? std::stoi(argv[5]) : 2;
  const int subscribers = argc > 6 ? std::stoi(argv[6]) : 10;
  const int pps = argc > 7 ? std::stoi(argv[7]) : 1000;  // per publisher
  const double seconds = argc > 8 ? std::stod(argv[8]) : 10;

  std::unique_ptr<bench::SfuSignaling> signaling;
  if (target == "peerkit") signaling = bench::peerkit_signaling(host, port);
  else if (target == "janus") signaling = bench::janus_signaling(host, port);
  else die("target is peerkit or janus");

  Runtime runtime(1);
  std::atomic<int> connected{0};
  std::vector<std::unique_ptr<Publisher>> pubs;
  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 0; i < publishers; ++i) {
    auto p = std::make_unique<Publisher>();
    p->pc = make_pc(runtime, host, connected);
    auto track = p->pc->add_track({"video", "", ""});
    if (!std::holds_alternative<std::shared_ptr<MediaTrack>>(track)) die(std::get<std::string>(track));
    p->video = std::get<std::shared_ptr<MediaTrack>>(track);
    auto* raw = p.get();
    p->video->on_keyframe_request([raw] { raw->keyframes_asked.fetch_add(1); });
    auto offer = p->pc->create_offer();
    if (!std::holds_alternative<SessionDescription>(offer)) die(std::get<std::string>(offer));
    const auto answer = signaling->publish(i, described(*p->pc, std::get<SessionDescription>(offer)));
    if (auto e = p->pc->set_remote_description({"answer", answer})) die("publisher answer: " + *e);
    pubs.push_back(std::move(p));
  }
  // Janus offers a feed only once its publisher's PeerConnection is up ("No such feed" before).
  for (auto deadline = Clock::now() + 20s; connected < publishers; std::this_thread::sleep_for(10ms))
    if (Clock::now() > deadline) die(std::to_string(connected) + " of " + std::to_string(publishers) + " publishers connected");
  // Subscribers join once everything is published, so each gets one offer of every publisher's
  // track (a re-offer adding sections is untested on the native peer).
  for (int i = 0; i < subscribers; ++i) {
    auto s = std::make_unique<Subscriber>();
    s->pc = make_pc(runtime, host, connected);
    auto* raw = s.get();
    s->pc->on_track([raw](std::shared_ptr<MediaTrack> t) {
      t->on_rtp([raw](std::span<const std::byte>) { raw->received.fetch_add(1, std::memory_order_relaxed); });
      std::lock_guard l(raw->m);
      raw->tracks.push_back(std::move(t));
    });
    signaling->add_subscriber(i);
    auto& pc = *s->pc;
    if (auto e = pc.set_remote_description({"offer", signaling->subscribe_offer(i)})) die("subscribe offer: " + *e);
    auto answer = pc.create_answer();
    if (!std::holds_alternative<SessionDescription>(answer)) die(std::get<std::string>(answer));
    signaling->answer(i, described(pc, std::get<SessionDescription>(answer)));
    subs.push_back(std::move(s));
  }
  const int expected = publishers + subscribers;
  for (auto deadline = Clock::now() + 20s; connected < expected; std::this_thread::sleep_for(10ms))
    if (Clock::now() > deadline) die(std::to_string(connected) + " of " + std::to_string(expected) + " connections up");
  signaling->keep_alive();

  // Send at pps per publisher, in 1 ms slots; warm up (keyframes, layer allocation) for 2 s.
  const auto start = Clock::now();
  std::uint64_t slots = 0;
  auto run_until = [&](Clock::time_point until) {
    while (Clock::now() < until) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const auto due = static_cast<std::uint64_t>(elapsed * pps);
      for (auto& p : pubs)
        while (p->sent < due) p->send_next();
      ++slots;
      std::this_thread::sleep_until(Clock::now() + 1ms);  // the media clock's pace, not a wait for a condition
    }
  };
  auto received = [&] {
    std::uint64_t n = 0;
    for (auto& s : subs) n += s->received.load();
    return n;
  };
  auto sent = [&] {
    std::uint64_t n = 0;
    for (auto& p : pubs) n += p->sent;
    return n;
  };
  run_until(start + 2s);
  const double cpu0 = server_cpu_seconds(server_pid);  // before the counts: no packet outside the CPU window
  const std::uint64_t sent0 = sent(), recv0 = received();
  std::vector<std::uint64_t> per_sub0;
  for (auto& s : subs) per_sub0.push_back(s->received.load());
  const auto t0 = Clock::now();
  run_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
  const double window = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::uint64_t sent1 = sent();
  // What is in flight arrives (counted: it was sent in the window), and the server's CPU for it
  // is counted too; the publishers are idle meanwhile.
  std::this_thread::sleep_for(300ms);
  const std::uint64_t recv1 = received();
  const double cpu1 = server_cpu_seconds(server_pid);
  std::uint64_t min_sub = UINT64_MAX;
  for (std::size_t i = 0; i < subs.size(); ++i) min_sub = std::min(min_sub, subs[i]->received.load() - per_sub0[i]);

  const double forwarded = static_cast<double>(recv1 - recv0);
  const double expected_packets = static_cast<double>(sent1 - sent0) * subscribers;
  const double cpu = cpu1 - cpu0;
  std::printf("target=%s publishers=%d subscribers=%d offered_pps=%.0f forwarded=%.0f forwarded_pps=%.0f cpu_s=%.3f "
              "pkt_per_cpu_s=%.0f loss=%.5f min_subscriber=%llu\n",
              target.c_str(), publishers, subscribers, static_cast<double>(sent1 - sent0) / window, forwarded,
              forwarded / window, cpu, cpu > 0 ? forwarded / cpu : 0.0,
              expected_packets > 0 ? 1.0 - forwarded / expected_packets : 1.0,
              static_cast<unsigned long long>(min_sub));
  std::fflush(stdout);  // the figure is out, whatever happens next
  for (auto& p : pubs) p->pc->close();
  for (auto& s : subs) s->pc->close();
  // Janus's event poller may sit in a long poll for 30 s more: end here rather than wait for it
  // (the script stops both servers itself).
  std::_Exit(0);
}
