// Injected random sources. Secrets (nonce keys, transaction ids, credentials) come from
// CryptoRandom; SeededRandom makes simulations and tests repeatable and is never used for
// secrets outside tests.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace peerkit {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::byte> out) = 0;

  std::uint32_t next_u32() {
    std::byte b[4];
    fill(b);
    return (std::to_integer<std::uint32_t>(b[0]) << 24) |
           (std::to_integer<std::uint32_t>(b[1]) << 16) |
           (std::to_integer<std::uint32_t>(b[2]) << 8) | std::to_integer<std::uint32_t>(b[3]);
  }
  // Uniform in [0, bound), bound > 0; rejection sampling avoids modulo bias.
  std::uint32_t uniform(std::uint32_t bound) {
    const std::uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
    std::uint32_t v;
    do v = next_u32();
    while (v >= limit);
    return v % bound;
  }
};

// OpenSSL's RAND_bytes; aborts the process if the system cannot provide randomness, because
// continuing with predictable secrets would be worse than stopping.
class CryptoRandom final : public RandomSource {
 public:
  void fill(std::span<std::byte> out) override;
};

class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
  void fill(std::span<std::byte> out) override {
    for (auto& b : out) b = std::byte(engine_() & 0xff);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace peerkit
