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
#include "common/ip_range.h"

namespace peerkit::turn {

struct PolicyOptions {
  bool deny_defaults = true;    // the built-in deny list
  bool allow_loopback = false;  // allow-loopback-peers: opens 127.0.0.0/8 and ::1
  // With allow_loopback: a loopback peer must also be one of this server's own relayed
  // transport addresses (relay to relay, what two local browsers need), never another loopback
  // port. `peerkit serve` on loopback sets it; the Server checks it against its RelayDirectory.
  bool loopback_relays_only = false;
  std::vector<IpRange> allowed;  // allowed-peer-ip: explicit opening, wins over every denial
  std::vector<IpRange> denied;   // denied-peer-ip
  std::vector<IpAddress> own_addresses;  // listening, relay, external and admin addresses
};

struct PolicyDecision {
  bool allowed = false;
  std::string rule;  // the range that decided, for the 403 log line
  // Allowed only if the peer (IP and port) is one of this server's relayed transport addresses.
  bool own_relays_only = false;
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
