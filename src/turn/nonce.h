// Stateless nonces (RFC 8489 §9.2): the server keeps no per-client state before a request is
// authenticated. A nonce is the RFC 8489 §9.2.1 security-feature cookie "obMatJos2" + 4
// base64 characters of feature bits, followed by base64(version, issue time, HMAC-SHA256 of
// both and the client IP, truncated to 12 bytes). A nonce is accepted only from the IP it was
// issued to, and only for `lifetime` (438 Stale Nonce afterwards).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/address.h"
#include "common/time.h"

namespace peerkit::turn {

class NonceIssuer {
 public:
  enum class Check { kValid, kStale, kInvalid };

  NonceIssuer(std::array<std::byte, 32> secret, Duration lifetime, bool advertise_features);

  std::string issue(Timestamp now, const IpAddress& client) const;
  Check check(std::string_view nonce, Timestamp now, const IpAddress& client) const;
  // Whether nonces carry the password-algorithms and username-anonymity feature bits.
  bool advertises_features() const { return features_; }
  static bool has_feature_cookie(std::string_view nonce);

 private:
  std::array<std::byte, 12> mac(std::int64_t issued_s, const IpAddress& client) const;

  std::array<std::byte, 32> secret_;
  Duration lifetime_;
  bool features_;
};

}  // namespace peerkit::turn
