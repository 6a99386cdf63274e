// `peerkit serve`'s command line: PeerServer's option names (and its PORT / PEERSERVER_PATH
// environment variables) as CLI11 options; server::configure_serve checks the result.
#include <cstdlib>

#include "apps/peerkit/cli.h"
#include "apps/peerkit/cli_app.h"
#include "server/serve_options.h"

namespace peerkit::app {

ParsedCommand<server::ServeConfig> parse_serve_cli(const std::vector<std::string>& args,
                                                   const std::string& random_secret) {
  using Parsed = ParsedCommand<server::ServeConfig>;
  server::ServeOptions o;
  server::ServeConfig& c = o.config;
  CLI::App app(
      "peerkit serve: PeerJS-compatible signaling, the rooms protocol on /ws, the web "
      "app, and an embedded STUN/TURN server. Defaults bind 127.0.0.1 only.",
      args.empty() ? "peerkit serve" : args[0]);
  app.option_defaults()->always_capture_default();
  app.get_formatter()->column_width(38);

  if (const char* env = std::getenv("PORT"); env && *env) c.port = std::atoi(env);
  if (const char* env = std::getenv("PEERSERVER_PATH"); env && *env) c.path = env;

  app.add_option("-H,--host", o.host, "address to listen on (HTTP, WebSocket, and TURN)");
  app.add_option("-p,--port", c.port, "HTTP/WebSocket port (env PORT)");
  app.add_option("--path", c.path,
                 "PeerServer base path; the PeerJS socket is <path>peerjs (env PEERSERVER_PATH)");
  app.add_option("-k,--key", c.peerjs.key, "PeerJS API key clients must send");
  app.add_option("-t,--expire_timeout", o.expire_ms,
                 "ms before queued messages to an absent id expire")
      ->check(CLI::Range(100, 3'600'000));
  app.add_option("--alive_timeout", o.alive_ms,
                 "ms without HEARTBEAT before a PeerJS client is dropped")
      ->check(CLI::Range(1000, 86'400'000));
  app.add_option("-c,--concurrent_limit", c.peerjs.concurrent_limit,
                 "maximum registered PeerJS ids");
  app.add_flag("--allow_discovery", c.peerjs.allow_discovery, "serve GET <path><key>/peers");
  app.add_option("--cors", c.cors_origins,
                 "allowed Origins for the HTTP API and the PeerJS socket (default: any); they may "
                 "also have TURN credentials");
  app.add_option("--allow-origin", c.allowed_origins,
                 "an Origin (scheme://host[:port]) besides the server's own that may have TURN "
                 "credentials and the /ws socket (repeatable)");
  app.add_flag("--proxied", o.proxied, "accepted for PeerServer compatibility; has no effect");
  app.add_option("--cert,--sslcert", o.tls_cert,
                 "TLS certificate chain (PEM): serve https and wss");
  app.add_option("--cert-key,--tls-key,--sslkey", o.tls_key, "TLS private key (PEM)");
  app.add_option("--open-on-takeover", c.peerjs.open_on_takeover,
                 "send OPEN when a client reconnects with its id and token (PeerServer does not)");

  auto* limits = "Limits";
  app.add_option("--max-frame-bytes", c.max_frame_bytes, "largest WebSocket message accepted")
      ->group(limits)
      ->check(CLI::Range(1024, 16 << 20));
  app.add_option("--messages-per-second", c.peerjs.messages_per_second,
                 "messages per second per connection (0: unlimited)")
      ->group(limits);
  app.add_option("--message-burst", c.peerjs.message_burst,
                 "messages a connection may send at once")
      ->group(limits);
  app.add_option("--max-connections", c.max_connections,
                 "open TCP connections (0: from the open-file limit)")
      ->group(limits);
  app.add_option("--max-connections-per-ip", c.max_connections_per_ip,
                 "open TCP connections per client address (0: unlimited)")
      ->group(limits);
  app.add_option("--max-queued-per-id", c.peerjs.max_queued_per_id,
                 "PeerJS messages queued for one absent id")
      ->group(limits)
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-offline-ids", c.peerjs.max_offline_ids, "absent ids with a queue at once")
      ->group(limits)
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--max-queued-bytes-per-id", c.peerjs.max_queued_bytes_per_id,
                 "bytes of PeerJS messages queued for one absent id")
      ->group(limits)
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  app.add_option("--max-queued-bytes-per-sender", c.peerjs.max_queued_bytes_per_sender,
                 "bytes of PeerJS messages one id has queued for absent ids")
      ->group(limits)
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  app.add_option("--max-queued-bytes-per-ip", c.peerjs.max_queued_bytes_per_address,
                 "bytes of PeerJS messages queued from one client address (IPv6: per prefix)")
      ->group(limits)
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 34));
  app.add_option("--max-queued-bytes", c.peerjs.max_queued_bytes_total,
                 "bytes of PeerJS messages queued in all")
      ->group(limits)
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 36));
  app.add_option("--ipv6-limit-prefix", c.ipv6_limit_prefix,
                 "per-address limits count IPv6 clients by this prefix length (128: each address)")
      ->group(limits)
      ->check(CLI::Range(0u, 128u));
  app.add_option("--write-queue-bytes", c.write_queue_bytes,
                 "bytes waiting to be sent to one connection before it is closed")
      ->group(limits)
      ->check(CLI::Range(64 * 1024, 256 << 20));
  app.add_option("--room-capacity", c.rooms.room_capacity, "members per room")
      ->group(limits)
      ->check(CLI::Range(2, 1000));
  app.add_option("--max-rooms", c.rooms.max_rooms, "rooms at once")
      ->group(limits)
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--idle-timeout", c.idle_timeout_seconds,
                 "seconds without a frame from a client before it is closed; a ping goes out at "
                 "half (0: off)")
      ->group(limits);

  auto* ice = "ICE servers";
  app.add_flag("--no-turn", o.no_turn, "do not start the embedded STUN/TURN server")->group(ice);
  app.add_option("--turn-port", o.turn_port, "embedded STUN/TURN port (UDP and TCP)")->group(ice);
  app.add_option("--turn-ip", o.turn_ip,
                 "address the embedded TURN server listens and relays on (default: --host)")
      ->group(ice);
  app.add_option("--turn-public-host", o.turn_public_host,
                 "host name or address browsers use to reach the embedded TURN server")
      ->group(ice);
  app.add_option("--turn-workers", o.turn_workers, "threads of the embedded TURN server")
      ->group(ice)
      ->check(CLI::Range(1, 64));
  app.add_option(
         "--ice-url", o.ice_urls,
         "extra stun:/turn:/turns: URL to hand out (repeatable; turn URLs need --ice-secret)")
      ->group(ice);
  app.add_option("--ice-secret", c.ice.turn_secret,
                 "TURN REST secret (coturn static-auth-secret): of the --ice-url TURN servers, "
                 "or pinned for the embedded one (env PEERKIT_ICE_SECRET; default: random per "
                 "process)")
      ->envname("PEERKIT_ICE_SECRET")
      ->group(ice);
  app.add_option("--ice-secret-file", o.ice_secret_file,
                 "file holding that secret, created with mode 0600 if absent, so credentials "
                 "outlive a restart (must not be readable by others)")
      ->group(ice);
  app.add_option("--ice-ttl", o.ttl, "seconds TURN credentials stay valid")
      ->group(ice)
      ->check(CLI::Range(60, 7 * 86400));

  auto* sfu = "SFU rooms (docs/sfu.md)";
  c.sfu.port = 3480;
  app.add_flag("--no-sfu", o.no_sfu, "no SFU: every room stays a mesh (at most --room-capacity)")
      ->group(sfu);
  app.add_option("--sfu-threshold", c.rooms.sfu_threshold,
                 "a room moves from mesh to the SFU when it would hold more members than this")
      ->group(sfu)
      ->check(CLI::Range(1, 999));
  app.add_option("--sfu-room-capacity", c.rooms.sfu_room_capacity, "members per SFU room")
      ->group(sfu)
      ->check(CLI::Range(2, 100));
  app.add_option("--sfu-workers", c.sfu.workers, "SFU worker threads, one UDP port each (0: one per core)")
      ->group(sfu)
      ->check(CLI::Range(0, 64));
  app.add_option("--sfu-loudest-audio", c.sfu.loudest_audio,
                 "in an SFU room with more microphones than this, forward only this many loudest "
                 "(0: every one)")
      ->group(sfu)
      ->check(CLI::Range(0, 100));
  app.add_option("--sfu-ip", o.sfu_ip, "address the SFU workers listen on (default: --host)")
      ->group(sfu);
  app.add_option("--sfu-port", c.sfu.port,
                 "UDP port of the first SFU worker; worker i uses port + i (0: any free port)")
      ->group(sfu);
  app.add_option("--sfu-announce", o.sfu_announce,
                 "address given to browsers as the SFU's ICE candidate (default: --sfu-ip)")
      ->group(sfu);

  auto* cluster = "Cluster (docs/cluster.md)";
  app.add_option("--cluster", o.cluster_url,
                 "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: act as one server with every node "
                 "on this Redis (PeerJS ids, relays, rooms)")
      ->group(cluster);
  app.add_option("--node-id", c.cluster.node_id,
                 "this node's name in the cluster (default: random per start)")
      ->group(cluster);
  app.add_option("--advertise", c.cluster.advertise,
                 "this node's URL as clients reach it (shown to the other nodes)")
      ->group(cluster);
  app.add_option("--cluster-password-file", o.cluster_password_file,
                 "file (mode 0600) holding the Redis password, kept out of ps")
      ->group(cluster);

  app.add_option("--log-level", c.log.level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-file", c.log.file, "append logs to this file (default: standard error)");

  if (auto done = parse_args(app, args)) return Parsed::exit(done->code, std::move(done->message));

  auto settings = server::configure_serve(std::move(o), random_secret);
  return Parsed::checked(std::move(settings.error), std::move(settings.config),
                         std::move(settings.warnings));
}

}  // namespace peerkit::app
