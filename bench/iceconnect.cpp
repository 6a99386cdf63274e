// iceconnect: ICE set-up time and memory of peerkit's agent on loopback, for
// bench/ice-bench.sh and docs/benchmarks.md. Two agents (with their socket drivers) in one
// process on one io_context, host candidates on 127.0.0.1 only, candidates and credentials
// exchanged in memory the moment they appear (no signaling delay).
//
//   iceconnect connect N   N calls one after another; prints each time to "both connected"
//                          and p50/p99 (µs)
//   iceconnect memory N    N connected pairs held at once; prints RSS growth per agent
#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/random.h"
#include "ice/driver/agent_driver.h"

using namespace peerkit;
namespace asio = boost::asio;

namespace {

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

struct Side {
  explicit Side(net::Loop& loop, ice::Role role, RandomSource& random)
      : agent(
            [&] {
              ice::AgentConfig c;
              c.role = role;
              return c;
            }(),
            random),
        driver(loop, agent) {}
  ice::Agent agent;
  ice::AgentDriver driver;
  bool connected = false;
};

// One call: both sides created, wired, started; returns when both are connected.
struct Call {
  Call(net::Loop& loop, RandomSource& random)
      : a(loop, ice::Role::kControlling, random), b(loop, ice::Role::kControlled, random) {
    wire(a, b);
    wire(b, a);
    a.driver.add_host(*IpAddress::parse("127.0.0.1"));
    b.driver.add_host(*IpAddress::parse("127.0.0.1"));
  }
  void start() {
    a.agent.set_remote_credentials(a.driver.now(), b.agent.local_ufrag(), b.agent.local_pwd());
    b.agent.set_remote_credentials(b.driver.now(), a.agent.local_ufrag(), a.agent.local_pwd());
    a.driver.start();
    b.driver.start();
  }
  static void wire(Side& from, Side& to) {
    from.driver.on_event = [&from, &to](const ice::Event& e) {
      if (e.kind == ice::Event::Kind::kLocalCandidate) {
        to.agent.add_remote_candidate(to.driver.now(), e.candidate);
        to.driver.pump();
      }
      if (e.kind == ice::Event::Kind::kStateChanged && e.state == ice::ConnectionState::kConnected)
        from.connected = true;
    };
  }
  bool done() const { return a.connected && b.connected; }
  Side a, b;
};

int connect_runs(int n) {
  CryptoRandom random;
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    net::Loop loop("iceconnect");  // run on this thread
    const auto t0 = std::chrono::steady_clock::now();
    Call call(loop, random);
    call.start();
    while (!call.done() && loop.context().run_one_for(std::chrono::seconds(5))) {
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (!call.done()) {
      std::fprintf(stderr, "run %d did not connect\n", i);
      return 1;
    }
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<std::size_t>(p * us.size()))];
  };
  std::printf("runs=%d p50_us=%.0f p99_us=%.0f min_us=%.0f max_us=%.0f\n", n, pct(0.5), pct(0.99),
              us.front(), us.back());
  return 0;
}

int memory(int n) {
  CryptoRandom random;
  net::Loop loop("iceconnect");  // run on this thread
  std::vector<std::unique_ptr<Call>> calls;
  const long before = rss_kib();
  for (int i = 0; i < n; ++i) {
    calls.push_back(std::make_unique<Call>(loop, random));
    calls.back()->start();
    while (!calls.back()->done() && loop.context().run_one_for(std::chrono::seconds(5))) {
    }
    if (!calls.back()->done()) {
      std::fprintf(stderr, "pair %d did not connect\n", i);
      return 1;
    }
  }
  const long after = rss_kib();
  std::printf("pairs=%d agents=%d rss_before_kib=%ld rss_after_kib=%ld per_agent_kib=%.2f\n", n,
              2 * n, before, after, static_cast<double>(after - before) / (2.0 * n));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: iceconnect connect|memory N\n");
    return 2;
  }
  const std::string mode = argv[1];
  const int n = std::atoi(argv[2]);
  if (n <= 0) return 2;
  if (mode == "connect") return connect_runs(n);
  if (mode == "memory") return memory(n);
  std::fprintf(stderr, "usage: iceconnect connect|memory N\n");
  return 2;
}
