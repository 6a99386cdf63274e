// net/latency_histogram.h and its Prometheus form (net::add_histogram).
#include "net/latency_histogram.h"

#include <gtest/gtest.h>

#include "net/metrics.h"

namespace peerkit::net {
namespace {

TEST(LatencyHistogram, BucketsByUpperBoundAndCountsWeightedSamples) {
  LatencyHistogram h;
  h.add(Duration::micros(10));
  h.add(Duration::micros(25));  // on a bound: in that bucket (le is inclusive)
  h.add(Duration::micros(26));
  h.add(Duration::micros(900), 7);
  h.add(Duration::millis(100));  // above every bound
  h.add(Duration::micros(-3));   // clock rounding: counted as 0
  EXPECT_EQ(h.count(), 12u);
  EXPECT_EQ(h.bucket(0), 3u);  // ≤ 25 µs
  EXPECT_EQ(h.bucket(1), 1u);  // ≤ 50 µs
  EXPECT_EQ(h.bucket(5), 7u);  // ≤ 1 ms
  EXPECT_EQ(h.bucket(LatencyHistogram::kBoundsUs.size()), 1u);
  EXPECT_EQ(h.sum_us(), 10u + 25 + 26 + 7 * 900 + 100'000);
  EXPECT_EQ(h.quantile_bound_us(0.25), 25);
  EXPECT_EQ(h.quantile_bound_us(0.9), 1000);
  EXPECT_EQ(h.quantile_bound_us(1.0), -1);  // the last sample is above every bound
  EXPECT_EQ(LatencyHistogram().quantile_bound_us(0.5), -1);
}

TEST(LatencyHistogram, RendersAsACumulativePrometheusHistogramInSeconds) {
  LatencyHistogram h;
  h.add(Duration::micros(20), 2);
  h.add(Duration::micros(300));
  MetricFamilies families;
  add_histogram(families, "x_latency_seconds", "help", {{{{"worker", "0"}}, h}});
  const std::string text = render_metrics(families);
  EXPECT_NE(text.find("# TYPE x_latency_seconds histogram"), std::string::npos) << text;
  EXPECT_NE(text.find("x_latency_seconds_bucket{worker=\"0\",le=\"2.5e-05\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("x_latency_seconds_bucket{worker=\"0\",le=\"0.0005\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("x_latency_seconds_bucket{worker=\"0\",le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("x_latency_seconds_count{worker=\"0\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("x_latency_seconds_sum{worker=\"0\"} 0.00034"), std::string::npos) << text;
}

}  // namespace
}  // namespace peerkit::net
