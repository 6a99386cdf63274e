// A TCP or TLS byte stream behind one type, for every driver that speaks over streams (TURN over
// TCP/TLS on both sides, RFC 8656 §3.1; later the peer's signaling client).
//
//   reads:  bytes → framer(buffered) → on_frame(frame)… → on_batch_end()   (one read at a time)
//   writes: send(frame) copies into a bounded queue. An idle stream starts writing at once; while
//           a write is in flight, everything queued meanwhile waits and then leaves in the next
//           single gather write (coalescing: over TCP one writev for all of it). Over TLS each
//           frame still becomes its own record: some TURN clients (coturn's turnutils_uclient)
//           read one message per SSL_read and lose the rest of a record holding several.
//   close:  on_close(why) runs exactly once, posted, after which no handler runs again.
//
// A Stream belongs to one Loop: every call on the loop thread. It is owned through a shared_ptr
// because Asio completions may outlive the owner's reference; handlers are dropped on close so
// an owner captured in them is not kept alive.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"
#include "common/frame_cut.h"
#include "common/time.h"
#include "net/tls.h"

namespace peerkit::net {

struct StreamOptions {
  std::size_t max_queue_bytes = 256 * 1024;   // written-but-not-sent bytes; past it send() fails
  std::size_t max_frame_bytes = 65536 + 128;  // a framer needing more than this closes the stream
  Duration handshake_timeout = Duration::seconds(10);  // TLS handshake deadline
};

struct StreamStats {
  std::uint64_t writes = 0;  // write operations started (each one gather of what was queued)
  std::uint64_t bytes_written = 0;
  std::uint64_t frames_sent = 0;     // send() calls accepted
  std::uint64_t frames_dropped = 0;  // send() calls refused (queue full or not ready)
  std::uint64_t frames_received = 0;
};

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using Framer = std::function<FrameCut(ByteSpan buffered)>;
  struct Handlers {
    Framer framer;                                 // required
    std::function<void(ByteSpan frame)> on_frame;  // required
    std::function<void()> on_batch_end;            // after the frames of one read
    std::function<void()> on_ready;                // connected (TLS: after the handshake)
    std::function<void(std::string_view why)> on_close;
  };

  static std::shared_ptr<Stream> plain(Socket socket, StreamOptions options = {});
  static std::shared_ptr<Stream> tls_server(Socket socket, TlsContextPtr context,
                                            StreamOptions options = {});
  // Verifies that the server's certificate names `peer_name` (net/tls.h, verify_server_name).
  static std::shared_ptr<Stream> tls_client(Socket socket, TlsContextPtr context,
                                            const std::string& peer_name,
                                            StreamOptions options = {});
  ~Stream();

  // Starts the TLS handshake (if any), then reading.
  void start(Handlers handlers);
  // Queues a copy of `bytes`. False, and counted in frames_dropped, when the stream is not ready,
  // closed, or the queue would pass max_queue_bytes; the frame is then lost, as on a congested
  // network, rather than stalling the loop.
  bool send(ByteSpan bytes);
  // Closes at once; what is queued is dropped. on_close("closed locally") follows, posted.
  void close() { close_with("closed locally"); }

  bool ready() const { return ready_; }
  bool closed() const { return closed_; }
  std::size_t queued_bytes() const { return pending_.size() + in_flight_.size(); }
  const StreamStats& stats() const { return stats_; }
  const SocketAddress& local() const { return local_; }

 private:
  struct Private {};

 public:
  Stream(Private, Socket socket, TlsContextPtr context, StreamOptions options);

 private:
  using TlsStream = boost::asio::ssl::stream<Socket>;
  Socket& socket();
  template <class F>
  void with_stream(F&& f);
  void handshake(bool server);
  void became_ready();
  void read_some();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void schedule_write();
  void write_queued();
  void close_with(std::string why);

  StreamOptions options_;
  TlsContextPtr context_;  // keeps the context alive for the stream's lifetime
  std::optional<Socket> tcp_;
  std::optional<TlsStream> tls_;
  boost::asio::steady_timer handshake_timer_;
  Handlers handlers_;
  SocketAddress local_;
  bool tls_server_ = false;  // which side of the TLS handshake we are
  bool ready_ = false;
  bool closed_ = false;
  bool writing_ = false;       // a write is in flight
  std::vector<std::byte> in_;  // read buffer; frames are handed out of it in place
  std::size_t in_used_ = 0;
  // Frames queued since the write in flight started, back to back, and each one's size; the
  // same for the write in flight. Swapped when a write starts, so their capacity is reused.
  std::vector<std::byte> pending_, in_flight_;
  std::vector<std::size_t> pending_sizes_, in_flight_sizes_;
  std::vector<boost::asio::const_buffer> gather_;
  StreamStats stats_;
};

}  // namespace peerkit::net
