// Everything `peerkit serve` is configured with (apps/peerkit/serve_options.cpp builds it from
// the command line). Defaults are the embedded ones: loopback only, PeerServer's port, path and
// key, TURN on 3478 with a per-process secret.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/address.h"
#include "log/log.h"
#include "server/cluster_options.h"
#include "server/ice_servers.h"
#include "signaling/peerjs_options.h"
#include "signaling/rooms_server.h"
#include "turn/service/config.h"

namespace peerkit::server {

// The SFU for rooms past the mesh (docs/sfu.md): `workers` loops, worker i on UDP port
// `port` + i of `ip` (port 0: any free port), told to browsers as `announce`.
struct SfuConfig {
  bool enabled = true;
  unsigned workers = 0;  // 0: one per core
  IpAddress ip = *IpAddress::parse("127.0.0.1");
  std::uint16_t port = 0;  // `peerkit serve` defaults to 3480; 0 here keeps tests apart
  IpAddress announce = *IpAddress::parse("127.0.0.1");
  std::size_t max_members_per_worker = 500;
  // Loudest-N audio (sfu::Router::Config::loudest_audio): rooms of up to this many
  // microphones hear them all; larger ones only the loudest this many.
  std::size_t loudest_audio = 6;
};

struct ServeConfig {
  IpAddress host = *IpAddress::parse("127.0.0.1");
  std::uint16_t port = 9000;
  std::string path = "/";  // PeerServer's --path: HTTP base; the PeerJS socket is <path>peerjs
  std::string cert_file;   // both set: https and wss only
  std::string key_file;
  std::vector<std::string> cors_origins;  // empty: reflect any Origin (PeerServer's default)
  // Origins besides the server's own (and --cors's) that may have TURN credentials and /ws.
  std::vector<std::string> allowed_origins;

  signaling::PeerJsOptions peerjs;
  signaling::RoomsOptions rooms;

  // Limits of the HTTP/WebSocket driver.
  std::size_t max_frame_bytes = 64 * 1024;     // larger frames close the socket (1009)
  std::size_t max_connections = 0;             // 0: derived from the open-file limit
  std::uint32_t max_connections_per_ip = 256;  // 0: unlimited
  // Every per-address limit of serve (connections, PeerJS offline-queue bytes) counts IPv6
  // clients by this prefix (common/client_key.h); 128 counts single addresses.
  unsigned ipv6_limit_prefix = 64;
  std::size_t write_queue_bytes = 1 << 20;     // per connection; a slower reader is closed
  std::size_t write_queue_messages = 4096;
  unsigned handshake_timeout_seconds = 10;  // HTTP request / WebSocket upgrade
  unsigned idle_timeout_seconds = 60;       // WebSocket pings at half of it; 0 = off
  unsigned shutdown_grace_seconds = 3;

  // ICE servers handed out by /api/ice-servers and the rooms `welcome`.
  bool turn = true;  // the embedded STUN/TURN server
  turn::TurnServiceConfig turn_config;
  IceServersConfig ice;  // external URLs/secret, or filled for the embedded server
  std::string ice_secret_file;
  ClusterConfig cluster;  // --cluster: several nodes act as one server (docs/cluster.md)
  SfuConfig sfu;          // rooms past the mesh (docs/sfu.md)

  log::Options log;
};

}  // namespace peerkit::server
