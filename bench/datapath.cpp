// The native data path's cores alone, in memory: two peer::DataTransports (DTLS 1.2 +
// peerkit's SCTP + data channels) wired back to back in one thread, no sockets, no ICE. One
// reliable ordered channel, 64 KiB binary messages, as T7 measures. Prints MB/s of payload
// delivered (10^6 bytes per second) on the real clock.
//   usage: datapath [MiB to send, default 512]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "common/random.h"
#include "peer/data_transport.h"

using namespace peerkit;

int main(int argc, char** argv) {
  const std::size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 512;
  CryptoRandom random;
  auto ca = *dtls::Certificate::generate();
  auto cb = *dtls::Certificate::generate();
  peer::DataTransportConfig c;
  c.role = dtls::Role::kClient;
  c.remote_fingerprints = {cb->fingerprint()};
  c.max_message_size = 262144;
  peer::DataTransport a(*dtls::Context::create(ca), c, random);
  c.role = dtls::Role::kServer;
  c.remote_fingerprints = {ca->fingerprint()};
  peer::DataTransport b(*dtls::Context::create(cb), c, random);
  SteadyClock clock;
  // The "wire": one copy of every datagram, as a socket makes, into buffers reused from batch to
  // batch (a kernel copy allocates nothing per datagram either).
  std::vector<std::byte> wire;
  std::vector<std::pair<std::size_t, std::size_t>> datagrams;
  auto move = [&](peer::DataTransport& from, peer::DataTransport& to) {
    wire.clear();
    datagrams.clear();
    for (const Transmit& t : from.transmits()) {
      datagrams.emplace_back(wire.size(), t.data.size());
      wire.insert(wire.end(), t.data.begin(), t.data.end());
    }
    for (const auto& [at, n] : datagrams) to.handle_datagram(clock.now(), ByteSpan(wire.data() + at, n));
    return !datagrams.empty();
  };
  std::size_t received = 0;
  bool up = false;
  auto events = [&] {
    while (auto e = a.poll_event()) {
      if (auto* s = std::get_if<peer::TransportStateEvent>(&*e); s && s->layer == peer::TransportStateEvent::Layer::kSctp && s->up) up = true;
    }
    while (auto e = b.poll_event())
      if (auto* d = std::get_if<sctp::DataChannelEvent>(&*e))
        if (auto* m = std::get_if<sctp::ChannelMessageEvent>(d)) received += m->data.size();
  };
  a.start(clock.now());
  b.start(clock.now());
  while (!up) {
    bool moved = move(a, b) | move(b, a);
    events();
    if (!moved) {
      a.handle_timeout(clock.now());
      b.handle_timeout(clock.now());
    }
  }
  const auto id = *a.channels().create(clock.now(), {});
  const std::vector<std::byte> message(65536, std::byte{0x42});
  const std::size_t total = mib << 20;
  std::size_t sent = 0;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  while (received < total) {
    while (sent < total && a.channels().buffered_amount(id) < (4u << 20)) {
      if (a.channels().send(clock.now(), id, message, true)) break;
      sent += message.size();
    }
    const bool moved = move(a, b) | move(b, a);
    events();
    if (!moved) {
      a.handle_timeout(clock.now());
      b.handle_timeout(clock.now());
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const auto st = a.association().stats();
  std::printf("datapath: %zu MiB in %.3f s (%.3f CPU-s, %.1f MB per CPU-s), retransmitted %llu chunks, cwnd %zu\n",
              mib, seconds, cpu_seconds, static_cast<double>(total) / cpu_seconds / 1e6,
              static_cast<unsigned long long>(st.retransmitted_chunks), st.cwnd);
  std::printf("cores in memory: peerkit %.1f MB/s\n", static_cast<double>(total) / seconds / 1e6);
  return 0;
}
