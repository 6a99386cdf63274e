#include "server/ws_session.h"

#include <spdlog/spdlog.h>

namespace peerkit::server {

template <class Stream>
WsSession<Stream>::WsSession(SessionHost& host, Stream&& stream, ConnectionSlot slot,
                             signaling::SessionId id, Upgrade upgrade)
    : node_(host),
      ws_(std::move(stream)),
      slot_(std::move(slot)),
      id_(id),
      upgrade_(std::move(upgrade)) {}

template <class Stream>
void WsSession<Stream>::start(Request request) {
  const auto& limits = node_.limits();
  host_ = std::string(request[http::field::host]);
  if constexpr (std::is_same_v<Stream, TlsStream>)
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket timeouts below take over
  ws_.read_message_max(limits.max_frame_bytes);
  websocket::stream_base::timeout timeout;
  timeout.handshake_timeout = limits.handshake_timeout;
  timeout.idle_timeout =
      limits.idle_timeout.count() != 0
          ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(limits.idle_timeout)
          : websocket::stream_base::none();
  timeout.keep_alive_pings = limits.idle_timeout.count() != 0;  // browsers answer pings
  ws_.set_option(timeout);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "peerkit"); }));
  ws_.async_accept(request, [self = this->shared_from_this()](beast::error_code ec) {
    if (ec) {
      spdlog::debug("websocket handshake failed: {} peer={}", ec.message(),
                    self->slot_.address().to_string());
      return;
    }
    self->opened_ = true;
    self->node_.on_ws_open(self->id_, self->upgrade_, self->host_, self);
    if (!self->finished_) self->read();
  });
}

template <class Stream>
void WsSession<Stream>::read() {
  ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      if (ec == websocket::error::message_too_big)
        spdlog::info("websocket closed: frame over {} bytes peer={}",
                     self->node_.limits().max_frame_bytes, self->slot_.address().to_string());
      self->finish();
      return;
    }
    const auto data = self->buffer_.cdata();
    self->node_.on_ws_message(self->id_, self->upgrade_.kind,
                              std::string_view(static_cast<const char*>(data.data()), data.size()));
    self->buffer_.consume(self->buffer_.size());
    // A large message leaves a large buffer behind; idle connections should stay small.
    if (self->buffer_.capacity() > 16 * 1024) self->buffer_.shrink_to_fit();
    if (!self->finished_) self->read();
  });
}

template <class Stream>
bool WsSession<Stream>::send(std::string text) {
  if (finished_ || close_requested_) return false;
  const auto& limits = node_.limits();
  if (pending_bytes_ + text.size() > limits.write_queue_bytes ||
      pending_.size() - head_ >= limits.write_queue_messages) {
    ++node_.stats().write_queue_overflows;
    spdlog::info("websocket closed: write queue full (reader too slow) peer={}",
                 slot_.address().to_string());
    // Drop what waits (keep the frame being written) and close right away.
    if (pending_.size() > head_ + 1) {
      for (std::size_t i = head_ + (writing_ ? 1 : 0); i < pending_.size(); ++i)
        pending_bytes_ -= pending_[i].size();
      pending_.resize(head_ + (writing_ ? 1 : 0));
    }
    close(signaling::kClosePolicy, "write queue full: reading too slowly");
    return false;
  }
  ++node_.stats().frames_out;
  pending_bytes_ += text.size();
  pending_.push_back(std::move(text));
  if (!writing_) write_next();
  return true;
}

template <class Stream>
void WsSession<Stream>::close(std::uint16_t code, std::string_view reason) {
  if (close_requested_ || finished_) return;
  close_requested_ = true;
  close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
  if (!writing_) write_next();
}

template <class Stream>
void WsSession<Stream>::write_next() {
  if (head_ == pending_.size()) {
    pending_.clear();
    head_ = 0;
    if (pending_.capacity() > 64) pending_.shrink_to_fit();
    if (close_requested_ && !closing_ && opened_ && !finished_) {
      closing_ = true;
      writing_ = true;
      ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code) {
        self->writing_ = false;  // the pending read ends with `closed` and calls finish()
      });
    }
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(boost::asio::buffer(pending_[head_]),
                  [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                    self->writing_ = false;
                    self->pending_bytes_ -= self->pending_[self->head_].size();
                    ++self->head_;
                    if (ec) {
                      self->finish();
                      return;
                    }
                    self->write_next();
                  });
}

template <class Stream>
void WsSession<Stream>::finish() {
  if (finished_) return;
  finished_ = true;
  if (opened_) node_.on_ws_closed(id_, upgrade_.kind);
  beast::error_code ignored;
  if constexpr (std::is_same_v<Stream, TlsStream>)
    beast::get_lowest_layer(ws_).socket().close(ignored);
  else
    beast::get_lowest_layer(ws_).close(ignored);
}

template class WsSession<PlainSocket>;
template class WsSession<TlsStream>;

}  // namespace peerkit::server
