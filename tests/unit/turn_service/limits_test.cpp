// The limits the workers of `peerkit turn` share (issue 9 items 1, 4, 6, 7): several Server cores,
// one per simulated worker, over the service's real shared state (turn/service/shared_quotas.h),
// on a virtual clock. And the event log line (item 10).
#include <thread>

#include "turn/service/event_log.h"
#include "turn/service/shared_quotas.h"
#include "unit/turn/harness.h"

namespace peerkit::turn::testing {
namespace {

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

auto udp17 = [](MessageBuilder& b) { stun::add_requested_transport(b, 17); };

class WorkersTest : public TurnHarness {
 protected:
  static constexpr int kWorkers = 4;

  void build(std::size_t user_quota, std::size_t address_quota, PolicyOptions policy = {}) {
    workers.clear();
    quotas_ = std::make_unique<SharedQuotas>(user_quota, address_quota, 0);
    unauth_ = std::make_unique<SharedUnauthLimiter>(options.unauthorized_rate,
                                                    options.unauthorized_burst, 1234);
    relay_addresses = std::make_unique<SharedRelayDirectory>(std::vector{ip("127.0.0.1")});
    std::vector<StaticUser> users = {*parse_static_user("alice:alice-pass"),
                                     *parse_static_user("bob:bob-pass")};
    std::array<std::byte, 32> secret{};
    secret[0] = std::byte{7};  // the harness's: a nonce from one worker is good on every worker
    for (int i = 0; i < kWorkers; ++i) {
      worker_random[i] = std::make_unique<SeededRandom>(100 + i);  // one per thread
      worker_relays[i].on_misuse = [](const char* what) { ADD_FAILURE() << what; };
      worker_relays[i].ipv4_address = ip("127.0.0.1");
      worker_relays[i].next_port = static_cast<std::uint16_t>(50000 + 1000 * i);
      workers.push_back(std::make_unique<Server>(
          options, CredentialStore("peerkit.test", users, secrets), PeerPolicy(policy),
          worker_relays[i], *quotas_, NonceIssuer(secret, options.nonce_lifetime, true),
          *worker_random[i], SharedState{unauth_.get(), relay_addresses.get()}));
    }
  }

  std::vector<Response> feed_to(int w, const ClientRoute& route, ByteSpan bytes) {
    TransmitQueue out;
    workers[w]->handle_client_packet(now, route, bytes, out);
    return drain(out);
  }
  // Nonces are bound to the client's IP: a new IP gets 438 and the retry carries its nonce.
  template <class F>
  Response call_on(int w, const ClientRoute& route, Method method, F add,
                   const char* user = "alice", const char* password = "alice-pass") {
    if (nonce.empty()) {
      auto r = feed_to(w, route, request(method, add));
      if (r.empty()) return {};
      nonce = std::string(as_string_view(*r[0].view()->find(attr::kNonce)));
    }
    auto r = feed_to(w, route, request(method, add, user, password));
    if (r.size() == 1 && r[0].error_code() == 438) {
      nonce = std::string(as_string_view(*r[0].view()->find(attr::kNonce)));
      r = feed_to(w, route, request(method, add, user, password));
    }
    EXPECT_EQ(r.size(), 1u);
    return r.empty() ? Response{} : r[0];
  }
  Response allocate_on(int w, const ClientRoute& route, const char* user = "alice",
                       const char* password = "alice-pass") {
    return call_on(w, route, Method::kAllocate, udp17, user, password);
  }
  Response permit_on(int w, const ClientRoute& route, const SocketAddress& peer) {
    return call_on(w, route, Method::kCreatePermission, [&](MessageBuilder& b) {
      stun::add_xor_address(b, attr::kXorPeerAddress, peer);
    });
  }

  std::unique_ptr<SharedQuotas> quotas_;
  std::unique_ptr<SharedUnauthLimiter> unauth_;
  std::unique_ptr<SharedRelayDirectory> relay_addresses;
  std::array<FakeRelays, kWorkers> worker_relays;
  std::array<std::unique_ptr<SeededRandom>, kWorkers> worker_random;
  std::vector<std::unique_ptr<Server>> workers;  // last: they release relays and quotas
};

// Item 7: SO_REUSEPORT spreads one address's source ports over every worker; the address still
// gets one budget of unauthenticated answers, not one per worker.
TEST_F(WorkersTest, UnauthenticatedAnswersAcrossWorkersStayWithinOneBudget) {
  options.unauthorized_rate = 5;
  options.unauthorized_burst = 5;
  build(0, 0);
  const auto req = request(Method::kAllocate, udp17);
  int answered = 0;
  for (int round = 0; round < 20; ++round) {
    for (int w = 0; w < kWorkers; ++w) {
      const std::string from = "100.72.0.10:" + std::to_string(40000 + w);
      answered += static_cast<int>(feed_to(w, udp(from.c_str()), req).size());
    }
  }
  EXPECT_EQ(answered, 5);
  std::uint64_t limited = 0;
  for (const auto& s : workers) limited += s->counters().rate_limited;
  EXPECT_EQ(limited, 75u);
  // Another address has its own budget, on any worker; time refills.
  EXPECT_EQ(feed_to(3, udp("100.72.0.11:1"), req).size(), 1u);
  now = now + Duration::seconds(1);
  EXPECT_EQ(feed_to(2, udp("100.72.0.10:40000"), req).size(), 1u);
}

// The same with the workers on real threads at once (no refill: every thread has one `now`).
TEST_F(WorkersTest, ConcurrentWorkersDrawFromOneBudgetExactly) {
  options.unauthorized_rate = 10;
  options.unauthorized_burst = 300;
  build(0, 0);
  const auto req = request(Method::kAllocate, udp17);
  std::array<int, kWorkers> answered{};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      const std::string from = "[2001:db8:5:5::" + std::to_string(w + 1) + "]:3000";
      const ClientRoute route = udp(from.c_str());
      for (int i = 0; i < 1000; ++i) {
        TransmitQueue out;
        workers[w]->handle_client_packet(now, route, req, out);
        answered[w] += static_cast<int>(out.items().size());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered[0] + answered[1] + answered[2] + answered[3], 300);
}

// Item 1 across workers: one user, one address, each with its quota wherever they allocate.
TEST_F(WorkersTest, UserAndAddressQuotasHoldAcrossWorkers) {
  build(/*user_quota=*/2, /*address_quota=*/3);
  EXPECT_EQ(allocate_on(0, udp("100.72.0.10:1")).error_code(), 0);
  EXPECT_EQ(allocate_on(1, udp("100.72.0.10:2")).error_code(), 0);
  EXPECT_EQ(allocate_on(2, udp("100.72.0.10:3")).error_code(), 486);  // alice's third
  EXPECT_EQ(allocate_on(2, udp("100.72.0.12:3")).error_code(), 486);  // from anywhere
  EXPECT_EQ(allocate_on(3, udp("100.72.0.10:4"), "bob", "bob-pass").error_code(), 0);
  EXPECT_EQ(allocate_on(0, udp("100.72.0.10:5"), "bob", "bob-pass").error_code(), 486);  // address
  EXPECT_EQ(allocate_on(1, udp("100.72.0.11:5"), "bob", "bob-pass").error_code(), 0);
}

// Item 6 across workers: four addresses of one /64 are one address for the quota.
TEST_F(WorkersTest, FourAddressesOfOneSlash64ShareOneAddressQuotaAcrossWorkers) {
  build(/*user_quota=*/0, /*address_quota=*/2);
  int ok = 0;
  for (int w = 0; w < kWorkers; ++w) {
    const std::string from = "[2001:db8:9:9::" + std::to_string(w + 1) + "]:7";
    const int code = allocate_on(w, udp(from.c_str())).error_code();
    EXPECT_TRUE(code == 0 || code == 486) << code;
    ok += code == 0;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(allocate_on(3, udp("[2001:db8:9:a::1]:7")).error_code(), 0);
}

// Item 4 across workers: the relay a loopback peer must be is often held by another worker.
TEST_F(WorkersTest, LoopbackPeerMustBeARelayOfAnyWorker) {
  PolicyOptions loopback;
  loopback.allow_loopback = true;
  loopback.loopback_relays_only = true;
  build(0, 0, loopback);
  const ClientRoute a = udp("127.0.0.1:40001"), b = udp("127.0.0.1:40002");
  const SocketAddress relay_b = relayed(allocate_on(1, b));
  ASSERT_EQ(allocate_on(0, a).error_code(), 0);
  EXPECT_EQ(permit_on(0, a, addr("127.0.0.1:8080")).error_code(), 403);
  EXPECT_EQ(permit_on(0, a, SocketAddress(relay_b.ip(), relay_b.port() + 1)).error_code(), 403);
  ASSERT_EQ(permit_on(0, a, relay_b).error_code(), 0);
  TransmitQueue out;
  workers[0]->handle_client_packet(
      now, a, peerkit::testing::send_indication(next_tid(), relay_b, "hi"), out);
  ASSERT_EQ(out.items().size(), 1u);
  EXPECT_EQ(out.items()[0].to, relay_b);
}

TEST(SharedRelayDirectory, PortsOfTheRelayIpsOnly) {
  SharedRelayDirectory d({ip("127.0.0.1"), ip("::1"), ip("127.0.0.1")});
  const auto a = *SocketAddress::parse("127.0.0.1:50000");
  const auto b = *SocketAddress::parse("[::1]:65535");
  EXPECT_FALSE(d.contains(a));
  d.add(a);
  d.add(b);
  d.add(*SocketAddress::parse("10.0.0.1:50000"));  // not a relay IP: ignored
  EXPECT_TRUE(d.contains(a));
  EXPECT_TRUE(d.contains(b));
  EXPECT_FALSE(d.contains(*SocketAddress::parse("127.0.0.1:50001")));
  EXPECT_FALSE(d.contains(*SocketAddress::parse("127.0.0.2:50000")));
  EXPECT_FALSE(d.contains(*SocketAddress::parse("10.0.0.1:50000")));
  d.remove(a);
  EXPECT_FALSE(d.contains(a));
  EXPECT_TRUE(d.contains(b));
}

// Item 10: a USERNAME carrying a newline, a forged line and a terminal escape is one line.
TEST(EventLine, ClientStringsAreEscapedIntoOneLine) {
  ServerEvent e{ServerEvent::Kind::kAuthFailed,
                {Transport::kUdp, 0, *SocketAddress::parse("203.0.113.1:3478"),
                 *SocketAddress::parse("198.51.100.7:5000")},
                "mallory\n2026-12-01 12:00:00 [info] allocation created user=\"admin\"\x1b[2J",
                "wrong credentials"};
  const EventLine line = event_line(e);
  EXPECT_EQ(line.text.find('\n'), std::string::npos) << line.text;
  EXPECT_EQ(line.text.find('\x1b'), std::string::npos) << line.text;
  EXPECT_EQ(line.text,
            "authentication failed user=\"mallory\\x0a2026-12-01 12:00:00 [info] allocation "
            "created user=\\\"admin\\\"\\x1b[2J\" client=198.51.100.7:5000 reason=wrong "
            "credentials");
  // Long names are capped.
  e.kind = ServerEvent::Kind::kQuotaRejected;
  e.username = std::string(5000, 'u');
  e.detail = "user-quota";
  EXPECT_LT(event_line(e).text.size(), 300u);
}

}  // namespace
}  // namespace peerkit::turn::testing
