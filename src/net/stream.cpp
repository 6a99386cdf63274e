#include "net/stream.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "net/asio_address.h"

namespace peerkit::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr std::size_t kInitialReadBuffer = 4096;
// A burst may grow the write buffers; a stream gives the memory back past this once drained.
constexpr std::size_t kKeepWriteCapacity = 64 * 1024;
}  // namespace

Stream::Stream(Private, Socket socket, TlsContextPtr context, StreamOptions options)
    : options_(options), context_(std::move(context)), handshake_timer_(socket.get_executor()) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (auto l = socket.local_endpoint(ec); !ec) local_ = from_endpoint(l);
  if (context_)
    tls_.emplace(std::move(socket), *context_);
  else
    tcp_.emplace(std::move(socket));
}

Stream::~Stream() = default;

std::shared_ptr<Stream> Stream::plain(Socket socket, StreamOptions options) {
  return std::make_shared<Stream>(Private{}, std::move(socket), nullptr, options);
}

std::shared_ptr<Stream> Stream::tls_server(Socket socket, TlsContextPtr context,
                                           StreamOptions options) {
  auto s = std::make_shared<Stream>(Private{}, std::move(socket), std::move(context), options);
  s->tls_server_ = true;
  return s;
}

std::shared_ptr<Stream> Stream::tls_client(Socket socket, TlsContextPtr context,
                                           const std::string& peer_name, StreamOptions options) {
  auto s = std::make_shared<Stream>(Private{}, std::move(socket), std::move(context), options);
  verify_server_name(*s->tls_, peer_name);
  return s;
}

Stream::Socket& Stream::socket() {
  return tls_ ? tls_->next_layer() : *tcp_;
}

// The one place that tells TCP from TLS.
template <class F>
void Stream::with_stream(F&& f) {
  if (tls_)
    f(*tls_);
  else
    f(*tcp_);
}

void Stream::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  if (!tls_) {
    asio::post(socket().get_executor(), [self = shared_from_this()] {
      if (!self->closed_) self->became_ready();
    });
    return;
  }
  handshake_timer_.expires_after(std::chrono::microseconds(options_.handshake_timeout.us()));
  handshake_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!ec && self && !self->ready_) self->close_with("TLS handshake timed out");
  });
  tls_->async_handshake(
      tls_server_ ? asio::ssl::stream_base::server : asio::ssl::stream_base::client,
      [self = shared_from_this()](const boost::system::error_code& ec) {
        if (self->closed_) return;
        if (ec) return self->close_with("TLS handshake: " + ec.message());
        self->handshake_timer_.cancel();
        self->became_ready();
      });
}

void Stream::became_ready() {
  ready_ = true;
  in_.resize(kInitialReadBuffer);
  if (handlers_.on_ready) handlers_.on_ready();
  if (!pending_.empty()) schedule_write();
  read_some();
}

void Stream::read_some() {
  if (closed_) return;
  if (in_used_ == in_.size()) {
    // The framer wants more than is buffered: grow, up to what one frame may need.
    if (in_.size() >= options_.max_frame_bytes) return close_with("frame larger than the limit");
    in_.resize(std::min(in_.size() * 2, options_.max_frame_bytes));
  }
  auto buffer = asio::buffer(in_.data() + in_used_, in_.size() - in_used_);
  with_stream([&](auto& s) {
    s.async_read_some(buffer, [self = shared_from_this()](const boost::system::error_code& ec,
                                                          std::size_t n) { self->on_read(ec, n); });
  });
}

void Stream::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec) return close_with(ec == asio::error::eof ? "closed by the peer" : ec.message());
  in_used_ += n;
  std::size_t offset = 0;
  while (!closed_ && offset < in_used_) {
    const FrameCut cut = handlers_.framer(ByteSpan(in_.data() + offset, in_used_ - offset));
    if (cut.status == FrameCut::Status::kNeedMore) break;
    if (cut.status == FrameCut::Status::kInvalid || cut.consumed == 0 ||
        cut.consumed > in_used_ - offset)
      return close_with("bytes that are not a frame");
    ++stats_.frames_received;
    handlers_.on_frame(ByteSpan(in_.data() + offset, cut.frame_length));
    offset += cut.consumed;
  }
  if (closed_) return;
  if (handlers_.on_batch_end) handlers_.on_batch_end();
  if (closed_) return;
  if (offset > 0) {
    std::memmove(in_.data(), in_.data() + offset, in_used_ - offset);
    in_used_ -= offset;
  }
  read_some();
}

bool Stream::send(ByteSpan bytes) {
  if (closed_ || queued_bytes() + bytes.size() > options_.max_queue_bytes) {
    ++stats_.frames_dropped;
    return false;
  }
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  pending_sizes_.push_back(bytes.size());
  ++stats_.frames_sent;
  if (ready_) schedule_write();
  return true;
}

// An idle stream writes at once (no added latency); frames queued while that write is in flight
// leave together in the next one.
void Stream::schedule_write() {
  if (writing_) return;
  writing_ = true;
  write_queued();
}

void Stream::write_queued() {
  if (closed_) return;
  if (pending_.empty()) {
    writing_ = false;
    return;
  }
  std::swap(pending_, in_flight_);  // pending_ keeps the old write's capacity
  std::swap(pending_sizes_, in_flight_sizes_);
  ++stats_.writes;
  gather_.clear();
  std::size_t at = 0;
  for (const std::size_t n : in_flight_sizes_) {
    gather_.emplace_back(in_flight_.data() + at, n);
    at += n;
  }
  auto done = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->close_with("write: " + ec.message());
    self->stats_.bytes_written += n;
    self->in_flight_.clear();
    self->in_flight_sizes_.clear();
    if (self->in_flight_.capacity() > kKeepWriteCapacity) self->in_flight_.shrink_to_fit();
    self->write_queued();  // what queued meanwhile, in one write
  };
  with_stream([&](auto& s) { asio::async_write(s, gather_, std::move(done)); });
}

void Stream::close_with(std::string why) {
  if (closed_) return;
  closed_ = true;
  ready_ = false;
  boost::system::error_code ignored;
  handshake_timer_.cancel();
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
  pending_.clear();
  pending_sizes_.clear();
  // Posted: the owner may destroy its reference to us from on_close.
  asio::post(socket().get_executor(), [self = shared_from_this(), why = std::move(why)] {
    auto on_close = std::move(self->handlers_.on_close);
    self->handlers_ = {};
    if (on_close) on_close(why);
  });
}

}  // namespace peerkit::net
