#include "turn/policy.h"

#include <charconv>

namespace peerkit::turn {
namespace {

bool less_or_equal(const IpAddress& a, const IpAddress& b) {
  const std::size_t n = a.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) {
    if (a.bytes()[i] != b.bytes()[i]) return a.bytes()[i] < b.bytes()[i];
  }
  return true;
}

std::optional<IpRange> cidr(const IpAddress& base, unsigned prefix, std::string text) {
  const unsigned bits = base.is_v4() ? 32 : 128;
  if (prefix > bits) return std::nullopt;
  auto first = base.bytes();
  auto last = base.bytes();
  for (unsigned i = 0; i < bits / 8; ++i) {
    const unsigned lo = i * 8;
    std::uint8_t mask;  // bits of this byte inside the prefix
    if (prefix >= lo + 8)
      mask = 0xFF;
    else if (prefix <= lo)
      mask = 0;
    else
      mask = static_cast<std::uint8_t>(0xFF << (8 - (prefix - lo)));
    first[i] &= mask;
    last[i] |= static_cast<std::uint8_t>(~mask);
  }
  auto make = [&](const std::array<std::uint8_t, 16>& b) {
    return base.is_v4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  };
  return IpRange{make(first), make(last), std::move(text)};
}

}  // namespace

bool IpRange::contains(const IpAddress& a) const {
  return a.family() == first.family() && less_or_equal(first, a) && less_or_equal(a, last);
}

std::optional<IpRange> parse_ip_range(std::string_view text) {
  const std::string original(text);
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto base = IpAddress::parse(text.substr(0, slash));
    unsigned prefix = 0;
    auto digits = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (!base || ec != std::errc() || p != digits.data() + digits.size() || digits.empty())
      return std::nullopt;
    return cidr(*base, prefix, original);
  }
  // "a-b"; IPv6 text never contains '-'.
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto a = IpAddress::parse(text.substr(0, dash));
    auto b = IpAddress::parse(text.substr(dash + 1));
    if (!a || !b || a->family() != b->family() || !less_or_equal(*a, *b)) return std::nullopt;
    return IpRange{*a, *b, original};
  }
  auto a = IpAddress::parse(text);
  if (!a) return std::nullopt;
  return IpRange{*a, *a, original};
}

std::optional<IpAddress> embedded_ipv4(const IpAddress& a) {
  if (!a.is_v6()) return std::nullopt;
  const auto& b = a.bytes();
  auto all_zero = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  auto v4_at = [&](int i) { return IpAddress::v4({b[i], b[i + 1], b[i + 2], b[i + 3]}); };
  if (all_zero(0, 10) && b[10] == 0xFF && b[11] == 0xFF) return v4_at(12);  // ::ffff:0:0/96
  if (all_zero(0, 12)) return v4_at(12);                                    // ::/96
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) {
    if (all_zero(4, 12)) return v4_at(12);               // 64:ff9b::/96
    if (b[4] == 0x00 && b[5] == 0x01) return v4_at(12);  // 64:ff9b:1::/48
  }
  if (b[0] == 0x20 && b[1] == 0x02) return v4_at(2);                   // 2002::/16
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) {  // 2001::/32
    return IpAddress::v4({static_cast<std::uint8_t>(~b[12]), static_cast<std::uint8_t>(~b[13]),
                          static_cast<std::uint8_t>(~b[14]), static_cast<std::uint8_t>(~b[15])});
  }
  return std::nullopt;
}

IpAddress kernel_destination(const IpAddress& a) {
  if (a.is_v6()) {
    const auto& b = a.bytes();
    bool mapped = b[10] == 0xFF && b[11] == 0xFF;
    for (int i = 0; i < 10 && mapped; ++i) mapped = b[i] == 0;
    if (mapped) return IpAddress::v4({b[12], b[13], b[14], b[15]});
  }
  return a;
}

const std::vector<std::string>& PeerPolicy::default_denied() {
  static const std::vector<std::string> list = {
      // IPv4 (RFC 6890 special-purpose registry plus multicast)
      "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
      "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
      "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
      // IPv6
      "::/96", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
      "2001::/32", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8"};
  return list;
}

PeerPolicy::PeerPolicy(PolicyOptions options) : options_(std::move(options)) {
  for (const auto& text : default_denied()) defaults_.push_back(*parse_ip_range(text));
  loopback_.push_back(*parse_ip_range("127.0.0.0/8"));
  loopback_.push_back(*parse_ip_range("::1/128"));
}

std::optional<std::string> PeerPolicy::denied_by(const IpAddress& a) const {
  for (const auto& own : options_.own_addresses)
    if (own == a) return "server address " + own.to_string();
  for (const auto& r : options_.denied)
    if (r.contains(a)) return "denied-peer-ip " + r.text;
  if (options_.deny_defaults) {
    for (const auto& r : defaults_)
      if (r.contains(a)) return "default deny " + r.text;
  }
  return std::nullopt;
}

PolicyDecision PeerPolicy::check(const IpAddress& peer) const {
  // An explicit opening applies to the address the kernel will really send to, and only to it:
  // opening 127.0.0.0/8 opens ::ffff:127.0.0.1 (the same socket destination) but not
  // 64:ff9b::7f00:1, which a NAT64 translator would carry somewhere else.
  const IpAddress dest = kernel_destination(peer);
  for (const auto& r : options_.allowed)
    if (r.contains(dest)) return {true, "allowed-peer-ip " + r.text};
  if (options_.allow_loopback) {
    for (const auto& r : loopback_)
      if (r.contains(dest)) return {true, "allow-loopback-peers"};
  }
  // A denial applies to every form: the address as given, where the kernel sends it, and the
  // IPv4 address embedded in it (so ::127.0.0.1, 2002:7f00:1:: and friends are all loopback).
  // The kernel's destination first, so the log names the range that matters (127.0.0.0/8
  // rather than ::ffff:0:0/96 for ::ffff:127.0.0.1).
  if (auto why = denied_by(dest)) return {false, *why};
  if (dest != peer) {
    if (auto why = denied_by(peer)) return {false, *why};
  }
  if (auto v4 = embedded_ipv4(peer)) {
    if (auto why = denied_by(*v4)) return {false, *why + " (embedded in " + peer.to_string() + ")"};
  }
  return {true, ""};
}

}  // namespace peerkit::turn
