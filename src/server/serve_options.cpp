#include "server/serve_options.h"

#include <algorithm>

#include <cstdio>

#include "common/random.h"
#include "net/socket_setup.h"
#include "server/http_router.h"

namespace peerkit::server {

ServeSettings configure_serve(ServeOptions options, const std::string& random_secret) {
  ServeSettings out;
  out.config = std::move(options.config);
  ServeConfig& c = out.config;
  const std::string& host = options.host;
  const std::int64_t expire_ms = options.expire_ms, alive_ms = options.alive_ms, ttl = options.ttl;
  const std::string &tls_cert = options.tls_cert, &tls_key = options.tls_key;
  const std::string &turn_ip = options.turn_ip, &turn_public_host = options.turn_public_host;
  const std::uint16_t turn_port = options.turn_port;

  auto parsed_host = IpAddress::parse(host);
  if (!parsed_host) {
    out.error = "--host must be an IP address, got '" + host + "'";
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
    out.error = "TLS needs both --cert and --cert-key";
    return out;
  }
  c.cert_file = tls_cert;
  c.key_file = tls_key;
  if (options.proxied)
    out.warnings.push_back(
        "--proxied has no effect in peerkit (nothing uses the client IP from proxies)");
  if (c.peerjs.key.empty()) {
    out.error = "--key must not be empty";
    return out;
  }

  for (const auto& origin : c.allowed_origins)
    if (normalize_origin(origin).empty()) {
      out.error = "--allow-origin must be an origin like https://example.com[:port], got '" +
                  origin + "'";
      return out;
    }

  std::vector<std::string> accepted_secrets;  // the file's lines: the first signs, all accepted
  if (!options.ice_secret_file.empty()) {
    if (!c.ice.turn_secret.empty()) {
      out.error = "give --ice-secret or --ice-secret-file, not both";
      return out;
    }
    auto secrets = load_or_create_secret_file(options.ice_secret_file, random_secret);
    if (!secrets) {
      out.error = secrets.error();
      return out;
    }
    c.ice.turn_secret = secrets->front();
    c.ice_secret_file = options.ice_secret_file;
    accepted_secrets = std::move(*secrets);
  }

  for (const auto& url : options.ice_urls) {
    if (url.starts_with("stun:") || url.starts_with("stuns:")) {
      c.ice.stun_urls.push_back(url);
    } else if (url.starts_with("turn:") || url.starts_with("turns:")) {
      if (c.ice.turn_secret.empty()) {
        out.error = "--ice-url " + url + " needs --ice-secret (credentials are REST-style)";
        return out;
      }
      c.ice.turn_urls.push_back(url);
    } else {
      out.error = "--ice-url must start with stun:, stuns:, turn: or turns:, got '" + url + "'";
      return out;
    }
  }

  if (!options.cluster_url.empty()) {
    auto redis = parse_redis_url(options.cluster_url);
    if (!redis) {
      out.error = redis.error();
      return out;
    }
    c.cluster.enabled = true;
    c.cluster.redis = std::move(*redis);
    if (!options.cluster_password_file.empty()) {
      if (!c.cluster.redis.password.empty()) {
        out.error = "give the Redis password in --cluster or --cluster-password-file, not both";
        return out;
      }
      auto lines = read_secret_file(options.cluster_password_file, "--cluster-password-file");
      if (!lines) {
        out.error = lines.error();
        return out;
      }
      c.cluster.redis.password = lines->front();
    } else if (!c.cluster.redis.password.empty()) {
      out.warnings.push_back(
          "the Redis password in --cluster is visible to ps; --cluster-password-file is not");
    }
    if (c.cluster.node_id.empty()) {
      CryptoRandom random;
      char hex[9];
      std::snprintf(hex, sizeof hex, "%08x", random.next_u32());
      c.cluster.node_id = std::string("node-") + hex;
    } else if (!valid_node_id(c.cluster.node_id)) {
      out.error = "--node-id must be 1-64 of A-Z a-z 0-9 . _ -, got '" + c.cluster.node_id + "'";
      return out;
    }
    if (!c.cluster.advertise.empty() && !c.cluster.advertise.starts_with("http://") &&
        !c.cluster.advertise.starts_with("https://")) {
      out.error = "--advertise must be this node's http:// or https:// URL, got '" +
                  c.cluster.advertise + "'";
      return out;
    }
  } else if (!c.cluster.node_id.empty() || !c.cluster.advertise.empty() ||
             !options.cluster_password_file.empty()) {
    out.error = "--node-id, --advertise and --cluster-password-file need --cluster redis://…";
    return out;
  }

  c.turn = !options.no_turn;
  if (c.turn) {
    IpAddress turn_address = c.host;
    if (!turn_ip.empty()) {
      auto parsed = IpAddress::parse(turn_ip);
      if (!parsed) {
        out.error = "--turn-ip must be an IP address, got '" + turn_ip + "'";
        return out;
      }
      turn_address = *parsed;
    }
    if (turn_address.is_unspecified()) {
      out.error =
          "the embedded TURN server needs a concrete address to relay on: add --turn-ip "
          "ADDRESS (with --host " +
          host + ") or --no-turn";
      return out;
    }
    if (!c.ice.turn_secret.empty() && !c.ice.turn_urls.empty()) {
      out.error =
          "--ice-url TURN servers and the embedded TURN server would need two secrets; "
          "add --no-turn to hand out only the external ones";
      return out;
    }
    auto& t = c.turn_config;
    t.listening_ips = {turn_address};
    t.listening_port = turn_port;
    t.tls = false;
    t.workers = options.turn_workers;
    t.realm = "peerkit";
    // A pinned secret (--ice-secret, --ice-secret-file) keeps credentials valid across restarts.
    const std::string secret = c.ice.turn_secret.empty() ? random_secret : c.ice.turn_secret;
    t.secrets = {secret};
    if (!accepted_secrets.empty()) t.secrets = accepted_secrets;  // front() == secret
    t.log = c.log;
    // Relaying to loopback is allowed only when the server itself is reachable from this
    // machine alone; otherwise the hardened default policy applies (docs/turn.md).
    t.policy.allow_loopback = turn_address.is_loopback();
    // ... and then only relay to relay (two local browsers), never to other loopback services.
    t.policy.loopback_relays_only = t.policy.allow_loopback;
    // Browsers pick channels in RFC 8656's 0x4000-0x4FFF; accepting RFC 5766's wider range too
    // keeps older clients (coturn 4.6's turnutils_uclient) working and costs nothing.
    t.server.rfc5766_channel_numbers = true;
    const std::size_t files = net::open_file_limit();
    t.total_quota = std::max<std::size_t>(16, files / 8);
    // One member of a full room (6, the web app's mesh) holds 5 connections x UDP and TCP
    // relays = 10, twice that across an ICE restart or a second network; one address holds a
    // full room's worth (an office NAT, or six tabs on one machine). docs/turn.md, "Limits".
    t.user_quota = 20;
    t.address_quota = 64;
    // Relay sockets are budgeted in descriptors (a dual-stack allocation holds two): serve's
    // share of the open-file limit, so HTTP and WebSocket clients keep theirs.
    t.relay_descriptors = t.total_quota;
    t.ipv6_limit_prefix = static_cast<std::uint8_t>(std::min(c.ipv6_limit_prefix, 128u));
    t.max_tcp_connections = std::max<std::size_t>(16, files / 32);
    c.ice.turn_secret = secret;
    const std::string h = turn_public_host.empty() ? turn_address.to_uri_host() : turn_public_host;
    const std::string port = std::to_string(turn_port);
    c.ice.stun_urls.insert(c.ice.stun_urls.begin(), "stun:" + h + ":" + port);
    c.ice.turn_urls = {"turn:" + h + ":" + port + "?transport=udp",
                       "turn:" + h + ":" + port + "?transport=tcp"};
  }
  // An SFU room's media all pass one worker of one node: across nodes rooms stay meshes
  // (docs/cluster.md).
  c.sfu.enabled = !options.no_sfu && !c.cluster.enabled;
  if (c.sfu.enabled && c.host.is_unspecified() && options.sfu_ip.empty() &&
      options.sfu_announce.empty()) {
    // A wildcard --host worked before the SFU existed; it still does, with meshes only.
    c.sfu.enabled = false;
    out.warnings.push_back("SFU rooms are off: --host " + host +
                           " is no address to give browsers; add --sfu-announce ADDRESS (how "
                           "browsers reach this machine) to turn them on");
  }
  if (c.sfu.enabled) {
    c.sfu.ip = c.host;
    if (!options.sfu_ip.empty()) {
      auto parsed = IpAddress::parse(options.sfu_ip);
      if (!parsed) {
        out.error = "--sfu-ip must be an IP address, got '" + options.sfu_ip + "'";
        return out;
      }
      c.sfu.ip = *parsed;
    }
    c.sfu.announce = c.sfu.ip;
    if (!options.sfu_announce.empty()) {
      auto parsed = IpAddress::parse(options.sfu_announce);
      if (!parsed || parsed->is_unspecified()) {
        out.error = "--sfu-announce must be the IP address browsers reach the SFU on, got '" +
                    options.sfu_announce + "'";
        return out;
      }
      c.sfu.announce = *parsed;
    }
    if (c.sfu.announce.is_unspecified()) {
      out.error = "the SFU listens on " + c.sfu.ip.to_string() +
                  ", which browsers cannot be sent to: add --sfu-announce ADDRESS, or --no-sfu";
      return out;
    }
    if (c.rooms.sfu_room_capacity <= c.rooms.sfu_threshold) {
      out.error = "--sfu-room-capacity (" + std::to_string(c.rooms.sfu_room_capacity) +
                  ") must be larger than --sfu-threshold (" +
                  std::to_string(c.rooms.sfu_threshold) + ")";
      return out;
    }
  }
  return out;
}

}  // namespace peerkit::server
