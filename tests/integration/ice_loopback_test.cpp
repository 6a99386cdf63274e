// Two ICE agents with their socket drivers on real loopback sockets (127.0.0.1 and ::1), in
// one io_context: the driver, IPv6, and relaying through peerkit's TURN service over UDP and
// TCP — the parts the simulated network cannot show.
#include <gtest/gtest.h>

#include "common/random.h"
#include "ice/driver/agent_driver.h"
#include "support/loopback_turn.h"
#include "support/turn_test_client.h"
#include "turn/service/turn_service.h"

namespace peerkit {
namespace {

namespace asio = boost::asio;

struct Side {
  Side(net::Loop& loop, ice::AgentConfig c, RandomSource& random)
      : agent(std::move(c), random), driver(loop, agent) {}
  ice::Agent agent;
  ice::AgentDriver driver;
  std::vector<std::string> received;
};

class IceLoopback : public ::testing::Test {
 protected:
  void make(ice::AgentConfig base, const char* ip) {
    base.role = ice::Role::kControlling;
    a = std::make_unique<Side>(loop, base, random);
    base.role = ice::Role::kControlled;
    b = std::make_unique<Side>(loop, base, random);
    wire(*a, *b);
    wire(*b, *a);
    ASSERT_EQ(a->driver.add_host(*IpAddress::parse(ip)), "");
    ASSERT_EQ(b->driver.add_host(*IpAddress::parse(ip)), "");
  }
  static void wire(Side& from, Side& to) {
    from.driver.on_event = [&to](const ice::Event& e) {
      if (e.kind == ice::Event::Kind::kLocalCandidate) {
        to.agent.add_remote_candidate(to.driver.now(), e.candidate);
        to.driver.pump();
      }
    };
    from.driver.on_data = [&from](const ice::Received& r) {
      from.received.emplace_back(as_string_view(r.payload));
    };
  }
  // Runs the loop until `done` or 10 s of real time.
  bool run_until(const std::function<bool()>& done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < end)
      loop.context().run_one_for(std::chrono::milliseconds(50));
    return done();
  }
  bool connect() {
    a->agent.set_remote_credentials(a->driver.now(), b->agent.local_ufrag(), b->agent.local_pwd());
    b->agent.set_remote_credentials(b->driver.now(), a->agent.local_ufrag(), a->agent.local_pwd());
    a->driver.start();
    b->driver.start();
    return run_until([&] {
      return a->agent.state() == ice::ConnectionState::kConnected &&
             b->agent.state() == ice::ConnectionState::kConnected;
    });
  }
  bool exchange() {
    a->agent.send(a->driver.now(), as_bytes(std::string_view("\x17ping")));
    a->driver.pump();
    b->agent.send(b->driver.now(), as_bytes(std::string_view("\x17pong")));
    b->driver.pump();
    return run_until([&] { return !a->received.empty() && !b->received.empty(); }) &&
           b->received[0] == "\x17ping" && a->received[0] == "\x17pong";
  }
  void start_turn() {
    auto t = testing::start_loopback_turn(46000, 46999, "ice.test");
    ASSERT_EQ(t.error, "");
    turn = std::move(t.service);
    turn_address = t.address;
  }
  void TearDown() override {
    a.reset();
    b.reset();
    if (turn) turn->stop();
  }

  net::Loop loop{"ice-test"};  // run on the test thread
  CryptoRandom random;
  std::unique_ptr<Side> a, b;
  std::unique_ptr<turn::TurnService> turn;
  SocketAddress turn_address;
};

TEST_F(IceLoopback, Ipv4HostPair) {
  make({}, "127.0.0.1");
  ASSERT_TRUE(connect());
  EXPECT_EQ(a->agent.selected_pair()->local.type, ice::CandidateType::kHost);
  EXPECT_TRUE(exchange());
}

TEST_F(IceLoopback, Ipv6HostPair) {
  make({}, "::1");
  ASSERT_TRUE(connect());
  EXPECT_EQ(a->agent.selected_pair()->local.address, "::1");
  EXPECT_TRUE(exchange());
}

TEST_F(IceLoopback, RelayPairThroughTurnOverUdpAndTcp) {
  start_turn();
  for (auto transport : {ice::ServerTransport::kUdp, ice::ServerTransport::kTcp}) {
    ice::AgentConfig c;
    c.policy = ice::TransportPolicy::kRelay;
    c.servers = {{ice::IceServer::Kind::kTurn, turn_address, transport, "peer", "peer-pw"}};
    make(c, "127.0.0.1");
    ASSERT_TRUE(connect()) << "transport " << static_cast<int>(transport);
    EXPECT_EQ(a->agent.selected_pair()->local.type, ice::CandidateType::kRelay);
    EXPECT_EQ(a->agent.selected_pair()->remote.type, ice::CandidateType::kRelay);
    EXPECT_TRUE(exchange());
    a.reset();
    b.reset();
  }
}

TEST_F(IceLoopback, WrongTurnPasswordIsReportedAndGatheringStillEnds) {
  start_turn();
  ice::AgentConfig c;
  c.servers = {
      {ice::IceServer::Kind::kTurn, turn_address, ice::ServerTransport::kUdp, "peer", "nope"}};
  make(c, "127.0.0.1");
  std::string failure;
  bool complete = false;
  a->driver.on_event = [&](const ice::Event& e) {
    if (e.kind == ice::Event::Kind::kServerFailed) failure = e.detail;
    if (e.kind == ice::Event::Kind::kGatheringComplete) complete = true;
  };
  a->driver.start();
  ASSERT_TRUE(run_until([&] { return complete; }));
  EXPECT_NE(failure.find("401"), std::string::npos) << failure;
  EXPECT_EQ(failure.find("nope"), std::string::npos);  // the password is never in a message
}

}  // namespace
}  // namespace peerkit
