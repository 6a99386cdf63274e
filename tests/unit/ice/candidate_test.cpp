// Candidate attributes (RFC 8839 §5.1) and priorities (RFC 8445 §5.1.2), including lines
// captured from Chromium 156 (../shared/data/browser).
#include "ice/candidate.h"

#include <gtest/gtest.h>

namespace peerkit::ice {
namespace {

TEST(Candidate, ParsesChromiumHostAndRelayLinesAndPrintsThemBack) {
  const char* lines[] = {
      "candidate:4118924789 1 udp 2122260223 127.0.0.1 35338 typ host generation 0 ufrag 9sdn "
      "network-id 1 network-cost 50",
      "candidate:3845419511 1 udp 58663167 127.0.0.1 55360 typ relay raddr 0.0.0.0 rport 0 "
      "generation 0 ufrag Ah7J network-id 1 network-cost 50",
      "candidate:1 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active",
      "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 10.0.1.2 rport "
      "40000",
      "candidate:2 1 udp 2122194687 3f5e2c1a-5b7d-4a8e-9f00-0123456789ab.local 55000 typ host",
  };
  for (const char* line : lines) {
    auto c = parse_candidate(line);
    ASSERT_TRUE(c) << line << ": " << c.error();
    EXPECT_EQ(print_candidate(*c), line);
  }
  auto relay = parse_candidate(lines[1]);
  EXPECT_EQ(relay->type, CandidateType::kRelay);
  EXPECT_EQ(relay->priority, 58663167u);
  EXPECT_EQ(relay->port, 55360);
  EXPECT_EQ(relay->related_address, "0.0.0.0");
  EXPECT_EQ(relay->related_port, 0);
  EXPECT_EQ(relay->extension("ufrag"), "Ah7J");
  EXPECT_EQ(relay->extension("missing"), std::nullopt);
  EXPECT_EQ(parse_candidate(lines[2])->tcp_type, TcpType::kActive);
}

TEST(Candidate, AcceptsTheSdpForm) {
  auto c = parse_candidate("a=candidate:1 1 UDP 2130706431 10.0.1.2 5000 typ host\r\n");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->transport, Transport::kUdp);
  EXPECT_EQ(print_candidate(*c), "candidate:1 1 udp 2130706431 10.0.1.2 5000 typ host");
}

TEST(Candidate, RefusesMalformedLinesWithAReason) {
  const std::pair<const char*, const char*> bad[] = {
      {"candidat:1 1 udp 1 1.2.3.4 5 typ host", "not a candidate"},
      {"candidate:1 1 udp 1 1.2.3.4 5 typ", "at least 8 fields"},
      {"candidate:f-o 1 udp 1 1.2.3.4 5 typ host", "foundation"},
      {"candidate:1 0 udp 1 1.2.3.4 5 typ host", "component"},
      {"candidate:1 257 udp 1 1.2.3.4 5 typ host", "component"},
      {"candidate:1 1 sctp 1 1.2.3.4 5 typ host", "transport"},
      {"candidate:1 1 udp 0 1.2.3.4 5 typ host", "priority"},
      {"candidate:1 1 udp 4294967296 1.2.3.4 5 typ host", "priority"},
      {"candidate:1 1 udp 1 1.2.3.4 65536 typ host", "port"},
      {"candidate:1 1 udp 1 1.2.3.4 -5 typ host", "port"},
      {"candidate:1 1 udp 1 1.2.3.4 5 type host", "typ"},
      {"candidate:1 1 udp 1 1.2.3.4 5 typ local", "candidate type"},
      {"candidate:1 1 udp 1 1.2.3.4 5 typ srflx raddr", "no value"},
      {"candidate:1 1 udp 1 1.2.3.4 5 typ srflx rport x", "rport"},
      {"candidate:1 1 tcp 1 1.2.3.4 5 typ host", "tcptype"},
      {"candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype both", "tcptype"},
      {"candidate:1 1 udp 1 1.2.3.4 5 typ host ufrag a\nb", "visible ASCII"},
      {"candidate:1 1 udp 1 1.2.3.4 5 typ host x\xff y", "visible ASCII"},
  };
  for (const auto& [line, why] : bad) {
    auto c = parse_candidate(line);
    ASSERT_FALSE(c) << line;
    EXPECT_NE(c.error().find(why), std::string::npos) << line << " -> " << c.error();
  }
}

TEST(Candidate, PrioritiesFollowRfc8445) {
  // RFC 8445 §5.1.2.1 with the recommended type preferences of §5.1.2.2.
  EXPECT_EQ(candidate_priority(CandidateType::kHost, 65535, 1), (126u << 24) + (65535u << 8) + 255);
  EXPECT_EQ(candidate_priority(CandidateType::kRelay, 0, 1), 255u);
  EXPECT_GT(candidate_priority(CandidateType::kHost, 0, 1),
            candidate_priority(CandidateType::kPeerReflexive, 65535, 1));
  EXPECT_GT(candidate_priority(CandidateType::kPeerReflexive, 0, 1),
            candidate_priority(CandidateType::kServerReflexive, 65535, 1));
  EXPECT_GT(candidate_priority(CandidateType::kServerReflexive, 0, 1),
            candidate_priority(CandidateType::kRelay, 65535, 1));
  // Chromium's host priority above decomposes the same way: host type, component 1.
  EXPECT_EQ(2122260223u >> 24, 126u);
  EXPECT_EQ(2122260223u & 0xff, 255u);
}

}  // namespace
}  // namespace peerkit::ice
