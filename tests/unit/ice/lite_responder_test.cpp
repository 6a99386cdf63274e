// The SFU port's ICE-lite responder (ice/lite_responder.h): many sessions on one socket, checks
// answered and bound by ufrag, DTLS/RTP routed by the address a check bound, nomination,
// consent expiry, and what is dropped without an answer. Virtual clock.
#include "ice/lite_responder.h"

#include <gtest/gtest.h>

#include <vector>

#include "ice/stun_check.h"
#include "stun/message.h"
#include "support/stun_vectors.h"

namespace peerkit::ice {
namespace {

const SocketId kPort{7};
const Timestamp kT0 = Timestamp::from_micros(50'000'000);

SocketAddress addr(const char* text) { return *SocketAddress::parse(text); }

struct Sent {
  SocketId socket;
  SocketAddress to;
  std::vector<std::byte> bytes;
};
std::vector<Sent> sent(LiteResponder& r) {
  std::vector<Sent> out;
  for (const Transmit& t : r.transmits())
    out.push_back({t.socket, t.to, std::vector<std::byte>(t.data.begin(), t.data.end())});
  return out;
}

// What a browser (the controlling full agent) sends to session `ufrag`.
std::vector<std::byte> check(std::string_view server_ufrag, std::string_view server_pwd,
                             bool nominate, std::uint8_t tid_seed = 1) {
  CheckRequest c;
  c.local_ufrag = "brow";  // the browser's ufrag: after the colon
  c.remote_ufrag = server_ufrag;
  c.remote_pwd = server_pwd;
  c.priority = 1845501695;
  c.controlling = true;
  c.tie_breaker = 42;
  c.use_candidate = nominate;
  stun::TransactionId tid;
  for (int i = 0; i < 12; ++i) tid.bytes[i] = std::byte(tid_seed + i);
  std::array<std::byte, kMaxCheckMessage> buf{};
  auto bytes = build_check_request(buf, tid, c);
  return {bytes.begin(), bytes.end()};
}

const std::vector<std::byte> kDtls{std::byte{22}, std::byte{0xfe}, std::byte{0xfd}, std::byte{0}};
const std::vector<std::byte> kRtp{std::byte{0x80}, std::byte{96}, std::byte{0}, std::byte{1}};

TEST(LiteResponder, AnswersTheRfc5769RequestAndBindsItsSource) {
  // A request nobody here wrote: RFC 5769 §2.1 (USERNAME "evtj:h6vY", ICE-CONTROLLED, no
  // USE-CANDIDATE).
  LiteResponder r({});
  ASSERT_TRUE(r.add_session(1, "evtj", testing::kShortTermPassword));
  const auto from = addr("192.0.2.1:32853");
  auto routed = r.handle(kT0, kPort, from, testing::kRfc5769Request);
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->session, 1u);
  EXPECT_EQ(routed->kind, PacketClass::kStun);
  auto out = sent(r);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].socket, kPort);
  EXPECT_EQ(out[0].to, from);
  auto m = stun::MessageView::parse(out[0].bytes);
  ASSERT_TRUE(m);
  auto response = verify_check_response(*m, testing::kShortTermPassword);
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->success);
  EXPECT_EQ(response->mapped, from);
  EXPECT_EQ(m->transaction_id().bytes[0], std::byte{0xb7});  // the request's transaction id
  // Bound but not nominated: DTLS from it is routed, nothing is selected yet.
  routed = r.handle(kT0, kPort, from, kDtls);
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->kind, PacketClass::kDtls);
  EXPECT_FALSE(r.selected(1));
  EXPECT_FALSE(r.poll_event());
}

TEST(LiteResponder, SessionsOnOnePortAreToldApartAndNominationSelects) {
  LiteResponder r({});
  ASSERT_TRUE(r.add_session(1, "aaaa", "password-of-session-one"));
  ASSERT_TRUE(r.add_session(2, "bbbb", "password-of-session-two"));
  EXPECT_FALSE(r.add_session(3, "aaaa", "another-password-here"));  // ufrags are unique here
  const auto a = addr("10.0.0.1:5000"), b = addr("10.0.0.2:6000");
  ASSERT_TRUE(r.handle(kT0, kPort, a, check("aaaa", "password-of-session-one", true)));
  ASSERT_TRUE(r.handle(kT0, kPort, b, check("bbbb", "password-of-session-two", false)));
  EXPECT_EQ(sent(r).size(), 2u);
  auto e = r.poll_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, LiteResponder::Event::Kind::kSelected);
  EXPECT_EQ(e->session, 1u);
  EXPECT_EQ(e->address, a);
  EXPECT_EQ(r.selected(1), a);
  EXPECT_FALSE(r.selected(2));
  EXPECT_EQ(r.handle(kT0, kPort, a, kRtp)->session, 1u);
  EXPECT_EQ(r.handle(kT0, kPort, b, kRtp)->session, 2u);
  // The browser moves (a new network): a nomination from the new address moves the media.
  const auto a2 = addr("10.0.9.1:5001");
  ASSERT_TRUE(r.handle(kT0, kPort, a2, check("aaaa", "password-of-session-one", true, 9)));
  EXPECT_EQ(r.selected(1), a2);
  r.remove_session(2);
  EXPECT_FALSE(r.handle(kT0, kPort, b, kRtp));  // its addresses went with it
  EXPECT_EQ(r.session_count(), 1u);
}

TEST(LiteResponder, WhatIsNotForAnyoneHereIsDroppedWithoutAnAnswer) {
  LiteResponder r({});
  ASSERT_TRUE(r.add_session(1, "aaaa", "password-of-session-one"));
  const auto x = addr("203.0.113.5:4000");
  EXPECT_FALSE(r.handle(kT0, kPort, x, kDtls));                      // never checked
  EXPECT_FALSE(r.handle(kT0, kPort, x, check("zzzz", "whatever-pwd-123", true)));  // unknown ufrag
  auto torn = check("aaaa", "password-of-session-one", true);
  torn.back() ^= std::byte{1};  // the FINGERPRINT no longer matches
  EXPECT_FALSE(r.handle(kT0, kPort, x, torn));
  EXPECT_FALSE(r.handle(kT0, kPort, x, std::vector<std::byte>{std::byte{0}, std::byte{1}}));
  EXPECT_TRUE(sent(r).empty());
  EXPECT_EQ(r.stats().dropped_unbound, 1u);
  EXPECT_EQ(r.stats().dropped_stun, 3u);
  // The right ufrag with the wrong password: 401, as RFC 8445 §7.3 / RFC 8489 §9.1.3 ask,
  // and the address stays unbound.
  auto routed = r.handle(kT0, kPort, x, check("aaaa", "not-the-password-at-all", true));
  ASSERT_TRUE(routed);
  auto out = sent(r);
  ASSERT_EQ(out.size(), 1u);
  auto m = stun::MessageView::parse(out[0].bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class(), stun::MessageClass::kError);
  EXPECT_EQ(r.stats().checks_refused, 1u);
  EXPECT_FALSE(r.handle(kT0, kPort, x, kRtp));
  EXPECT_FALSE(r.selected(1));
}

TEST(LiteResponder, ConsentLapsesWithoutChecksAndTheSessionHearsIt) {
  LiteResponder r({.consent_timeout = Duration::seconds(30)});
  ASSERT_TRUE(r.add_session(1, "aaaa", "password-of-session-one"));
  const auto a = addr("10.0.0.1:5000");
  ASSERT_TRUE(r.handle(kT0, kPort, a, check("aaaa", "password-of-session-one", true)));
  (void)r.poll_event();
  (void)sent(r);
  // Checks every 5 s keep it (RFC 7675 §5.1: the browser's consent checks).
  Timestamp t = kT0;
  for (int i = 0; i < 10; ++i) {
    t = t + Duration::seconds(5);
    ASSERT_TRUE(r.handle(t, kPort, a, check("aaaa", "password-of-session-one", false, i)));
    if (r.next_timeout() <= t) r.handle_timeout(t);
  }
  EXPECT_EQ(r.selected(1), a);
  EXPECT_FALSE(r.poll_event());
  // Then silence: within a second of the timeout the address is gone.
  while (t < kT0 + Duration::seconds(50 + 31)) {
    t = t + Duration::millis(100);
    if (r.next_timeout() <= t) r.handle_timeout(t);
  }
  auto e = r.poll_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, LiteResponder::Event::Kind::kDisconnected);
  EXPECT_FALSE(r.selected(1));
  EXPECT_FALSE(r.handle(t, kPort, a, kRtp));
  EXPECT_EQ(r.next_timeout(), Timestamp::never());
}

TEST(LiteResponder, AddressesPerSessionAndSessionsAreCapped) {
  LiteResponder r({.max_sessions = 2, .max_addresses_per_session = 3});
  ASSERT_TRUE(r.add_session(1, "aaaa", "password-of-session-one"));
  ASSERT_TRUE(r.add_session(2, "bbbb", "password-of-session-two"));
  EXPECT_FALSE(r.add_session(3, "cccc", "password-of-session-3"));
  const auto nominated = addr("10.0.0.1:5000");
  ASSERT_TRUE(r.handle(kT0, kPort, nominated, check("aaaa", "password-of-session-one", true)));
  for (int i = 0; i < 6; ++i) {
    const auto from = SocketAddress(addr("10.0.1.1:1").ip(), static_cast<std::uint16_t>(6000 + i));
    ASSERT_TRUE(r.handle(kT0 + Duration::millis(i + 1), kPort, from,
                         check("aaaa", "password-of-session-one", false, i)));
  }
  EXPECT_EQ(r.address_count(), 3u);      // the cap
  EXPECT_EQ(r.selected(1), nominated);  // the selected one is never the one evicted
  EXPECT_TRUE(r.handle(kT0, kPort, nominated, kRtp));
}

}  // namespace
}  // namespace peerkit::ice
