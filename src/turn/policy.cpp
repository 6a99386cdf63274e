#include "turn/policy.h"

namespace peerkit::turn {

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
      if (r.contains(dest)) {
        if (options_.loopback_relays_only) return {true, "loopback relays only", true};
        return {true, "allow-loopback-peers"};
      }
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
