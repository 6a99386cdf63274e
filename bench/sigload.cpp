// Load generator for the signaling benchmarks (targets T5 and T6 of ../shared/perf/targets.md),
// speaking the PeerJS WebSocket protocol to any PeerServer-compatible server on loopback.
//
//   sigload relay --port P --server-pid PID [--pairs 100] [--messages 200000] [--window 4]
//                 [--payload 1000]
//     Pairs of clients bounce OFFER → ANSWER → CANDIDATE → OFFER … with ~1 KB payloads,
//     `window` messages in flight per pair. Measures the server's CPU time (from /proc) over
//     the relay phase only, relayed messages, and the relay latency (send → receive).
//   sigload idle --port P --server-pid PID [--connections 15000]
//     Registers that many clients and keeps them open; measures the server's RSS growth.
//
// Cluster options (bench/cluster-bench.sh), relay mode only:
//   --port2 P --split cross|mixed|local   clients of a pair on two nodes: `cross` puts every
//       pair's second client on port2, `local` puts every other pair wholly on port2, `mixed`
//       does `local` for half the pairs and `cross` for the other half (what a random
//       two-way balancer gives on average).
//   --server-pid may be given once per node (their CPU is summed); --redis-pid PID adds
//       redis_cpu_s and msgs_per_cpu_s_redis (Redis counted) to the line.
//   --id-base N   ids start at cN, so runs against the same nodes never reuse an id.
//
// Prints one line of key=value results. Everything stays on 127.0.0.1.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string mode;
  unsigned short port = 9000;
  int server_pid = 0;
  std::vector<int> server_pids;
  int redis_pid = 0;
  unsigned short port2 = 0;
  std::string split = "cross";
  long id_base = 0;
  int pairs = 100;
  long messages = 200000;
  int window = 4;
  int payload = 1000;
  int connections = 15000;
};

double server_cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  std::istringstream in(s.substr(s.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    in >> field;
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return double(utime + stime) / sysconf(_SC_CLK_TCK);
}

long server_rss_kib(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

struct Client;
struct Load {
  asio::io_context io{1};
  Args args;
  std::vector<std::shared_ptr<Client>> clients;
  int opened = 0, failed = 0, connecting = 0;
  std::size_t next_to_connect = 0;
  long received = 0;
  long other = 0;  // frames that are not a relayed message while relaying
  bool relaying = false;
  std::vector<double> latencies_us;
  std::string padding;
  void connect_more();
};

struct Client : std::enable_shared_from_this<Client> {
  Client(Load& l, int i) : load(l), index(i), ws(l.io) {}
  Load& load;
  int index;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::deque<std::string> out;
  bool writing = false;

  std::string id() const { return "c" + std::to_string(load.args.id_base + index); }
  long peer_index() const { return load.args.id_base + (index ^ 1); }
  // Which node this client registers on (cluster runs; see the header).
  unsigned short port() const {
    const Args& a = load.args;
    if (a.port2 == 0) return a.port;
    const int pair = index / 2;
    const bool second = index & 1;
    const bool cross = a.split == "cross" || (a.split == "mixed" && pair % 2 == 1);
    const bool on2 = cross ? second : (a.split == "local" ? pair % 2 == 1 : pair % 4 == 2);
    return on2 ? a.port2 : a.port;
  }

  void start() {
    ws.next_layer().async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()),
                                  [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail();
      self->ws.async_handshake("127.0.0.1", "/peerjs?key=peerjs&id=" + self->id() + "&token=tok" +
                                                std::to_string(self->index),
                               [self](beast::error_code ec) {
                                 if (ec) return self->fail();
                                 self->read();
                               });
    });
  }
  void fail() {
    ++load.failed;
    --load.connecting;
    load.connect_more();
  }
  void read() {
    ws.async_read(buffer, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->on_message(beast::buffers_to_string(self->buffer.data()));
      self->buffer.consume(self->buffer.size());
      self->read();
    });
  }
  void send(std::string text) {
    out.push_back(std::move(text));
    if (!writing) write();
  }
  void write() {
    writing = true;
    ws.text(true);
    ws.async_write(asio::buffer(out.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->out.pop_front();
      self->writing = false;
      if (!ec && !self->out.empty()) self->write();
    });
  }
  // Frames are built by concatenation and read with string searches, not a JSON library: the
  // generator shares the machine's two cores with the server and must stay cheap. The server
  // still parses and re-serializes every frame in full.
  void send_relay(std::string_view type) {
    std::string m = R"({"type":")";
    m += type;
    m += R"(","payload":{"sdp":")";
    m += load.padding;
    m += R"(","t":)";
    m += std::to_string(now_ns());
    m += R"(,"connectionId":"dc_bench"},"dst":"c)";
    m += std::to_string(peer_index());
    m += R"("})";
    send(std::move(m));
  }
  void on_message(const std::string& text) {
    const auto type_at = text.find(R"("type":")");
    if (type_at == std::string::npos) return;
    const std::string_view type(text.data() + type_at + 8, std::min<std::size_t>(9, text.size() - type_at - 8));
    if (type.starts_with("OPEN\"")) {
      ++load.opened;
      --load.connecting;
      load.connect_more();
      return;
    }
    if (!load.relaying) return;
    if (!type.starts_with("OFFER") && !type.starts_with("ANSWER") && !type.starts_with("CANDIDATE")) {
      ++load.other;  // EXPIRE or ERROR: that message is lost (a cluster run must see none)
      return;
    }
    ++load.received;
    if (const auto t_at = text.find(R"("t":)"); t_at != std::string::npos)
      load.latencies_us.push_back((now_ns() - std::stoll(text.substr(t_at + 4, 20))) / 1000.0);
    if (load.received >= load.args.messages) {
      load.io.stop();
      return;
    }
    send_relay(type.starts_with("OFFER") ? "ANSWER" : type.starts_with("ANSWER") ? "CANDIDATE" : "OFFER");
  }
};

void Load::connect_more() {
  // At most 256 handshakes in flight, so the listen backlog never overflows.
  while (connecting < 256 && next_to_connect < clients.size()) {
    ++connecting;
    clients[next_to_connect++]->start();
  }
}

bool run_until(Load& load, const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) {
    load.io.restart();
    load.io.run_for(std::chrono::milliseconds(50));
  }
  return done();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (argc < 2) {
    std::fprintf(stderr, "usage: sigload relay|idle --port P --server-pid PID [options]\n");
    return 2;
  }
  a.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--split") {
      a.split = argv[i + 1];
      if (a.split != "cross" && a.split != "mixed" && a.split != "local") {
        std::fprintf(stderr, "--split must be cross, mixed or local, got %s\n", argv[i + 1]);
        return 2;
      }
      continue;
    }
    long v = std::stol(argv[i + 1]);
    if (k == "--port") a.port = static_cast<unsigned short>(v);
    else if (k == "--server-pid") a.server_pids.push_back(static_cast<int>(v));
    else if (k == "--redis-pid") a.redis_pid = static_cast<int>(v);
    else if (k == "--port2") a.port2 = static_cast<unsigned short>(v);
    else if (k == "--id-base") a.id_base = v;
    else if (k == "--pairs") a.pairs = static_cast<int>(v);
    else if (k == "--messages") a.messages = v;
    else if (k == "--window") a.window = static_cast<int>(v);
    else if (k == "--payload") a.payload = static_cast<int>(v);
    else if (k == "--connections") a.connections = static_cast<int>(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.server_pids.empty()) {
    std::fprintf(stderr, "--server-pid is required\n");
    return 2;
  }
  a.server_pid = a.server_pids.front();
  Load load;
  load.args = a;
  load.padding.assign(static_cast<std::size_t>(a.payload), 'x');
  const int n = a.mode == "relay" ? a.pairs * 2 : a.connections;
  for (int i = 0; i < n; ++i) load.clients.push_back(std::make_shared<Client>(load, i));

  const long rss_before = server_rss_kib(a.server_pid);
  const auto t_connect = Clock::now();
  load.connect_more();
  if (!run_until(load, [&] { return load.opened + load.failed >= n; }, std::chrono::seconds(300)) ||
      load.failed) {
    std::printf("error opened=%d failed=%d of %d\n", load.opened, load.failed, n);
    return 1;
  }
  const double connect_s = std::chrono::duration<double>(Clock::now() - t_connect).count();

  if (a.mode == "idle") {
    // Let the server finish whatever the last handshakes left behind, then measure.
    load.io.restart();
    load.io.run_for(std::chrono::milliseconds(500));
    const long rss_after = server_rss_kib(a.server_pid);
    std::printf("mode=idle connections=%d connect_s=%.2f rss_before_kib=%ld rss_after_kib=%ld "
                "rss_per_conn_kib=%.2f\n",
                load.opened, connect_s, rss_before, rss_after,
                double(rss_after - rss_before) / load.opened);
    return 0;
  }

  load.relaying = true;
  load.latencies_us.reserve(static_cast<std::size_t>(a.messages));
  const auto servers_cpu = [&] {
    double sum = 0;
    for (int pid : a.server_pids) sum += server_cpu_seconds(pid);
    return sum;
  };
  const double cpu_before = servers_cpu();
  const double redis_before = a.redis_pid ? server_cpu_seconds(a.redis_pid) : 0;
  const auto t0 = Clock::now();
  for (int p = 0; p < a.pairs; ++p)
    for (int w = 0; w < a.window; ++w) load.clients[static_cast<std::size_t>(2 * p)]->send_relay("OFFER");
  run_until(load, [&] { return load.received >= a.messages; }, std::chrono::seconds(600));
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = servers_cpu() - cpu_before;
  const double redis = a.redis_pid ? server_cpu_seconds(a.redis_pid) - redis_before : 0;
  std::printf("mode=relay messages=%ld wall_s=%.2f server_cpu_s=%.3f msgs_per_cpu_s=%.0f "
              "cpu_us_per_msg=%.2f msgs_per_s=%.0f p50_us=%.0f p99_us=%.0f",
              load.received, wall, cpu, load.received / cpu, cpu * 1e6 / load.received,
              load.received / wall, percentile(load.latencies_us, 0.5),
              percentile(load.latencies_us, 0.99));
  if (load.other) std::printf(" other_frames=%ld", load.other);
  if (a.redis_pid)
    std::printf(" redis_cpu_s=%.3f msgs_per_cpu_s_redis=%.0f", redis, load.received / (cpu + redis));
  std::printf("\n");
  return load.received >= a.messages ? 0 : 1;
}
