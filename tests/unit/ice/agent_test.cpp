// The agent's API edges on its own (the two-agent behaviour is in tests/sim): refusals with
// reasons, limits, authentication of checks, role conflicts answered with 487.
#include "ice/agent.h"

#include <gtest/gtest.h>

#include "ice/stun_check.h"
#include "stun/attributes.h"
#include "stun/constants.h"

namespace peerkit::ice {
namespace {

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : agent(config(), random) {
    socket = agent.add_host_socket(*SocketAddress::parse("192.0.2.1:4000"));
    agent.gather(now);
  }
  static AgentConfig config() {
    AgentConfig c;
    c.role = Role::kControlling;
    c.limits.max_remote_candidates = 4;
    return c;
  }
  Candidate host(const char* ip, std::uint16_t port) {
    Candidate c;
    c.foundation = "1";
    c.priority = 2130706431;
    c.address = ip;
    c.port = port;
    return c;
  }
  // A check from the peer, built with our real credentials.
  std::vector<std::byte> check(bool controlling, std::uint64_t tie_breaker,
                               const char* pwd = nullptr) {
    CheckRequest r;
    r.local_ufrag = "peer";
    r.remote_ufrag = agent.local_ufrag();
    r.remote_pwd = pwd ? std::string_view(pwd) : std::string_view(agent.local_pwd());
    r.priority = 1853824767;
    r.controlling = controlling;
    r.tie_breaker = tie_breaker;
    stun::TransactionId tid{};
    tid.bytes[0] = std::byte{9};
    std::array<std::byte, kMaxCheckMessage> buf;
    auto b = build_check_request(buf, tid, r);
    return {b.begin(), b.end()};
  }
  // The STUN answer the agent sent, if any.
  std::optional<int> answer_code() {
    std::optional<int> code;
    for (const Transmit& t : agent.transmits()) {
      auto m = stun::MessageView::parse(t.data);
      if (!m || m->message_class() == stun::MessageClass::kRequest) continue;
      const auto e = stun::find_error_code(*m);
      code = e ? e->code : 0;
    }
    return code;
  }

  SeededRandom random{5};
  Timestamp now = Timestamp::from_micros(1'000'000);
  Agent agent;
  SocketId socket;
};

TEST_F(AgentTest, CredentialsFollowRfc8839) {
  EXPECT_GE(agent.local_ufrag().size(), 4u);
  EXPECT_GE(agent.local_pwd().size(), 22u);
  const auto old = agent.local_ufrag();
  agent.restart(now);
  EXPECT_NE(agent.local_ufrag(), old);
}

TEST_F(AgentTest, RemoteCandidatesAreRefusedWithReasonsAndBounded) {
  Candidate tcp = host("192.0.2.9", 9);
  tcp.transport = Transport::kTcp;
  EXPECT_EQ(agent.add_remote_candidate(now, tcp), "TCP candidates are not used");
  Candidate rtcp = host("192.0.2.9", 9);
  rtcp.component = 2;
  EXPECT_NE(agent.add_remote_candidate(now, rtcp), "");
  EXPECT_NE(agent.add_remote_candidate(now, host("example.com", 9)), "");
  EXPECT_EQ(agent.add_remote_candidate(now, host("abc.local", 9)), "");  // kept unresolved
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(
        agent.add_remote_candidate(now, host("192.0.2.9", static_cast<std::uint16_t>(10 + i))), "");
  EXPECT_NE(agent.add_remote_candidate(now, host("192.0.2.9", 99)).find("too many"),
            std::string::npos);
  EXPECT_EQ(agent.stats().size(), 3u);  // the unresolved name makes no pair
}

TEST_F(AgentTest, ChecksWithTheWrongPasswordGet401AndNoPair) {
  const auto from = *SocketAddress::parse("198.51.100.7:5000");
  agent.handle_packet(now, socket, from, check(false, 1, "not-the-password-22chr"));
  EXPECT_EQ(answer_code(), 401);
  EXPECT_TRUE(agent.stats().empty());
}

TEST_F(AgentTest, AValidCheckIsAnsweredAndTeachesAPeerReflexiveCandidate) {
  const auto from = *SocketAddress::parse("198.51.100.7:5000");
  agent.handle_packet(now, socket, from, check(false, 1));
  EXPECT_EQ(answer_code(), 0);
  ASSERT_EQ(agent.stats().size(), 1u);
  EXPECT_EQ(agent.stats()[0].remote.type, CandidateType::kPeerReflexive);
  EXPECT_EQ(agent.stats()[0].remote.priority, 1853824767u);
}

TEST_F(AgentTest, RoleConflictIsDecidedByTheTieBreaker) {
  const auto from = *SocketAddress::parse("198.51.100.7:5000");
  // Both controlling, and the peer's tie-breaker is smaller: it is told to switch (487).
  agent.handle_packet(now, socket, from, check(true, 0));
  EXPECT_EQ(answer_code(), 487);
  EXPECT_EQ(agent.role(), Role::kControlling);
  // The peer's tie-breaker is the largest possible: we switch and answer normally.
  agent.handle_packet(now, socket, from, check(true, ~std::uint64_t{0}));
  EXPECT_EQ(answer_code(), 0);
  EXPECT_EQ(agent.role(), Role::kControlled);
}

TEST_F(AgentTest, ApplicationBytesOnlyFromKnownAddresses) {
  const std::byte dtls[] = {std::byte{23}, std::byte{1}};
  auto r = agent.handle_packet(now, socket, *SocketAddress::parse("198.51.100.99:1"), dtls);
  EXPECT_TRUE(r.payload.empty());
  agent.add_remote_candidate(now, host("198.51.100.7", 5000));
  r = agent.handle_packet(now, socket, *SocketAddress::parse("198.51.100.7:5000"), dtls);
  EXPECT_EQ(r.kind, PacketClass::kDtls);
  EXPECT_EQ(r.payload.size(), 2u);
  EXPECT_FALSE(agent.send(now, dtls));  // nothing selected yet
}

TEST_F(AgentTest, ClosedAgentIgnoresEverything) {
  agent.close(now);
  EXPECT_EQ(agent.state(), ConnectionState::kClosed);
  EXPECT_NE(agent.add_remote_candidate(now, host("198.51.100.7", 5000)), "");
  EXPECT_EQ(agent.next_timeout(), Timestamp::never());
}

}  // namespace
}  // namespace peerkit::ice
