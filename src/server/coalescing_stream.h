// The layer under Beast's websocket::stream in a WebSocket session: one gather write per socket
// per loop round. Reads pass straight through to the next layer (Beast keeps the handshake,
// reads, pings and the close handshake). Every write goes into one outgoing buffer: the session's
// text frames, pre-built here (RFC 6455 §5.2: a server-to-client frame is unmasked, so it is a
// 2-10 byte header and the payload), and Beast's own writes (the 101 response, pong, ping,
// close), copied whole so that no frame is ever split by another. While one write is in flight
// everything queued meanwhile waits, and leaves in the next single write.
#pragma once

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace peerkit::server {

// RFC 6455 §5.2: FIN, opcode 1 (text), MASK 0, payload length in 7, 7+16 or 7+64 bits.
inline void append_text_frame(std::string& out, std::string_view payload) {
  unsigned char header[10];
  std::size_t n = 2;
  const std::uint64_t size = payload.size();
  header[0] = 0x81;
  if (size < 126) {
    header[1] = static_cast<unsigned char>(size);
  } else if (size <= 0xffff) {
    header[1] = 126;
    header[2] = static_cast<unsigned char>(size >> 8);
    header[3] = static_cast<unsigned char>(size);
    n = 4;
  } else {
    header[1] = 127;
    for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<unsigned char>(size >> (56 - 8 * i));
    n = 10;
  }
  out.append(reinterpret_cast<const char*>(header), n);
  out.append(payload);
}

// What the WebSocket sessions of one loop share: one flush round for all of them, and one read
// buffer. Frames queued for many sessions while input is still being handled leave after it, one
// write per session; a session with unread bytes buffered holds the round back (bounded, so
// latency stays bounded too).
class LoopRound {
 public:
  class Flushable {
   public:
    virtual void flush() = 0;

   protected:
    ~Flushable() = default;
  };

  // Declared before the loop that runs it, so that sessions destroyed with the loop's pending
  // handlers still find it; bound to the loop once the loop exists.
  LoopRound() = default;
  ~LoopRound() {  // sessions released here may still report to this round
    auto dirty = std::move(dirty_);
    dirty.clear();
  }
  LoopRound(const LoopRound&) = delete;
  LoopRound& operator=(const LoopRound&) = delete;
  void bind(boost::asio::io_context::executor_type executor) { executor_.emplace(executor); }

  // At most once per round per session (the caller keeps a flag); `session` is kept alive until
  // its flush.
  void schedule(std::shared_ptr<Flushable> session) {
    dirty_.push_back(std::move(session));
    if (!posted_) post();
  }
  void input_buffered(bool more) { more ? ++buffered_ : --buffered_; }
  std::span<char> scratch() { return scratch_; }
  void count_write() { ++writes_; }
  std::uint64_t writes() const { return writes_; }  // socket writes of all sessions

 private:
  static constexpr int kMaxDeferrals = 16;
  void post() {
    posted_ = true;
    boost::asio::post(*executor_, [this] { run(); });
  }
  void run() {
    posted_ = false;
    if (buffered_ > 0 && ++deferrals_ < kMaxDeferrals) {
      post();
      return;
    }
    deferrals_ = 0;
    running_.swap(dirty_);
    for (auto& session : running_) session->flush();
    running_.clear();
  }

  std::optional<boost::asio::io_context::executor_type> executor_;
  std::vector<std::shared_ptr<Flushable>> dirty_;  // bounded: one entry per open session
  std::vector<std::shared_ptr<Flushable>> running_;
  std::size_t buffered_ = 0;
  std::uint64_t writes_ = 0;
  int deferrals_ = 0;
  bool posted_ = false;
  std::array<char, 64 * 1024> scratch_;
};

template <class Next>
class CoalescingStream {
 public:
  using next_layer_type = Next;
  using executor_type = typename Next::executor_type;

  CoalescingStream(Next&& next, LoopRound& round)
      : next_(std::move(next)), beast_wait_(next_.get_executor()), round_(round) {
    if constexpr (kBareSocket) {
      boost::system::error_code ignored;
      next_.non_blocking(true, ignored);
    }
  }
  ~CoalescingStream() {
    if (counted_) round_.input_buffered(false);
  }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  const Next& next_layer() const noexcept { return next_; }

  // Who keeps this stream alive while a write is in flight (the session owning it).
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  // On a bare socket: wait for readability, then one non-blocking read into the loop's shared
  // buffer; what Beast did not ask for stays here (and only then takes memory) for its next
  // reads. So an idle connection holds no read buffer of ours, and a burst of frames costs one
  // system call. TLS reads pass through.
  template <class Buffers, class Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if constexpr (!kBareSocket) {
      return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
          [this](auto handler, const Buffers& buffers) {
            next_.async_read_some(buffers,
                                  [this, handler = std::move(handler)](boost::system::error_code ec,
                                                                       std::size_t n) mutable {
                                    if (!ec) heard_ = true;
                                    std::move(handler)(ec, n);
                                  });
          },
          token, buffers);
    } else {
      return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
          [this](auto handler, const Buffers& buffers) {
            if (rest_pos_ < rest_.size()) {
              const std::size_t n = take_rest(buffers);
              boost::asio::post(next_.get_executor(), [handler = std::move(handler), n]() mutable {
                std::move(handler)(boost::system::error_code{}, n);
              });
              return;
            }
            if (counted_) {  // everything buffered has been handled
              counted_ = false;
              round_.input_buffered(false);
            }
            wait_and_read(std::move(handler), buffers);
          },
          token, buffers);
    }
  }

  // Beast's writes (one at a time: Beast holds its own write lock). The bytes join the queue;
  // the handler completes once the write that carries them is done, parked on a timer so that
  // the handler lives in the io_context, not in the session that owns it.
  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const Buffers& buffers) {
          const std::size_t n = boost::asio::buffer_size(buffers);
          const std::size_t at = queued_.size();
          queued_.resize(at + n);
          boost::asio::buffer_copy(boost::asio::buffer(queued_.data() + at, n), buffers);
          beast_queued_ = true;
          beast_wait_.expires_at(boost::asio::steady_timer::time_point::max());
          beast_wait_.async_wait(
              [this, n, handler = std::move(handler)](boost::system::error_code) mutable {
                std::move(handler)(beast_error_, beast_error_ ? 0 : n);
              });
          if (failed_)
            beast_wait_.cancel();
          else
            flush();
        },
        token, buffers);
  }

  // The session's own text frame. Sent by the next flush().
  void queue_text(std::string_view payload) {
    append_text_frame(queued_, payload);
    ++queued_frames_;
  }
  // Starts a write of everything queued unless one is in flight.
  void flush() {
    if (writing_ || queued_.empty() || failed_) return;
    auto keep = owner_.lock();
    if (!keep) return;
    writing_ = true;
    inflight_.swap(queued_);
    queued_.clear();
    inflight_frames_ = queued_frames_;
    queued_frames_ = 0;
    beast_inflight_ = beast_queued_;
    beast_queued_ = false;
    round_.count_write();
    boost::asio::async_write(
        next_, boost::asio::buffer(inflight_),
        [this, keep = std::move(keep)](boost::system::error_code ec, std::size_t) {
          writing_ = false;
          inflight_frames_ = 0;
          inflight_.clear();
          // A large burst leaves a large buffer behind; idle connections should stay small.
          if (inflight_.capacity() > 64 * 1024) inflight_.shrink_to_fit();
          if (ec) {
            fail(ec);
            return;
          }
          if (beast_inflight_) {
            beast_inflight_ = false;
            beast_wait_.cancel();
          }
          flush();
        });
  }
  // Drops the session's frames not yet being written (Beast's bytes stay).
  void drop_queued_frames() {
    if (queued_frames_ == 0) return;
    if (!beast_queued_) queued_.clear();
    // With Beast's bytes among them, keep the queue whole: the connection is about to close.
    queued_frames_ = 0;
  }
  // The connection is gone: Beast's parked write completes with an error, nothing more is sent.
  void fail(boost::system::error_code ec) {
    failed_ = true;
    beast_error_ = ec ? ec : boost::asio::error::operation_aborted;
    queued_.clear();
    beast_wait_.cancel();
  }

  // Whether anything (a frame, a pong) was read since the last call.
  bool take_heard() { return std::exchange(heard_, false); }

  std::size_t bytes() const { return queued_.size() + inflight_.size(); }
  std::size_t frames() const { return queued_frames_ + inflight_frames_; }
  bool writing() const { return writing_; }

 private:
  static constexpr bool kBareSocket =
      std::is_same_v<Next, boost::asio::basic_stream_socket<
                               boost::asio::ip::tcp, boost::asio::io_context::executor_type>>;

  template <class Buffers>
  std::size_t take_rest(const Buffers& buffers) {
    const std::size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::buffer(rest_.data() + rest_pos_, rest_.size() - rest_pos_));
    rest_pos_ += n;
    if (rest_pos_ == rest_.size()) {
      rest_pos_ = 0;
      rest_.clear();
      if (rest_.capacity() > 4096) std::string().swap(rest_);
    }
    return n;
  }

  template <class Handler, class Buffers>
  void wait_and_read(Handler handler, const Buffers& buffers) {
    next_.async_wait(
        boost::asio::socket_base::wait_read,
        [this, handler = std::move(handler), buffers](boost::system::error_code ec) mutable {
          if (ec) {
            std::move(handler)(ec, 0);
            return;
          }
          const auto scratch = round_.scratch();
          const std::size_t got =
              next_.read_some(boost::asio::buffer(scratch.data(), scratch.size()), ec);
          if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
            wait_and_read(std::move(handler), buffers);
            return;
          }
          if (ec) {
            std::move(handler)(ec, 0);
            return;
          }
          heard_ = true;
          const std::size_t n =
              boost::asio::buffer_copy(buffers, boost::asio::buffer(scratch.data(), got));
          if (n < got) {
            rest_.assign(scratch.data() + n, got - n);
            rest_pos_ = 0;
            counted_ = true;
            round_.input_buffered(true);
          }
          std::move(handler)(boost::system::error_code{}, n);
        });
  }

  Next next_;
  boost::asio::steady_timer beast_wait_;
  LoopRound& round_;
  std::string rest_;  // read but not yet given to Beast
  std::size_t rest_pos_ = 0;
  bool counted_ = false;  // counted in round_.input_buffered
  bool heard_ = false;
  std::weak_ptr<void> owner_;
  std::string queued_;
  std::string inflight_;
  std::size_t queued_frames_ = 0;
  std::size_t inflight_frames_ = 0;
  bool writing_ = false;
  bool failed_ = false;
  bool beast_queued_ = false;
  bool beast_inflight_ = false;
  boost::system::error_code beast_error_;
};

// Beast's close handshake ends with a teardown of the layer below; ours has none of its own.
template <class Next>
void teardown(boost::beast::role_type role, CoalescingStream<Next>& stream,
              boost::system::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

template <class Next, class Handler>
void async_teardown(boost::beast::role_type role, CoalescingStream<Next>& stream,
                    Handler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<Handler>(handler));
}

}  // namespace peerkit::server
