// SRTP protect/unprotect cost per packet (srtp/session.h), both profiles, 1 200-byte RTP
// packets: the number issue 11 sets against (0.64 µs per AES-128-GCM packet on this machine).
// Keys are fixed bytes: the cost does not depend on them. Run: build/bin/srtp_bench
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "srtp/session.h"

namespace {

using peerkit::srtp::Keys;
using peerkit::srtp::Session;

std::unique_ptr<Session> session(std::uint16_t profile) {
  const std::size_t salt = profile == peerkit::srtp::kAeadAes128Gcm ? 12 : 14;
  Keys k{profile, std::vector<std::uint8_t>(16, 7), std::vector<std::uint8_t>(salt, 9),
         std::vector<std::uint8_t>(16, 7), std::vector<std::uint8_t>(salt, 9)};
  peerkit::srtp::SessionOptions o;
  o.allow_repeat_tx = true;
  auto r = Session::create(k, o);
  return std::move(*r);
}

std::size_t packet(std::array<std::byte, 1500 + peerkit::srtp::kMaxOverhead>& b, std::uint16_t seq) {
  b[0] = std::byte{0x80};
  b[1] = std::byte{96};
  b[2] = std::byte(seq >> 8);
  b[3] = std::byte(seq);
  b[8] = std::byte{0x12};
  return 1200;
}

void Protect(benchmark::State& state) {
  auto s = session(static_cast<std::uint16_t>(state.range(0)));
  std::array<std::byte, 1500 + peerkit::srtp::kMaxOverhead> b{};
  std::uint16_t seq = 0;
  for (auto _ : state) {
    auto n = s->protect_rtp(b, packet(b, ++seq));
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(state.iterations());
}

void ProtectUnprotect(benchmark::State& state) {
  auto tx = session(static_cast<std::uint16_t>(state.range(0)));
  auto rx = session(static_cast<std::uint16_t>(state.range(0)));
  std::array<std::byte, 1500 + peerkit::srtp::kMaxOverhead> b{};
  std::uint16_t seq = 0;
  for (auto _ : state) {
    auto n = tx->protect_rtp(b, packet(b, ++seq));
    auto m = rx->unprotect_rtp(b, *n);
    if (!m) state.SkipWithError("unprotect failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(Protect)->Arg(peerkit::srtp::kAeadAes128Gcm)->Arg(peerkit::srtp::kAes128CmHmacSha1_80);
BENCHMARK(ProtectUnprotect)->Arg(peerkit::srtp::kAeadAes128Gcm)->Arg(peerkit::srtp::kAes128CmHmacSha1_80);

}  // namespace

BENCHMARK_MAIN();
