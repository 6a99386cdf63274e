// peer/ice_servers: RTCIceServer URLs (RFC 7064/7065) with IP literals and host names, the
// names resolved by an injected resolver (no lookups leave the test).
#include "peer/ice_servers.h"

#include <gtest/gtest.h>

namespace peerkit::peer {
namespace {

Expected<IpAddress, std::string> fake_resolver(std::string_view host) {
  if (host == "turn.example.org") return *IpAddress::parse("127.0.0.5");
  if (host == "v6.example.org") return *IpAddress::parse("::1");
  return Unexpected(std::string(host) + ": Name or service not known");
}

TEST(IceServers, OnlyHostNamesAreResolvedAndEachOnce) {
  int calls = 0;
  const std::vector<IceServer> servers = {
      {"stun:127.0.0.1:3478"}, {"stun:[::1]:3478"},
      {"turn:turn.example.org:3479?transport=tcp", "u", "p"}, {"turns:turn.example.org", "u", "p"},
      {"stun:nowhere.example.org"}, {"stun:bad-port.example.org:99999"},
      {"turn:bad-query.example.org?transport=sctp", "u", "p"}};
  const auto resolved = resolve_ice_server_hosts(servers, [&](std::string_view h) {
    ++calls;
    return fake_resolver(h);
  });
  EXPECT_EQ(calls, 2);  // and none for URLs that will be refused as malformed
  ASSERT_EQ(resolved.size(), 2u);
  EXPECT_TRUE(resolved.at("turn.example.org"));
  EXPECT_FALSE(resolved.at("nowhere.example.org"));
}

TEST(IceServers, AHostNameBecomesItsAddressAndKeepsTheNameForTls) {
  const std::vector<IceServer> servers = {{"turns:turn.example.org", "u", "p"},
                                          {"turn:turn.example.org:3479?transport=tcp", "u", "p"},
                                          {"stun:v6.example.org:19302"}};
  const auto resolved = resolve_ice_server_hosts(servers, fake_resolver);
  auto tls = std::get<ice::IceServer>(parse_ice_server(servers[0], resolved));
  EXPECT_EQ(tls.address.to_string(), "127.0.0.5:5349");  // the turns: default port
  EXPECT_EQ(tls.host_name, "turn.example.org");
  EXPECT_EQ(tls.transport, ice::ServerTransport::kTls);
  EXPECT_EQ(tls.username, "u");
  auto tcp = std::get<ice::IceServer>(parse_ice_server(servers[1], resolved));
  EXPECT_EQ(tcp.address.to_string(), "127.0.0.5:3479");
  EXPECT_EQ(tcp.transport, ice::ServerTransport::kTcp);
  auto stun = std::get<ice::IceServer>(parse_ice_server(servers[2], resolved));
  EXPECT_EQ(stun.address, SocketAddress(*IpAddress::parse("::1"), 19302));
  EXPECT_EQ(stun.kind, ice::IceServer::Kind::kStun);
}

TEST(IceServers, IpLiteralsParseAsBeforeWithoutAName) {
  const ResolvedHosts none;
  auto v4 = std::get<ice::IceServer>(parse_ice_server({"turn:127.0.0.1:3478", "u", "p"}, none));
  EXPECT_EQ(v4.address.to_string(), "127.0.0.1:3478");
  EXPECT_TRUE(v4.host_name.empty());
  EXPECT_EQ(v4.transport, ice::ServerTransport::kUdp);
  auto v6 = std::get<ice::IceServer>(parse_ice_server({"stun:[::1]"}, none));
  EXPECT_EQ(v6.address, SocketAddress(*IpAddress::parse("::1"), 3478));
}

TEST(IceServers, ErrorsAreTheBrowsersOnes) {
  const std::vector<IceServer> servers = {{"stun:nowhere.example.org"}};
  const auto resolved = resolve_ice_server_hosts(servers, fake_resolver);
  auto error = [&](const IceServer& s) { return std::get<std::string>(parse_ice_server(s, resolved)); };
  EXPECT_EQ(error(servers[0]), "OperationError: cannot resolve nowhere.example.org: Name or service not known");
  EXPECT_EQ(error({"http://127.0.0.1"}).rfind("SyntaxError:", 0), 0u);
  EXPECT_EQ(error({"stun:turn.example.org:99999"}).rfind("SyntaxError:", 0), 0u);
  EXPECT_EQ(error({"stun:turn.example.org:"}).rfind("SyntaxError:", 0), 0u);
  EXPECT_EQ(error({"turn:127.0.0.1?transport=sctp", "u", "p"}).rfind("SyntaxError:", 0), 0u);
  EXPECT_EQ(error({"turn:127.0.0.1"}).rfind("InvalidAccessError:", 0), 0u);
  EXPECT_EQ(error({"stun:unlisted.example.org"}), "OperationError: unlisted.example.org was not resolved");
}

}  // namespace
}  // namespace peerkit::peer
