// IP and transport addresses as plain values, so protocol cores can use them without linking
// Asio or touching sockaddr. Drivers convert at the edge (src/net/endpoint.h).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace peerkit {

enum class AddressFamily : std::uint8_t { kIpv4 = 4, kIpv6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v4(std::array<std::uint8_t, 4> b);
  static IpAddress v6(const std::array<std::uint8_t, 16>& b);
  // Accepts dotted IPv4 and any RFC 4291 IPv6 text form (with or without brackets).
  static std::optional<IpAddress> parse(std::string_view text);

  AddressFamily family() const { return family_; }
  bool is_v4() const { return family_ == AddressFamily::kIpv4; }
  bool is_v6() const { return family_ == AddressFamily::kIpv6; }
  // IPv4 uses the first 4 bytes; IPv6 all 16.
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::uint32_t v4_value() const;  // host order; only for IPv4
  std::string to_string() const;
  // The host part of a URL: IPv6 in brackets (RFC 3986 §3.2.2), IPv4 as it is.
  std::string to_uri_host() const { return is_v6() ? "[" + to_string() + "]" : to_string(); }
  bool is_unspecified() const;  // 0.0.0.0 or ::
  bool is_loopback() const;     // 127.0.0.0/8 or ::1

  auto operator<=>(const IpAddress&) const = default;

 private:
  AddressFamily family_ = AddressFamily::kIpv4;
  std::array<std::uint8_t, 16> bytes_{};
};

class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(IpAddress ip, std::uint16_t port) : ip_(ip), port_(port) {}
  // "1.2.3.4:5", "[::1]:5"; a bare address gets default_port.
  static std::optional<SocketAddress> parse(std::string_view text, std::uint16_t default_port = 0);

  const IpAddress& ip() const { return ip_; }
  std::uint16_t port() const { return port_; }
  AddressFamily family() const { return ip_.family(); }
  std::string to_string() const;

  auto operator<=>(const SocketAddress&) const = default;

 private:
  IpAddress ip_;
  std::uint16_t port_ = 0;
};

struct SocketAddressHash {
  std::size_t operator()(const SocketAddress& a) const noexcept;
};
struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const noexcept;
};

}  // namespace peerkit
