// Two ICE agents on a simulated network (sim_network.h) with peerkit's STUN/TURN server core,
// on a virtual clock: the NAT topologies of ../shared/testing/environment.md §6 in miniature,
// plus loss, delay, reordering, a vanished peer, a flushed NAT and an ICE restart. Each test
// asserts the selected pair's candidate types, that application data crosses it, and how long
// (virtual) time it took.
#include <gtest/gtest.h>

#include <cstdio>

#include "ice/stun_check.h"
#include "sim_peer.h"

namespace peerkit::sim {
namespace {

using ice::CandidateType;
using ice::ConnectionState;

const SocketAddress kServer = addr("203.0.113.10:3478");

struct Options {
  bool left_nat = true, right_nat = true;
  NatType nat = NatType::kPortRestricted;
  ice::TransportPolicy left_policy = ice::TransportPolicy::kAll;
  ice::TransportPolicy right_policy = ice::TransportPolicy::kAll;
  bool stun = true, turn = true;
  ice::Role right_role = ice::Role::kControlled;
  std::uint64_t seed = 1;
};

class IceScenario : public ::testing::Test {
 protected:
  void build(const Options& o) {
    call.reset();  // everything that points into the old network goes first
    left.reset();
    right.reset();
    server.reset();
    net = std::make_unique<Network>(o.seed);
    if (o.left_nat) net->add_nat("10.0.1.", ip("203.0.113.1"), o.nat);
    if (o.right_nat) net->add_nat("10.0.2.", ip("203.0.113.2"), o.nat);
    server = std::make_unique<TurnServer>(*net, kServer, "user", "pass");
    auto config = [&](ice::Role role, ice::TransportPolicy policy) {
      ice::AgentConfig c;
      c.role = role;
      c.policy = policy;
      if (o.stun) c.servers.push_back({ice::IceServer::Kind::kStun, kServer});
      if (o.turn)
        c.servers.push_back(
            {ice::IceServer::Kind::kTurn, kServer, ice::ServerTransport::kUdp, "user", "pass"});
      return c;
    };
    left = std::make_unique<Peer>(*net, "left", config(ice::Role::kControlling, o.left_policy),
                                  o.seed * 2 + 1);
    right =
        std::make_unique<Peer>(*net, "right", config(o.right_role, o.right_policy), o.seed * 2 + 2);
    left->add_socket(o.left_nat ? addr("10.0.1.2:5000") : addr("203.0.113.21:5000"));
    right->add_socket(o.right_nat ? addr("10.0.2.2:5000") : addr("203.0.113.22:5000"));
    call = std::make_unique<Call>(*net, *left, *right);
    call->servers.push_back(server.get());
  }

  bool connect(Duration limit = Duration::seconds(10)) {
    start = net->now();
    call->start();
    return both_connected(limit);
  }
  bool both_connected(Duration limit) {
    return call->run_until(
        [&] {
          return left->agent->state() == ConnectionState::kConnected &&
                 right->agent->state() == ConnectionState::kConnected;
        },
        limit);
  }
  Duration connect_time() const {
    const Duration d = std::max(left->time_of(ConnectionState::kConnected),
                                right->time_of(ConnectionState::kConnected)) -
                       start;
    std::printf("  [virtual] connected after %.1f ms\n", static_cast<double>(d.us()) / 1000);
    return d;
  }
  // Sends one message each way over the selected pairs and waits until both arrive.
  bool data_crosses(const std::string& tag) {
    left->received.clear();
    right->received.clear();
    EXPECT_TRUE(left->agent->send(net->now(), as_bytes("\x17" + tag + "-from-left")));
    EXPECT_TRUE(right->agent->send(net->now(), as_bytes("\x17" + tag + "-from-right")));
    left->flush();
    right->flush();
    return call->run_until(
        [&] {
          return !left->received.empty() && !right->received.empty() &&
                 right->received[0] == "\x17" + tag + "-from-left" &&
                 left->received[0] == "\x17" + tag + "-from-right";
        },
        Duration::seconds(2));
  }
  static CandidateType local_type(const Peer& p) { return p.agent->selected_pair()->local.type; }
  static CandidateType remote_type(const Peer& p) { return p.agent->selected_pair()->remote.type; }

  std::unique_ptr<Network> net;
  std::unique_ptr<TurnServer> server;
  std::unique_ptr<Peer> left, right;
  std::unique_ptr<Call> call;
  Timestamp start;
};

TEST_F(IceScenario, NoNatSelectsTheHostPair) {
  build({.left_nat = false, .right_nat = false});
  ASSERT_TRUE(connect());
  EXPECT_EQ(local_type(*left), CandidateType::kHost);
  EXPECT_EQ(remote_type(*left), CandidateType::kHost);
  EXPECT_EQ(local_type(*right), CandidateType::kHost);
  EXPECT_TRUE(data_crosses("host"));
  // Signaling 20 ms + checks at 10 ms one way + 100 ms nomination wait + nominating check.
  EXPECT_LT(connect_time(), Duration::millis(250));
}

TEST_F(IceScenario, PortRestrictedNatsHolePunchToAServerReflexivePair) {
  build({});
  ASSERT_TRUE(connect());
  EXPECT_EQ(local_type(*left), CandidateType::kServerReflexive);
  EXPECT_EQ(local_type(*right), CandidateType::kServerReflexive);
  EXPECT_EQ(remote_type(*left), CandidateType::kServerReflexive);
  EXPECT_TRUE(data_crosses("srflx"));
  EXPECT_LT(connect_time(), Duration::millis(500));
}

TEST_F(IceScenario, SymmetricNatsFallBackToTheRelay) {
  build({.nat = NatType::kSymmetric});
  ASSERT_TRUE(connect());
  const bool relayed =
      local_type(*left) == CandidateType::kRelay || remote_type(*left) == CandidateType::kRelay;
  EXPECT_TRUE(relayed) << ice::to_string(local_type(*left)) << " / "
                       << ice::to_string(remote_type(*left));
  EXPECT_TRUE(data_crosses("relay"));
  EXPECT_GE(server->core().channel_count() + server->core().permission_count(), 1u);
  EXPECT_LT(connect_time(), Duration::seconds(1));
}

TEST_F(IceScenario, RelayPolicyUsesOnlyRelayCandidates) {
  build({.left_nat = false,
         .right_nat = false,
         .left_policy = ice::TransportPolicy::kRelay,
         .right_policy = ice::TransportPolicy::kRelay});
  ASSERT_TRUE(connect());
  EXPECT_EQ(local_type(*left), CandidateType::kRelay);
  EXPECT_EQ(remote_type(*left), CandidateType::kRelay);
  EXPECT_EQ(local_type(*right), CandidateType::kRelay);
  for (const auto& c : left->local_candidates) EXPECT_EQ(c.type, CandidateType::kRelay);
  EXPECT_TRUE(data_crosses("relay-only"));
}

TEST_F(IceScenario, FivePercentLossWithJitterStillConnects) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    build({.seed = seed});
    net->wan = LinkQuality{0.05, Duration::millis(30), Duration::millis(20)};
    ASSERT_TRUE(connect(Duration::seconds(15))) << "seed " << seed;
    EXPECT_NE(local_type(*left), CandidateType::kHost) << "seed " << seed;
    EXPECT_LT(connect_time(), Duration::seconds(3)) << "seed " << seed;
  }
}

TEST_F(IceScenario, VanishedPeerGoesDisconnectedThenFailedOnTime) {
  build({});
  ASSERT_TRUE(connect());
  const Timestamp gone = net->now();
  net->blackhole(ip("203.0.113.2"));
  ASSERT_TRUE(call->run_until([&] { return left->agent->state() == ConnectionState::kFailed; },
                              Duration::seconds(40)));
  const Duration to_disconnected = left->time_of(ConnectionState::kDisconnected) - gone;
  const Duration to_failed = left->time_of(ConnectionState::kFailed) - gone;
  std::printf("  [virtual] disconnected after %.2f s, failed after %.2f s\n",
              static_cast<double>(to_disconnected.us()) / 1e6,
              static_cast<double>(to_failed.us()) / 1e6);
  // Default timeouts: disconnected after 5 s without consent, failed after 30 s (RFC 7675).
  EXPECT_GE(to_disconnected, Duration::seconds(3));
  EXPECT_LE(to_disconnected, Duration::seconds(5));
  EXPECT_GE(to_failed, Duration::seconds(28));
  EXPECT_LE(to_failed, Duration::seconds(30));
  EXPECT_FALSE(left->agent->send(net->now(), as_bytes(std::string_view("\x17x"))));
}

TEST_F(IceScenario, LivePathNeverFlapsToDisconnected) {
  build({});
  net->wan = LinkQuality{0.05, Duration::millis(40), Duration::millis(10)};
  ASSERT_TRUE(connect(Duration::seconds(15)));
  call->run_until([] { return false; }, Duration::seconds(120));
  EXPECT_FALSE(left->reached(ConnectionState::kDisconnected));
  EXPECT_FALSE(right->reached(ConnectionState::kDisconnected));
}

TEST_F(IceScenario, RestartAfterNatFlushMovesThePathWithoutLosingTheSession) {
  build({});
  ASSERT_TRUE(connect());
  const auto before = left->agent->selected_pair()->local;
  net->flush_nat("10.0.1.");  // conntrack -F on the left NAT: the old mapping is gone
  call->restart();
  ASSERT_TRUE(call->run_until(
      [&] {
        auto p = left->agent->selected_pair();
        return p && p->local.port != before.port && right->agent->selected_pair().has_value();
      },
      Duration::seconds(10)));
  EXPECT_EQ(local_type(*left), CandidateType::kServerReflexive);
  EXPECT_NE(left->agent->selected_pair()->local.port, before.port);
  EXPECT_FALSE(left->reached(ConnectionState::kFailed));
  EXPECT_TRUE(data_crosses("after-restart"));
}

TEST_F(IceScenario, BothControllingResolveTheRoleConflict) {
  build({.right_role = ice::Role::kControlling});
  ASSERT_TRUE(connect());
  EXPECT_NE(left->agent->role(), right->agent->role());
  EXPECT_TRUE(data_crosses("roles"));
}

TEST_F(IceScenario, UnsignaledPeerIsFoundAsPeerReflexive) {
  build({.left_nat = false, .right_nat = false, .stun = false, .turn = false});
  call->trickle = false;  // candidates never reach the other side; only credentials do
  // Left learns right's address only from right's checks, so give right one candidate.
  right->on_event = nullptr;
  call->start();
  right->agent->add_remote_candidate(net->now(), left->local_candidates.at(0));
  ASSERT_TRUE(both_connected(Duration::seconds(5)));
  EXPECT_EQ(remote_type(*left), CandidateType::kPeerReflexive);
  EXPECT_TRUE(data_crosses("prflx"));
}

TEST_F(IceScenario, UnresolvedMdnsCandidateStillConnectsViaPeerReflexive) {
  build({.left_nat = false, .right_nat = false, .stun = false, .turn = false});
  call->trickle = false;
  call->start();
  auto hidden = right->local_candidates.at(0);
  hidden.address = "0d8e3a52-5d4c-4c55-9bd4-8f1b1b2b7c11.local";  // what Chrome signals
  EXPECT_EQ(left->agent->add_remote_candidate(net->now(), hidden), "");
  right->agent->add_remote_candidate(net->now(), left->local_candidates.at(0));
  ASSERT_TRUE(both_connected(Duration::seconds(5)));
  EXPECT_EQ(remote_type(*left), CandidateType::kPeerReflexive);
  EXPECT_TRUE(data_crosses("mdns"));
}

TEST_F(IceScenario, DeadStunServerDoesNotHoldUpGatheringOrTheCall) {
  build({.left_nat = false, .right_nat = false, .turn = false});
  // Point left at a STUN server that never answers, next to the real one.
  ice::AgentConfig c;
  c.servers = {{ice::IceServer::Kind::kStun, addr("203.0.113.99:3478")},
               {ice::IceServer::Kind::kStun, kServer}};
  left = std::make_unique<Peer>(*net, "left", c, 77);
  left->add_socket(addr("203.0.113.21:5000"));
  call = std::make_unique<Call>(*net, *left, *right);
  call->servers.push_back(server.get());
  ASSERT_TRUE(connect());
  EXPECT_LT(connect_time(), Duration::millis(300));  // the call did not wait for the dead server
  ASSERT_TRUE(call->run_until([&] { return left->gathering_done; }, Duration::seconds(5)));
  EXPECT_LT(net->now() - start, Duration::seconds(3));
}

TEST_F(IceScenario, CandidatesBeforeCredentialsAreChecked) {
  build({.left_nat = false, .right_nat = false});
  // Left's candidates reach right 20 ms in, its credentials only 300 ms in (RFC 8838 §8).
  call->credentials_delay = Duration::millis(300);
  start = net->now();
  call->start();
  ASSERT_TRUE(
      call->run_until([&] { return right->agent->stats().size() > 0; }, Duration::millis(100)));
  EXPECT_EQ(right->agent->state(), ConnectionState::kNew);  // pairs, but nothing to check with
  ASSERT_TRUE(both_connected(Duration::seconds(5)));
  EXPECT_TRUE(data_crosses("early"));
  EXPECT_GE(connect_time(), Duration::millis(300));
  EXPECT_LT(connect_time(), Duration::millis(600));
}

}  // namespace
}  // namespace peerkit::sim

namespace peerkit::sim {
namespace {

// An ICE-lite peer (RFC 8445 §2.5): one host candidate, answers checks, never sends one.
class LitePeer {
 public:
  LitePeer(Network& net, SocketAddress at) : net_(net), at_(at) {
    net_.bind(at_, [this](const SocketAddress& from, ByteSpan data) { on_packet(from, data); });
  }
  const std::string ufrag = "lite";
  const std::string pwd = "lite-password-22-chars";
  bool nominated = false;
  std::vector<std::string> received;

 private:
  void on_packet(const SocketAddress& from, ByteSpan data) {
    if (ice::classify(data) != ice::PacketClass::kStun) {
      received.emplace_back(as_string_view(data));
      net_.send(at_, from, data);  // echo
      return;
    }
    auto m = stun::MessageView::parse(data);
    if (!m) return;
    auto check = ice::verify_check_request(*m, ufrag, pwd);
    if (!check) return;
    EXPECT_TRUE(check->remote_controlling) << "a lite peer must face a controlling agent";
    nominated = nominated || check->use_candidate;
    std::array<std::byte, ice::kMaxCheckMessage> buf;
    net_.send(at_, from, ice::build_check_success(buf, m->transaction_id(), from, pwd));
  }
  Network& net_;
  SocketAddress at_;
};

TEST(IceLite, FullAgentControlsAndNominatesAgainstALitePeer) {
  Network net(3);
  LitePeer lite(net, addr("203.0.113.22:5000"));
  ice::AgentConfig c;
  c.role = ice::Role::kControlled;  // set_remote_lite must take control
  SeededRandom random(4);
  ice::Agent agent(c, random);
  const auto socket = agent.add_host_socket(addr("203.0.113.21:5000"));
  net.bind(addr("203.0.113.21:5000"), [&](const SocketAddress& from, ByteSpan data) {
    agent.handle_packet(net.now(), socket, from, data);
  });
  agent.set_remote_lite(true);
  EXPECT_EQ(agent.role(), ice::Role::kControlling);
  agent.gather(net.now());
  agent.set_remote_credentials(net.now(), lite.ufrag, lite.pwd);
  ice::Candidate host;
  host.foundation = "1";
  host.priority = ice::candidate_priority(ice::CandidateType::kHost, 65535, 1);
  host.address = "203.0.113.22";
  host.port = 5000;
  EXPECT_EQ(agent.add_remote_candidate(net.now(), host), "");
  for (int i = 0; i < 1000 && agent.state() != ice::ConnectionState::kConnected; ++i) {
    for (const Transmit& t : agent.transmits()) net.send(addr("203.0.113.21:5000"), t.to, t.data);
    const Timestamp next = std::min(net.next_delivery(), agent.next_timeout());
    net.advance_to(next);
    if (agent.next_timeout() <= net.now()) agent.handle_timeout(net.now());
  }
  ASSERT_EQ(agent.state(), ice::ConnectionState::kConnected);
  EXPECT_TRUE(lite.nominated);
  EXPECT_EQ(agent.selected_pair()->remote.type, ice::CandidateType::kHost);
  EXPECT_TRUE(agent.send(net.now(), as_bytes(std::string_view("\x17hello lite"))));
  for (const Transmit& t : agent.transmits()) net.send(addr("203.0.113.21:5000"), t.to, t.data);
  net.advance_to(net.now() + Duration::millis(100));
  ASSERT_EQ(lite.received.size(), 1u);
  EXPECT_EQ(lite.received[0], "\x17hello lite");
}

}  // namespace
}  // namespace peerkit::sim
