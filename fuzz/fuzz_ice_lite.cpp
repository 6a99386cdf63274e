// The SFU port's ICE-lite responder (ice/lite_responder.h): arbitrary datagrams from a few
// source addresses, mixed with well-formed checks (some nominating, some with a wrong
// password) and time passing. Nothing may crash; every answer goes to the address it answers;
// per-session address caps and the selected address stay consistent.
#include <cstdint>
#include <cstdlib>

#include "ice/lite_responder.h"
#include "ice/stun_check.h"

namespace {
using namespace peerkit;
using namespace peerkit::ice;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  LiteResponder r({.max_sessions = 4, .max_addresses_per_session = 3,
                   .consent_timeout = Duration::seconds(30)});
  check(r.add_session(1, "aaaa", "password-of-session-one"));
  check(r.add_session(2, "bbbb", "password-of-session-two"));
  const SocketAddress sources[4] = {*SocketAddress::parse("10.0.0.1:5000"),
                                    *SocketAddress::parse("10.0.0.2:5000"),
                                    *SocketAddress::parse("[2001:db8::1]:7000"),
                                    *SocketAddress::parse("192.0.2.9:1")};
  Timestamp now = Timestamp::from_micros(1'000'000);
  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const std::uint8_t op = data[pos++];
    const std::uint8_t len = data[pos++];
    const std::size_t n = std::min<std::size_t>(len, size - pos);
    ByteSpan payload(reinterpret_cast<const std::byte*>(data + pos), n);
    pos += n;
    const SocketAddress& from = sources[op & 3];
    now = now + Duration::millis((op >> 2) & 0x0f) * 500;
    std::array<std::byte, kMaxCheckMessage> buf{};
    if (op & 0x40) {  // a well-formed check, maybe with a wrong password
      CheckRequest c;
      c.local_ufrag = "brow";
      c.remote_ufrag = (op & 0x10) ? "bbbb" : "aaaa";
      c.remote_pwd = (op & 0x20) ? "password-of-session-one" : "password-of-session-two";
      c.priority = 1 + n;
      c.controlling = true;
      c.tie_breaker = n;
      c.use_candidate = (op & 0x80) != 0;
      stun::TransactionId tid;
      for (std::size_t i = 0; i < 12 && i < n; ++i) tid.bytes[i] = payload[i];
      payload = build_check_request(buf, tid, c);
    }
    (void)r.handle(now, SocketId{1}, from, payload);
    for (const Transmit& t : r.transmits()) check(t.to == from && !t.data.empty());
    if (r.next_timeout() <= now) r.handle_timeout(now);
    while (auto e = r.poll_event()) check(e->session == 1 || e->session == 2);
    check(r.address_count() <= 2 * 3);
    if ((op & 0x3f) == 0x3f) r.remove_session(1 + (op >> 7));
  }
  return 0;
}
