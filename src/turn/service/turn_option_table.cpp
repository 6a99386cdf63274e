#include "turn/service/turn_option_table.h"

#include <charconv>

#include "turn/service/coturn_config.h"

namespace peerkit::turn::option_table {
namespace {

template <class T>
std::string to_number(const std::string& v, T& out, T min, T max, const char* what) {
  long long n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < static_cast<long long>(min) ||
      n > static_cast<long long>(max))
    return std::string(what) + ": '" + v + "' is not a number from " + std::to_string(min) +
           " to " + std::to_string(max);
  out = static_cast<T>(n);
  return {};
}

Apply port(std::uint16_t TurnServiceConfig::*field, const char* what) {
  return [=](State& s, const std::string& v) {
    return to_number<std::uint16_t>(v, s.c.*field, 1, 65535, what);
  };
}

Apply seconds(Duration ServerOptions::*field, const char* what, std::int64_t min,
              std::int64_t max) {
  return [=](State& s, const std::string& v) {
    std::int64_t n = 0;
    if (auto e = to_number<std::int64_t>(v, n, min, max, what); !e.empty()) return e;
    s.c.server.*field = Duration::seconds(n);
    return std::string{};
  };
}

Apply ip_list(std::vector<IpAddress> TurnServiceConfig::*field, const char* what) {
  return [=](State& s, const std::string& v) {
    auto ip = IpAddress::parse(v);
    if (!ip) return std::string(what) + ": '" + v + "' is not an IP address";
    (s.c.*field).push_back(*ip);
    return std::string{};
  };
}

Apply range_list(std::vector<IpRange> PolicyOptions::*field, const char* what) {
  return [=](State& s, const std::string& v) {
    auto r = parse_ip_range(v);
    if (!r) return std::string(what) + ": '" + v + "' is not an IP, a-b range or CIDR";
    (s.c.policy.*field).push_back(*r);
    return std::string{};
  };
}

Apply set_bool(std::function<void(State&, bool)> f) {
  return [f](State& s, const std::string& v) {
    auto b = parse_coturn_bool(v, !v.empty());
    if (!b) return "'" + v + "' is not a boolean (use on/off, yes/no, true/false, 1/0)";
    f(s, *b);
    return std::string{};
  };
}

Apply nothing() {
  return [](State&, const std::string&) { return std::string{}; };
}

}  // namespace

const std::vector<Spec>& specs() {
  static const std::vector<Spec> table = {
      // Listeners and relays
      {"listening-port", "p", Kind::kValue, Support::kYes, "UDP and TCP port for STUN/TURN (default 3478)",
       port(&TurnServiceConfig::listening_port, "listening-port")},
      {"tls-listening-port", "", Kind::kValue, Support::kYes, "TLS port (default 5349)",
       port(&TurnServiceConfig::tls_listening_port, "tls-listening-port")},
      {"alt-listening-port", "", Kind::kValue, Support::kYes, "RFC 5780 alternate port (default listening-port + 1)",
       port(&TurnServiceConfig::alt_listening_port, "alt-listening-port")},
      {"alt-tls-listening-port", "", Kind::kValue, Support::kIgnored, "not used (no RFC 5780 over TLS)", nothing()},
      {"listening-ip", "L", Kind::kValue, Support::kYes,
       "address to listen on; repeat for several (default 127.0.0.1 — unlike coturn, never every address unasked)",
       ip_list(&TurnServiceConfig::listening_ips, "listening-ip")},
      {"relay-ip", "E", Kind::kValue, Support::kYes, "address relay sockets bind to; repeat for several (default: the listening addresses)",
       ip_list(&TurnServiceConfig::relay_ips, "relay-ip")},
      {"external-ip", "X", Kind::kValue, Support::kYes,
       "public address announced for relays behind NAT: PUBLIC or PUBLIC/PRIVATE; repeat per relay address",
       [](State& s, const std::string& v) {
         const auto slash = v.find('/');
         auto pub = IpAddress::parse(v.substr(0, slash));
         if (!pub) return "external-ip: '" + v + "' is not PUBLIC or PUBLIC/PRIVATE";
         ExternalMapping m{*pub, std::nullopt};
         if (slash != std::string::npos) {
           m.private_ip = IpAddress::parse(v.substr(slash + 1));
           if (!m.private_ip) return "external-ip: '" + v + "' is not PUBLIC or PUBLIC/PRIVATE";
           // coturn allows relaying to the private side of its own mapping.
           s.c.policy.allowed.push_back(*parse_ip_range(m.private_ip->to_string()));
         }
         s.c.server.external_ips.push_back(m);
         return std::string{};
       }},
      {"min-port", "", Kind::kValue, Support::kYes, "lowest relay port (default 49152)",
       port(&TurnServiceConfig::min_port, "min-port")},
      {"max-port", "", Kind::kValue, Support::kYes, "highest relay port (default 65535)",
       port(&TurnServiceConfig::max_port, "max-port")},
      {"relay-threads", "m", Kind::kValue, Support::kYes, "worker threads, each with its own listeners (default: one per core; 0 = 1)",
       [](State& s, const std::string& v) {
         auto e = to_number<unsigned>(v, s.c.workers, 0, 128, "relay-threads");
         if (e.empty() && s.c.workers == 0) s.c.workers = 1;
         return e;
       }},
      {"cpus", "", Kind::kValue, Support::kIgnored, "not used (see relay-threads)", nothing()},
      {"no-udp", "", Kind::kFlag, Support::kYes, "no UDP client listener",
       set_bool([](State& s, bool b) { s.c.udp = !b; })},
      {"no-tcp", "", Kind::kFlag, Support::kYes, "no TCP client listener",
       set_bool([](State& s, bool b) { s.c.tcp = !b; })},
      {"no-tls", "", Kind::kFlag, Support::kYes, "no TLS client listener",
       set_bool([](State& s, bool b) { s.c.tls = !b; })},
      {"no-dtls", "", Kind::kFlag, Support::kYes, "accepted: peerkit has no DTLS client listener", nothing()},
      {"dtls", "", Kind::kFlag, Support::kIgnored, "not supported: TURN over DTLS", nothing()},
      {"no-udp-relay", "", Kind::kFlag, Support::kIgnored, "not supported: UDP relay is the only relay", nothing()},
      {"no-tcp-relay", "", Kind::kFlag, Support::kYes, "accepted: RFC 6062 TCP relay is never offered", nothing()},
      {"sock-buf-size", "", Kind::kValue, Support::kYes, "listener socket buffer bytes (default 4194304)",
       [](State& s, const std::string& v) { return to_number<int>(v, s.c.listener_buffer_bytes, 65536, 1 << 30, "sock-buf-size"); }},
      {"relay-sock-buf-size", "", Kind::kValue, Support::kYes, "peerkit: relay socket buffer bytes, sized for bursty video (default 1048576)",
       [](State& s, const std::string& v) { return to_number<int>(v, s.c.relay_buffer_bytes, 16384, 1 << 30, "relay-sock-buf-size"); }},
      {"rfc5780", "", Kind::kFlag, Support::kYes, "RFC 5780 NAT behaviour discovery (needs two listening-ip of one family)",
       set_bool([](State& s, bool b) { s.c.rfc5780 = b; })},
      {"allocation-default-address-family", "A", Kind::kValue, Support::kYes, "relay family when the client does not ask: ipv4 or ipv6 (default ipv4)",
       [](State& s, const std::string& v) {
         if (v == "ipv4") s.c.server.default_family = AddressFamily::kIpv4;
         else if (v == "ipv6") s.c.server.default_family = AddressFamily::kIpv6;
         else return "allocation-default-address-family: '" + v + "' is not ipv4 or ipv6 ('keep' is not supported)";
         return std::string{};
       }},

      // Authentication
      {"realm", "r", Kind::kValue, Support::kYes, "realm of the long-term credentials (default: this host's name)",
       [](State& s, const std::string& v) {
         if (v.empty() || v.size() > 127) return std::string("realm: must be 1 to 127 characters");
         s.c.realm = v;
         return std::string{};
       }},
      {"user", "u", Kind::kValue, Support::kYes, "static user NAME:PASSWORD or NAME:0x<hex MD5 key as turnadmin -k prints>; repeat",
       [](State& s, const std::string& v) {
         auto u = parse_static_user(v);
         if (!u) return std::string("user: expected NAME:PASSWORD or NAME:0x<32 hex digits>");
         s.c.users.push_back(*u);
         return std::string{};
       }},
      {"lt-cred-mech", "a", Kind::kFlag, Support::kYes, "long-term credentials (on whenever users or secrets are given)",
       set_bool([](State&, bool) {})},
      {"use-auth-secret", "", Kind::kFlag, Support::kYes, "TURN REST API credentials from static-auth-secret",
       set_bool([](State& s, bool b) { s.use_auth_secret = b; })},
      {"static-auth-secret", "", Kind::kValue, Support::kYes, "TURN REST API shared secret; repeat to rotate (every one is accepted)",
       [](State& s, const std::string& v) {
         if (v.empty()) return std::string("static-auth-secret: empty secret");
         s.c.secrets.push_back(v);
         return std::string{};
       }},
      {"rest-api-separator", "C", Kind::kValue, Support::kYes, "separator between expiry and user in REST usernames (default ':')",
       [](State& s, const std::string& v) {
         if (v.size() != 1) return std::string("rest-api-separator: one character");
         s.c.rest_separator = v[0];
         return std::string{};
       }},
      {"no-auth", "z", Kind::kFlag, Support::kYes, "anonymous TURN: anyone may allocate (never the default)",
       set_bool([](State& s, bool b) { s.c.server.no_auth = b; })},
      {"stale-nonce", "", Kind::kValue, Support::kYes, "nonce lifetime in seconds (default 600; 0 = one day)",
       [](State& s, const std::string& v) {
         std::int64_t n = 0;
         if (auto e = to_number<std::int64_t>(v, n, 0, 86400 * 30, "stale-nonce"); !e.empty()) return e;
         s.c.server.nonce_lifetime = Duration::seconds(n == 0 ? 86400 : n);
         return std::string{};
       }},
      {"stateless-nonce", "", Kind::kFlag, Support::kYes, "accepted: peerkit's nonces are always stateless", nothing()},
      {"secure-stun", "", Kind::kFlag, Support::kYes, "require credentials for STUN Binding too",
       set_bool([](State& s, bool b) { s.c.server.secure_stun = b; })},
      {"userdb", "b", Kind::kValue, Support::kIgnored, "not supported: use user= or static-auth-secret=", nothing()},
      {"psql-userdb", "", Kind::kValue, Support::kIgnored, "not supported", nothing()},
      {"mysql-userdb", "", Kind::kValue, Support::kIgnored, "not supported", nothing()},
      {"mongo-userdb", "", Kind::kValue, Support::kIgnored, "not supported", nothing()},
      {"redis-userdb", "", Kind::kValue, Support::kIgnored, "not supported", nothing()},
      {"redis-statsdb", "O", Kind::kValue, Support::kIgnored, "not supported", nothing()},
      {"oauth", "", Kind::kFlag, Support::kIgnored, "not supported: OAuth (RFC 7635)", nothing()},
      {"server-name", "", Kind::kValue, Support::kIgnored, "not supported (OAuth)", nothing()},

      // TLS
      {"cert", "", Kind::kValue, Support::kYes, "PEM certificate chain for TLS (reloaded on SIGUSR2)",
       [](State& s, const std::string& v) { s.c.cert_file = v; return std::string{}; }},
      {"pkey", "", Kind::kValue, Support::kYes, "PEM private key for TLS",
       [](State& s, const std::string& v) { s.c.key_file = v; return std::string{}; }},
      {"pkey-pwd", "", Kind::kValue, Support::kIgnored, "not supported: use an unencrypted key file readable only by the server", nothing()},
      {"cipher-list", "", Kind::kValue, Support::kIgnored, "ignored: OpenSSL's default TLS 1.2+ suites", nothing()},
      {"ec-curve-name", "", Kind::kValue, Support::kIgnored, "ignored: OpenSSL chooses", nothing()},
      {"dh-file", "", Kind::kValue, Support::kIgnored, "ignored", nothing()},
      {"CA-file", "", Kind::kValue, Support::kIgnored, "not supported: client certificates", nothing()},

      // Relay policy
      {"denied-peer-ip", "", Kind::kValue, Support::kYes, "deny peers in IP, A-B or CIDR; repeat",
       range_list(&PolicyOptions::denied, "denied-peer-ip")},
      {"allowed-peer-ip", "", Kind::kValue, Support::kYes, "allow peers in IP, A-B or CIDR even if denied by default; repeat",
       range_list(&PolicyOptions::allowed, "allowed-peer-ip")},
      {"allow-loopback-peers", "", Kind::kFlag, Support::kYes, "allow relaying to 127.0.0.0/8 and ::1 (dangerous)",
       set_bool([](State& s, bool b) { s.c.policy.allow_loopback = b; })},
      {"no-multicast-peers", "", Kind::kFlag, Support::kYes, "accepted: multicast peers are always denied", nothing()},
      {"server-relay", "", Kind::kFlag, Support::kIgnored, "refused: disabling the permission check is not offered", nothing()},

      // Quotas and lifetimes
      {"user-quota", "q", Kind::kValue, Support::kYes, "concurrent allocations per user (default 0 = unlimited)",
       [](State& s, const std::string& v) { return to_number<std::size_t>(v, s.c.user_quota, 0, 1'000'000, "user-quota"); }},
      {"address-quota", "", Kind::kValue, Support::kYes, "peerkit: concurrent allocations per client address, IPv6 per ipv6-limit-prefix (default 0 = unlimited; coturn has no such option)",
       [](State& s, const std::string& v) { return to_number<std::size_t>(v, s.c.address_quota, 0, 1'000'000, "address-quota"); }},
      {"ipv6-limit-prefix", "", Kind::kValue, Support::kYes, "peerkit: IPv6 clients count per this prefix in every per-address limit (default 64)",
       [](State& s, const std::string& v) { return to_number<std::uint8_t>(v, s.c.ipv6_limit_prefix, 1, 128, "ipv6-limit-prefix"); }},
      {"total-quota", "Q", Kind::kValue, Support::kYes, "concurrent allocations in total (default: what the ports and open-file limit allow)",
       [](State& s, const std::string& v) { return to_number<std::size_t>(v, s.c.total_quota, 0, 10'000'000, "total-quota"); }},
      {"max-bps", "s", Kind::kValue, Support::kYes, "bytes per second per allocation and direction (default 0 = unlimited)",
       [](State& s, const std::string& v) { return to_number<std::uint64_t>(v, s.c.server.max_bps, 0, 1ull << 40, "max-bps"); }},
      {"bps-capacity", "B", Kind::kValue, Support::kIgnored, "not supported", nothing()},
      {"max-allocate-lifetime", "", Kind::kValue, Support::kYes, "longest allocation lifetime in seconds (default 3600)",
       seconds(&ServerOptions::max_lifetime, "max-allocate-lifetime", 600, 86400)},
      {"channel-lifetime", "", Kind::kValue, Support::kYes, "channel binding lifetime in seconds (default 600)",
       seconds(&ServerOptions::channel_lifetime, "channel-lifetime", 60, 86400)},
      {"permission-lifetime", "", Kind::kValue, Support::kYes, "permission lifetime in seconds (default 300)",
       seconds(&ServerOptions::permission_lifetime, "permission-lifetime", 30, 86400)},
      {"max-allocate-timeout", "", Kind::kValue, Support::kYes, "seconds a TCP/TLS client has to allocate before it is closed (default 20; coturn: 60)",
       [](State& s, const std::string& v) {
         std::int64_t n = 0;
         auto e = to_number<std::int64_t>(v, n, 1, 3600, "max-allocate-timeout");
         s.c.allocate_timeout = Duration::seconds(n);
         return e;
       }},
      {"max-permissions-per-allocation", "", Kind::kValue, Support::kYes, "peerkit: permissions per allocation (default 64)",
       [](State& s, const std::string& v) { return to_number<std::size_t>(v, s.c.server.max_permissions_per_allocation, 1, 1024, "max-permissions-per-allocation"); }},
      {"max-channels-per-allocation", "", Kind::kValue, Support::kYes, "peerkit: channel bindings per allocation (default 64)",
       [](State& s, const std::string& v) { return to_number<std::size_t>(v, s.c.server.max_channels_per_allocation, 1, 4096, "max-channels-per-allocation"); }},
      {"max-tcp-connections", "", Kind::kValue, Support::kYes, "peerkit: TCP/TLS client connections per worker (default: a quarter of the open-file limit, shared by workers)",
       [](State& s, const std::string& v) { return to_number<std::size_t>(v, s.c.max_tcp_connections, 1, 1'000'000, "max-tcp-connections"); }},
      {"max-tcp-connections-per-ip", "", Kind::kValue, Support::kYes, "peerkit: TCP/TLS client connections per client address, all workers (IPv6: per ipv6-limit-prefix; default 16; 0 = unlimited)",
       [](State& s, const std::string& v) { return to_number<std::size_t>(v, s.c.max_tcp_connections_per_ip, 0, 1'000'000, "max-tcp-connections-per-ip"); }},
      {"unauthorized-ratelimit", "", Kind::kFlag, Support::kYes, "limit unauthenticated answers per source IP (always on in peerkit; 'off' disables)",
       set_bool([](State& s, bool b) { if (!b) s.c.server.unauthorized_rate = 0; })},
      {"unauthorized-ratelimit-rps", "", Kind::kValue, Support::kYes, "unauthenticated answers per second per client address, all workers, IPv6 per ipv6-limit-prefix (default 100, burst 2x)",
       [](State& s, const std::string& v) {
         auto e = to_number<std::uint32_t>(v, s.c.server.unauthorized_rate, 1, 1'000'000, "unauthorized-ratelimit-rps");
         s.c.server.unauthorized_burst = s.c.server.unauthorized_rate * 2;
         return e;
       }},

      // Responses
      {"fingerprint", "f", Kind::kFlag, Support::kYes, "add FINGERPRINT to every answer (always added when the request had one)",
       set_bool([](State& s, bool b) { s.c.server.fingerprint = b; })},
      {"software-attribute", "", Kind::kFlag, Support::kYes, "send a SOFTWARE attribute (off: it only helps attackers and amplifiers)",
       set_bool([](State& s, bool b) { s.c.server.software = b ? "peerkit" : ""; })},
      {"include-reason-string", "", Kind::kFlag, Support::kYes, "send reason phrases with error codes (off: smaller answers)",
       set_bool([](State& s, bool b) { s.c.server.include_reason_phrase = b; })},
      {"rfc5766-channel-numbers", "", Kind::kFlag, Support::kYes,
       "accept channel numbers up to 0x7FFE (RFC 5766) as older clients use, not only RFC 8656's 0x4000-0x4FFF",
       set_bool([](State& s, bool b) { s.c.server.rfc5766_channel_numbers = b; })},
      {"stun-only", "S", Kind::kFlag, Support::kYes, "STUN Binding only, no TURN",
       set_bool([](State& s, bool b) { s.c.server.stun_only = b; })},
      {"no-stun", "", Kind::kFlag, Support::kYes, "TURN only, no STUN Binding answers",
       set_bool([](State& s, bool b) { s.c.server.no_stun = b; })},

      // Operations
      {"log-file", "l", Kind::kValue, Support::kYes, "log to this file ('stdout' or '-' for standard error)",
       [](State& s, const std::string& v) { s.c.log.file = v == "syslog" ? "" : v; return std::string{}; }},
      {"verbose", "v", Kind::kFlag, Support::kYes, "debug logging",
       set_bool([](State& s, bool b) { if (b) s.c.log.level = "debug"; })},
      {"Verbose", "V", Kind::kFlag, Support::kYes, "trace logging",
       set_bool([](State& s, bool b) { if (b) s.c.log.level = "trace"; })},
      {"log-level", "", Kind::kValue, Support::kYes, "peerkit: trace, debug, info, warn or error (default info)",
       [](State& s, const std::string& v) { s.c.log.level = v; return std::string{}; }},
      {"no-stdout-log", "", Kind::kFlag, Support::kYes, "accepted", nothing()},
      {"simple-log", "", Kind::kFlag, Support::kYes, "accepted: peerkit always logs to one file", nothing()},
      {"new-log-timestamp", "", Kind::kFlag, Support::kYes, "accepted: timestamps are ISO 8601", nothing()},
      {"new-log-timestamp-format", "", Kind::kValue, Support::kIgnored, "ignored", nothing()},
      {"log-binding", "", Kind::kFlag, Support::kIgnored, "ignored", nothing()},
      {"syslog", "", Kind::kFlag, Support::kIgnored, "not supported: run under systemd and read the journal", nothing()},
      {"prometheus", "", Kind::kFlag, Support::kYes, "serve Prometheus metrics (off by default)",
       set_bool([](State& s, bool b) { s.c.prometheus = b; })},
      {"prometheus-port", "", Kind::kValue, Support::kYes, "metrics port (default 9641)",
       port(&TurnServiceConfig::prometheus_port, "prometheus-port")},
      {"prometheus-address", "", Kind::kValue, Support::kYes, "metrics address (default 127.0.0.1)",
       [](State& s, const std::string& v) {
         if (!IpAddress::parse(v)) return "prometheus-address: '" + v + "' is not an IP address";
         s.c.prometheus_address = v;
         return std::string{};
       }},
      {"prometheus-path", "", Kind::kValue, Support::kYes, "metrics path (default /metrics)",
       [](State& s, const std::string& v) {
         if (v.empty() || v[0] != '/') return std::string("prometheus-path: must start with /");
         s.c.prometheus_path = v;
         return std::string{};
       }},
      {"pidfile", "", Kind::kValue, Support::kYes, "write the process id to this file",
       [](State& s, const std::string& v) { s.c.pid_file = v; return std::string{}; }},
      {"proc-user", "", Kind::kValue, Support::kIgnored, "not supported: start as the user you want (systemd User=)", nothing()},
      {"proc-group", "", Kind::kValue, Support::kIgnored, "not supported: start as the group you want", nothing()},
      {"no-cli", "", Kind::kFlag, Support::kYes, "accepted: peerkit has no telnet CLI", nothing()},
      {"cli-ip", "", Kind::kValue, Support::kIgnored, "peerkit has no telnet CLI", nothing()},
      {"cli-port", "", Kind::kValue, Support::kIgnored, "peerkit has no telnet CLI", nothing()},
      {"cli-password", "", Kind::kValue, Support::kIgnored, "peerkit has no telnet CLI", nothing()},
      {"web-admin", "", Kind::kFlag, Support::kIgnored, "peerkit has no web admin", nothing()},
      {"mobility", "", Kind::kFlag, Support::kIgnored, "not supported: RFC 8016", nothing()},
      {"alternate-server", "", Kind::kValue, Support::kIgnored, "not supported", nothing()},
      {"udp-recvmmsg", "", Kind::kFlag, Support::kYes, "accepted: recvmmsg/sendmmsg are always used", nothing()},
      {"check-origin-consistency", "", Kind::kFlag, Support::kIgnored, "ignored", nothing()},
      {"no-rfc5780", "", Kind::kFlag, Support::kYes, "accepted: RFC 5780 is off unless rfc5780 is given", nothing()},
      // Removed from coturn; kept so old configuration files still start.
      {"no-loopback-peers", "", Kind::kFlag, Support::kRemoved, "removed in coturn 4.5.1 (loopback is denied by default)", nothing()},
      {"no-tlsv1", "", Kind::kFlag, Support::kRemoved, "removed (TLS 1.2 is the minimum)", nothing()},
      {"no-tlsv1_1", "", Kind::kFlag, Support::kRemoved, "removed (TLS 1.2 is the minimum)", nothing()},
      {"no-tlsv1_2", "", Kind::kFlag, Support::kRemoved, "removed", nothing()},
      {"no-stun-backward-compatibility", "", Kind::kFlag, Support::kRemoved, "removed (classic STUN is never answered)", nothing()},
      {"no-software-attribute", "", Kind::kFlag, Support::kRemoved, "removed (no SOFTWARE is the default)", nothing()},
      {"stun-backward-compatibility", "", Kind::kFlag, Support::kIgnored, "not supported", nothing()},
      {"keep-address-family", "K", Kind::kFlag, Support::kRemoved, "removed", nothing()},
  };
  return table;
}

const Spec* find_spec(std::string_view key) {
  for (const auto& s : specs())
    if (key == s.name) return &s;
  return nullptr;
}

}  // namespace peerkit::turn::option_table
