#include "server/cluster_options.h"

#include <boost/url/parse.hpp>
#include <charconv>

namespace peerkit::server {

std::string RedisEndpoint::log_text() const {
  std::string out = "redis://";
  if (!username.empty() || !password.empty()) out += username + (password.empty() ? "@" : ":***@");
  const bool v6 = host.find(':') != std::string::npos;
  out += (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

Expected<RedisEndpoint, std::string> parse_redis_url(std::string_view text) {
  using Error = Unexpected<std::string>;
  // The error names the URL without its userinfo, which may carry the password.
  const auto shown = [&] {
    const auto at = text.rfind('@');
    const auto scheme_end = text.find("://");
    if (at == std::string_view::npos) return std::string(text);
    const std::string rest = "***@" + std::string(text.substr(at + 1));
    if (scheme_end == std::string_view::npos || at < scheme_end) return rest;
    return std::string(text.substr(0, scheme_end + 3)) + rest;
  };
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return Error("--cluster must be a URL like redis://HOST:PORT[/DB], got '" + shown() + "'");
  const auto& url = *parsed;
  if (url.scheme() == "rediss")
    return Error("--cluster: rediss:// (TLS) is not supported by the packaged hiredis 0.14; "
                 "reach Redis over a private network or a TLS tunnel (docs/cluster.md)");
  if (url.scheme() != "redis")
    return Error("--cluster must start with redis://, got '" + shown() + "'");
  RedisEndpoint out;
  if (url.host().empty()) return Error("--cluster URL has no host: '" + shown() + "'");
  out.host = url.host_address();  // an IPv6 literal without its brackets
  if (url.has_port()) {
    if (url.port_number() == 0) return Error("--cluster URL port must be 1-65535: '" + shown() + "'");
    out.port = url.port_number();
  }
  if (url.has_userinfo()) {
    out.username = url.user();
    out.password = url.password();
  }
  std::string_view path = url.encoded_path();
  if (!path.empty() && path != "/") {
    path.remove_prefix(1);
    unsigned db = 0;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc{} || end != path.data() + path.size())
      return Error("--cluster URL database must be a number (redis://HOST:PORT/DB), got '" +
                   std::string(path) + "'");
    out.db = db;
  }
  if (url.has_query() || url.has_fragment())
    return Error("--cluster URL takes no query or fragment: '" + shown() + "'");
  return out;
}

bool valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace peerkit::server
