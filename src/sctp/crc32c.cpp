#include "sctp/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace peerkit::sctp {
namespace {

constexpr std::uint32_t kPolynomial = 0x82f63b78;  // reflected 0x1EDC6F41

constexpr std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kTable = make_table();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(ByteSpan data, std::uint32_t so_far) {
  std::uint64_t crc = ~so_far;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    crc = _mm_crc32_u64(crc, v);
    p += 8;
    n -= 8;
  }
  auto c = static_cast<std::uint32_t>(crc);
  while (n--) c = _mm_crc32_u8(c, *p++);
  return ~c;
}
#endif

}  // namespace

std::uint32_t crc32c_portable(ByteSpan data, std::uint32_t so_far) {
  std::uint32_t c = ~so_far;
  for (const auto b : data) c = kTable[(c ^ std::to_integer<std::uint32_t>(b)) & 0xff] ^ (c >> 8);
  return ~c;
}

bool crc32c_hardware_available() {
#if defined(__x86_64__)
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
#else
  return false;
#endif
}

std::uint32_t crc32c_extend(std::uint32_t crc_so_far, ByteSpan data) {
#if defined(__x86_64__)
  if (crc32c_hardware_available()) return crc32c_sse42(data, crc_so_far);
#endif
  return crc32c_portable(data, crc_so_far);
}

std::uint32_t crc32c(ByteSpan data) {
  return crc32c_extend(0, data);
}

}  // namespace peerkit::sctp
