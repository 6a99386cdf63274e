// net/resolve: the system resolver for ICE server names. Only names that never leave the
// machine: IP literals, "localhost" (answered without a query, RFC 6761 §6.3), and refusals
// made before any query (".invalid", RFC 6761 §6.4; malformed names).
#include "net/resolve.h"

#include <gtest/gtest.h>

namespace peerkit::net {
namespace {

TEST(ResolveHost, IpLiteralsComeBackAsTheyAre) {
  EXPECT_EQ(resolve_host("127.0.0.1")->to_string(), "127.0.0.1");
  EXPECT_EQ(resolve_host("::1")->to_string(), "::1");
}

TEST(ResolveHost, LocalhostIsTheLoopbackAddressWithoutAQuery) {
  for (const char* name : {"localhost", "LOCALHOST.", "turn.localhost"}) {
    auto a = resolve_host(name);
    ASSERT_TRUE(a) << name << ": " << a.error();
    EXPECT_EQ(a->to_string(), "127.0.0.1") << name;
  }
}

TEST(ResolveHost, InvalidAndMalformedNamesFailWithoutAQuery) {
  auto invalid = resolve_host("turn.peerkit.invalid");
  ASSERT_FALSE(invalid);
  EXPECT_NE(invalid.error().find("RFC 6761"), std::string::npos);
  EXPECT_FALSE(resolve_host("INVALID."));
  EXPECT_FALSE(resolve_host(""));
  EXPECT_FALSE(resolve_host("a b"));
  EXPECT_FALSE(resolve_host("-leading.example"));
  EXPECT_FALSE(resolve_host(std::string(300, 'a')));
}

}  // namespace
}  // namespace peerkit::net
