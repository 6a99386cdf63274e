#include "server/ws_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "common/log_safe.h"

namespace peerkit::server {

template <class Stream>
WsSession<Stream>::WsSession(SessionHost& host, Stream&& stream, ConnectionSlot slot,
                             signaling::SessionId id, Upgrade upgrade)
    : node_(host),
      ws_(std::move(stream), host.round()),
      slot_(std::move(slot)),
      id_(id),
      upgrade_(std::move(upgrade)) {}

template <class Stream>
void WsSession<Stream>::start(Request request) {
  const auto& limits = node_.limits();
  host_ = std::string(request[http::field::host]);
  ws_.next_layer().set_owner(this->weak_from_this());
  if constexpr (std::is_same_v<Stream, TlsStream>)
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket timeouts below take over
  ws_.read_message_max(limits.max_frame_bytes);
  // Beast times the opening and closing handshakes; idle pings and the idle timeout come from the
  // node's one tick (idle_tick) instead of a timer per connection.
  websocket::stream_base::timeout timeout;
  timeout.handshake_timeout = limits.handshake_timeout;
  timeout.idle_timeout = websocket::stream_base::none();
  timeout.keep_alive_pings = false;
  ws_.set_option(timeout);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "peerkit"); }));
  ws_.async_accept(request, [self = this->shared_from_this()](beast::error_code ec) {
    if (ec) {
      spdlog::debug("websocket handshake failed: {} {}", ec.message(), self->who());
      return;
    }
    self->opened_ = true;
    self->node_.on_ws_open(self->id_, self->upgrade_, self->host_, self->slot_.address(), self);
    if (!self->finished_) self->read();
  });
}

template <class Stream>
void WsSession<Stream>::read() {
  ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big)
        spdlog::info("websocket closed: frame over {} bytes {}",
                     self->node_.limits().max_frame_bytes, self->who());
      self->finish();
      return;
    }
    const auto data = self->buffer_.cdata();
    if (!self->reported_)  // after an overflow the host has forgotten this session
      self->node_.on_ws_message(
          self->id_, self->upgrade_.kind,
          std::string_view(static_cast<const char*>(data.data()), data.size()));
    self->buffer_.consume(self->buffer_.size());
    // A large message leaves a large buffer behind; idle connections should stay small.
    if (self->buffer_.capacity() > 16 * 1024) self->buffer_.shrink_to_fit();
    if (!self->finished_) self->read();
  });
}

template <class Stream>
bool WsSession<Stream>::send(std::string_view text) {
  if (finished_ || close_requested_) return false;
  auto& out = ws_.next_layer();
  const auto& limits = node_.limits();
  if (out.bytes() + text.size() > limits.write_queue_bytes ||
      out.frames() >= limits.write_queue_messages) {
    ++node_.stats().write_queue_overflows;
    spdlog::info("websocket closed: write queue full (reader too slow) {}", who());
    // Drop what waits (keep what is being written) and close right away: 1008 after the bytes
    // already on their way, and the session is gone for the host on the next loop turn (the
    // core is calling us now), so its room hears member-left and its PeerJS id is free at once.
    out.drop_queued_frames();
    close(signaling::kClosePolicy, "write queue full: reading too slowly");
    boost::asio::post(ws_.get_executor(),
                      [self = this->shared_from_this()] { self->report_closed(); });
    // A reader that never reads never lets the close frame out: the socket goes after the
    // handshake timeout, as a close handshake would.
    linger_ = std::make_unique<boost::asio::steady_timer>(ws_.get_executor());
    linger_->expires_after(limits.handshake_timeout);
    linger_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->finish();
    });
    return false;
  }
  ++node_.stats().frames_out;
  out.queue_text(text);
  schedule_flush();
  return true;
}

// Frames queued during this loop round leave together, after the input that is ready now has
// been handled (LoopRound); a flush while a write is in flight waits for it.
template <class Stream>
void WsSession<Stream>::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  node_.round().schedule(this->shared_from_this());
}

template <class Stream>
void WsSession<Stream>::flush() {
  flush_posted_ = false;
  ws_.next_layer().flush();
}

template <class Stream>
void WsSession<Stream>::idle_tick() {
  if (finished_ || !opened_) return;
  if (ws_.next_layer().take_heard()) {
    pinged_ = false;
    return;
  }
  if (!pinged_) {
    pinged_ = true;  // browsers answer pings; the pong counts as heard
    if (!close_requested_)
      ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) {});
    return;
  }
  spdlog::debug("websocket closed: idle timeout {}", who());
  finish();
}

template <class Stream>
void WsSession<Stream>::close(std::uint16_t code, std::string_view reason) {
  if (close_requested_ || finished_) return;
  close_requested_ = true;
  if (!opened_) return;
  // The close frame queues behind the frames already queued (CoalescingStream keeps the order);
  // the pending read then ends with `closed` and calls finish().
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                  [self = this->shared_from_this()](beast::error_code) {});
}

template <class Stream>
void WsSession<Stream>::report_closed() {
  if (reported_ || !opened_) return;
  reported_ = true;
  node_.on_ws_closed(id_, upgrade_.kind);
}

template <class Stream>
std::string WsSession<Stream>::who() const {
  std::string out = "peer=" + slot_.address().to_string();
  if (upgrade_.kind == SocketKind::kPeerJs) out += " id=" + log_safe(upgrade_.peerjs.id);
  return out;
}

template <class Stream>
void WsSession<Stream>::finish() {
  if (finished_) return;
  finished_ = true;
  if (linger_) linger_->cancel();
  report_closed();
  ws_.next_layer().fail({});
  beast::error_code ignored;
  if constexpr (std::is_same_v<Stream, TlsStream>)
    beast::get_lowest_layer(ws_).socket().close(ignored);
  else
    ws_.next_layer().next_layer().close(ignored);
}

template class WsSession<PlainSocket>;
template class WsSession<TlsStream>;

}  // namespace peerkit::server
