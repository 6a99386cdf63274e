#include "net/resolve.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "net/endpoint.h"

namespace peerkit::net {

namespace {

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.front() == '-') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

// `host` is `domain` or a name under it, in any case, with or without the final dot.
bool under_domain(std::string_view host, std::string_view domain) {
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.ends_with('.')) lower.pop_back();
  return lower == domain || (lower.size() > domain.size() && lower.ends_with(domain) &&
                             lower[lower.size() - domain.size() - 1] == '.');
}

bool under_invalid(std::string_view host) { return under_domain(host, "invalid"); }

}  // namespace

Expected<IpAddress, std::string> resolve_host(std::string_view host) {
  if (auto ip = IpAddress::parse(host)) return *ip;
  const std::string name(host);
  if (!valid_host_name(host)) return Unexpected("not a host name: \"" + name + "\"");
  if (under_invalid(host)) return Unexpected(name + ": no such host (the .invalid domain, RFC 6761)");
  // RFC 6761 §6.3: "localhost" and names under it are the loopback address, answered here
  // rather than asked of a resolver (which might send the question to the network).
  if (under_domain(host, "localhost")) return *IpAddress::parse("127.0.0.1");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &found);
  if (rc != 0) return Unexpected(name + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);
  for (const addrinfo* a = found; a; a = a->ai_next) {
    if (auto sa = from_sockaddr(a->ai_addr, a->ai_addrlen)) return sa->ip();
  }
  return Unexpected(name + ": no IPv4 or IPv6 address");
}

}  // namespace peerkit::net
