#include "server/http_session.h"

#include <spdlog/spdlog.h>

namespace peerkit::server {

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
  http::async_read(stream_, buffer_, *parser_,
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                     if (ec) {
                       if (ec != http::error::end_of_stream && ec != beast::error::timeout)
                         spdlog::debug("http read failed: {} peer={}", ec.message(),
                                       self->slot_.address().to_string());
                       self->close();
                       return;
                     }
                     ++self->host_.stats().http_requests;
                     Request request = self->parser_->release();
                     if (beast::websocket::is_upgrade(request)) {
                       auto up = self->host_.router().upgrade(request);
                       if (auto* upgrade = std::get_if<Upgrade>(&up)) {
                         if (self->host_.stopping()) {
                           self->close();
                           return;
                         }
                         self->host_.upgrade(std::move(self->stream_), std::move(self->slot_),
                                             std::move(*upgrade), std::move(request));
                         return;
                       }
                       self->response_ = std::move(std::get<Response>(up));
                       self->response_->keep_alive(false);
                     } else {
                       self->response_ = self->host_.router().handle(request);
                     }
                     http::async_write(self->stream_, *self->response_,
                                       [self](beast::error_code ec, std::size_t) {
                                         const bool again = !ec && self->response_->keep_alive() &&
                                                            !self->host_.stopping();
                                         self->response_.reset();
                                         if (again)
                                           self->read();
                                         else
                                           self->close();
                                       });
                   });
}

template <class Stream>
void HttpSession<Stream>::close() {
  beast::error_code ignored;
  beast::get_lowest_layer(stream_).socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send,
                                                     ignored);
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace peerkit::server
