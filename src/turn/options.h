// Every knob of the TURN server core, with its default. The CLI (apps/peerkit/turn_options.cpp)
// maps coturn's option names onto these fields; docs/turn.md lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/client_key.h"
#include "common/time.h"

namespace peerkit::turn {

struct ExternalMapping {
  IpAddress public_ip;
  std::optional<IpAddress> private_ip;  // coturn's "public/private"; unset: maps every relay IP
};

struct ServerOptions {
  // Authentication
  bool no_auth = false;  // anonymous TURN only when asked for explicitly
  Duration nonce_lifetime = Duration::seconds(600);  // stale-nonce
  bool advertise_security_features = true;           // RFC 8489 nonce cookie + PASSWORD-ALGORITHMS
  bool secure_stun = false;                          // require credentials for Binding too

  // Lifetimes (RFC 8656 §7.2, §9, §12)
  Duration default_lifetime = Duration::seconds(600);
  Duration max_lifetime = Duration::seconds(3600);        // max-allocate-lifetime
  Duration permission_lifetime = Duration::seconds(300);  // permission-lifetime
  Duration channel_lifetime = Duration::seconds(600);     // channel-lifetime
  Duration channel_cooldown = Duration::seconds(300);     // §12: no rebinding to another peer

  // Limits
  std::size_t max_permissions_per_allocation = 64;
  std::size_t max_channels_per_allocation = 64;
  std::uint64_t max_bps = 0;  // bytes per second per allocation and direction; 0 = unlimited
  std::uint32_t unauthorized_rate = 100;   // 401/438 answers per second per source IP
  std::uint32_t unauthorized_burst = 200;  // (0 rate = unlimited)
  // Per-address limits (allocations per address, unauthenticated answers) count IPv6 clients
  // per this prefix (common/client_key.h). The service sets it from
  // TurnServiceConfig::ipv6_limit_prefix.
  std::uint8_t ipv6_limit_prefix = kDefaultIpv6LimitPrefix;
  // EVEN-PORT with R (RFC 8656 §7.2, §14.6): port+1 is held for 30 s under a RESERVATION-TOKEN.
  // A reservation holds a relay socket that no allocation quota counts: the service caps them at
  // an eighth of the relay descriptors; off, such a request gets 508. (coturn's uclient asks for
  // one per RTP/RTCP pair, so both commands keep it on.)
  bool port_reservations = true;

  // What goes into responses
  bool fingerprint = false;  // always add FINGERPRINT (it is added whenever the request had one)
  bool include_reason_phrase = false;
  std::string software;  // empty: no SOFTWARE attribute
  // RFC 8656 §12 allows channel numbers 0x4000-0x4FFF; RFC 5766 allowed up to 0x7FFE and older
  // clients (coturn 4.6's turnutils_uclient among them) still pick from that range.
  bool rfc5766_channel_numbers = false;
  bool stun_only = false;  // answer Binding only
  bool no_stun = false;    // answer TURN only

  // Addresses
  AddressFamily default_family = AddressFamily::kIpv4;
  std::vector<ExternalMapping> external_ips;
  // RFC 5780: the server's alternate address (other IP, other port), when two listening
  // addresses are configured. Unset: Binding answers carry no OTHER-ADDRESS and CHANGE-REQUEST
  // is refused with 420 like any unknown attribute.
  std::optional<SocketAddress> rfc5780_other_address;

  // Seconds to add to a core Timestamp's seconds to get Unix time (for REST credential expiry).
  std::int64_t unix_time_offset = 0;
};

}  // namespace peerkit::turn
