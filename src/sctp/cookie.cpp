#include "sctp/cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace peerkit::sctp {
namespace {

constexpr std::size_t kBody = kCookieSize - 32;

bool mac(ByteSpan body, const CookieKey& key, unsigned char out[32]) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &len) &&
         len == 32;
}

}  // namespace

std::array<std::byte, kCookieSize> make_cookie(const CookieContents& c, const CookieKey& key) {
  std::array<std::byte, kCookieSize> out{};
  ByteWriter w(out);
  w.u32(c.local_tag);
  w.u32(c.peer_tag);
  w.u32(c.local_initial_tsn);
  w.u32(c.peer_initial_tsn);
  w.u32(c.peer_a_rwnd);
  w.u16(c.peer_outbound_streams);
  w.u16(c.peer_inbound_streams);
  w.u8(static_cast<std::uint8_t>((c.idata ? 1 : 0) | (c.forward_tsn ? 2 : 0) |
                                 (c.reconfig ? 4 : 0) | (c.zero_checksum ? 8 : 0)));
  w.u64(static_cast<std::uint64_t>(c.created.us()));
  unsigned char m[32];
  mac(ByteSpan(out.data(), kBody), key, m);
  for (std::size_t i = 0; i < 32; ++i) out[kBody + i] = std::byte{m[i]};
  return out;
}

std::optional<CookieContents> open_cookie(ByteSpan cookie, const CookieKey& key) {
  if (cookie.size() != kCookieSize) return std::nullopt;
  unsigned char m[32];
  if (!mac(cookie.first(kBody), key, m)) return std::nullopt;
  if (CRYPTO_memcmp(m, cookie.data() + kBody, 32) != 0) return std::nullopt;
  ByteReader r(cookie);
  CookieContents c;
  c.local_tag = r.u32();
  c.peer_tag = r.u32();
  c.local_initial_tsn = r.u32();
  c.peer_initial_tsn = r.u32();
  c.peer_a_rwnd = r.u32();
  c.peer_outbound_streams = r.u16();
  c.peer_inbound_streams = r.u16();
  const auto flags = r.u8();
  c.idata = flags & 1;
  c.forward_tsn = flags & 2;
  c.reconfig = flags & 4;
  c.zero_checksum = flags & 8;
  c.created = Timestamp::from_micros(static_cast<std::int64_t>(r.u64()));
  return c;
}

}  // namespace peerkit::sctp
