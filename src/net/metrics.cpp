#include "net/metrics.h"

#include <prometheus/text_serializer.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <limits>
#include <memory>

namespace peerkit::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

void add_family(MetricFamilies& out, std::string name, std::string help,
                prometheus::MetricType type, const std::vector<Sample>& samples) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  for (const auto& s : samples) {
    prometheus::ClientMetric m;
    for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
    if (type == prometheus::MetricType::Counter)
      m.counter.value = s.value;
    else
      m.gauge.value = s.value;
    family.metric.push_back(std::move(m));
  }
  out.push_back(std::move(family));
}

void add_histogram(MetricFamilies& out, std::string name, std::string help,
                   const std::vector<HistogramSample>& samples) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Histogram;
  for (const auto& s : samples) {
    prometheus::ClientMetric m;
    for (const auto& [k, v] : s.labels) m.label.push_back({k, v});
    const LatencyHistogram& h = s.histogram;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < LatencyHistogram::kBoundsUs.size(); ++i) {
      cumulative += h.bucket(i);
      m.histogram.bucket.push_back({cumulative, static_cast<double>(LatencyHistogram::kBoundsUs[i]) / 1e6});
    }
    m.histogram.bucket.push_back({h.count(), std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = h.count();
    m.histogram.sample_sum = static_cast<double>(h.sum_us()) / 1e6;
    family.metric.push_back(std::move(m));
  }
  out.push_back(std::move(family));
}

std::string render_metrics(const MetricFamilies& families) {
  return prometheus::TextSerializer().Serialize(families);
}

namespace {

struct Session : std::enable_shared_from_this<Session> {
  Session(tcp::socket s, const std::string& path, const std::function<std::string()>& render)
      : stream(std::move(s)), path(path), render(render) {}

  void start() {
    stream.expires_after(std::chrono::seconds(10));
    parser.body_limit(1024);        // a scrape has no body
    parser.header_limit(8 * 1024);  // and small headers
    http::async_read(stream, buffer, parser, [self = shared_from_this()](auto ec, std::size_t) {
      if (!ec) self->respond();
    });
  }

  void respond() {
    const auto& req = parser.get();
    response.version(req.version());
    response.keep_alive(false);
    const std::string target(req.target());
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      response.result(http::status::method_not_allowed);
      response.set(http::field::allow, "GET, HEAD");  // RFC 9110 §15.5.6
      response.body() = "method not allowed\n";
    } else if (target == path) {
      response.result(http::status::ok);
      response.set(http::field::content_type, kMetricsContentType);
      response.body() = render();
    } else if (target == "/") {
      response.result(http::status::ok);
      response.body() = "ok\n";
    } else {
      response.result(http::status::not_found);
      response.body() = "not found\n";
    }
    response.prepare_payload();
    if (req.method() == http::verb::head) response.body().clear();
    http::async_write(stream, response, [self = shared_from_this()](auto, std::size_t) {
      beast::error_code ignored;
      self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream;
  const std::string& path;
  const std::function<std::string()>& render;
  beast::flat_buffer buffer{8 * 1024};
  http::request_parser<http::string_body> parser;
  http::response<http::string_body> response;
};

}  // namespace

MetricsEndpoint::MetricsEndpoint(std::string address, std::uint16_t port, std::string path,
                                 std::function<std::string()> render)
    : address_(std::move(address)),
      port_(port),
      path_(std::move(path)),
      render_(std::move(render)) {}

MetricsEndpoint::~MetricsEndpoint() {
  if (!loop_.running()) return;
  std::promise<void> closed;
  loop_.post([this, &closed] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
  loop_.stop();
}

std::string MetricsEndpoint::start() {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(address_, ec);
  if (ec) return "prometheus-address '" + address_ + "' is not an IP address";
  const tcp::endpoint at(ip, port_);
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(64, ec);
  if (ec)
    return "cannot listen for metrics on " + address_ + ":" + std::to_string(port_) + ": " +
           ec.message();
  port_ = acceptor_.local_endpoint().port();
  accept();
  loop_.start();
  return {};
}

void MetricsEndpoint::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<Session>(std::move(socket), path_, render_)->start();
    accept();
  });
}

}  // namespace peerkit::net
