// `peerkit serve` (and `peerkit run`, which is serve with its defaults): parse, log, start the
// signaling service with its embedded TURN server, print where to go, wait for a signal.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "apps/peerkit/cli.h"
#include "commands.h"
#include "common/base64.h"
#include "common/random.h"
#include "log/log.h"
#include "server/serve_node.h"

namespace peerkit::app {
namespace {

std::string random_secret() {
  CryptoRandom random;
  std::byte raw[32];
  random.fill(raw);
  return base64_encode(raw);
}

int serve(server::ServeConfig config, const std::vector<std::string>& warnings) {
  if (auto e = log::init(config.log); !e.empty()) {
    std::fprintf(stderr, "peerkit: %s\n", e.c_str());
    return 2;
  }
  for (const auto& w : warnings) spdlog::warn("{}", w);
  if (config.turn)
    for (const auto& w : turn::finalize_config(config.turn_config)) spdlog::warn("turn: {}", w);
  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGTERM, SIGINT, SIGUSR2, SIGHUP}) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  server::ServeNode service(config);
  if (auto e = service.start(); !e.empty()) {
    spdlog::error("cannot start: {}", e);
    std::fprintf(stderr, "peerkit: cannot start: %s\n", e.c_str());
    return 1;
  }
  const bool tls = !config.cert_file.empty();
  const std::string host = config.host.is_unspecified() ? "127.0.0.1" : config.host.to_uri_host();
  const std::string origin =
      std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(service.port());
  std::string base = config.path;
  if (base.empty() || base.front() != '/') base.insert(base.begin(), '/');
  if (base.back() != '/') base += '/';
  spdlog::info("signaling listening on {} (peerjs={}peerjs rooms=/ws tls={}) turn={}", origin, base,
               tls, config.turn ? std::to_string(config.turn_config.listening_port) : "off");
  std::string sfu = "off (rooms stay meshes)";
  if (const auto ports = service.sfu_ports(); !ports.empty()) {
    sfu = "udp " + config.sfu.announce.to_uri_host() + " port";
    for (std::size_t i = 0; i < ports.size(); ++i) sfu += (i ? "," : " ") + std::to_string(ports[i]);
    sfu += " (rooms past " + std::to_string(config.rooms.sfu_threshold) + " people)";
  }
  std::printf(
      "\npeerkit is running.\n"
      "  open:     %s/            (the web app: rooms, video calls, chat, files)\n"
      "  PeerJS:   new Peer({ host: '%s', port: %u, path: '%s', key: '%s', secure: %s })\n"
      "  ICE:      %s/api/ice-servers   (STUN/TURN %s)\n"
      "  SFU:      %s\n"
      "  health:   %s/healthz   metrics: %s/metrics\n"
      "Stop with Ctrl-C.\n",
      origin.c_str(), host.c_str(), service.port(), base.c_str(), config.peerjs.key.c_str(),
      tls ? "true" : "false", origin.c_str(),
      config.turn ? ("on port " + std::to_string(config.turn_config.listening_port)).c_str()
                  : "external or none",
      sfu.c_str(), origin.c_str(), origin.c_str());
  std::fflush(stdout);

  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR2 || sig == SIGHUP) {
      if (auto e = service.reload_tls(); !e.empty())
        spdlog::error("TLS reload failed: {}", e);
      else if (tls)
        spdlog::info("TLS certificate reloaded");
      // The TURN REST secrets too, when they come from a file: rotation without a restart.
      if (!config.ice_secret_file.empty()) {
        if (auto n = service.reload_secrets(); n)
          spdlog::info("TURN secrets re-read from --ice-secret-file: {} accepted, the first signs",
                       *n);
        else
          spdlog::error("TURN secrets not reloaded, the old ones stay: {}", n.error());
      }
      continue;
    }
    spdlog::info("signal {}: shutting down", sig);
    break;
  }
  service.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int run_serve(const std::vector<std::string>& args) {
  auto parsed = parse_serve_cli(args, random_secret());
  if (parsed.action == decltype(parsed)::Action::kExit) {
    if (parsed.exit_code == 0)
      std::fputs(parsed.message.c_str(), stdout);
    else
      std::fprintf(stderr, "peerkit serve: %s\nRun 'peerkit serve --help' for the options.\n",
                   parsed.message.c_str());
    return parsed.exit_code;
  }
  return serve(std::move(parsed.config), parsed.warnings);
}

}  // namespace peerkit::app
