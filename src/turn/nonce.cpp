#include "turn/nonce.h"

#include <openssl/crypto.h>

#include "common/base64.h"
#include "common/bytes.h"
#include "stun/integrity.h"

namespace peerkit::turn {
namespace {

constexpr std::string_view kCookie = "obMatJos2";
// 24 feature bits, bit 0 first (RFC 8489 §18.1 numbering, most significant bit first):
// bit 0 password algorithms, bit 1 username anonymity → 0xC00000 → "wAAA".
constexpr std::string_view kFeaturesOn = "wAAA";
constexpr std::string_view kFeaturesOff = "AAAA";
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kPayload = 1 + 8 + 12;  // 21 bytes → 28 base64 chars, no padding

}  // namespace

NonceIssuer::NonceIssuer(std::array<std::byte, 32> secret, Duration lifetime,
                         bool advertise_features)
    : secret_(secret), lifetime_(lifetime), features_(advertise_features) {}

std::array<std::byte, 12> NonceIssuer::mac(std::int64_t issued_s, const IpAddress& client) const {
  std::byte input[1 + 8 + 1 + 16];
  ByteWriter w(input);
  w.u8(kVersion);
  w.u64(static_cast<std::uint64_t>(issued_s));
  w.u8(static_cast<std::uint8_t>(client.family()));
  w.bytes(std::as_bytes(std::span(client.bytes())));
  std::array<std::byte, 32> full{};
  stun::hmac_sha256(secret_, w.written(), full);
  std::array<std::byte, 12> out{};
  std::copy_n(full.begin(), 12, out.begin());
  return out;
}

std::string NonceIssuer::issue(Timestamp now, const IpAddress& client) const {
  const std::int64_t issued = now.us() / 1'000'000;
  std::byte payload[kPayload];
  ByteWriter w(payload);
  w.u8(kVersion);
  w.u64(static_cast<std::uint64_t>(issued));
  w.bytes(mac(issued, client));
  std::string nonce(kCookie);
  nonce += features_ ? kFeaturesOn : kFeaturesOff;
  nonce += base64_encode(w.written());
  return nonce;
}

bool NonceIssuer::has_feature_cookie(std::string_view nonce) {
  return nonce.size() >= kCookie.size() + 4 && nonce.starts_with(kCookie);
}

NonceIssuer::Check NonceIssuer::check(std::string_view nonce, Timestamp now,
                                      const IpAddress& client) const {
  const std::size_t prefix = kCookie.size() + 4;
  if (nonce.size() != prefix + 28 || !nonce.starts_with(kCookie)) return Check::kInvalid;
  auto payload = base64_decode(nonce.substr(prefix));
  if (!payload || payload->size() != kPayload) return Check::kInvalid;
  ByteReader r(*payload);
  if (r.u8() != kVersion) return Check::kInvalid;
  const auto issued = static_cast<std::int64_t>(r.u64());
  const auto given = r.bytes(12);
  const auto expected = mac(issued, client);
  if (CRYPTO_memcmp(given.data(), expected.data(), 12) != 0) return Check::kInvalid;
  const std::int64_t now_s = now.us() / 1'000'000;
  if (issued > now_s || now_s - issued >= lifetime_.s()) return Check::kStale;
  return Check::kValid;
}

}  // namespace peerkit::turn
