// Everything `peerkit turn` is configured with: the core's ServerOptions plus what only the
// driver knows (addresses, ports, threads, TLS, sockets, metrics, logging). Built by the CLI
// from coturn-style options (apps/peerkit/turn_options.cpp) and immutable once the service runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/address.h"
#include "log/log.h"
#include "turn/credentials.h"
#include "turn/options.h"
#include "turn/policy.h"

namespace peerkit::turn {

struct TurnServiceConfig {
  std::vector<IpAddress> listening_ips;  // default: 127.0.0.1
  std::uint16_t listening_port = 3478;
  std::uint16_t tls_listening_port = 5349;
  std::uint16_t alt_listening_port = 0;  // RFC 5780 alternate port; 0 = listening-port + 1
  bool rfc5780 = false;                  // needs two listening IPs of one family
  std::vector<IpAddress> relay_ips;      // default: the listening IPs
  std::uint16_t min_port = 49152;
  std::uint16_t max_port = 65535;
  unsigned workers = 0;  // relay-threads; 0 = one per core
  bool udp = true;
  bool tcp = true;
  bool tls = true;  // only when a certificate is configured
  std::string cert_file;
  std::string key_file;
  int listener_buffer_bytes = 4 << 20;  // sock-buf-size
  int relay_buffer_bytes = 1 << 20;     // relay-sock-buf-size
  std::size_t max_tcp_connections = 0;  // per worker; 0 = a quarter of the open-file budget
  std::size_t max_tcp_connections_per_ip = 16;  // all workers; IPv6 per ipv6_limit_prefix; 0 = off
  std::size_t stream_write_queue_bytes = 1 << 20;
  // max-allocate-timeout: a TCP/TLS client without an allocation is closed after this long.
  Duration allocate_timeout = Duration::seconds(20);

  std::size_t user_quota = 0;   // 0 = unlimited
  std::size_t address_quota = 0;  // per client address (IPv6: per prefix); 0 = unlimited
  std::size_t total_quota = 0;  // 0 = derived: min(relay ports, relay_descriptors)
  // Relay sockets (and reserved ports) in total, each one file descriptor; an Allocate beyond it
  // gets 508. 0 = derived: the open-file limit less a reserve and the TCP/TLS share.
  std::size_t relay_descriptors = 0;
  // Per-address limits count IPv6 clients per this prefix (common/client_key.h), default /64.
  std::uint8_t ipv6_limit_prefix = 64;

  bool prometheus = false;
  std::string prometheus_address = "127.0.0.1";
  std::uint16_t prometheus_port = 9641;
  std::string prometheus_path = "/metrics";

  std::string realm = "peerkit";
  std::vector<StaticUser> users;
  std::vector<std::string> secrets;
  char rest_separator = ':';
  PolicyOptions policy;
  ServerOptions server;
  log::Options log;
  std::string pid_file;
};

}  // namespace peerkit::turn
