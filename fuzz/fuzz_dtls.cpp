// The DTLS input path (src/dtls/): whatever datagrams arrive, a transport never crashes, never
// reports connected without a peer that holds the right certificate, and never delivers
// application data. Input: [1 byte: flags][2-byte length][datagram]…; flags choose the role and
// whether the transport first shakes hands with a real peer (so that post-handshake input —
// records in epoch 1, alerts, close_notify — is reached too).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "dtls/transport.h"

namespace {

using namespace peerkit;
using namespace peerkit::dtls;

struct Shared {
  std::shared_ptr<const Certificate> ours = *Certificate::generate();
  std::shared_ptr<const Certificate> theirs = *Certificate::generate();
  std::shared_ptr<const Context> our_context = *Context::create(ours);
  std::shared_ptr<const Context> their_context = *Context::create(theirs);
};

Shared& shared() {
  static Shared s;
  return s;
}

void pump(Transport& a, Transport& b, Timestamp now) {
  for (int round = 0; round < 20; ++round) {
    std::vector<std::vector<std::byte>> ab, ba;
    for (const Transmit& t : a.transmits()) ab.emplace_back(t.data.begin(), t.data.end());
    for (const Transmit& t : b.transmits()) ba.emplace_back(t.data.begin(), t.data.end());
    if (ab.empty() && ba.empty()) return;
    for (const auto& d : ab) b.handle_datagram(now, d);
    for (const auto& d : ba) a.handle_datagram(now, d);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  auto& s = shared();
  const bool server = data[0] & 1;
  const bool handshake_first = data[0] & 2;
  ManualClock clock;
  TransportOptions options;
  options.role = server ? Role::kServer : Role::kClient;
  options.remote_fingerprints = {s.theirs->fingerprint()};
  Transport t(s.our_context, options);
  std::unique_ptr<Transport> peer;
  if (handshake_first) {
    TransportOptions po;
    po.role = server ? Role::kClient : Role::kServer;
    po.remote_fingerprints = {s.ours->fingerprint()};
    peer = std::make_unique<Transport>(s.their_context, po);
    t.start(clock.now());
    peer->start(clock.now());
    pump(t, *peer, clock.now());
    if (t.state() != State::kConnected) std::abort();  // a clean handshake must succeed
    for (const Transmit& x : t.received()) (void)x;
  } else {
    t.start(clock.now());
  }
  const bool was_connected = t.state() == State::kConnected;
  std::size_t at = 1;
  while (at + 2 <= size) {
    const std::size_t len = std::size_t{data[at]} << 8 | data[at + 1];
    at += 2;
    const std::size_t n = std::min(len, size - at);
    t.handle_datagram(clock.now(), ByteSpan(reinterpret_cast<const std::byte*>(data + at), n));
    at += n;
    clock.advance(Duration::millis(n ? data[at - 1] % 200 : 0));
    t.handle_timeout(clock.now());
    // Forged records cannot authenticate: nothing is delivered, no connection appears.
    for (const Transmit& x : t.received()) {
      (void)x;
      std::abort();
    }
    if (!was_connected && t.state() == State::kConnected) std::abort();
    for (const Transmit& x : t.transmits()) (void)x;
  }
  return 0;
}
