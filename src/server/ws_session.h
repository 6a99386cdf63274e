// One WebSocket connection of `peerkit serve` (Boost.Beast), plain or TLS. Frames go to the
// node through SessionHost (and from there to a protocol core). Outgoing frames wait in one
// bounded buffer (CoalescingStream) and leave in one socket write per loop round: a reader too
// slow to keep the queue under its limits is closed (1008) instead of growing memory.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/coalescing_stream.h"
#include "server/session_host.h"

namespace peerkit::server {

namespace websocket = beast::websocket;

template <class Stream>
class WsSession final : public WsSessionBase,
                        public LoopRound::Flushable,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(SessionHost& host, Stream&& stream, ConnectionSlot slot, signaling::SessionId id,
            Upgrade upgrade);
  void start(Request request);
  bool send(std::string_view text) override;
  void close(std::uint16_t code, std::string_view reason) override;
  void flush() override;  // LoopRound
  void idle_tick() override;

 private:
  void read();
  void schedule_flush();
  void finish();
  // Reports the session gone to the host, once (finish, or a write-queue overflow).
  void report_closed();
  // "peer=<address>", and for PeerJS " id=<id>" made safe for a log line.
  std::string who() const;

  SessionHost& node_;
  websocket::stream<CoalescingStream<Stream>> ws_;
  ConnectionSlot slot_;
  signaling::SessionId id_;
  Upgrade upgrade_;
  std::string host_;  // Host header of the upgrade, for the rooms `welcome` ICE URLs
  beast::flat_buffer buffer_;
  // After an overflow: the close frame waits behind bytes the reader does not take, and Beast
  // times a close only once its frame is out. This bounds the wait (handshake_timeout).
  std::unique_ptr<boost::asio::steady_timer> linger_;
  bool flush_posted_ = false;
  bool pinged_ = false;
  bool opened_ = false;
  bool close_requested_ = false;
  bool finished_ = false;
  bool reported_ = false;  // on_ws_closed called
};

}  // namespace peerkit::server
