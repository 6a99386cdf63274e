// peerkit's TURN server for tests that relay through it on 127.0.0.1: one worker, one static
// user "peer" / "peer-pw", loopback relaying allowed (peers and relays are all on 127.0.0.1),
// no log. Each test gives its own relay port range so that tests running at once do not meet.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/turn_test_client.h"
#include "turn/service/turn_service.h"

namespace peerkit::testing {

struct LoopbackTurn {
  std::unique_ptr<turn::TurnService> service;
  SocketAddress address;  // where clients reach it (UDP and TCP)
  std::string error;      // start()'s, when it did not start
};

inline LoopbackTurn start_loopback_turn(std::uint16_t min_port, std::uint16_t max_port,
                                        const std::string& realm) {
  turn::TurnServiceConfig c;
  c.listening_ips = {*IpAddress::parse("127.0.0.1")};
  c.listening_port = free_udp_tcp_port();
  c.min_port = min_port;
  c.max_port = max_port;
  c.workers = 1;
  c.realm = realm;
  c.users = {*turn::parse_static_user("peer:peer-pw")};
  c.policy.allow_loopback = true;
  c.log.level = "off";
  turn::finalize_config(c);
  LoopbackTurn t;
  t.service = std::make_unique<turn::TurnService>(c);
  t.error = t.service->start();
  t.address = SocketAddress(*IpAddress::parse("127.0.0.1"), c.listening_port);
  return t;
}

}  // namespace peerkit::testing
