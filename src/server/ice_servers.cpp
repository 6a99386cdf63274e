#include "server/ice_servers.h"

#include <algorithm>
#include <cctype>

#include "signaling/json_frame.h"
#include "turn/credentials.h"

namespace peerkit::server {

namespace {

std::string expand(std::string url, std::string_view host) {
  constexpr std::string_view kHost = "{host}";
  for (auto at = url.find(kHost); at != std::string::npos; at = url.find(kHost, at + host.size()))
    url.replace(at, kHost.size(), host);
  return url;
}

void append_urls(std::string& out, const std::vector<std::string>& urls, std::string_view host) {
  out += R"("urls":[)";
  for (std::size_t i = 0; i < urls.size(); ++i) {
    if (i) out += ',';
    signaling::append_json_string(out, expand(urls[i], host));
  }
  out += ']';
}

}  // namespace

std::string ice_servers_json(const IceServersConfig& config, std::string_view host,
                             std::string_view member_id, std::int64_t unix_now) {
  std::string out = "[";
  if (!config.stun_urls.empty()) {
    out += '{';
    append_urls(out, config.stun_urls, host);
    out += '}';
  }
  if (!config.turn_urls.empty() && !config.turn_secret.empty()) {
    const std::string username =
        std::to_string(unix_now + config.ttl.us() / 1'000'000) + ":" + std::string(member_id);
    if (out.size() > 1) out += ',';
    out += '{';
    append_urls(out, config.turn_urls, host);
    out += R"(,"username":)";
    signaling::append_json_string(out, username);
    out += R"(,"credential":)";
    signaling::append_json_string(
        out, turn::CredentialStore::rest_password(config.turn_secret, username));
    out += '}';
  }
  out += ']';
  return out;
}

std::string host_from_header(std::string_view header) {
  std::string_view host = header;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return {};
    host = host.substr(0, close + 1);
    const bool ok = std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
    return ok && host.size() > 2 ? std::string(host) : std::string();
  }
  if (auto colon = host.find(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  if (host.empty() || host.size() > 253) return {};
  const bool ok = std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
  return ok ? std::string(host) : std::string();
}

}  // namespace peerkit::server
