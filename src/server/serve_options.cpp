#include "server/serve_options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "net/socket_setup.h"

namespace peerkit::server {

ServeCommandLine parse_serve_command_line(const std::vector<std::string>& args,
                                          const std::string& random_secret) {
  ServeCommandLine out;
  ServeConfig& c = out.config;
  CLI::App app(
      "peerkit serve: PeerJS-compatible signaling, the rooms protocol on /ws, the web "
      "app, and an embedded STUN/TURN server. Defaults bind 127.0.0.1 only.",
      args.empty() ? "peerkit serve" : args[0]);
  app.option_defaults()->always_capture_default();
  app.get_formatter()->column_width(38);

  std::string host = "127.0.0.1";
  if (const char* env = std::getenv("PORT"); env && *env) c.port = std::atoi(env);
  if (const char* env = std::getenv("PEERSERVER_PATH"); env && *env) c.path = env;
  std::int64_t expire_ms = 5000, alive_ms = 90000;
  bool proxied = false;
  std::string tls_cert, tls_key;

  app.add_option("-H,--host", host, "address to listen on (HTTP, WebSocket, and TURN)");
  app.add_option("-p,--port", c.port, "HTTP/WebSocket port (env PORT)");
  app.add_option("--path", c.path,
                 "PeerServer base path; the PeerJS socket is <path>peerjs (env PEERSERVER_PATH)");
  app.add_option("-k,--key", c.peerjs.key, "PeerJS API key clients must send");
  app.add_option("-t,--expire_timeout", expire_ms,
                 "ms before queued messages to an absent id expire")
      ->check(CLI::Range(100, 3'600'000));
  app.add_option("--alive_timeout", alive_ms,
                 "ms without HEARTBEAT before a PeerJS client is dropped")
      ->check(CLI::Range(1000, 86'400'000));
  app.add_option("-c,--concurrent_limit", c.peerjs.concurrent_limit,
                 "maximum registered PeerJS ids");
  app.add_flag("--allow_discovery", c.peerjs.allow_discovery, "serve GET <path><key>/peers");
  app.add_option("--cors", c.cors_origins, "allowed Origins for the HTTP API (default: any)");
  app.add_flag("--proxied", proxied, "accepted for PeerServer compatibility; has no effect");
  app.add_option("--cert,--sslcert", tls_cert, "TLS certificate chain (PEM): serve https and wss");
  app.add_option("--cert-key,--tls-key,--sslkey", tls_key, "TLS private key (PEM)");
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
  bool no_turn = false;
  std::uint16_t turn_port = 3478;
  std::string turn_ip, turn_public_host;
  unsigned turn_workers = 1;
  std::int64_t ttl = 43200;
  std::vector<std::string> ice_urls;
  app.add_flag("--no-turn", no_turn, "do not start the embedded STUN/TURN server")->group(ice);
  app.add_option("--turn-port", turn_port, "embedded STUN/TURN port (UDP and TCP)")->group(ice);
  app.add_option("--turn-ip", turn_ip,
                 "address the embedded TURN server listens and relays on (default: --host)")
      ->group(ice);
  app.add_option("--turn-public-host", turn_public_host,
                 "host name or address browsers use to reach the embedded TURN server")
      ->group(ice);
  app.add_option("--turn-workers", turn_workers, "threads of the embedded TURN server")
      ->group(ice)
      ->check(CLI::Range(1, 64));
  app.add_option(
         "--ice-url", ice_urls,
         "extra stun:/turn:/turns: URL to hand out (repeatable; turn URLs need --ice-secret)")
      ->group(ice);
  app.add_option("--ice-secret", c.ice.turn_secret,
                 "REST secret (coturn static-auth-secret) of the --ice-url TURN servers")
      ->group(ice);
  app.add_option("--ice-ttl", ttl, "seconds TURN credentials stay valid")
      ->group(ice)
      ->check(CLI::Range(60, 7 * 86400));

  app.add_option("--log-level", c.log.level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-file", c.log.file, "append logs to this file (default: standard error)");

  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    out.outcome = ServeCommandLine::Outcome::kHelp;
    out.message = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.message = e.what();
    return out;
  }

  auto parsed_host = IpAddress::parse(host);
  if (!parsed_host) {
    out.message = "--host must be an IP address, got '" + host + "'";
    return out;
  }
  c.host = *parsed_host;
  c.peerjs.expire_timeout = Duration::millis(expire_ms);
  c.peerjs.alive_timeout = Duration::millis(alive_ms);
  c.rooms.messages_per_second = c.peerjs.messages_per_second;
  c.rooms.message_burst = c.peerjs.message_burst;
  c.rooms.max_message_bytes = c.max_frame_bytes;
  c.ice.ttl = Duration::seconds(ttl);
  if (tls_cert.empty() != tls_key.empty()) {
    out.message = "TLS needs both --cert and --cert-key";
    return out;
  }
  c.cert_file = tls_cert;
  c.key_file = tls_key;
  if (proxied)
    out.warnings.push_back(
        "--proxied has no effect in peerkit (nothing uses the client IP from proxies)");
  if (c.peerjs.key.empty()) {
    out.message = "--key must not be empty";
    return out;
  }

  for (const auto& url : ice_urls) {
    if (url.starts_with("stun:") || url.starts_with("stuns:")) {
      c.ice.stun_urls.push_back(url);
    } else if (url.starts_with("turn:") || url.starts_with("turns:")) {
      if (c.ice.turn_secret.empty()) {
        out.message = "--ice-url " + url + " needs --ice-secret (credentials are REST-style)";
        return out;
      }
      c.ice.turn_urls.push_back(url);
    } else {
      out.message = "--ice-url must start with stun:, stuns:, turn: or turns:, got '" + url + "'";
      return out;
    }
  }

  c.turn = !no_turn;
  if (c.turn) {
    IpAddress turn_address = c.host;
    if (!turn_ip.empty()) {
      auto parsed = IpAddress::parse(turn_ip);
      if (!parsed) {
        out.message = "--turn-ip must be an IP address, got '" + turn_ip + "'";
        return out;
      }
      turn_address = *parsed;
    }
    if (turn_address.is_unspecified()) {
      out.message =
          "the embedded TURN server needs a concrete address to relay on: add --turn-ip "
          "ADDRESS (with --host " +
          host + ") or --no-turn";
      return out;
    }
    if (!c.ice.turn_secret.empty() && !c.ice.turn_urls.empty()) {
      out.message =
          "--ice-url TURN servers and the embedded TURN server would need two secrets; "
          "add --no-turn to hand out only the external ones";
      return out;
    }
    auto& t = c.turn_config;
    t.listening_ips = {turn_address};
    t.listening_port = turn_port;
    t.tls = false;
    t.workers = turn_workers;
    t.realm = "peerkit";
    t.secrets = {random_secret};
    t.log = c.log;
    // Relaying to loopback is allowed only when the server itself is reachable from this
    // machine alone; otherwise the hardened default policy applies (docs/turn.md).
    t.policy.allow_loopback = turn_address.is_loopback();
    // Browsers pick channels in RFC 8656's 0x4000-0x4FFF; accepting RFC 5766's wider range too
    // keeps older clients (coturn 4.6's turnutils_uclient) working and costs nothing.
    t.server.rfc5766_channel_numbers = true;
    const std::size_t files = net::open_file_limit();
    t.total_quota = std::max<std::size_t>(16, files / 8);
    t.max_tcp_connections = std::max<std::size_t>(16, files / 32);
    c.ice.turn_secret = random_secret;
    const std::string h = turn_public_host.empty() ? turn_address.to_uri_host() : turn_public_host;
    const std::string port = std::to_string(turn_port);
    c.ice.stun_urls.insert(c.ice.stun_urls.begin(), "stun:" + h + ":" + port);
    c.ice.turn_urls = {"turn:" + h + ":" + port + "?transport=udp",
                       "turn:" + h + ":" + port + "?transport=tcp"};
  }
  out.outcome = ServeCommandLine::Outcome::kRun;
  return out;
}

}  // namespace peerkit::server
