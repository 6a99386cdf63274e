// The SCTP association (src/sctp/) fuzzed as a state machine: after a real handshake with a
// second association, the input is a script of operations — packets whose chunks come from the
// fuzzer (wrapped in a header with the right tag and checksum, so they reach the state
// machine), raw packets, API calls (send, reset, shutdown, abort) and timer expiries, with the
// honest peer's packets delivered in between. Invariants: no crash, memory stays within the
// configured buffers.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/random.h"
#include "sctp/association.h"
#include "sctp/crc32c.h"

namespace {

using namespace peerkit;
using namespace peerkit::sctp;

class Counter final : public RandomSource {
 public:
  explicit Counter(std::uint8_t seed) : x_(seed) {}
  void fill(std::span<std::byte> out) override {
    for (auto& b : out) b = std::byte(static_cast<std::uint8_t>((x_ = x_ * 1103515245u + 12345u) >> 16));
  }

 private:
  std::uint32_t x_;
};

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t u8() { return n ? (--n, *p++) : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  ByteSpan bytes(std::size_t k) {
    k = std::min(k, n);
    ByteSpan s(reinterpret_cast<const std::byte*>(p), k);
    p += k;
    n -= k;
    return s;
  }
};

std::vector<std::vector<std::byte>> drain(Association& a) {
  std::vector<std::vector<std::byte>> out;
  for (const Transmit& t : a.transmits()) out.emplace_back(t.data.begin(), t.data.end());
  return out;
}

void exchange(Association& a, Association& b, Timestamp now, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    auto ab = drain(a), ba = drain(b);
    if (ab.empty() && ba.empty()) return;
    for (auto& p : ab) b.handle_packet(now, p);
    for (auto& p : ba) a.handle_packet(now, p);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  AssociationConfig config;
  config.max_send_buffer = 1 << 20;
  config.max_receive_buffer = 256 << 10;
  config.idata = in.u8() & 1;
  Counter ra(1), rb(2);
  Association a(config, ra), b(config, rb);
  ManualClock clock;
  a.connect(clock.now());
  b.connect(clock.now());
  exchange(a, b, clock.now(), 10);
  if (a.state() != AssociationState::kEstablished) std::abort();  // a clean handshake works
  // Learn the tag b expects, from a packet a sends it.
  (void)a.send(clock.now(), 0, 51, as_bytes("x"));
  auto probe = drain(a);
  if (probe.empty()) std::abort();
  const std::vector<std::byte> header(probe[0].begin(), probe[0].begin() + 12);
  for (auto& p : probe) b.handle_packet(clock.now(), p);

  while (in.n > 0) {
    switch (in.u8() % 8) {
      case 0: {  // chunks from the fuzzer, in a valid header (right tag, right CRC)
        const auto body = in.bytes(in.u16() % 1500);
        std::vector<std::byte> p(header);
        p.insert(p.end(), body.begin(), body.end());
        p[8] = p[9] = p[10] = p[11] = std::byte{0};
        const std::uint32_t crc = crc32c(p);
        for (int i = 0; i < 4; ++i) p[8 + i] = std::byte(static_cast<std::uint8_t>(crc >> (8 * i)));
        b.handle_packet(clock.now(), p);
        break;
      }
      case 1: {  // anything at all
        const auto raw = in.bytes(in.u16() % 1500);
        b.handle_packet(clock.now(), raw);
        break;
      }
      case 2: {  // the API
        const std::uint16_t stream = in.u16();
        const std::size_t len = in.u16() % 20000 + 1;
        std::vector<std::byte> msg(len, std::byte{0x5a});
        SendOptions o;
        o.unordered = in.u8() & 1;
        if (in.u8() & 1) o.max_retransmits = in.u8() % 3;
        (void)b.send(clock.now(), stream, 53, msg, o);
        break;
      }
      case 3:
        clock.advance(Duration::millis(in.u16() % 5000));
        a.handle_timeout(clock.now());
        b.handle_timeout(clock.now());
        break;
      case 4: {
        const std::uint16_t s[] = {in.u16()};
        b.reset_streams(s);
        break;
      }
      case 5:
        if (in.u8() == 7) b.shutdown(clock.now());
        break;
      case 6:
        if (in.u8() == 9) b.abort(clock.now(), "fuzz");
        break;
      case 7:
        exchange(a, b, clock.now(), in.u8() % 8);
        break;
    }
    while (auto e = b.poll_event()) (void)e;
    while (auto e = a.poll_event()) (void)e;
    if (b.buffered_total() > config.max_send_buffer) std::abort();
    (void)drain(b);
  }
  return 0;
}
