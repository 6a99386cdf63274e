// Prometheus metrics for every service, on prometheus-cpp's core library: services describe
// their counters and gauges as MetricFamily values when scraped (so the data path keeps plain
// integers and never touches a metrics object), and prometheus-cpp's TextSerializer writes the
// exposition format. MetricsEndpoint is the one HTTP endpoint that serves it (`peerkit turn`'s
// --prometheus); `peerkit serve` answers /metrics from its own HTTP server with the same text.
#pragma once

#include <prometheus/metric_family.h>

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/latency_histogram.h"
#include "net/loop.h"

namespace peerkit::net {

using MetricFamilies = std::vector<prometheus::MetricFamily>;

// One sample: its labels as `name="value"` pairs, and its value.
struct Sample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
};

// Appends a family of samples; `type` is counter or gauge.
void add_family(MetricFamilies& out, std::string name, std::string help,
                prometheus::MetricType type, const std::vector<Sample>& samples);

// One labelled histogram of a family.
struct HistogramSample {
  std::vector<std::pair<std::string, std::string>> labels;
  LatencyHistogram histogram;
};
// Appends a histogram family in seconds: cumulative buckets at LatencyHistogram's bounds and
// +Inf, _sum and _count.
void add_histogram(MetricFamilies& out, std::string name, std::string help,
                   const std::vector<HistogramSample>& samples);

// The text exposition format (version 0.0.4).
std::string render_metrics(const MetricFamilies& families);
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4";

// HTTP/1.1 on Beast: `path` serves render(), `/` answers "ok" (health checks), anything else
// 404, methods other than GET/HEAD 405. One request per connection (scrapes are rare and small),
// with header, body and time limits. render() runs on the endpoint's own loop thread.
class MetricsEndpoint {
 public:
  MetricsEndpoint(std::string address, std::uint16_t port, std::string path,
                  std::function<std::string()> render);
  ~MetricsEndpoint();
  std::string start();  // binds and starts its loop; an error text if it cannot bind
  std::uint16_t port() const { return port_; }

 private:
  void accept();

  std::string address_;
  std::uint16_t port_;
  std::string path_;
  std::function<std::string()> render_;
  Loop loop_{"metrics"};
  boost::asio::ip::tcp::acceptor acceptor_{loop_.context()};
};

}  // namespace peerkit::net
