// turnload: a TURN/STUN load generator for side-by-side benchmarks (docs/benchmarks.md).
// Single-threaded, batched (sendmmsg/recvmmsg over many sockets), loopback only. It measures
// the server's CPU time and RSS from /proc/<server-pid> at the edges of its own measurement
// window, so the numbers cover exactly the traffic it offered.
//
//   turnload relay --server 127.0.0.1:3478 --server-pid P --pairs 32 --rate 50000 --seconds 3
//   turnload stun  --server ... --rate 100000 --seconds 3
//   turnload alloc --server ... --sockets 32 --seconds 3
//   turnload hold  --server ... --allocations 10000
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/random.h"
#include "net/endpoint.h"
#include "stun/attributes.h"
#include "support/turn_requests.h"

using namespace peerkit;
namespace attr = stun::attr;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string mode;
  SocketAddress server = *SocketAddress::parse("127.0.0.1:3478");
  int server_pid = 0;
  std::string user = "bench", password = "bench", realm = "bench.local";
  int pairs = 32, sockets = 32, allocations = 10000, size = 160;
  double rate = 20000, seconds = 3;
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double server_cpu_seconds(int pid) {
  if (!pid) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long server_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

// Client sockets take ports from a sequence (20000-48999, below the servers' relay range)
// rather than the kernel's ephemeral choice, so a closed socket's 5-tuple is not reused soon
// after (coturn answers 437 to that).
int udp_socket(const Options& o) {
  // Each run starts elsewhere in the sequence, so it does not reuse the previous run's 5-tuples.
  static int next_port = 20000 + static_cast<int>(getpid() * 7919 % 29000);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  for (int tries = 0; tries < 29000; ++tries) {
    const int port = next_port;
    next_port = next_port >= 48999 ? 20000 : next_port + 1;
    sockaddr_storage local;
    const socklen_t llen =
        net::to_sockaddr(SocketAddress(o.server.ip(), static_cast<std::uint16_t>(port)), local);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), llen) == 0) break;
  }
  sockaddr_storage ss;
  const socklen_t len = net::to_sockaddr(o.server, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  return fd;
}

std::optional<std::vector<std::byte>> recv_one(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return std::nullopt;
  std::vector<std::byte> buf(2048);
  const auto n = ::recv(fd, buf.data(), buf.size(), 0);
  if (n <= 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

// A blocking TURN session on one socket, for set-up.
struct Session {
  int fd;
  std::string nonce;
  SocketAddress relay;
  CryptoRandom* random;
  const Options* o;

  std::vector<std::byte> build(stun::Method method,
                               const std::function<void(stun::MessageBuilder&)>& add, bool auth) {
    stun::TransactionId tid;
    random->fill(tid.bytes);
    std::optional<testing::LongTermCredentials> credentials;
    if (auth) credentials = testing::LongTermCredentials{o->user, o->realm, o->password, nonce};
    return testing::turn_request(method, tid, add, credentials);
  }
  // Sends until a final answer; returns the error code (0 = success, -1 = no answer).
  int call(stun::Method method, const std::function<void(stun::MessageBuilder&)>& add,
           std::vector<std::byte>* answer_out = nullptr) {
    for (int attempt = 0; attempt < 6; ++attempt) {
      auto req = build(method, add, !nonce.empty());
      ::send(fd, req.data(), req.size(), 0);
      auto answer = recv_one(fd, 1000);
      if (!answer) continue;
      auto m = stun::MessageView::parse(*answer);
      if (!m) continue;
      auto e = stun::find_error_code(*m);
      if (e && (e->code == 401 || e->code == 438) && m->has(attr::kNonce)) {
        const bool retry = nonce.empty() || e->code == 438;
        nonce = std::string(as_string_view(*m->find(attr::kNonce)));
        if (retry) continue;
        return e->code;
      }
      if (answer_out) *answer_out = *answer;
      return e ? e->code : 0;
    }
    return -1;
  }
  bool allocate() {
    std::vector<std::byte> answer;
    if (call(
            stun::Method::kAllocate, [](auto& b) { stun::add_requested_transport(b, 17); },
            &answer) != 0)
      return false;
    auto m = stun::MessageView::parse(answer);
    relay = *stun::decode_xor_address(*m->find(attr::kXorRelayedAddress), m->transaction_id());
    return true;
  }
  bool bind(std::uint16_t channel, const SocketAddress& peer) {
    return call(stun::Method::kChannelBind, [&](auto& b) {
             stun::add_channel_number(b, channel);
             stun::add_xor_address(b, attr::kXorPeerAddress, peer);
           }) == 0;
  }
};

// Paced, batched sending over many connected sockets: `rate` datagrams per second in total.
struct Blaster {
  std::vector<int> fds;
  std::vector<std::byte> payload;
  double rate;
  std::uint64_t sent = 0;
  std::size_t next_fd = 0;
  void send_due(Clock::time_point start) {
    const auto due = static_cast<std::uint64_t>(rate * seconds_since(start));
    constexpr unsigned kBatch = 32;
    mmsghdr msgs[kBatch];
    iovec iov{payload.data(), payload.size()};
    for (auto& m : msgs) {
      std::memset(&m, 0, sizeof m);
      m.msg_hdr.msg_iov = &iov;
      m.msg_hdr.msg_iovlen = 1;
    }
    while (sent < due) {
      const unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(kBatch, due - sent));
      const int fd = fds[next_fd++ % fds.size()];
      const int r = ::sendmmsg(fd, msgs, n, MSG_DONTWAIT);
      if (r <= 0) break;  // socket buffer full: the offered load is above what gets through
      sent += static_cast<std::uint64_t>(r);
    }
  }
};

// Drains every readable socket with recvmmsg; returns datagrams that pass `accept`.
template <class Accept>
std::uint64_t drain(int epfd, Accept accept) {
  epoll_event events[64];
  const int n = epoll_wait(epfd, events, 64, 1);
  std::uint64_t got = 0;
  static std::byte bufs[64][2048];
  mmsghdr msgs[64];
  iovec iov[64];
  for (int e = 0; e < n; ++e) {
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        iov[i] = {bufs[i], sizeof bufs[i]};
        std::memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int r = ::recvmmsg(events[e].data.fd, msgs, 64, MSG_DONTWAIT, nullptr);
      if (r <= 0) break;
      for (int i = 0; i < r; ++i)
        if (accept(events[e].data.fd, ByteSpan(bufs[i], msgs[i].msg_len))) ++got;
      if (r < 64) break;
    }
  }
  return got;
}

int make_epoll(const std::vector<int>& fds) {
  const int epfd = epoll_create1(0);
  for (int fd : fds) {
    epoll_event ev{EPOLLIN, {}};
    ev.data.fd = fd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  }
  return epfd;
}

void report(const Options& o, const char* what, double sent, double received, double window,
            double cpu) {
  const double loss = sent > 0 ? 100.0 * (sent - received) / sent : 0;
  std::printf(
      "mode=%s offered_pps=%.0f sent=%.0f received=%.0f loss_pct=%.3f window_s=%.2f "
      "server_cpu_s=%.3f %s_per_cpu_s=%.0f received_pps=%.0f\n",
      o.mode.c_str(), o.rate, sent, received, loss, window, cpu, what, cpu > 0 ? received / cpu : 0,
      received / window);
}

// Sends at the offered rate for the window while counting accepted answers, then waits 0.3 s
// for what was still in flight (it counts as delivered), and reports.
template <class Accept>
void run_paced(const Options& o, Blaster& blaster, int epfd, Accept accept, const char* what) {
  std::uint64_t received = 0;
  const double cpu0 = server_cpu_seconds(o.server_pid);
  const auto start = Clock::now();
  while (seconds_since(start) < o.seconds) {
    blaster.send_due(start);
    received += drain(epfd, accept);
  }
  const double window = seconds_since(start);
  const double cpu = server_cpu_seconds(o.server_pid) - cpu0;
  const auto tail = Clock::now();
  while (seconds_since(tail) < 0.3) received += drain(epfd, accept);
  report(o, what, static_cast<double>(blaster.sent), static_cast<double>(received), window, cpu);
}

int run_relay(const Options& o) {
  CryptoRandom random;
  std::vector<Session> a(o.pairs), b(o.pairs);
  std::vector<int> fds;
  for (int i = 0; i < o.pairs; ++i) {
    a[i] = {udp_socket(o), "", {}, &random, &o};
    b[i] = {udp_socket(o), "", {}, &random, &o};
    if (!a[i].allocate() || !b[i].allocate()) {
      std::fprintf(stderr, "turnload: allocation %d failed\n", i);
      return 1;
    }
  }
  for (int i = 0; i < o.pairs; ++i) {
    if (!a[i].bind(0x4000, b[i].relay) || !b[i].bind(0x4000, a[i].relay)) {
      std::fprintf(stderr, "turnload: channel bind %d failed\n", i);
      return 1;
    }
    fds.push_back(a[i].fd);
    fds.push_back(b[i].fd);
  }
  Blaster blaster{fds, std::vector<std::byte>(4 + static_cast<std::size_t>(o.size)), o.rate};
  blaster.payload[0] = std::byte{0x40};
  blaster.payload[2] = std::byte(o.size >> 8);
  blaster.payload[3] = std::byte(o.size & 0xff);
  const int epfd = make_epoll(fds);
  auto is_channel_data = [](int, ByteSpan d) {
    return d.size() >= 4 && std::to_integer<int>(d[0]) == 0x40;
  };
  run_paced(o, blaster, epfd, is_channel_data, "delivered");
  for (auto* side : {&a, &b})
    for (auto& x : *side)
      x.call(stun::Method::kRefresh, [](auto& m) { m.add_u32(attr::kLifetime, 0); });
  return 0;
}

int run_stun(const Options& o) {
  std::vector<int> fds;
  for (int i = 0; i < o.sockets; ++i) fds.push_back(udp_socket(o));
  std::byte buf[64];
  stun::TransactionId tid;
  CryptoRandom().fill(tid.bytes);
  stun::MessageBuilder b(buf, stun::Method::kBinding, stun::MessageClass::kRequest, tid);
  b.add_fingerprint();
  auto req = b.finish();
  Blaster blaster{fds, std::vector<std::byte>(req.begin(), req.end()), o.rate};
  const int epfd = make_epoll(fds);
  auto is_success = [](int, ByteSpan d) {
    return d.size() >= 20 && std::to_integer<int>(d[0]) == 0x01 &&
           std::to_integer<int>(d[1]) == 0x01;
  };
  run_paced(o, blaster, epfd, is_success, "responses");
  return 0;
}

// Allocate (401 round trip, then authenticated) + Refresh(0), over and over, from many
// sockets at once: each runs its own little state machine, with a new socket per cycle.
int run_alloc(const Options& o) {
  CryptoRandom random;
  struct Machine {
    Session s;
    int state = 0;  // 0 unauthenticated Allocate sent, 1 Allocate sent, 2 Refresh(0) sent
    Clock::time_point sent_at;
  };
  std::vector<Machine> ms(static_cast<std::size_t>(o.sockets));
  std::vector<int> fds;
  std::map<int, Machine*> by_fd;
  auto send_state = [&](Machine& m) {
    std::vector<std::byte> req;
    if (m.state == 0)
      req = m.s.build(
          stun::Method::kAllocate, [](auto& b) { stun::add_requested_transport(b, 17); }, false);
    if (m.state == 1)
      req = m.s.build(
          stun::Method::kAllocate, [](auto& b) { stun::add_requested_transport(b, 17); }, true);
    if (m.state == 2)
      req = m.s.build(
          stun::Method::kRefresh, [](auto& b) { b.add_u32(attr::kLifetime, 0); }, true);
    ::send(m.s.fd, req.data(), req.size(), 0);
    m.sent_at = Clock::now();
  };
  for (auto& m : ms) {
    m.s = {udp_socket(o), "", {}, &random, &o};
    fds.push_back(m.s.fd);
    by_fd[m.s.fd] = &m;
  }
  const int epfd = make_epoll(fds);
  std::uint64_t cycles = 0, errors = 0, timeouts = 0;
  std::map<int, std::uint64_t> error_codes;
  const double cpu0 = server_cpu_seconds(o.server_pid);
  const auto start = Clock::now();
  for (auto& m : ms) send_state(m);
  while (seconds_since(start) < o.seconds) {
    drain(epfd, [&](int fd, ByteSpan d) {
      Machine& m = *by_fd[fd];
      auto msg = stun::MessageView::parse(d);
      if (!msg) return false;
      auto e = stun::find_error_code(*msg);
      const int code = e ? e->code : 0;
      if (m.state == 0 && code == 401) {
        m.s.nonce = std::string(as_string_view(*msg->find(attr::kNonce)));
        m.state = 1;
      } else if (m.state == 1 && code == 0) {
        m.state = 2;
      } else if (m.state == 2 && code == 0) {
        ++cycles;
        m.state = 0;
        // A new 5-tuple for the next cycle: coturn refuses (437) a new Allocate on a 5-tuple
        // whose allocation was just deleted, so reusing it would measure that hold-down.
        epoll_ctl(epfd, EPOLL_CTL_DEL, m.s.fd, nullptr);
        by_fd.erase(m.s.fd);
        ::close(m.s.fd);
        m.s.fd = udp_socket(o);
        m.s.nonce.clear();
        by_fd[m.s.fd] = &m;
        epoll_event ev{EPOLLIN, {}};
        ev.data.fd = m.s.fd;
        epoll_ctl(epfd, EPOLL_CTL_ADD, m.s.fd, &ev);
      } else {
        ++errors;
        ++error_codes[code];
        if (code == 437 && m.state == 1)
          m.state = 2;  // a stale allocation: delete it first
        else
          m.state = 0;
      }
      send_state(m);
      return true;
    });
    for (auto& m : ms) {
      if (seconds_since(m.sent_at) > 0.5) {  // lost: start the cycle again
        ++timeouts;
        m.state = m.state == 2 ? 2 : 0;
        send_state(m);
      }
    }
  }
  const double window = seconds_since(start);
  const double cpu = server_cpu_seconds(o.server_pid) - cpu0;
  std::string codes;
  for (const auto& [c, n] : error_codes) codes += std::to_string(c) + ":" + std::to_string(n) + ",";
  std::printf("mode=alloc error_codes=%s ", codes.empty() ? "none" : codes.c_str());
  std::printf(
      "sockets=%d cycles=%llu errors=%llu timeouts=%llu window_s=%.2f server_cpu_s=%.3f "
      "allocations_per_s=%.0f allocations_per_cpu_s=%.0f\n",
      o.sockets, static_cast<unsigned long long>(cycles), static_cast<unsigned long long>(errors),
      static_cast<unsigned long long>(timeouts), window, cpu, static_cast<double>(cycles) / window,
      cpu > 0 ? static_cast<double>(cycles) / cpu : 0);
  return 0;
}

// N allocations with one channel each (to the next allocation's relay); reports the server's
// RSS growth per allocation, then deletes them.
int run_hold(const Options& o) {
  CryptoRandom random;
  const long rss0 = server_rss_kib(o.server_pid);
  std::vector<Session> s(static_cast<std::size_t>(o.allocations));
  for (auto& x : s) {
    x = {udp_socket(o), "", {}, &random, &o};
    if (!x.allocate()) {
      std::fprintf(stderr, "turnload: allocation failed after %zu\n", &x - s.data());
      return 1;
    }
  }
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!s[i].bind(0x4000, s[(i + 1) % s.size()].relay)) {
      std::fprintf(stderr, "turnload: channel bind %zu failed\n", i);
      return 1;
    }
  const long rss1 = server_rss_kib(o.server_pid);
  std::printf(
      "mode=hold allocations=%d rss_before_kib=%ld rss_after_kib=%ld kib_per_allocation=%.2f\n",
      o.allocations, rss0, rss1, static_cast<double>(rss1 - rss0) / o.allocations);
  for (auto& x : s) {
    x.call(stun::Method::kRefresh, [](auto& b) { b.add_u32(attr::kLifetime, 0); });
    ::close(x.fd);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: turnload relay|stun|alloc|hold [--server A:P] [--server-pid P] "
                 "[--user U --password W --realm R] [--pairs N] [--sockets N] "
                 "[--allocations N] [--rate PPS] [--seconds S] [--size BYTES]\n");
    return 2;
  }
  o.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--server") {
      auto a = SocketAddress::parse(v, 3478);
      if (!a || !a->ip().is_v4() || a->ip().bytes()[0] != 127) {
        std::fprintf(stderr, "turnload: --server must be a 127.x.x.x address (loopback only)\n");
        return 2;
      }
      o.server = *a;
    } else if (k == "--server-pid")
      o.server_pid = std::stoi(v);
    else if (k == "--user")
      o.user = v;
    else if (k == "--password")
      o.password = v;
    else if (k == "--realm")
      o.realm = v;
    else if (k == "--pairs")
      o.pairs = std::stoi(v);
    else if (k == "--sockets")
      o.sockets = std::stoi(v);
    else if (k == "--allocations")
      o.allocations = std::stoi(v);
    else if (k == "--rate")
      o.rate = std::stod(v);
    else if (k == "--seconds")
      o.seconds = std::stod(v);
    else if (k == "--size")
      o.size = std::stoi(v);
    else {
      std::fprintf(stderr, "turnload: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.mode == "relay") return run_relay(o);
  if (o.mode == "stun") return run_stun(o);
  if (o.mode == "alloc") return run_alloc(o);
  if (o.mode == "hold") return run_hold(o);
  std::fprintf(stderr, "turnload: unknown mode %s\n", o.mode.c_str());
  return 2;
}
