// Two DTLS transports joined by an in-memory link the test controls: what one writes is handed
// to the other, or dropped, or held back.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "common/time.h"
#include "dtls/transport.h"

namespace peerkit::dtls::test {

using Datagram = std::vector<std::byte>;

inline std::vector<Datagram> take(Transport& t) {
  std::vector<Datagram> out;
  for (const Transmit& x : t.transmits()) out.emplace_back(x.data.begin(), x.data.end());
  return out;
}

inline std::vector<std::string> received_text(Transport& t) {
  std::vector<std::string> out;
  for (const Transmit& x : t.received())
    out.emplace_back(reinterpret_cast<const char*>(x.data.data()), x.data.size());
  return out;
}

struct Pair {
  std::shared_ptr<const Certificate> client_cert = *Certificate::generate();
  std::shared_ptr<const Certificate> server_cert = *Certificate::generate();
  std::unique_ptr<Transport> client;
  std::unique_ptr<Transport> server;
  ManualClock clock;
  std::size_t datagrams = 0;
  // Decides the fate of each datagram: true delivers it.
  std::function<bool(bool from_client, const Datagram&)> link = [](bool, const Datagram&) {
    return true;
  };

  explicit Pair(TransportOptions client_options = {}, TransportOptions server_options = {},
                bool fingerprints = true) {
    client_options.role = Role::kClient;
    server_options.role = Role::kServer;
    if (fingerprints) {
      if (client_options.remote_fingerprints.empty())
        client_options.remote_fingerprints = {server_cert->fingerprint()};
      if (server_options.remote_fingerprints.empty())
        server_options.remote_fingerprints = {client_cert->fingerprint()};
    }
    client = std::make_unique<Transport>(*Context::create(client_cert), client_options);
    server = std::make_unique<Transport>(*Context::create(server_cert), server_options);
  }

  // Moves datagrams both ways until neither side has anything to send.
  void pump() {
    for (int round = 0; round < 100; ++round) {
      auto from_client = take(*client);
      auto from_server = take(*server);
      if (from_client.empty() && from_server.empty()) return;
      for (const auto& d : from_client) {
        ++datagrams;
        if (link(true, d)) server->handle_datagram(clock.now(), d);
      }
      for (const auto& d : from_server) {
        ++datagrams;
        if (link(false, d)) client->handle_datagram(clock.now(), d);
      }
    }
  }

  void connect() {
    client->start(clock.now());
    server->start(clock.now());
    pump();
  }
};

}  // namespace peerkit::dtls::test
