// Message integrity and fingerprint, RFC 8489 §9.2 (long-term credentials), §14.5-§14.7,
// §14.3/§18.5.1 (USERHASH, password algorithms). All cryptography is OpenSSL's; CRC-32 is zlib's.
#pragma once

#include <array>
#include <span>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "stun/constants.h"
#include "stun/message.h"

namespace peerkit::stun {

void hmac_sha1(ByteSpan key, ByteSpan data, std::span<std::byte, 20> out);
void hmac_sha256(ByteSpan key, ByteSpan data, std::span<std::byte, 32> out);
std::uint32_t crc32(ByteSpan data);

// The long-term key (§9.2.2): MD5 or SHA-256 of "username:realm:password". Passwords are used
// as given; peerkit does not apply the OpaqueString profile (RFC 8265), which is the identity
// for ASCII credentials — every credential TURN REST and coturn-style configs produce.
std::vector<std::byte> long_term_key(std::string_view username, std::string_view realm,
                                     std::string_view password,
                                     PasswordAlgorithm algorithm = PasswordAlgorithm::kMd5);
// USERHASH (§14.4): SHA-256 of "username:realm".
std::array<std::byte, 32> userhash(std::string_view username, std::string_view realm);

// True if the message's MESSAGE-INTEGRITY (or, when present, MESSAGE-INTEGRITY-SHA256) matches
// the key. Constant-time comparison.
bool verify_message_integrity(const MessageView& m, ByteSpan key);
bool verify_message_integrity_sha256(const MessageView& m, ByteSpan key);
// True if FINGERPRINT is present and correct.
bool verify_fingerprint(const MessageView& m);

}  // namespace peerkit::stun
