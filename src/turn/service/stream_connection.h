// One TCP or TLS client connection of a worker (RFC 8656 §3.1: TURN over TCP/TLS). Reads are
// cut into frames (stream_framing.h) and handed to the worker's core; writes go through a
// bounded queue with one write outstanding, so a slow reader costs at most
// `stream_write_queue_bytes` of memory and then loses frames rather than stalling the worker.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <deque>
#include <memory>
#include <vector>

#include "common/time.h"
#include "turn/transmit.h"

namespace peerkit::turn {

class Worker;

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
 public:
  using Tcp = boost::asio::ip::tcp::socket;
  using Tls = boost::asio::ssl::stream<Tcp>;

  StreamConnection(Worker& worker, ClientRoute route, Tcp socket,
                   std::shared_ptr<boost::asio::ssl::context> tls, std::size_t max_queue_bytes,
                   Timestamp now);

  void start();
  // False when the frame was dropped because the write queue is full.
  bool send(ByteSpan frame);
  void close();

  const ClientRoute& route() const { return route_; }
  Timestamp accepted_at() const { return accepted_at_; }
  bool ready() const { return ready_; }  // TLS handshake done (always true for TCP)

 private:
  void read_some();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  void write_next();

  Worker* worker_;
  ClientRoute route_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // keeps the context alive
  std::unique_ptr<Tls> tls_;
  std::unique_ptr<Tcp> tcp_;
  std::size_t max_queue_bytes_;
  Timestamp accepted_at_;
  bool ready_ = false;
  bool closed_ = false;
  bool writing_ = false;
  std::vector<std::byte> in_;
  std::size_t in_used_ = 0;
  std::deque<std::vector<std::byte>> out_;
  std::size_t out_bytes_ = 0;
};

}  // namespace peerkit::turn
