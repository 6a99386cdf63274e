#include "apps/peerkit/ws_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>
#include <deque>

namespace peerkit::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string parse_ws_url(const std::string& text, WsUrl& out) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return "'" + text + "' is not a URL (expected ws://HOST:PORT/ws or wss://…)";
  const auto scheme = parsed->scheme();
  if (scheme == "ws" || scheme == "http")
    out.tls = false;
  else if (scheme == "wss" || scheme == "https")
    out.tls = true;
  else
    return "'" + text + "': the scheme must be ws://, wss://, http:// or https://";
  out.host = parsed->host_address();
  if (out.host.empty()) return "'" + text + "' has no host";
  if (out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  out.port = out.tls ? 443 : 80;
  if (parsed->has_port()) {
    const auto p = parsed->port_number();
    if (p == 0) return "'" + text + "' has a bad port";
    out.port = p;
  }
  std::string path(parsed->encoded_path());
  if (path.empty() || path == "/") path = "/ws";
  out.target = path + (parsed->has_query() ? "?" + std::string(parsed->encoded_query()) : "");
  out.text = text;
  return {};
}

namespace {

std::string tls_failure(const beast::error_code& ec, SSL* ssl, const std::string& host) {
  const long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (verify != X509_V_OK)
    return "the server's TLS certificate was refused: " +
           std::string(X509_verify_cert_error_string(verify)) + " (host " + host +
           "); to trust a private CA, pass it with --ca FILE";
  return "TLS handshake with " + host + " failed: " + ec.message();
}

template <class Next>
class Client final : public WsClient, public std::enable_shared_from_this<Client<Next>> {
 public:
  template <class... A>
  Client(net::Loop& loop, WsUrl url, Handlers h, A&&... next)
      : loop_(loop),
        url_(std::move(url)),
        h_(std::move(h)),
        resolver_(loop.context()),
        ws_(std::forward<A>(next)...) {}

  void start() override {
    auto self = this->shared_from_this();
    resolver_.async_resolve(
        url_.host, std::to_string(url_.port),
        [self](beast::error_code ec, tcp::resolver::results_type results) {
          if (ec) return self->finish("cannot resolve " + self->url_.host + ": " + ec.message());
          self->connect(results);
        });
  }

  void send(std::string text) override {
    if (closing_ || done_) return;
    queue_.push_back(std::move(text));
    if (open_ && !writing_) write_next();
  }

  void close() override {
    if (done_ || closing_) return;
    closing_ = true;
    if (!open_) {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      return finish("closed", false);
    }
    if (!writing_) send_close();
  }

 private:
  void connect(const tcp::resolver::results_type& results) {
    auto self = this->shared_from_this();
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(ws_).async_connect(
        results, [self](beast::error_code ec, const tcp::endpoint&) {
          if (ec)
            return self->finish(
                "cannot connect to " + self->url_.host + ":" + std::to_string(self->url_.port) +
                ": " + (ec == beast::error::timeout ? std::string("timed out") : ec.message()));
          self->secure();
        });
  }

  void secure() {
    auto self = this->shared_from_this();
    if constexpr (std::is_same_v<Next, beast::tcp_stream>) {
      upgrade();
    } else {
      net::verify_server_name(ws_.next_layer(), url_.host);
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::client, [self](beast::error_code ec) {
            if (ec)
              return self->finish(
                  tls_failure(ec, self->ws_.next_layer().native_handle(), self->url_.host));
            self->upgrade();
          });
    }
  }

  void upgrade() {
    auto self = this->shared_from_this();
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.read_message_max(1 << 20);
    const bool default_port = url_.port == (url_.tls ? 443 : 80);
    const std::string host =
        (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host) +
        (default_port ? "" : ":" + std::to_string(url_.port));
    ws_.async_handshake(response_, host, url_.target, [self](beast::error_code ec) {
      if (ec) {
        const unsigned status = self->response_.result_int();
        if (status && status != 101)
          return self->finish("the server at " + self->url_.text +
                              " did not accept a WebSocket at " + self->url_.target + " (HTTP " +
                              std::to_string(status) + "); is it a peerkit serve address?");
        return self->finish("WebSocket handshake with " + self->url_.text +
                            " failed: " + ec.message());
      }
      self->open_ = true;
      if (self->h_.on_open) self->h_.on_open();
      self->read();
      if (self->closing_) return self->send_close();
      if (!self->queue_.empty() && !self->writing_) self->write_next();
    });
  }

  void read() {
    auto self = this->shared_from_this();
    ws_.async_read(buffer_, [self](beast::error_code ec, std::size_t) {
      if (ec) {
        if (self->closing_) return self->finish("closed", true);
        const auto& r = self->ws_.reason();
        if (ec == websocket::error::closed)
          return self->finish(
              "the server closed the connection (" + std::to_string(r.code) +
              (r.reason.empty() ? "" : " " + std::string(r.reason.data(), r.reason.size())) + ")");
        return self->finish("connection to the server lost: " + ec.message());
      }
      std::string frame = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      if (self->ws_.got_text() && self->h_.on_frame && !self->done_)
        self->h_.on_frame(std::move(frame));
      if (!self->done_) self->read();
    });
  }

  void write_next() {
    writing_ = true;
    auto self = this->shared_from_this();
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()), [self](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (!self->queue_.empty()) self->queue_.pop_front();
      if (ec) return self->finish("connection to the server lost: " + ec.message());
      if (!self->queue_.empty()) return self->write_next();
      if (self->closing_) self->send_close();
    });
  }

  void send_close() {
    if (sent_close_ || done_) return;
    sent_close_ = true;
    auto self = this->shared_from_this();
    ws_.async_close(websocket::close_code::normal, [self](beast::error_code) {
      // The read loop ends with the server's close answer; if it is not running, end here.
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
      self->finish("closed", true);
    });
  }

  void finish(std::string why, bool was_open = false) {
    if (done_) return;
    done_ = true;
    was_open = was_open || open_;
    auto h = std::move(h_);
    h_ = {};
    if (h.on_close) h.on_close(std::move(why), was_open);
  }

  net::Loop& loop_;
  WsUrl url_;
  Handlers h_;
  tcp::resolver resolver_;
  websocket::stream<Next> ws_;
  beast::flat_buffer buffer_;
  websocket::response_type response_;
  std::deque<std::string> queue_;
  bool open_ = false, writing_ = false, closing_ = false, sent_close_ = false, done_ = false;
};

}  // namespace

std::shared_ptr<WsClient> WsClient::create(net::Loop& loop, WsUrl url, net::TlsContextPtr tls,
                                           Handlers handlers) {
  if (url.tls)
    return std::make_shared<Client<asio::ssl::stream<beast::tcp_stream>>>(
        loop, std::move(url), std::move(handlers), loop.context(), *tls);
  return std::make_shared<Client<beast::tcp_stream>>(loop, std::move(url), std::move(handlers),
                                                     loop.context());
}

}  // namespace peerkit::app
