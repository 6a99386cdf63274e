#include "common/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace peerkit {

void CryptoRandom::fill(std::span<std::byte> out) {
  if (out.empty()) return;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size())) != 1) {
    std::fputs("peerkit: fatal: the system random source failed\n", stderr);
    std::abort();
  }
}

}  // namespace peerkit
