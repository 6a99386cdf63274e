// Which peers a TURN allocation may talk to. RFC 8656 §21 leaves relay policy to the server;
// peerkit denies by default every range in ../../docs/turn.md ("Relay policy"), which is the
// union of coturn's, eturnal's and the advisories' lists (CVE-2018-4058, CVE-2020-26262,
// CVE-2026-27624), and checks every textual form of a peer address that the kernel or a
// translator could turn into a denied one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.h"

namespace peerkit::turn {

struct IpRange {
  IpAddress first;
  IpAddress last;  // same family as first, last >= first
  std::string text;

  bool contains(const IpAddress& a) const;
};

// "192.0.2.1", "10.0.0.1-10.0.0.9" (coturn's syntax), "10.0.0.0/8", "fe80::/10".
std::optional<IpRange> parse_ip_range(std::string_view text);

// The IPv4 address a peer address stands for:
//  - IPv4-mapped ::ffff:a.b.c.d (the kernel sends to a.b.c.d through a dual-stack socket)
//  - IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1)
//  - NAT64 64:ff9b::/96 (RFC 6052) and 64:ff9b:1::/48 (RFC 8215, /96 layout assumed)
//  - 6to4 2002:AABB:CCDD::/16 (RFC 3056)
//  - Teredo 2001:0::/32, client address obfuscated in the low 32 bits (RFC 4380 §4)
std::optional<IpAddress> embedded_ipv4(const IpAddress& a);
// The address the kernel actually sends to: IPv4-mapped addresses become IPv4.
IpAddress kernel_destination(const IpAddress& a);

struct PolicyOptions {
  bool deny_defaults = true;     // the built-in deny list
  bool allow_loopback = false;   // allow-loopback-peers: opens 127.0.0.0/8 and ::1
  std::vector<IpRange> allowed;  // allowed-peer-ip: explicit opening, wins over every denial
  std::vector<IpRange> denied;   // denied-peer-ip
  std::vector<IpAddress> own_addresses;  // listening, relay, external and admin addresses
};

struct PolicyDecision {
  bool allowed = false;
  std::string rule;  // the range that decided, for the 403 log line
};

class PeerPolicy {
 public:
  explicit PeerPolicy(PolicyOptions options = {});
  PolicyDecision check(const IpAddress& peer) const;
  const PolicyOptions& options() const { return options_; }

  // The default deny list, as range texts (documented in docs/turn.md).
  static const std::vector<std::string>& default_denied();

 private:
  std::optional<std::string> denied_by(const IpAddress& a) const;

  PolicyOptions options_;
  std::vector<IpRange> defaults_;
  std::vector<IpRange> loopback_;
};

}  // namespace peerkit::turn
