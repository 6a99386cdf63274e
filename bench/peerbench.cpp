// The native peer's benchmarks (targets T7–T9 of ../shared/perf/targets.md), on the public API
// only, as an application uses it: pairs of PeerConnections in one process over loopback, host
// candidates 127.0.0.1, signalling handed over in memory. bench/node/peers.js is the same shape
// for node-datachannel and @roamhq/wrtc; bench/peer-bench.sh runs all of them in a namespace.
//
//   peerbench goodput SECONDS [PAIRS THREADS]   T7: one reliable ordered channel per pair, 64 KiB
//                                               messages, refilled from on_buffered_amount_low
//   peerbench setup RUNS                        T8: create both peers → channel open on both
//   peerbench memory PCS                        T9: PCS/2 idle pairs, one open channel each
// Each prints one line of key=value figures. Not a test: the numbers move with machine load.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "peerkit/peer_connection.h"

using namespace peerkit;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMessage = 64 * 1024;        // T7's message shape
constexpr std::size_t kHigh = 4 << 20;             // fill the channel up to this…
constexpr std::size_t kLow = 1 << 20;              // …and again when it falls to this

Configuration loopback() {
  Configuration c;
  c.host_filter = "127.0.0.1/32";
  c.allow_loopback = true;
  return c;
}

// Two connected peers: a creates the channel, b is offered it. Candidates that come before the
// remote description are held until it is set (add_ice_candidate refuses them before).
struct Pair {
  std::shared_ptr<PeerConnection> a, b;
  std::shared_ptr<DataChannel> ca, cb;
  std::mutex m;
  std::condition_variable cv;
  bool a_open = false, a_remote = false, b_remote = false;
  std::vector<IceCandidate> for_a, for_b;

  void candidate(PeerConnection& to, bool& remote, std::vector<IceCandidate>& held, const IceCandidate& c) {
    {
      std::lock_guard l(m);
      if (!remote) return held.push_back(c);
    }
    (void)to.add_ice_candidate(c);
  }
  void remote_set(PeerConnection& pc, bool& remote, std::vector<IceCandidate>& held) {
    std::vector<IceCandidate> now;
    {
      std::lock_guard l(m);
      remote = true;
      now.swap(held);
    }
    for (const auto& c : now) (void)pc.add_ice_candidate(c);
  }

  // Connects and returns "" once the channel is open on a and announced on b (on_b_channel
  // runs first, on b's loop), or an error.
  // A Runtime puts its connections on its threads round robin, in creation order: creating a
  // and b apart (create_a, create_b, then connect) chooses their threads.
  void create_a(Runtime& rt) { a = PeerConnection::create(rt, loopback()); }
  void create_b(Runtime& rt) { b = PeerConnection::create(rt, loopback()); }
  std::string connect(Runtime& rt, std::function<void(const std::shared_ptr<DataChannel>&)> on_b_channel = {}) {
    if (!a) create_a(rt);
    if (!b) create_b(rt);
    a->on_local_candidate([this](const IceCandidate& c) { candidate(*b, b_remote, for_b, c); });
    b->on_local_candidate([this](const IceCandidate& c) { candidate(*a, a_remote, for_a, c); });
    b->on_data_channel([this, on_b_channel](std::shared_ptr<DataChannel> ch) {
      if (on_b_channel) on_b_channel(ch);
      std::lock_guard l(m);
      cb = std::move(ch);
      cv.notify_all();
    });
    auto made = a->create_data_channel("bench");
    if (auto* e = std::get_if<std::string>(&made)) return *e;
    ca = std::get<std::shared_ptr<DataChannel>>(made);
    ca->on_open([this] {
      std::lock_guard l(m);
      a_open = true;
      cv.notify_all();
    });
    auto offer = a->create_offer();
    if (auto* e = std::get_if<std::string>(&offer)) return *e;
    if (auto e = a->set_local_description(std::get<SessionDescription>(offer))) return *e;
    if (auto e = b->set_remote_description(std::get<SessionDescription>(offer))) return *e;
    remote_set(*b, b_remote, for_b);
    auto answer = b->create_answer();
    if (auto* e = std::get_if<std::string>(&answer)) return *e;
    if (auto e = b->set_local_description(std::get<SessionDescription>(answer))) return *e;
    if (auto e = a->set_remote_description(std::get<SessionDescription>(answer))) return *e;
    remote_set(*a, a_remote, for_a);
    std::unique_lock l(m);
    if (!cv.wait_for(l, std::chrono::seconds(10), [&] { return a_open && cb; }))
      return std::string("not open after 10 s: ") + to_string(a->connection_state()) + "/" +
             to_string(b->connection_state());
    return "";
  }
  void close() {
    ca.reset();
    cb.reset();
    if (a) a->close();
    if (b) b->close();
    a.reset();
    b.reset();
  }
};

long rss_kib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int goodput(double seconds, std::size_t pairs, std::size_t threads) {
  Runtime rt{threads};
  std::vector<std::unique_ptr<Pair>> ps;
  std::vector<std::unique_ptr<std::atomic<std::uint64_t>>> rx;
  const std::vector<std::byte> msg(kMessage, std::byte{0x5a});
  // Both ends of pair i on thread i % threads, when there are pairs enough to fill the threads
  // (the a's of a block of `threads` pairs, then their b's); else round robin (1 pair on 2
  // threads: a on one, b on the other).
  for (std::size_t i = 0; i < pairs; ++i) ps.push_back(std::make_unique<Pair>());
  for (std::size_t block = 0; block + threads <= pairs; block += threads) {
    for (std::size_t t = 0; t < threads; ++t) ps[block + t]->create_a(rt);
    for (std::size_t t = 0; t < threads; ++t) ps[block + t]->create_b(rt);
  }
  for (std::size_t i = 0; i < pairs; ++i) {
    rx.push_back(std::make_unique<std::atomic<std::uint64_t>>(0));
    auto* counter = rx.back().get();
    const auto e = ps[i]->connect(rt, [counter](const std::shared_ptr<DataChannel>& ch) {
      ch->on_message([counter](const Message& m) { counter->fetch_add(m.data.size(), std::memory_order_relaxed); });
    });
    if (!e.empty()) return std::fprintf(stderr, "goodput: pair %zu: %s\n", i, e.c_str()), 1;
  }
  // Each sender refills from its own loop thread, in on_buffered_amount_low.
  std::atomic<bool> stop{false};
  for (auto& p : ps) {
    std::weak_ptr<DataChannel> weak = p->ca;
    auto fill = [weak, &msg, &stop] {
      auto ch = weak.lock();
      if (!ch || stop) return;
      while (ch->buffered_amount() < kHigh)
        if (ch->send(std::span<const std::byte>(msg))) break;
    };
    p->ca->set_buffered_amount_low_threshold(kLow);
    p->ca->on_buffered_amount_low(fill);
  }
  const auto t0 = Clock::now();
  std::uint64_t before = 0;
  for (auto& r : rx) before += r->load();
  for (auto& p : ps) {
    // The first fill from the application thread; later ones run on the loop.
    auto ch = p->ca;
    while (ch->buffered_amount() < kHigh)
      if (ch->send(std::span<const std::byte>(msg))) break;
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  std::uint64_t after = 0;
  for (auto& r : rx) after += r->load();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  for (auto& p : ps) p->close();
  std::printf("goodput_mbps=%.1f bytes=%llu seconds=%.2f pairs=%zu threads=%zu message=%zu\n",
              static_cast<double>(after - before) / 1e6 / elapsed,
              static_cast<unsigned long long>(after - before), elapsed, pairs, threads, kMessage);
  return 0;
}

int setup(int runs) {
  Runtime rt{2};
  std::vector<double> us;
  for (int i = 0; i < runs; ++i) {
    Pair p;
    const auto t0 = Clock::now();
    const auto e = p.connect(rt);
    const auto t1 = Clock::now();
    if (!e.empty()) return std::fprintf(stderr, "setup: run %d: %s\n", i, e.c_str()), 1;
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    p.close();
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) { return us[std::min(us.size() - 1, static_cast<std::size_t>(q * us.size()))]; };
  std::printf("runs=%d p50_us=%.0f p99_us=%.0f min_us=%.0f max_us=%.0f\n", runs, pct(0.5), pct(0.99),
              us.front(), us.back());
  return 0;
}

int memory(std::size_t pcs) {
  Runtime rt{2};
  {  // a first pair loads what every connection shares (OpenSSL tables, the loops' buffers)
    Pair warm;
    if (const auto e = warm.connect(rt); !e.empty()) return std::fprintf(stderr, "memory: %s\n", e.c_str()), 1;
    warm.close();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long base = rss_kib();
  std::vector<std::unique_ptr<Pair>> ps;
  for (std::size_t i = 0; i < pcs / 2; ++i) {
    ps.push_back(std::make_unique<Pair>());
    if (const auto e = ps.back()->connect(rt); !e.empty())
      return std::fprintf(stderr, "memory: pair %zu: %s\n", i, e.c_str()), 1;
  }
  // Idle: the handshakes are over and what they needed is released.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long grown = rss_kib() - base;
  std::printf("pcs=%zu pairs=%zu rss_base_kib=%ld rss_growth_kib=%ld kib_per_pc=%.1f\n", ps.size() * 2,
              ps.size(), base, grown, static_cast<double>(grown) / static_cast<double>(ps.size() * 2));
  for (auto& p : ps) p->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  auto arg = [&](int i, long d) { return argc > i ? std::strtol(argv[i], nullptr, 10) : d; };
  // Every PeerConnection holds sockets: 1 000 of them need more than the usual 1 024 files.
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  if (mode == "goodput" && argc > 2)
    return goodput(std::strtod(argv[2], nullptr), static_cast<std::size_t>(arg(3, 1)), static_cast<std::size_t>(arg(4, 2)));
  if (mode == "setup") return setup(static_cast<int>(arg(2, 200)));
  if (mode == "memory") return memory(static_cast<std::size_t>(arg(2, 1000)));
  std::fprintf(stderr, "usage: peerbench goodput SECONDS [PAIRS THREADS] | setup [RUNS] | memory [PCS]\n");
  return 2;
}
