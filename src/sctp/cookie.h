// The State Cookie (RFC 9260 §5.1.3): everything the association needs from an INIT, signed
// with HMAC-SHA-256 under a secret only this endpoint knows, so no state is kept before the
// COOKIE ECHO proves the peer can receive at its address (no INIT flood can fill memory).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/time.h"

namespace peerkit::sctp {

struct CookieContents {
  std::uint32_t local_tag = 0;
  std::uint32_t peer_tag = 0;
  std::uint32_t local_initial_tsn = 0;
  std::uint32_t peer_initial_tsn = 0;
  std::uint32_t peer_a_rwnd = 0;
  std::uint16_t peer_outbound_streams = 0;
  std::uint16_t peer_inbound_streams = 0;
  bool idata = false;         // both sides support it
  bool forward_tsn = false;
  bool reconfig = false;
  bool zero_checksum = false;
  Timestamp created;
};

inline constexpr std::size_t kCookieSize = 4 * 5 + 2 * 2 + 1 + 8 + 32;
using CookieKey = std::array<std::uint8_t, 32>;

std::array<std::byte, kCookieSize> make_cookie(const CookieContents& c, const CookieKey& key);
// The contents when the MAC is right; nullopt otherwise. Age is checked by the caller.
std::optional<CookieContents> open_cookie(ByteSpan cookie, const CookieKey& key);

}  // namespace peerkit::sctp
