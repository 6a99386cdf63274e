#include "peer/ice_servers.h"

#include <charconv>

namespace peerkit::peer {

namespace {

struct Url {
  ice::IceServer::Kind kind = ice::IceServer::Kind::kStun;
  bool tls = false;
  std::string_view authority, query;  // host[:port], transport=…
};

std::optional<Url> split(std::string_view url) {
  Url u;
  if (url.starts_with("stun:")) {
    url.remove_prefix(5);
  } else if (url.starts_with("turns:")) {
    u.kind = ice::IceServer::Kind::kTurn;
    u.tls = true;
    url.remove_prefix(6);
  } else if (url.starts_with("turn:")) {
    u.kind = ice::IceServer::Kind::kTurn;
    url.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  if (const auto q = url.find('?'); q != std::string_view::npos) {
    u.query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  u.authority = url;
  return u;
}

// A host name with an optional port ("example.org", "example.org:3478"); IP literals are parsed
// by SocketAddress before this is asked.
std::string_view name_of(std::string_view authority) {
  const auto colon = authority.rfind(':');
  return colon == std::string_view::npos ? authority : authority.substr(0, colon);
}

std::optional<std::uint16_t> port_of(std::string_view authority, std::uint16_t fallback) {
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) return fallback;
  const std::string_view digits = authority.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

bool is_ip_authority(std::string_view authority) {
  return SocketAddress::parse(authority, 1).has_value() || IpAddress::parse(authority).has_value();
}

}  // namespace

std::string_view ice_server_host(std::string_view url) {
  const auto u = split(url);
  if (!u || u->authority.empty() || is_ip_authority(u->authority)) return {};
  // A URL that parse_ice_server will refuse anyway is not worth a query.
  if (!port_of(u->authority, 1) || (!u->query.empty() && u->query != "transport=udp" && u->query != "transport=tcp"))
    return {};
  return name_of(u->authority);
}

ResolvedHosts resolve_ice_server_hosts(const std::vector<IceServer>& servers, const Resolver& resolve) {
  ResolvedHosts out;
  for (const auto& s : servers) {
    const std::string_view host = ice_server_host(s.url);
    if (host.empty() || out.find(host) != out.end()) continue;
    out.emplace(std::string(host), resolve(host));
  }
  return out;
}

std::variant<ice::IceServer, std::string> parse_ice_server(const IceServer& s, const ResolvedHosts& resolved) {
  const auto u = split(s.url);
  if (!u) return "SyntaxError: not a stun:, turn: or turns: URL: " + s.url;
  ice::IceServer out;
  out.kind = u->kind;
  const std::uint16_t default_port = u->tls ? 5349 : 3478;
  if (auto address = SocketAddress::parse(u->authority, default_port)) {
    out.address = *address;
  } else {
    const std::string_view host = name_of(u->authority);
    const auto port = port_of(u->authority, default_port);
    if (host.empty() || !port) return "SyntaxError: no host or a bad port in " + s.url;
    const auto r = resolved.find(host);
    if (r == resolved.end()) return "OperationError: " + std::string(host) + " was not resolved";
    if (!r->second) return "OperationError: cannot resolve " + r->second.error();
    out.address = SocketAddress(*r->second, *port);
    out.host_name = std::string(host);
  }
  out.transport = u->tls ? ice::ServerTransport::kTls : ice::ServerTransport::kUdp;
  if (u->query == "transport=tcp") out.transport = u->tls ? ice::ServerTransport::kTls : ice::ServerTransport::kTcp;
  else if (!u->query.empty() && u->query != "transport=udp") return "SyntaxError: unknown " + std::string(u->query);
  if (out.kind == ice::IceServer::Kind::kTurn) {
    if (s.username.empty() || s.credential.empty())
      return std::string("InvalidAccessError: a TURN server needs a username and a credential");
    out.username = s.username;
    out.password = s.credential;
  }
  return out;
}

}  // namespace peerkit::peer
