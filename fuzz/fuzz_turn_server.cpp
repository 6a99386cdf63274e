// libFuzzer: the TURN server core as a state machine. The input is a script of operations —
// client packets (raw, or well-formed authenticated requests built from fuzzed fields so the
// fuzzer reaches deep states), peer packets, connection closes and clock advances — run against
// one Server with in-memory relays and quotas. Invariants: no crash, no UB, every relay handed
// out is released exactly once, quotas return to zero when the server is destroyed.
#include <cstdint>
#include <string>
#include <vector>

#include "common/random.h"
#include "stun/attributes.h"
#include "stun/integrity.h"
#include "support/turn_fakes.h"
#include "support/turn_requests.h"
#include "turn/server.h"

using namespace peerkit;
using namespace peerkit::turn;
namespace attr = stun::attr;

namespace {

[[noreturn]] void fail() {
  __builtin_trap();
}

struct Script {
  const std::uint8_t* p;
  std::size_t n;
  bool empty() const { return n == 0; }
  std::uint8_t byte() {
    if (!n) return 0;
    --n;
    return *p++;
  }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  ByteSpan bytes(std::size_t want) {
    want = std::min(want, n);
    ByteSpan s(reinterpret_cast<const std::byte*>(p), want);
    p += want;
    n -= want;
    return s;
  }
};

const char* kPeers[] = {"8.8.4.4:5000",     "127.0.0.1:9", "[::ffff:127.0.0.1]:9",
                        "[2001:4860::1]:7", "10.0.0.1:1",  "[64:ff9b::7f00:1]:3",
                        "1.1.1.1:65535",    "0.0.0.0:0"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  testing::FakeRelays relays;
  relays.capacity = 64;
  relays.on_misuse = [](const char*) { fail(); };  // double release or unknown handle
  testing::FakeQuotas quotas;
  quotas.total_limit = 8;
  quotas.on_misuse = [](const char*) { fail(); };
  SeededRandom random(1);
  {
    ServerOptions options;
    options.max_permissions_per_allocation = 4;
    options.max_channels_per_allocation = 4;
    options.max_bps = data && size && (data[0] & 1) ? 5000 : 0;
    options.rfc5780_other_address = *SocketAddress::parse("203.0.113.2:3479");
    std::array<std::byte, 32> secret{};
    Server server(options, CredentialStore("fuzz", {*parse_static_user("u:p")}, {"s"}),
                  PeerPolicy{}, relays, quotas, NonceIssuer(secret, options.nonce_lifetime, true),
                  random);
    Timestamp now = Timestamp::from_micros(1'000'000);
    std::string nonce;
    const ClientRoute routes[] = {
        {Transport::kUdp, 0, *SocketAddress::parse("203.0.113.1:3478"),
         *SocketAddress::parse("192.0.2.1:1000")},
        {Transport::kUdp, 0, *SocketAddress::parse("203.0.113.1:3478"),
         *SocketAddress::parse("192.0.2.1:1001")},
        {Transport::kTcp, 7, *SocketAddress::parse("203.0.113.1:3478"),
         *SocketAddress::parse("192.0.2.1:1002")},
    };
    Script s{data, size};
    TransmitQueue out;
    auto harvest_nonce = [&] {
      for (const auto& t : out.items()) {
        auto m = stun::MessageView::parse(out.payload(t));
        if (m && m->has(attr::kNonce)) nonce = std::string(as_string_view(*m->find(attr::kNonce)));
      }
      out.clear();
    };
    // Like the driver's receive buffers, this outlives the queue that may point into it.
    std::vector<std::byte> peer_buf;
    for (int steps = 0; steps < 256 && !s.empty(); ++steps) {
      const std::uint8_t op = s.byte();
      const ClientRoute& route = routes[s.byte() % 3];
      switch (op % 6) {
        case 0: {  // raw client bytes
          server.handle_client_packet(now, route, s.bytes(s.byte() * 4u), out);
          break;
        }
        case 1: {  // a well-formed request with fuzzed method and attributes, authenticated
          std::byte buf[1024];
          stun::TransactionId tid;
          random.fill(tid.bytes);
          const std::uint16_t methods[] = {1, 3, 4, 8, 9};
          stun::MessageBuilder b(buf, methods[s.byte() % 5], stun::MessageClass::kRequest, tid);
          const auto peer = *SocketAddress::parse(kPeers[s.byte() % 8]);
          const std::uint8_t flags = s.byte();
          if (flags & 1) stun::add_requested_transport(b, flags & 2 ? 17 : 6);
          if (flags & 4) stun::add_xor_address(b, attr::kXorPeerAddress, peer);
          if (flags & 8) stun::add_channel_number(b, static_cast<std::uint16_t>(0x3FFE + s.byte()));
          if (flags & 16) b.add_u32(attr::kLifetime, s.byte() * 16u);
          if (flags & 32) stun::add_even_port(b, flags & 64);
          if (flags & 128)
            stun::add_address_family(b, attr::kAdditionalAddressFamily, AddressFamily::kIpv6);
          if (!nonce.empty()) testing::add_credentials(b, {"u", "fuzz", "p", nonce});
          server.handle_client_packet(now, route, b.finish(), out);
          break;
        }
        case 2: {  // peer datagram on some relay
          peer_buf.assign(4 + s.byte(), std::byte{0});
          MutableByteSpan payload(peer_buf.data() + 4, peer_buf.size() - 4);
          const auto peer = *SocketAddress::parse(kPeers[s.byte() % 8]);
          server.handle_peer_packet(now, turn::RelayHandle(1 + s.byte() % 8), peer, payload, 4,
                                    out);
          break;
        }
        case 3:  // clock
          now = now + Duration::millis(s.u16() * 50);
          server.handle_timeout(now);
          break;
        case 4:  // channel data with a fuzzed header
        {
          std::byte cd[8];
          ByteWriter w(cd);
          w.u16(static_cast<std::uint16_t>(0x4000 | s.u16()));
          w.u16(s.byte());
          w.u32(0);
          server.handle_client_packet(now, route, ByteSpan(cd, 8), out);
          break;
        }
        case 5:
          server.handle_connection_closed(now, 7);
          break;
      }
      for (const auto& t : out.items()) {
        if (out.payload(t).size() > 70000) fail();
      }
      harvest_nonce();
      ServerEvent e;
      while (server.poll_event(e)) {
      }
    }
  }
  // The server is gone: everything it held must have been given back.
  relays.expire_reservations();
  if (!relays.live.empty() || quotas.total != 0) fail();
  return 0;
}
