// `peerkit turn` as a running service: N workers, the TLS context (reloaded on SIGUSR2), the
// Prometheus endpoint, and a clean stop on SIGTERM/SIGINT. Also embedded by `peerkit serve`.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/metrics.h"
#include "turn/service/config.h"
#include "turn/service/shared_quotas.h"
#include "turn/service/worker.h"

namespace peerkit::turn {

class TurnService {
 public:
  explicit TurnService(TurnServiceConfig config);
  ~TurnService();

  // Binds every socket and starts the workers. An error text on failure (nothing is left running).
  std::string start();
  // Blocks until SIGTERM or SIGINT, handling SIGUSR2 (reload the TLS certificate) meanwhile.
  void run_until_signalled();
  void stop();
  // Re-reads the certificate and key; an error text if they cannot be loaded (the old ones stay).
  std::string reload_tls();
  // Rotates the TURN REST secrets in every worker without a restart (from any thread; each
  // worker takes them on its own loop). Existing allocations live on while their credentials
  // verify against the new set.
  void set_secrets(const std::vector<std::string>& secrets);
  // Every worker's counters, summed; callable from any thread.
  void collect_metrics(net::MetricFamilies& out) const;
  std::string metrics_text() const;
  const TurnServiceConfig& config() const { return config_; }

 private:
  TurnServiceConfig config_;
  std::unique_ptr<SharedQuotas> quotas_;
  std::unique_ptr<SharedUnauthLimiter> unauth_;
  std::unique_ptr<SharedRelayDirectory> relay_addresses_;
  std::unique_ptr<WorkerShared> shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<net::MetricsEndpoint> metrics_;
};

// Fills defaults that depend on the machine (workers = cores, relay IPs = listening IPs,
// total quota from the port range and the open-file limit). Returns warnings to log.
std::vector<std::string> finalize_config(TurnServiceConfig& config);

}  // namespace peerkit::turn
