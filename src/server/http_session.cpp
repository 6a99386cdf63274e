#include "server/http_session.h"

#include <spdlog/spdlog.h>

namespace peerkit::server {

namespace {

// How long a connection that is being closed is still read (and what it sends dropped) so that
// the answer before the close reaches the client instead of being cut by a reset.
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 64 * 1024;

}  // namespace

template <class Stream>
void HttpSession<Stream>::start() {
  beast::get_lowest_layer(stream_).expires_after(host_.limits().handshake_timeout);
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              if (ec) {
                                spdlog::debug("TLS handshake failed: {} peer={}", ec.message(),
                                              self->slot_.address().to_string());
                                return;
                              }
                              self->read();
                            });
  } else {
    read();
  }
}

template <class Stream>
void HttpSession<Stream>::read() {
  parser_.emplace();
  parser_->header_limit(8 * 1024);
  parser_->body_limit(16 * 1024);
  beast::get_lowest_layer(stream_).expires_after(host_.limits().handshake_timeout);
  // The header first: its framing is checked before Beast reads a body by it.
  http::async_read_header(
      stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->failed(ec);
        if (auto status = framing_error(self->parser_->get())) {
          spdlog::debug("http request refused: ambiguous framing peer={}",
                        self->slot_.address().to_string());
          return self->answer(error_response(
              *status, "Transfer-Encoding must be one chunked, without Content-Length\n"));
        }
        if (self->parser_->is_done()) return self->on_request();
        http::async_read(self->stream_, self->buffer_, *self->parser_,
                         [self](beast::error_code ec, std::size_t) {
                           if (ec) return self->failed(ec);
                           self->on_request();
                         });
      });
}

template <class Stream>
void HttpSession<Stream>::failed(beast::error_code ec) {
  if (auto status = parse_error_status(ec)) {
    spdlog::debug("http request refused: {} peer={}", ec.message(),
                  slot_.address().to_string());
    const std::string text = *status == http::status::request_header_fields_too_large
                                 ? "request header fields too large\n"
                             : *status == http::status::payload_too_large
                                 ? "request body too large\n"
                                 : "malformed request: " + ec.message() + "\n";
    return answer(error_response(*status, text));
  }
  if (ec != http::error::end_of_stream && ec != beast::error::timeout)
    spdlog::debug("http read failed: {} peer={}", ec.message(), slot_.address().to_string());
  close();
}

template <class Stream>
void HttpSession<Stream>::on_request() {
  ++host_.stats().http_requests;
  Request request = parser_->release();
  if (beast::websocket::is_upgrade(request)) {
    auto up = host_.router().upgrade(request);
    if (auto* upgrade = std::get_if<Upgrade>(&up)) {
      if (host_.stopping()) return close();
      host_.upgrade(std::move(stream_), std::move(slot_), std::move(*upgrade), std::move(request));
      return;
    }
    Response refused = std::move(std::get<Response>(up));
    refused.keep_alive(false);
    return answer(std::move(refused));
  }
  answer(host_.router().handle(request));
}

template <class Stream>
void HttpSession<Stream>::answer(Response response) {
  response_ = std::move(response);
  http::async_write(stream_, *response_,
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      const bool again =
                          !ec && self->response_->keep_alive() && !self->host_.stopping();
                      self->response_.reset();
                      if (again)
                        self->read();
                      else
                        self->close();
                    });
}

template <class Stream>
void HttpSession<Stream>::close() {
  auto& lowest = beast::get_lowest_layer(stream_);
  beast::error_code ignored;
  lowest.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  // Read on (and drop) until the client closes too, for a bounded time and amount.
  lowest.expires_after(kLinger);
  linger();
}

template <class Stream>
void HttpSession<Stream>::linger() {
  beast::get_lowest_layer(stream_).async_read_some(
      boost::asio::buffer(drain_),
      [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
        self->lingered_ += n;
        if (!ec && self->lingered_ < kLingerBytes) self->linger();
      });
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace peerkit::server
