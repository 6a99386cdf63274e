// How sfuload (bench/sfuload.cpp) reaches each server's publish/subscribe: peerkit serve's rooms
// protocol in SFU mode (docs/protocol-rooms.md) over a WebSocket per member, or Janus VideoRoom's
// HTTP API (a session, one plugin handle per member, events by long poll).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace peerkit::bench {

class SfuSignaling {
 public:
  virtual ~SfuSignaling() = default;
  // A receiving member, once everything is published.
  virtual void add_subscriber(int index) = 0;
  // Publishes the offer (with our candidates); the server's answer.
  virtual std::string publish(int index, const std::string& offer_sdp) = 0;
  // The server's offer to subscriber `index` of what is published.
  virtual std::string subscribe_offer(int index) = 0;
  virtual void answer(int index, const std::string& answer_sdp) = 0;
  // From here on, only keep the sessions alive and drain what the servers send.
  virtual void keep_alive() = 0;
};

std::unique_ptr<SfuSignaling> peerkit_signaling(const std::string& host, std::uint16_t port);
std::unique_ptr<SfuSignaling> janus_signaling(const std::string& host, std::uint16_t port);

}  // namespace peerkit::bench
