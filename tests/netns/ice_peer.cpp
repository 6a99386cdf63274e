// ice_peer: one ICE agent on real sockets, for the namespace tests. Signaling is line-based:
// what this peer says goes to stdout and to --signal-out (the other peer's stdin); what the
// other peer says arrives on stdin.
//
//   out: cred UFRAG PWD | cand candidate:... | eoc | state NAME MS | selected LTYPE RTYPE LADDR
//        RADDR MS | recv TEXT | server-failed DETAIL
//   in:  cred UFRAG PWD | cand candidate:... | eoc | restart | quit
//
// Once connected it sends "data N" every --send-every-ms on the selected pair (with a DTLS
// first byte, so the agent's RFC 7983 demultiplexing passes it through).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "common/random.h"
#include "ice/driver/agent_driver.h"
#include "ice/host_filter.h"
#include "net/interfaces.h"

using namespace peerkit;
namespace asio = boost::asio;

namespace {

struct Options {
  std::string role = "controlling";
  std::vector<std::string> stun;
  std::string turn;
  std::string turn_transport = "udp";
  std::string turn_user, turn_pass, turn_ca;
  std::string policy = "all";
  std::string hosts;
  int consent_ms = 2000, disconnected_ms = 5000, failed_ms = 30000;
  int send_every_ms = 100;
  int quit_after_ms = 60000;
  std::string signal_out;
};

class Peer {
 public:
  Peer(net::Loop& loop, ice::Agent& agent, std::ofstream& signal_out, int send_every_ms,
       ice::DriverOptions options)
      : io_(loop.context()),
        agent_(agent),
        driver_(loop, agent, std::move(options)),
        input_(io_, ::dup(STDIN_FILENO)),
        sender_(io_),
        signal_out_(signal_out),
        send_every_(send_every_ms) {
    started_ = driver_.now();
    driver_.on_event = [this](const ice::Event& e) { on_event(e); };
    driver_.on_data = [this](const ice::Received& r) {
      say("recv " + std::string(as_string_view(r.payload).substr(1)), false);
    };
  }
  ice::AgentDriver& driver() { return driver_; }

  void start() {
    signal("cred " + agent_.local_ufrag() + " " + agent_.local_pwd());
    driver_.start();
    read_line();
  }

 private:
  long ms() const { return static_cast<long>((driver_.now() - started_).ms()); }

  void say(const std::string& line, bool to_peer) {
    std::cout << line << std::endl;
    if (to_peer && signal_out_.is_open()) signal_out_ << line << std::endl;
  }
  void signal(const std::string& line) { say(line, true); }

  void on_event(const ice::Event& e) {
    using K = ice::Event::Kind;
    switch (e.kind) {
      case K::kLocalCandidate:
        signal("cand " + ice::print_candidate(e.candidate));
        break;
      case K::kGatheringComplete:
        signal("eoc");
        break;
      case K::kStateChanged:
        say(std::string("state ") + ice::to_string(e.state) + " " + std::to_string(ms()), false);
        if (e.state == ice::ConnectionState::kConnected && !sending_) {
          sending_ = true;
          send_tick();
        }
        break;
      case K::kSelectedPairChanged: {
        const auto p = agent_.selected_pair();
        say("selected " + std::string(ice::to_string(p->local.type)) + " " +
                std::string(ice::to_string(p->remote.type)) + " " + p->local.address + ":" +
                std::to_string(p->local.port) + " " + p->remote.address + ":" +
                std::to_string(p->remote.port) + " " + std::to_string(ms()),
            false);
        break;
      }
      case K::kServerFailed:
        say("server-failed " + e.detail, false);
        break;
      default:
        break;
    }
  }

  void send_tick() {
    const std::string msg =
        "\x17"
        "data " +
        std::to_string(++sent_);
    agent_.send(driver_.now(), as_bytes(msg));
    driver_.pump();
    sender_.expires_after(std::chrono::milliseconds(send_every_));
    sender_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) send_tick();
    });
  }

  void read_line() {
    asio::async_read_until(
        input_, buffer_, '\n', [this](const boost::system::error_code& ec, std::size_t n) {
          if (ec) return;  // the other side is gone; keep the path running
          std::string line(asio::buffers_begin(buffer_.data()),
                           asio::buffers_begin(buffer_.data()) + static_cast<long>(n) - 1);
          buffer_.consume(n);
          handle(line);
          driver_.pump();
          read_line();
        });
  }

  void handle(const std::string& line) {
    const auto now = driver_.now();
    if (line.starts_with("cred ")) {
      const auto space = line.find(' ', 5);
      if (space == std::string::npos) return;
      const std::string ufrag = line.substr(5, space - 5);
      if (!remote_ufrag_.empty() && ufrag != remote_ufrag_ && !restarted_locally_) {
        agent_.restart(now);  // the peer restarted: follow (RFC 8445 §9)
        signal("cred " + agent_.local_ufrag() + " " + agent_.local_pwd());
      }
      restarted_locally_ = false;
      remote_ufrag_ = ufrag;
      agent_.set_remote_credentials(now, ufrag, line.substr(space + 1));
    } else if (line.starts_with("cand ")) {
      auto c = ice::parse_candidate(line.substr(5));
      if (!c) {
        say("bad-candidate " + c.error(), false);
        return;
      }
      if (auto why = agent_.add_remote_candidate(now, *c); !why.empty())
        say("candidate-refused " + why, false);
    } else if (line == "eoc") {
      agent_.remote_end_of_candidates(now);
    } else if (line == "restart") {
      restarted_locally_ = true;
      agent_.restart(now);
      signal("cred " + agent_.local_ufrag() + " " + agent_.local_pwd());
    } else if (line == "quit") {
      io_.stop();
    }
  }

  asio::io_context& io_;
  ice::Agent& agent_;
  ice::AgentDriver driver_;
  asio::posix::stream_descriptor input_;
  asio::streambuf buffer_;
  asio::steady_timer sender_;
  std::ofstream& signal_out_;
  int send_every_;
  Timestamp started_;
  bool sending_ = false;
  long sent_ = 0;
  std::string remote_ufrag_;
  bool restarted_locally_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("ICE peer for the namespace tests");
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // later wins
  app.add_option("--role", o.role)->check(CLI::IsMember({"controlling", "controlled"}));
  app.add_option("--stun", o.stun, "STUN server HOST:PORT; repeat")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--turn", o.turn, "TURN server HOST:PORT");
  app.add_option("--turn-transport", o.turn_transport)->check(CLI::IsMember({"udp", "tcp", "tls"}));
  app.add_option("--turn-ca", o.turn_ca, "PEM CAs the TURN/TLS server certificate must chain to");
  app.add_option("--turn-user", o.turn_user);
  app.add_option("--turn-pass", o.turn_pass);
  app.add_option("--policy", o.policy)->check(CLI::IsMember({"all", "relay"}));
  app.add_option("--hosts", o.hosts, "host address rules, e.g. 10.0.1.0/24")->required();
  app.add_option("--consent-ms", o.consent_ms);
  app.add_option("--disconnected-ms", o.disconnected_ms);
  app.add_option("--failed-ms", o.failed_ms);
  app.add_option("--send-every-ms", o.send_every_ms);
  app.add_option("--quit-after-ms", o.quit_after_ms);
  app.add_option("--signal-out", o.signal_out, "where to write signaling lines for the peer");
  CLI11_PARSE(app, argc, argv);

  ice::AgentConfig config;
  config.role = o.role == "controlling" ? ice::Role::kControlling : ice::Role::kControlled;
  config.policy = o.policy == "relay" ? ice::TransportPolicy::kRelay : ice::TransportPolicy::kAll;
  config.consent_interval = Duration::millis(o.consent_ms);
  config.disconnected_timeout = Duration::millis(o.disconnected_ms);
  config.failed_timeout = Duration::millis(o.failed_ms);
  for (const auto& s : o.stun) {
    auto a = SocketAddress::parse(s, 3478);
    if (!a) return std::cerr << "bad --stun " << s << "\n", 2;
    config.servers.push_back({ice::IceServer::Kind::kStun, *a});
  }
  if (!o.turn.empty()) {
    auto a = SocketAddress::parse(o.turn, 3478);
    if (!a) return std::cerr << "bad --turn " << o.turn << "\n", 2;
    config.servers.push_back({ice::IceServer::Kind::kTurn, *a,
                              o.turn_transport == "tcp"   ? ice::ServerTransport::kTcp
                              : o.turn_transport == "tls" ? ice::ServerTransport::kTls
                                                          : ice::ServerTransport::kUdp,
                              o.turn_user, o.turn_pass});
  }
  auto filter = ice::parse_host_filter(o.hosts);
  if (!filter) return std::cerr << "bad --hosts: " << filter.error() << "\n", 2;
  std::vector<ice::LocalInterface> interfaces;
  for (const auto& i : net::list_interface_addresses())
    interfaces.push_back({i.name, i.address, i.up});
  const auto addresses = ice::select_host_addresses(interfaces, *filter);
  if (addresses.empty()) return std::cerr << "no local address matches --hosts\n", 2;

  CryptoRandom random;
  ice::Agent agent(config, random);
  net::Loop loop("ice_peer");  // run on this thread
  asio::io_context& io = loop.context();
  std::ofstream signal_out;
  if (!o.signal_out.empty()) signal_out.open(o.signal_out);
  Peer peer(loop, agent, signal_out, o.send_every_ms, ice::DriverOptions{o.turn_ca});
  for (const auto& ip : addresses)
    if (auto why = peer.driver().add_host(ip); !why.empty()) std::cerr << why << "\n";
  asio::steady_timer quit(io);
  quit.expires_after(std::chrono::milliseconds(o.quit_after_ms));
  quit.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) io.stop();
  });
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  peer.start();
  io.run();
  agent.close(peer.driver().now());
  peer.driver().pump();
  return 0;
}
