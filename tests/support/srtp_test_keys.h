// Fixed DTLS-SRTP keys for the two ends of a media test or fuzzer (AES_CM_128_HMAC_SHA1_80):
// `mirrored` is the other end's view — its local key is this end's remote one.
#pragma once

#include <cstdint>
#include <vector>

#include "srtp/session.h"

namespace peerkit::testing {

inline srtp::Keys srtp_test_keys(bool mirrored) {
  srtp::Keys k;
  k.profile = srtp::kAes128CmHmacSha1_80;
  const std::vector<std::uint8_t> a(16, 0x11), b(16, 0x22), sa(14, 0x33), sb(14, 0x44);
  k.local_key = mirrored ? b : a;
  k.local_salt = mirrored ? sb : sa;
  k.remote_key = mirrored ? a : b;
  k.remote_salt = mirrored ? sa : sb;
  return k;
}

}  // namespace peerkit::testing
