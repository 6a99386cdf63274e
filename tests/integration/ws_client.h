// A WebSocket test client on Boost.Beast: a read loop collects frames; next() waits for one with
// a deadline (the condition, never a sleep). Loopback only.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <string>

namespace peerkit::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

// How long a connect plus a request or handshake may take on loopback before the helper gives up.
inline constexpr std::chrono::seconds kHandshakeDeadline{10};

class WsClient {
 public:
  // Connects and upgrades; `error()` tells why when false (e.g. the HTTP status of a refusal).
  bool connect(std::uint16_t port, const std::string& target) {
    // Asynchronous under a deadline: a server that never answers fails the test, not hangs it.
    auto& tcp = beast::get_lowest_layer(ws_);
    tcp.expires_after(kHandshakeDeadline);
    beast::error_code ec;
    bool done = false;
    tcp.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                      [&](beast::error_code e) { ec = e, done = true; });
    while (!done) io_.run_one();
    if (ec) return fail(ec.message());
    websocket::response_type response;
    done = false;
    ws_.async_handshake(response, "127.0.0.1:" + std::to_string(port), target,
                        [&](beast::error_code e) { ec = e, done = true; });
    while (!done) io_.run_one();
    status_ = response.result_int();
    if (ec) return fail(ec.message());
    tcp.expires_never();  // from here next()'s deadlines apply
    ws_.read_message_max(64 << 20);
    read_loop();
    return true;
  }
  // The next text frame, or nullopt at the deadline or once the socket closed.
  std::optional<std::string> next(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (frames_.empty() && !closed_ && std::chrono::steady_clock::now() < deadline)
      io_.run_one_until(deadline);
    if (frames_.empty()) return std::nullopt;
    auto f = std::move(frames_.front());
    frames_.pop_front();
    return f;
  }
  // Waits for the server's close; its code, or -1 at the deadline.
  int wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < deadline) io_.run_one_until(deadline);
    return closed_ ? static_cast<int>(ws_.reason().code) : -1;
  }
  void send(const std::string& text) {
    ws_.text(true);
    beast::error_code ec;
    ws_.write(asio::buffer(text), ec);
  }
  void close() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }
  std::string reason() const {
    return std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
  }
  unsigned status() const { return status_; }
  const std::string& error() const { return error_; }
  bool closed() const { return closed_; }

 private:
  bool fail(std::string e) {
    error_ = std::move(e);
    return false;
  }
  void read_loop() {
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      if (ec) {
        closed_ = true;
        return;
      }
      frames_.push_back(beast::buffers_to_string(buffer_.data()));
      buffer_.consume(buffer_.size());
      read_loop();
    });
  }

  asio::io_context io_;
  websocket::stream<beast::tcp_stream> ws_{io_};
  beast::flat_buffer buffer_;
  std::deque<std::string> frames_;
  bool closed_ = false;
  unsigned status_ = 0;
  std::string error_;
};

// One HTTP/1.1 request on a fresh connection, under kHandshakeDeadline; a failure (refused,
// reset, no answer in time) throws beast::system_error, which fails the calling test.
inline http::response<http::string_body> http_request(
    std::uint16_t port, http::verb verb, const std::string& target,
    std::initializer_list<std::pair<http::field, std::string>> headers = {}) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(kHandshakeDeadline);
  beast::error_code ec;
  auto run = [&] {
    io.run();
    io.restart();
    if (ec) throw beast::system_error(ec);
  };
  stream.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                       [&](beast::error_code e) { ec = e; });
  run();
  http::request<http::empty_body> request{verb, target, 11};
  request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [f, v] : headers) request.set(f, v);
  http::async_write(stream, request, [&](beast::error_code e, std::size_t) { ec = e; });
  run();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.skip(verb == http::verb::head);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) { ec = e; });
  run();
  return parser.release();
}

}  // namespace peerkit::testing
