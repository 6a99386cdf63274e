#include "stun/integrity.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <zlib.h>

#include <cstring>

namespace peerkit::stun {
namespace {

const unsigned char* u8(ByteSpan b) {
  return reinterpret_cast<const unsigned char*>(b.data());
}

// HMAC over the message prefix [0, attr_offset) with the header length rewritten to end right
// after an integrity attribute of `attr_size` bytes (header included), as §14.5/§14.6 define.
template <std::size_t N>
bool mac_prefix(const MessageView& m, std::size_t attr_offset, std::size_t attr_size, ByteSpan key,
                const EVP_MD* md, std::array<std::byte, N>& out) {
  const ByteSpan raw = m.raw();
  if (attr_offset < kHeaderSize || attr_offset > raw.size()) return false;
  std::byte header[kHeaderSize];
  std::memcpy(header, raw.data(), kHeaderSize);
  const std::size_t len = attr_offset + attr_size - kHeaderSize;
  header[2] = std::byte(len >> 8);
  header[3] = std::byte(len & 0xff);
  // EVP_MAC (OpenSSL 3); the HMAC algorithm object is fetched once per process.
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(EVP_MD_get0_name(md)), 0),
      OSSL_PARAM_construct_end()};
  std::size_t out_len = 0;
  const bool ok = ctx && EVP_MAC_init(ctx, u8(key), key.size(), params) &&
                  EVP_MAC_update(ctx, u8(ByteSpan(header, kHeaderSize)), kHeaderSize) &&
                  EVP_MAC_update(ctx, u8(raw.subspan(kHeaderSize)), attr_offset - kHeaderSize) &&
                  EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &out_len, N);
  EVP_MAC_CTX_free(ctx);
  return ok && out_len == N;
}

}  // namespace

void hmac_sha1(ByteSpan key, ByteSpan data, std::span<std::byte, 20> out) {
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), u8(data), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &len);
}

void hmac_sha256(ByteSpan key, ByteSpan data, std::span<std::byte, 32> out) {
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), u8(data), data.size(),
       reinterpret_cast<unsigned char*>(out.data()), &len);
}

std::uint32_t crc32(ByteSpan data) {
  return static_cast<std::uint32_t>(::crc32_z(0L, u8(data), data.size()));
}

namespace {
// Digest of "a:b[:c]" — the shape of both the long-term key and USERHASH.
void digest_joined(const EVP_MD* md, std::initializer_list<std::string_view> parts,
                   std::byte* out) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  EVP_DigestInit_ex(ctx, md, nullptr);
  bool first = true;
  for (auto part : parts) {
    if (!first) EVP_DigestUpdate(ctx, ":", 1);
    EVP_DigestUpdate(ctx, part.data(), part.size());
    first = false;
  }
  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out), &len);
  EVP_MD_CTX_free(ctx);
}
}  // namespace

std::vector<std::byte> long_term_key(std::string_view username, std::string_view realm,
                                     std::string_view password, PasswordAlgorithm algorithm) {
  const EVP_MD* md = algorithm == PasswordAlgorithm::kSha256 ? EVP_sha256() : EVP_md5();
  std::vector<std::byte> key(static_cast<std::size_t>(EVP_MD_get_size(md)));
  digest_joined(md, {username, realm, password}, key.data());
  return key;
}

std::array<std::byte, 32> userhash(std::string_view username, std::string_view realm) {
  std::array<std::byte, 32> out{};
  digest_joined(EVP_sha256(), {username, realm}, out.data());
  return out;
}

bool verify_message_integrity(const MessageView& m, ByteSpan key) {
  const auto at = m.integrity_offset();
  const auto value = m.find(attr::kMessageIntegrity);
  if (!at || !value || value->size() != 20) return false;
  std::array<std::byte, 20> mac{};
  if (!mac_prefix(m, *at, 24, key, EVP_sha1(), mac)) return false;
  return CRYPTO_memcmp(mac.data(), value->data(), 20) == 0;
}

bool verify_message_integrity_sha256(const MessageView& m, ByteSpan key) {
  const auto at = m.integrity_sha256_offset();
  const auto value = m.find(attr::kMessageIntegritySha256);
  // §14.6: 16 to 32 bytes, a multiple of 4 (a truncated HMAC).
  if (!at || !value || value->size() < 16 || value->size() > 32 || value->size() % 4) return false;
  std::array<std::byte, 32> mac{};
  if (!mac_prefix(m, *at, 4 + value->size(), key, EVP_sha256(), mac)) return false;
  return CRYPTO_memcmp(mac.data(), value->data(), value->size()) == 0;
}

bool verify_fingerprint(const MessageView& m) {
  const auto at = m.fingerprint_offset();
  const auto value = m.find(attr::kFingerprint);
  if (!at || !value || value->size() != 4) return false;
  const ByteSpan raw = m.raw();
  std::byte header[kHeaderSize];
  std::memcpy(header, raw.data(), kHeaderSize);
  const std::size_t len = *at + 8 - kHeaderSize;
  header[2] = std::byte(len >> 8);
  header[3] = std::byte(len & 0xff);
  uLong crc = ::crc32_z(0L, reinterpret_cast<const Bytef*>(header), kHeaderSize);
  crc = ::crc32_z(crc, u8(raw.subspan(kHeaderSize)), *at - kHeaderSize);
  ByteReader r(*value);
  return (static_cast<std::uint32_t>(crc) ^ kFingerprintXor) == r.u32();
}

}  // namespace peerkit::stun
