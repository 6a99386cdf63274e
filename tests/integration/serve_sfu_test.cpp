// `peerkit serve`'s SFU in-process on 127.0.0.1 (docs/protocol-rooms.md "SFU mode"): raw
// WebSocket members publish a captured Chromium offer and answer the server's subscribe offers;
// the answers, offers, stats, errors and /metrics come back across the SFU worker threads.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <sstream>
#include <thread>

#include "server/serve_node.h"
#include "support/browser_answer.h"
#include "ws_client.h"
#include "ws_next_of.h"
#include "support/sdp_data.h"

namespace peerkit {
namespace {

using testing::http_request;
using testing::WsClient;
using testing::next_of;
namespace json = boost::json;
namespace http = boost::beast::http;

std::string load(const std::string& name) {
  const std::string text = testing::read_sdp_data(name);
  return text;
}

class ServeSfuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    server::ServeConfig c;
    c.port = 0;
    c.turn = false;
    c.sfu.workers = 2;
    service = std::make_unique<server::ServeNode>(c);
    ASSERT_EQ(service->start(), "");
    port = service->port();
  }
  void TearDown() override { service->stop(); }

  // A member in `room`, its welcome and joined read; the joined message is returned.
  std::unique_ptr<WsClient> join(const std::string& room, const std::string& name,
                                 const std::string& mode, json::object* joined) {
    auto c = std::make_unique<WsClient>();
    EXPECT_TRUE(c->connect(port, "/ws")) << c->error();
    c->next();
    c->send(json::serialize(json::object{{"type", "join"}, {"room", room}, {"name", name}, {"mode", mode}}));
    *joined = json::parse(c->next().value_or("{}")).as_object();
    return c;
  }
  std::uint64_t sfu_members() {
    auto metrics = http_request(port, http::verb::get, "/metrics").body();
    std::uint64_t total = 0;
    std::istringstream lines(metrics);
    for (std::string line; std::getline(lines, line);)
      if (line.starts_with("peerkit_sfu_members{")) total += std::stoull(line.substr(line.rfind(' ') + 1));
    return total;
  }

  std::unique_ptr<server::ServeNode> service;
  std::uint16_t port = 0;
};

TEST_F(ServeSfuTest, PublishSubscribeStatsAndLeaveAcrossTheWorkerThreads) {
  json::object ja, jb;
  auto a = join("r", "Ann", "sfu", &ja);
  auto b = join("r", "Bo", "auto", &jb);
  EXPECT_EQ(ja.at("mode"), "sfu");
  EXPECT_EQ(jb.at("mode"), "sfu");  // the first member's policy holds
  const std::string ida(ja.at("self").at("id").as_string());

  a->send(json::serialize(json::object{{"type", "sfu-publish"}, {"sdp", load("chromium156-media-offer.sdp")}, {"height", 480}}));
  auto answer = next_of(*a, "sfu-publish-answer");
  ASSERT_TRUE(answer.contains("sdp"));
  const std::string sdp(answer.at("sdp").as_string());
  EXPECT_NE(sdp.find("a=ice-lite"), std::string::npos);
  const auto ports = service->sfu_ports();
  ASSERT_EQ(ports.size(), 2u);
  const bool names_a_worker = sdp.find("127.0.0.1 " + std::to_string(ports[0]) + " typ host") != std::string::npos ||
                              sdp.find("127.0.0.1 " + std::to_string(ports[1]) + " typ host") != std::string::npos;
  EXPECT_TRUE(names_a_worker) << sdp;

  auto offer = next_of(*b, "sfu-subscribe-offer");
  ASSERT_TRUE(offer.contains("sdp"));
  const std::string offered(offer.at("sdp").as_string());
  EXPECT_NE(offered.find("a=msid:" + ida + ' '), std::string::npos);
  b->send(json::serialize(json::object{{"type", "sfu-subscribe-answer"}, {"connection", offer.at("connection")},
                                       {"sdp", testing::browser_answer_to(offered)}}));
  b->send(R"({"type":"sfu-stats"})");
  auto stats = next_of(*b, "sfu-stats");
  ASSERT_TRUE(stats.contains("subscriptions")) << json::serialize(stats);
  EXPECT_EQ(stats.at("subscriptions").as_array().size(), 2u);  // Ann's audio and video
  EXPECT_EQ(stats.at("subscribeConnected"), false);           // no ICE/DTLS from a raw socket

  // A stale answer and a second publish are refused with reasons; the connection stays.
  // (a connection number past every integer type but the widest must not stop the worker)
  b->send(R"({"type":"sfu-subscribe-answer","connection":18446744073709551615,"sdp":"v=0"})");
  auto stale = next_of(*b, "error");
  EXPECT_EQ(stale.at("code"), "sfu-refused");
  EXPECT_EQ(stale.at("request"), "sfu-subscribe-answer");
  a->send(json::serialize(json::object{{"type", "sfu-publish"}, {"sdp", load("chromium156-media-offer.sdp")}}));
  EXPECT_EQ(next_of(*a, "error").at("code"), "sfu-refused");

  std::uint64_t members = 0;
  for (int i = 0; i < 40 && members != 2; ++i) {  // the workers publish their counters each second
    members = sfu_members();
    if (members != 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(members, 2u);
  // Every worker exports its forwarding-latency histogram (empty here: no media flowed).
  const std::string metrics = http_request(port, http::verb::get, "/metrics").body();
  EXPECT_NE(metrics.find("# TYPE peerkit_sfu_forwarding_latency_seconds histogram"), std::string::npos);
  EXPECT_NE(metrics.find("peerkit_sfu_forwarding_latency_seconds_bucket{worker=\"0\",le=\"0.001\"}"),
            std::string::npos);
  EXPECT_NE(metrics.find("peerkit_sfu_sender_reports_total{worker=\"0\"}"), std::string::npos);

  a->close();  // Ann's tracks go: Bo has nothing left to receive
  auto closed = next_of(*b, "sfu-subscribe-close");
  EXPECT_EQ(closed.at("connection"), offer.at("connection"));
}

TEST_F(ServeSfuTest, AMeshRoomRefusesSfuRequests) {
  json::object j;
  auto a = join("m", "Ann", "mesh", &j);
  EXPECT_EQ(j.at("mode"), "mesh");
  a->send(json::serialize(json::object{{"type", "sfu-publish"}, {"sdp", load("chromium156-media-offer.sdp")}}));
  EXPECT_EQ(next_of(*a, "error").at("code"), "not-sfu");
}

}  // namespace
}  // namespace peerkit
