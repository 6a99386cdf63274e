// Base64 (RFC 4648 §4) through OpenSSL's EVP encoder: used for TURN REST API passwords and
// the nonce cookie.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace peerkit {

std::string base64_encode(ByteSpan data);
std::optional<std::vector<std::byte>> base64_decode(std::string_view text);

}  // namespace peerkit
