#include "turn/service/stream_connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "turn/stream_framing.h"
#include "turn/service/worker.h"

namespace peerkit::turn {

namespace asio = boost::asio;

namespace {
constexpr std::size_t kInitialBuffer = 4096;
constexpr std::size_t kMaxFrame = 20 + 65535 + 4;  // the largest STUN message or ChannelData
}  // namespace

StreamConnection::StreamConnection(Worker& worker, ClientRoute route, Tcp socket,
                                   std::shared_ptr<asio::ssl::context> tls,
                                   std::size_t max_queue_bytes, Timestamp now)
    : worker_(&worker),
      route_(route),
      tls_context_(std::move(tls)),
      max_queue_bytes_(max_queue_bytes),
      accepted_at_(now),
      in_(kInitialBuffer) {
  socket.set_option(asio::ip::tcp::no_delay(true));
  if (tls_context_)
    tls_ = std::make_unique<Tls>(std::move(socket), *tls_context_);
  else
    tcp_ = std::make_unique<Tcp>(std::move(socket));
}

void StreamConnection::start() {
  if (!tls_) {
    ready_ = true;
    read_some();
    return;
  }
  tls_->async_handshake(asio::ssl::stream_base::server,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                          if (ec) return self->close();
                          self->ready_ = true;
                          self->read_some();
                        });
}

void StreamConnection::read_some() {
  if (closed_) return;
  if (in_used_ == in_.size()) {
    if (in_.size() >= kMaxFrame * 2) return close();  // cannot happen with valid framing
    in_.resize(std::min(in_.size() * 2, kMaxFrame * 2));
  }
  auto buffer = asio::buffer(in_.data() + in_used_, in_.size() - in_used_);
  auto handler = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
    self->on_read(ec, n);
  };
  if (tls_)
    tls_->async_read_some(buffer, handler);
  else
    tcp_->async_read_some(buffer, handler);
}

void StreamConnection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (ec || closed_) return close();
  in_used_ += n;
  std::size_t offset = 0;
  while (!closed_) {
    auto r = next_frame(ByteSpan(in_.data() + offset, in_used_ - offset));
    if (r.status == FrameStatus::kNeedMore) break;
    if (r.status == FrameStatus::kInvalid) return close();  // not TURN: the stream is lost
    worker_->on_stream_frame(*this, ByteSpan(in_.data() + offset, r.frame_length));
    offset += r.consumed;
  }
  worker_->flush();
  if (offset > 0) {
    std::memmove(in_.data(), in_.data() + offset, in_used_ - offset);
    in_used_ -= offset;
  }
  read_some();
}

bool StreamConnection::send(ByteSpan frame) {
  if (closed_ || !ready_) return false;
  if (out_bytes_ + frame.size() > max_queue_bytes_) return false;
  out_.emplace_back(frame.begin(), frame.end());
  out_bytes_ += frame.size();
  if (!writing_) write_next();
  return true;
}

void StreamConnection::write_next() {
  if (out_.empty() || closed_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  auto handler = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
    if (ec) return self->close();
    self->out_bytes_ -= self->out_.front().size();
    self->out_.pop_front();
    self->write_next();
  };
  auto buffer = asio::buffer(out_.front());
  if (tls_)
    asio::async_write(*tls_, buffer, handler);
  else
    asio::async_write(*tcp_, buffer, handler);
}

void StreamConnection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  auto& sock = tls_ ? tls_->lowest_layer() : *tcp_;
  sock.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
  // Tell the worker after the current handler returns: it owns us and may erase us.
  asio::post(sock.get_executor(), [self = shared_from_this()] {
    self->worker_->on_stream_closed(self->route_.connection);
  });
}

}  // namespace peerkit::turn
