// `peerkit turn`: parse, set up logging, start the service, wait for a signal.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "apps/peerkit/cli.h"
#include "commands.h"
#include "log/log.h"
#include "turn/service/turn_service.h"

namespace peerkit::app {
namespace {

// Signals are taken synchronously by TurnService::run_until_signalled (sigwait); block them in
// every thread before any is started.
void block_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR2, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int serve(turn::TurnServiceConfig config, const std::vector<std::string>& warnings,
          const std::string& config_file) {
  if (auto e = log::init(config.log); !e.empty()) {
    std::fprintf(stderr, "peerkit: %s\n", e.c_str());
    return 2;
  }
  if (!config_file.empty()) spdlog::info("configuration file {}", config_file);
  for (const auto& w : warnings) spdlog::warn("{}", w);
  for (const auto& w : turn::finalize_config(config)) spdlog::warn("{}", w);
  block_signals();
  turn::TurnService service(config);
  if (auto e = service.start(); !e.empty()) {
    spdlog::error("cannot start: {}", e);
    std::fprintf(stderr, "peerkit: cannot start: %s\n", e.c_str());
    return 1;
  }
  std::string listening;
  for (const auto& ip : config.listening_ips) {
    listening +=
        (listening.empty() ? "" : " ") + SocketAddress(ip, config.listening_port).to_string();
  }
  spdlog::info(
      "STUN/TURN listening on {} (udp={} tcp={} tls={}) workers={} realm={} relay-ports={}-{}",
      listening, config.udp, config.tcp, config.tls && !config.cert_file.empty(), config.workers,
      config.realm, config.min_port, config.max_port);
  if (config.prometheus)
    spdlog::info("metrics on http://{}:{}{}", config.prometheus_address, config.prometheus_port,
                 config.prometheus_path);
  service.run_until_signalled();
  service.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int run_turn(const std::vector<std::string>& args) {
  auto parsed = parse_turn_cli(args);
  if (parsed.action == decltype(parsed)::Action::kExit) {
    if (parsed.exit_code == 0)
      std::fputs(parsed.message.c_str(), stdout);
    else
      std::fprintf(stderr, "peerkit turn: %s\n", parsed.message.c_str());
    return parsed.exit_code;
  }
  return serve(std::move(parsed.config), parsed.warnings, parsed.config_file);
}

}  // namespace peerkit::app
