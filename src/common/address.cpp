#include "common/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace peerkit {

IpAddress IpAddress::v4(std::uint32_t host_order) {
  return v4({static_cast<std::uint8_t>(host_order >> 24),
             static_cast<std::uint8_t>(host_order >> 16),
             static_cast<std::uint8_t>(host_order >> 8), static_cast<std::uint8_t>(host_order)});
}

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> b) {
  IpAddress a;
  a.family_ = AddressFamily::kIpv4;
  std::memcpy(a.bytes_.data(), b.data(), 4);
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& b) {
  IpAddress a;
  a.family_ = AddressFamily::kIpv6;
  a.bytes_ = b;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 63) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET, buf, b.data()) == 1) return v4({b[0], b[1], b[2], b[3]});
  if (inet_pton(AF_INET6, buf, b.data()) == 1) return v6(b);
  return std::nullopt;
}

std::uint32_t IpAddress::v4_value() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | bytes_[3];
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<SocketAddress> SocketAddress::parse(std::string_view text,
                                                  std::uint16_t default_port) {
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
    }
  } else if (text.find(':') == text.rfind(':') && text.find(':') != std::string_view::npos) {
    host = text.substr(0, text.find(':'));  // exactly one colon: IPv4 with a port
    port_text = text.substr(text.find(':') + 1);
  }
  auto ip = IpAddress::parse(host);
  if (!ip) return std::nullopt;
  std::uint32_t port = default_port;
  if (!port_text.empty()) {
    if (port_text.size() > 5) return std::nullopt;
    port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (port > 65535) return std::nullopt;
  }
  return SocketAddress(*ip, static_cast<std::uint16_t>(port));
}

std::string SocketAddress::to_string() const {
  if (ip_.is_v6()) return "[" + ip_.to_string() + "]:" + std::to_string(port_);
  return ip_.to_string() + ":" + std::to_string(port_);
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const noexcept {
  // FNV-1a over the significant bytes; addresses are not attacker-chosen keys of unbounded maps
  // here (all maps keyed by address are bounded by named limits).
  std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint8_t>(a.family());
  const std::size_t n = a.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) h = (h ^ a.bytes()[i]) * 1099511628211ull;
  return static_cast<std::size_t>(h);
}

std::size_t SocketAddressHash::operator()(const SocketAddress& a) const noexcept {
  return IpAddressHash{}(a.ip()) * 31 + a.port();
}

bool IpAddress::is_unspecified() const {
  const std::size_t n = is_v4() ? 4 : 16;
  return std::all_of(bytes_.begin(), bytes_.begin() + n, [](std::uint8_t b) { return b == 0; });
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  return std::all_of(bytes_.begin(), bytes_.begin() + 15, [](std::uint8_t b) { return b == 0; }) &&
         bytes_[15] == 1;
}

}  // namespace peerkit
