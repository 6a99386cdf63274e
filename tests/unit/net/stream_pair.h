// Two connected net::Streams on 127.0.0.1, plain or TLS, driven on the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/loop.h"
#include "net/stream.h"
#include "support/test_certificate.h"

namespace peerkit::net::testing {

// Frames are a 4-byte big-endian length and that many bytes.
inline FrameCut length_prefixed(ByteSpan b) {
  if (b.size() < 4) return {};
  const std::size_t n =
      (std::to_integer<std::size_t>(b[0]) << 24) | (std::to_integer<std::size_t>(b[1]) << 16) |
      (std::to_integer<std::size_t>(b[2]) << 8) | std::to_integer<std::size_t>(b[3]);
  if (n == 0xFFFFFFFF) return {FrameCut::Status::kInvalid};
  if (b.size() < 4 + n) return {};
  return {FrameCut::Status::kFrame, 4 + n, 4 + n};
}

inline std::vector<std::byte> frame(std::size_t size, std::uint8_t fill) {
  std::vector<std::byte> f(4 + size, std::byte{fill});
  f[0] = std::byte(size >> 24);
  f[1] = std::byte(size >> 16);
  f[2] = std::byte(size >> 8);
  f[3] = std::byte(size);
  return f;
}

struct Side {
  std::shared_ptr<Stream> stream;
  std::vector<std::vector<std::byte>> frames;
  std::vector<std::string> closes;
  int ready = 0;
};

class StreamPair {
 public:
  StreamPair(bool tls, StreamOptions server_options = {}, StreamOptions client_options = {})
      : loop_("stream-test") {
    using boost::asio::ip::tcp;
    tcp::acceptor acceptor(loop_.context(),
                           tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket client_socket(loop_.context());
    client_socket.connect(acceptor.local_endpoint());
    tcp::socket server_socket = acceptor.accept();
    if (tls) {
      auto server_ctx = make_tls_server_context({cert_.cert_file(), cert_.key_file()});
      auto client_ctx = make_tls_client_context(cert_.cert_file());
      if (!server_ctx || !client_ctx) throw std::runtime_error("TLS contexts");
      server.stream = Stream::tls_server(std::move(server_socket), *server_ctx, server_options);
      client.stream =
          Stream::tls_client(std::move(client_socket), *client_ctx, "127.0.0.1", client_options);
    } else {
      server.stream = Stream::plain(std::move(server_socket), server_options);
      client.stream = Stream::plain(std::move(client_socket), client_options);
    }
  }

  void start() {
    start(server);
    start(client);
  }
  void start(Side& side) {
    side.stream->start(
        {.framer = length_prefixed,
         .on_frame = [&side](ByteSpan f) { side.frames.emplace_back(f.begin(), f.end()); },
         .on_batch_end = {},
         .on_ready = [&side] { ++side.ready; },
         .on_close = [&side](std::string_view why) { side.closes.emplace_back(why); }});
  }

  // Runs the loop on this thread until `done` holds, or fails the test after 20 s.
  bool run_until(const std::function<bool()>& done) {
    const Timestamp deadline = loop_.now() + Duration::seconds(20);
    while (!done()) {
      if (loop_.now() > deadline) {
        ADD_FAILURE() << "condition not reached within 20 s";
        return false;
      }
      loop_.run_for(Duration::millis(5));
    }
    return true;
  }

  Loop& loop() { return loop_; }

 private:
  // Declared first, destroyed last: the streams (and the handlers that hold them) go before
  // the io_context they belong to.
  peerkit::testing::TestCertificate cert_;
  Loop loop_;

 public:
  Side server, client;
};

}  // namespace peerkit::net::testing
