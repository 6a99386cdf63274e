#include "turn/service/turn_service.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <fstream>

#include "common/random.h"
#include "turn/service/descriptor_budget.h"
#include "net/socket_setup.h"

namespace peerkit::turn {

std::vector<std::string> finalize_config(TurnServiceConfig& c) {
  std::vector<std::string> warnings;
  if (c.listening_ips.empty()) c.listening_ips.push_back(*IpAddress::parse("127.0.0.1"));
  if (c.relay_ips.empty()) c.relay_ips = c.listening_ips;
  if (c.workers == 0) c.workers = std::max(1u, std::thread::hardware_concurrency());
  // File descriptors are the hard limit (20 000 per process on the machines we test on). The
  // process keeps a reserve for itself (descriptor_budget.h); of the rest TCP/TLS clients get at
  // most a quarter and relay sockets the remainder — counted in descriptors, so a dual-stack
  // allocation (two sockets) or an EVEN-PORT reservation costs two — and neither can starve
  // the other or the process.
  const std::size_t files = net::open_file_limit();
  const std::size_t udp_per_ip = c.udp ? (c.rfc5780 ? 2 : 1) : 0;
  const std::size_t sockets_per_worker =
      c.listening_ips.size() * (udp_per_ip + (c.tcp ? 1 : 0) + (c.tls && !c.cert_file.empty()));
  const std::size_t budget = files - descriptor_reserve(files, c.workers, sockets_per_worker);
  const std::size_t tcp_share = budget / 4;
  const std::size_t tcp_fit = std::max<std::size_t>(1, tcp_share / c.workers);
  if (c.max_tcp_connections == 0) {
    c.max_tcp_connections = tcp_fit;
  } else if (c.max_tcp_connections > tcp_fit) {
    warnings.push_back("max-tcp-connections lowered from " + std::to_string(c.max_tcp_connections) +
                       " to " + std::to_string(tcp_fit) +
                       " per worker to fit the open-file limit of " + std::to_string(files));
    c.max_tcp_connections = tcp_fit;
  }
  const std::size_t tcp_total = c.max_tcp_connections * c.workers;
  const std::size_t relay_fit = budget > tcp_total ? budget - tcp_total : 1;
  if (c.relay_descriptors == 0 || c.relay_descriptors > relay_fit) c.relay_descriptors = relay_fit;
  if (c.total_quota == 0) {
    const std::size_t by_ports = std::size_t{c.max_port - c.min_port + 1u} * c.relay_ips.size();
    c.total_quota = std::min(c.relay_descriptors, by_ports);
  }
  if (c.server.rfc5780_other_address == std::nullopt && c.rfc5780) {
    // RFC 5780 needs a second IP of the same family: OTHER-ADDRESS = (second IP, port + 1).
    for (std::size_t i = 1; i < c.listening_ips.size(); ++i) {
      if (c.listening_ips[i].family() == c.listening_ips[0].family()) {
        const std::uint16_t alt =
            c.alt_listening_port ? c.alt_listening_port : c.listening_port + 1;
        c.server.rfc5780_other_address = SocketAddress(c.listening_ips[i], alt);
        break;
      }
    }
    if (!c.server.rfc5780_other_address)
      warnings.push_back(
          "rfc5780 needs two listening-ip addresses of one family; NAT behaviour discovery is off");
  }
  if (c.policy.allow_loopback)
    warnings.push_back(
        "allow-loopback-peers: clients can relay to services on this machine's loopback");
  for (const auto& r : c.policy.allowed)
    warnings.push_back("allowed-peer-ip " + r.text + " opens a range the default policy denies");
  if (c.server.no_auth) warnings.push_back("no-auth: anyone can allocate relays on this server");
  return warnings;
}

TurnService::TurnService(TurnServiceConfig config) : config_(std::move(config)) {}

TurnService::~TurnService() {
  stop();
}

std::string TurnService::reload_tls() {
  if (!shared_ || !shared_->tls) return "no certificate configured";
  // New connections get the new context; existing ones keep theirs; a bad file keeps the old.
  return shared_->tls->reload();
}

void TurnService::set_secrets(const std::vector<std::string>& secrets) {
  for (auto& worker : workers_) worker->set_secrets(secrets);
}

std::string TurnService::start() {
  quotas_ = std::make_unique<SharedQuotas>(config_.user_quota, config_.address_quota,
                                           config_.total_quota);
  shared_ = std::make_unique<WorkerShared>(config_, *quotas_);
  CryptoRandom random;
  unauth_ = std::make_unique<SharedUnauthLimiter>(
      config_.server.unauthorized_rate, config_.server.unauthorized_burst,
      (std::uint64_t{random.next_u32()} << 32) | random.next_u32());
  relay_addresses_ = std::make_unique<SharedRelayDirectory>(config_.relay_ips);
  shared_->unauth = unauth_.get();
  shared_->relay_addresses = relay_addresses_.get();
  random.fill(shared_->nonce_secret);
  shared_->unix_time_offset = unix_seconds_now() - SteadyClock().now().us() / 1'000'000;
  shared_->own_addresses = config_.listening_ips;
  shared_->own_addresses.insert(shared_->own_addresses.end(), config_.relay_ips.begin(),
                                config_.relay_ips.end());
  for (const auto& e : config_.server.external_ips) shared_->own_addresses.push_back(e.public_ip);
  if (config_.prometheus) {
    if (auto ip = IpAddress::parse(config_.prometheus_address))
      shared_->own_addresses.push_back(*ip);
  }
  if (config_.tls && !config_.cert_file.empty()) {
    shared_->tls = std::make_unique<net::ReloadableServerContext>(
        net::TlsServerFiles{config_.cert_file, config_.key_file});
    if (auto e = shared_->tls->reload(); !e.empty()) return e;
  }
  for (unsigned i = 0; i < config_.workers; ++i) {
    auto w = std::make_unique<Worker>(i, *shared_);
    if (auto e = w->open(); !e.empty()) {
      workers_.clear();
      return e;
    }
    workers_.push_back(std::move(w));
  }
  if (config_.prometheus) {
    metrics_ = std::make_unique<net::MetricsEndpoint>(
        config_.prometheus_address, config_.prometheus_port, config_.prometheus_path,
        [this] { return metrics_text(); });
    if (auto e = metrics_->start(); !e.empty()) {
      workers_.clear();
      return e;
    }
  }
  for (auto& w : workers_) w->start();
  if (!config_.pid_file.empty()) std::ofstream(config_.pid_file) << getpid() << "\n";
  return {};
}

void TurnService::stop() {
  metrics_.reset();
  for (auto& w : workers_) w->stop();
  workers_.clear();
  if (!config_.pid_file.empty()) std::remove(config_.pid_file.c_str());
}

void TurnService::collect_metrics(net::MetricFamilies& out) const {
  std::vector<const WorkerMetrics*> all;
  for (const auto& w : workers_) all.push_back(&w->metrics());
  turn::collect_metrics(all, out);
}

std::string TurnService::metrics_text() const {
  net::MetricFamilies families;
  collect_metrics(families);
  return net::render_metrics(families);
}

void TurnService::run_until_signalled() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR2, SIGHUP}) sigaddset(&set, s);
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR2) {
      if (auto e = reload_tls(); e.empty())
        spdlog::info("TLS certificate reloaded");
      else
        spdlog::error("TLS reload failed: {}", e);  // e names the certificate kept
      continue;
    }
    if (sig == SIGHUP) continue;  // log files are opened in append mode; nothing to reopen
    spdlog::info("signal {} received, stopping", sig == SIGTERM ? "TERM" : "INT");
    return;
  }
}

}  // namespace peerkit::turn
