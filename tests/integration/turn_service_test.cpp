// `peerkit turn` as a running service on loopback: real sockets, real worker threads. The
// security acceptance items of the TURN issue, checked end to end: dangerous peers get 403 (and
// nothing reaches them), opening one range opens only that range, a second user cannot touch
// another's allocation, TCP allocations die with their connection.
#include "turn/service/turn_service.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "net/endpoint.h"
#include "support/turn_test_client.h"

namespace peerkit::testing {
namespace {

const char* kDangerous[] = {"127.0.0.1",       "::1",     "::ffff:127.0.0.1", "::127.0.0.1",
                            "64:ff9b::7f00:1", "0.0.0.0", "10.0.0.1",         "169.254.169.254",
                            "224.0.0.1"};

// Polls the metrics until `name` reaches `at_least`; the condition replaces any sleep.
bool wait_metric(const turn::TurnService& s, const std::string& name, std::uint64_t at_least) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = s.metrics_text();
    const auto at = text.find("\n" + name + " ");
    if (at != std::string::npos && std::stoull(text.substr(at + name.size() + 2)) >= at_least)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::uint64_t metric(const turn::TurnService& s, const std::string& name) {
  const std::string text = s.metrics_text();
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + name.size() + 2));
}

// A TCP connection to `server` from `source` (127.0.0.2 works as a second client address on
// Linux's lo without any set-up); -1 if connect fails.
int tcp_from(const char* source, const SocketAddress& server) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_storage ss;
  socklen_t len = net::to_sockaddr(*SocketAddress::parse(source, 0), ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return ::close(fd), -1;
  len = net::to_sockaddr(server, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return ::close(fd), -1;
  return fd;
}

// Sends a Binding request over the stream and waits up to `ms` for the whole answer.
bool binding_answered(int fd, int ms = 3000) {
  stun::TransactionId tid{};
  tid.bytes[0] = std::byte{1};
  const auto req = turn_request(stun::Method::kBinding, tid, [](stun::MessageBuilder&) {});
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return false;
  std::vector<std::byte> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (got.size() < 20 || got.size() < 20u + (std::to_integer<std::size_t>(got[2]) << 8 |
                                                 std::to_integer<std::size_t>(got[3]))) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    std::byte buf[512];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got.insert(got.end(), buf, buf + n);
  }
  return true;
}

// Waits up to `ms` for the server to close the connection (EOF or reset).
bool closed_by_server(int fd, int ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    std::byte buf[512];
    if (::recv(fd, buf, sizeof buf, 0) <= 0) return true;  // data is read past; EOF ends it
  }
}

class TurnServiceTest : public ::testing::Test {
 protected:
  void start(bool allow_loopback = false, std::vector<std::string> allowed = {}) {
    start_with([](turn::TurnServiceConfig&) {}, allow_loopback, allowed);
  }
  template <class F>
  void start_with(F adjust, bool allow_loopback = false, std::vector<std::string> allowed = {}) {
    turn::TurnServiceConfig c;
    c.listening_ips = {*IpAddress::parse("127.0.0.1")};
    c.relay_ips = {*IpAddress::parse("127.0.0.1"), *IpAddress::parse("::1")};
    c.listening_port = free_udp_tcp_port();
    c.min_port = 45000;
    c.max_port = 45999;
    c.workers = 2;
    c.realm = "it.test";
    c.users = {*turn::parse_static_user("alice:alice-pw"), *turn::parse_static_user("bob:bob-pw")};
    c.policy.allow_loopback = allow_loopback;
    for (const auto& r : allowed) c.policy.allowed.push_back(*parse_ip_range(r));
    c.log.level = "off";
    adjust(c);
    turn::finalize_config(c);
    service = std::make_unique<turn::TurnService>(c);
    ASSERT_EQ(service->start(), "");
    server = SocketAddress(*IpAddress::parse("127.0.0.1"), c.listening_port);
  }
  void TearDown() override {
    if (service) service->stop();
  }
  std::unique_ptr<turn::TurnService> service;
  SocketAddress server;
};

TEST_F(TurnServiceTest, DangerousPeersGet403AndNothingReachesThem) {
  start();
  const int target = bound_udp();  // a loopback service the relay must not reach
  const SocketAddress target_addr = local_of(target);
  TurnTestClient alice(server, "alice", "alice-pw");
  ASSERT_EQ(alice.allocate_dual(), 0);  // raw: the core never asks for two families
  std::uint16_t channel = 0x4000;
  for (const char* text : kDangerous) {
    const SocketAddress peer(*IpAddress::parse(text), target_addr.port());
    EXPECT_EQ(alice.raw_permit(peer), 403) << text;
    EXPECT_EQ(alice.bind(channel++, peer), 403) << text;
    alice.send_indication(peer, "must not arrive");
  }
  // The Send indications were processed (9 more denials counted), and none reached the target.
  ASSERT_TRUE(wait_metric(*service, "peerkit_turn_denied_peers_total", 27));
  EXPECT_FALSE(receive(target, 0));
  ::close(target);
}

TEST_F(TurnServiceTest, AllowLoopbackOpensOnlyLoopbackAndDataFlows) {
  start(/*allow_loopback=*/true);
  const int target = bound_udp();
  const SocketAddress target_addr = local_of(target);
  TurnTestClient alice(server, "alice", "alice-pw");
  ASSERT_EQ(alice.allocate_dual(), 0);  // raw: the core never asks for two families
  ASSERT_EQ(alice.raw_permit(target_addr), 0);
  alice.send_indication(target_addr, "hello peer");
  auto got = receive(target, 2000);
  ASSERT_TRUE(got);
  EXPECT_EQ(as_string_view(*got), "hello peer");
  for (const char* text :
       {"10.0.0.1", "169.254.169.254", "0.0.0.0", "::127.0.0.1", "64:ff9b::7f00:1", "224.0.0.1"})
    EXPECT_EQ(alice.raw_permit(SocketAddress(*IpAddress::parse(text), 9)), 403) << text;
  ::close(target);
}

TEST_F(TurnServiceTest, AllowedPeerIpOpensOnlyThatRange) {
  start(false, {"127.0.0.0/8"});
  TurnTestClient alice(server, "alice", "alice-pw");
  ASSERT_EQ(alice.allocate(), 0);
  EXPECT_EQ(alice.permit(*SocketAddress::parse("127.0.0.9:9")), 0);
  EXPECT_EQ(alice.permit(*SocketAddress::parse("10.0.0.1:9")), 403);
  EXPECT_EQ(alice.permit(*SocketAddress::parse("192.168.0.1:9")), 403);
}

TEST_F(TurnServiceTest, SecondUserCannotRefreshOrUseAnothersAllocation) {
  start();
  TurnTestClient alice(server, "alice", "alice-pw");
  ASSERT_EQ(alice.allocate(), 0);
  // bob on alice's own 5-tuple (same socket): 441 Wrong Credentials for everything. Raw
  // requests: the core keeps one user per allocation.
  alice.set_credentials("bob", "bob-pw");
  EXPECT_EQ(alice.refresh(600), 441);
  EXPECT_EQ(alice.refresh(0), 441);
  EXPECT_EQ(alice.raw_permit(*SocketAddress::parse("127.0.0.9:1")), 441);
  EXPECT_EQ(alice.bind(0x4000, *SocketAddress::parse("127.0.0.9:1")), 441);
  // bob from his own socket has no allocation to touch.
  TurnTestClient bob(server, "bob", "bob-pw");
  EXPECT_EQ(bob.refresh(600), 437);
  // alice's allocation is untouched.
  alice.set_credentials("alice", "alice-pw");
  EXPECT_EQ(alice.refresh(600), 0);
}

TEST_F(TurnServiceTest, ChannelDataRelaysBothWaysOverUdpAndTcp) {
  start(/*allow_loopback=*/true);
  for (bool tcp : {false, true}) {
    const int peer = bound_udp();
    const SocketAddress peer_addr = local_of(peer);
    TurnTestClient c(server, "alice", "alice-pw", tcp);
    ASSERT_EQ(c.allocate(), 0) << tcp;
    ASSERT_EQ(c.bind(0x4001, peer_addr), 0);
    std::byte frame[4 + 5 + 3] = {std::byte{0x40}, std::byte{0x01}, std::byte{0},
                                  std::byte{5},    std::byte{'h'},  std::byte{'e'},
                                  std::byte{'l'},  std::byte{'l'},  std::byte{'o'}};
    c.send_raw(ByteSpan(frame, tcp ? 12 : 9));  // raw: channel 0x4001 chosen
    SocketAddress relay;
    auto got = receive(peer, 2000, &relay);
    ASSERT_TRUE(got) << tcp;
    EXPECT_EQ(as_string_view(*got), "hello");
    send_to(peer, relay, "world!");
    auto back = c.receive_message(2000);
    ASSERT_TRUE(back) << tcp;
    ASSERT_GE(back->size(), 10u);
    EXPECT_EQ(std::to_integer<int>((*back)[0]), 0x40);
    EXPECT_EQ(std::to_integer<int>((*back)[1]), 0x01);
    EXPECT_EQ(as_string_view(ByteSpan(*back).subspan(4, 6)), "world!");
    ::close(peer);
  }
}

TEST_F(TurnServiceTest, TcpAllocationEndsWithItsConnection) {
  start();
  {
    TurnTestClient c(server, "alice", "alice-pw", /*tcp=*/true);
    ASSERT_EQ(c.allocate(), 0);
    ASSERT_TRUE(wait_metric(*service, "peerkit_turn_allocations", 1));
  }
  ASSERT_TRUE(wait_metric(*service, "peerkit_turn_allocations_deleted_total", 1));
  EXPECT_NE(service->metrics_text().find("\npeerkit_turn_allocations 0\n"), std::string::npos);
}

// The turn::Client core's own data path: Send indications until its channel is bound, then
// ChannelData (padded over TCP), and Data back, with one peer for both transports.
TEST_F(TurnServiceTest, CoreClientSendsAndReceivesData) {
  start(/*allow_loopback=*/true);
  const int peer = bound_udp();
  const SocketAddress peer_addr = local_of(peer);
  for (bool tcp : {false, true}) {
    TurnTestClient c(server, "alice", "alice-pw", tcp);
    ASSERT_EQ(c.allocate(), 0) << tcp;
    for (std::string_view text : {"one", "two"}) {
      ASSERT_TRUE(c.send(peer_addr, text)) << tcp;
      SocketAddress relay;
      const auto got = receive(peer, 2000, &relay);
      ASSERT_TRUE(got) << tcp;
      EXPECT_EQ(as_string_view(*got), text);
      EXPECT_EQ(relay, c.core().relayed_address());
      send_to(peer, relay, "back");
      SocketAddress from;
      EXPECT_EQ(c.receive_data(2000, &from), "back") << tcp;
      EXPECT_EQ(from, peer_addr);
    }
    c.close();
  }
  ::close(peer);
}

// Item 3 of issue 9: a dual-stack allocation holds two relay sockets, so the budget counts
// descriptors, not allocations. Beyond it Allocate gets 508 without a single bind attempt, and
// TCP clients (their own share of descriptors) still connect and are answered.
TEST_F(TurnServiceTest, DualStackAllocationsBeyondTheDescriptorBudgetGet508) {
  start_with([](turn::TurnServiceConfig& c) { c.relay_descriptors = 10; });
  std::vector<std::unique_ptr<TurnTestClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<TurnTestClient>(server, "alice", "alice-pw"));
    auto answer = clients.back()->request(stun::Method::kAllocate, [](stun::MessageBuilder& b) {
      stun::add_requested_transport(b, 17);
      stun::add_address_family(b, stun::attr::kAdditionalAddressFamily, AddressFamily::kIpv6);
    });
    ASSERT_EQ(TurnTestClient::code(answer), 0) << i;
    auto m = stun::MessageView::parse(*answer);
    int relayed = 0;
    for (const auto& a : m->attributes()) relayed += a.type == stun::attr::kXorRelayedAddress;
    EXPECT_EQ(relayed, 2) << i;  // both families: two descriptors
  }
  ASSERT_TRUE(wait_metric(*service, "peerkit_turn_allocations", 5));
  const std::uint64_t binds = metric(*service, "peerkit_turn_relay_bind_attempts_total");
  for (int i = 0; i < 3; ++i) {
    TurnTestClient late(server, "alice", "alice-pw");
    EXPECT_EQ(late.allocate_dual(), 508) << i;
    TurnTestClient single(server, "bob", "bob-pw");
    EXPECT_EQ(single.allocate(), 508) << i;
  }
  const int tcp = tcp_from("127.0.0.1", server);
  ASSERT_GE(tcp, 0);
  EXPECT_TRUE(binding_answered(tcp));
  TurnTestClient over_tcp(server, "bob", "bob-pw", /*tcp=*/true);
  EXPECT_EQ(over_tcp.allocate(), 508);
  ::close(tcp);
  // At the limit an Allocate costs no bind attempt at all (bf75943 walked the whole range):
  // once every worker has published its 7 refusals, the bind count is what it was.
  ASSERT_TRUE(wait_metric(*service, "peerkit_turn_descriptor_rejections_total", 7));
  EXPECT_EQ(metric(*service, "peerkit_turn_relay_bind_attempts_total"), binds);
  EXPECT_EQ(binds, 10u);  // one per relay socket
  // Freeing one dual-stack allocation gives its two descriptors back.
  EXPECT_EQ(clients.front()->refresh(0), 0);
  ASSERT_TRUE(wait_metric(*service, "peerkit_turn_allocations_deleted_total", 1));
  TurnTestClient again(server, "bob", "bob-pw");
  EXPECT_EQ(again.allocate_dual(), 0);
}

// Item 5: one address cannot hold every TCP/TLS slot. The next connection from an address at
// max-tcp-connections-per-ip is closed at once; another address still gets in; a slot frees
// when a connection closes.
TEST_F(TurnServiceTest, TcpConnectionsPerAddressAreCapped) {
  start_with([](turn::TurnServiceConfig& c) { c.max_tcp_connections_per_ip = 3; });
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(tcp_from("127.0.0.1", server));
    ASSERT_GE(held.back(), 0);
    ASSERT_TRUE(binding_answered(held.back())) << i;
  }
  const int over = tcp_from("127.0.0.1", server);
  ASSERT_GE(over, 0);  // the kernel completes the handshake; the server closes it
  EXPECT_TRUE(closed_by_server(over, 3000));
  ::close(over);
  EXPECT_TRUE(wait_metric(*service, "peerkit_turn_stream_connections_refused_total", 1));
  const int other = tcp_from("127.0.0.2", server);
  ASSERT_GE(other, 0);
  EXPECT_TRUE(binding_answered(other));
  // Closing one frees its slot (the server counts the close on its own thread: retry until then).
  ::close(held.back());
  held.pop_back();
  bool in = false;
  for (int attempt = 0; attempt < 50 && !in; ++attempt) {
    const int fd = tcp_from("127.0.0.1", server);
    in = binding_answered(fd, 200);
    if (in) held.push_back(fd); else ::close(fd);
  }
  EXPECT_TRUE(in);
  for (int fd : held) ::close(fd);
  ::close(other);
}

// Item 5: a TCP/TLS client that never allocates is closed after max-allocate-timeout; one with
// an allocation stays.
TEST_F(TurnServiceTest, TcpClientWithoutAllocationIsClosedAfterTheDeadline) {
  start_with([](turn::TurnServiceConfig& c) { c.allocate_timeout = Duration::seconds(1); });
  TurnTestClient allocated(server, "alice", "alice-pw", /*tcp=*/true);
  ASSERT_EQ(allocated.allocate(), 0);
  const int idle = tcp_from("127.0.0.1", server);
  ASSERT_GE(idle, 0);
  ASSERT_TRUE(binding_answered(idle));  // talking STUN is not allocating
  EXPECT_TRUE(closed_by_server(idle, 5000));
  ::close(idle);
  EXPECT_EQ(allocated.refresh(600), 0);
  EXPECT_TRUE(wait_metric(*service, "peerkit_turn_stream_allocate_timeouts_total", 1));
  EXPECT_EQ(metric(*service, "peerkit_turn_stream_allocate_timeouts_total"), 1u);
}

// Issue 9 items 4 and 7 through real workers. `peerkit serve` on loopback: a loopback peer must
// be one of this server's relays (whichever worker holds it), never another local service.
TEST(TurnServiceLimits, LoopbackRelaysOnlyReachRelaysNotServices) {
  turn::TurnServiceConfig c;
  c.listening_ips = {*IpAddress::parse("127.0.0.1")};
  c.listening_port = free_udp_tcp_port();
  c.min_port = 46000;
  c.max_port = 46999;
  c.workers = 2;
  c.realm = "it.test";
  c.users = {*turn::parse_static_user("alice:alice-pw")};
  c.policy.allow_loopback = true;
  c.policy.loopback_relays_only = true;
  c.log.level = "off";
  turn::finalize_config(c);
  turn::TurnService service(c);
  ASSERT_EQ(service.start(), "");
  const SocketAddress server(*IpAddress::parse("127.0.0.1"), c.listening_port);
  const int service_fd = bound_udp();  // a local UDP service the relay must not reach
  const SocketAddress service_addr = local_of(service_fd);
  // Several clients, so that SO_REUSEPORT puts some of them on different workers.
  std::vector<std::unique_ptr<TurnTestClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<TurnTestClient>(server, "alice", "alice-pw"));
    ASSERT_EQ(clients.back()->allocate(), 0);
  }
  TurnTestClient& a = *clients[0];
  EXPECT_EQ(a.raw_permit(service_addr), 403);
  for (std::size_t i = 1; i < clients.size(); ++i) {
    const SocketAddress relay_i = *clients[i]->core().relayed_address();
    const SocketAddress relay_a = *a.core().relayed_address();
    ASSERT_EQ(a.permit(relay_i), 0);
    ASSERT_EQ(clients[i]->permit(relay_a), 0);
    ASSERT_TRUE(a.send(relay_i, "relay to relay " + std::to_string(i)));
    auto got = clients[i]->receive_data(2000);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, "relay to relay " + std::to_string(i));
  }
  // a holds a permission for 127.0.0.1 now; the service's port is still out of reach.
  a.send_indication(service_addr, "to the service");
  ASSERT_TRUE(wait_metric(service, "peerkit_turn_denied_peers_total", 2));
  EXPECT_FALSE(receive(service_fd, 100));
  ::close(service_fd);
  clients.clear();
  service.stop();
}

// One address spread over every worker by SO_REUSEPORT still has one budget of 401s.
TEST(TurnServiceLimits, UnauthenticatedBudgetIsPerAddressAcrossWorkers) {
  turn::TurnServiceConfig c;
  c.listening_ips = {*IpAddress::parse("127.0.0.1")};
  c.listening_port = free_udp_tcp_port();
  c.min_port = 47000;
  c.max_port = 47099;
  c.workers = 4;
  c.tcp = false;
  c.realm = "it.test";
  c.users = {*turn::parse_static_user("alice:alice-pw")};
  c.server.unauthorized_rate = 1;
  c.server.unauthorized_burst = 4;
  c.log.level = "off";
  turn::finalize_config(c);
  turn::TurnService service(c);
  ASSERT_EQ(service.start(), "");
  const SocketAddress server(*IpAddress::parse("127.0.0.1"), c.listening_port);
  constexpr int kSockets = 16, kEach = 4;
  std::vector<int> fds;
  for (int i = 0; i < kSockets; ++i) fds.push_back(bound_udp());
  for (int round = 0; round < kEach; ++round) {
    for (int fd : fds) {
      stun::TransactionId tid;
      tid.bytes[0] = static_cast<std::byte>(round);
      tid.bytes[1] = static_cast<std::byte>(fd);
      auto req = turn_request(
          stun::Method::kAllocate, tid,
          [](stun::MessageBuilder& b) { stun::add_requested_transport(b, 17); }, std::nullopt);
      send_to(fd, server, std::string_view(reinterpret_cast<const char*>(req.data()), req.size()));
    }
  }
  // Every request has been seen (challenged, answered or suppressed) before answers are counted.
  const std::uint64_t sent = kSockets * kEach;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::uint64_t seen = 0;
  auto metric = [&](const std::string& name) -> std::uint64_t {
    const std::string text = service.metrics_text();
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 2));
  };
  while (std::chrono::steady_clock::now() < deadline) {
    seen = metric("peerkit_turn_auth_challenges_total");
    if (seen >= sent) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(seen, sent);
  EXPECT_GE(metric("peerkit_turn_unauthenticated_rate_limited_total"), sent - 6);
  int answers = 0;
  for (int fd : fds) {
    while (receive(fd, 50)) ++answers;
    ::close(fd);
  }
  // One budget: the burst, plus at most a token or two refilled while the test ran.
  EXPECT_GE(answers, 4);
  EXPECT_LE(answers, 6);
  service.stop();
}

}  // namespace
}  // namespace peerkit::testing
