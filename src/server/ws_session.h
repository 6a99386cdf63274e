// One WebSocket connection of `peerkit serve` (Boost.Beast), plain or TLS. Frames go to the
// node through SessionHost (and from there to a protocol core); outgoing frames wait in a bounded
// queue: a reader too slow to keep the queue under its limits is closed (1008) instead of growing
// memory.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/session_host.h"

namespace peerkit::server {

namespace websocket = beast::websocket;

template <class Stream>
class WsSession final : public WsSessionBase,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(SessionHost& host, Stream&& stream, ConnectionSlot slot, signaling::SessionId id,
            Upgrade upgrade);
  void start(Request request);
  bool send(std::string text) override;
  void close(std::uint16_t code, std::string_view reason) override;

 private:
  void read();
  void write_next();
  void finish();

  SessionHost& node_;
  websocket::stream<Stream> ws_;
  ConnectionSlot slot_;
  signaling::SessionId id_;
  Upgrade upgrade_;
  std::string host_;  // Host header of the upgrade, for the rooms `welcome` ICE URLs
  beast::flat_buffer buffer_;
  std::vector<std::string> pending_;  // frames to write; pending_[head_] is being written
  std::size_t head_ = 0;
  std::size_t pending_bytes_ = 0;
  bool writing_ = false;
  bool opened_ = false;
  bool close_requested_ = false;
  bool closing_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;
};

}  // namespace peerkit::server
