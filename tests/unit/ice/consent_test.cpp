// ConsentFreshness alone (RFC 7675 §5.1) on a virtual clock, with the agent's configured values
// (ice/agent_config.h): a check every 2 s ±20 %, stale at 5 s and expired at 30 s without an
// answer, fresh again on an answer.
#include "ice/consent.h"

#include <gtest/gtest.h>

#include <vector>

#include "ice/agent_config.h"

namespace peerkit::ice {
namespace {

constexpr std::string_view kRemotePwd = "remote-password-22chars";

class FakeContext : public ConsentFreshness::Context {
 public:
  std::optional<CheckRequest> consent_request() const override {
    if (!has_path) return std::nullopt;
    CheckRequest r;
    r.local_ufrag = "locl";
    r.remote_ufrag = "remt";
    r.remote_pwd = kRemotePwd;
    r.priority = 1853824767;
    r.controlling = true;
    r.tie_breaker = 7;
    return r;
  }
  void send_consent(Timestamp now, ByteSpan request, bool first) override {
    sent.push_back(Sent{now, std::vector<std::byte>(request.begin(), request.end()), first});
  }
  void on_consent_rtt(Duration rtt) override { rtts.push_back(rtt); }
  void on_consent_state(ConsentFreshness::State s) override { states.push_back(s); }

  struct Sent {
    Timestamp at;
    std::vector<std::byte> bytes;
    bool first;
  };
  bool has_path = true;
  std::vector<Sent> sent;
  std::vector<Duration> rtts;
  std::vector<ConsentFreshness::State> states;
};

ConsentFreshness::Config config_from_agent() {
  const AgentConfig a;
  return {a.consent_interval, a.disconnected_timeout, a.failed_timeout, a.check_transaction};
}

class ConsentTest : public ::testing::Test {
 protected:
  ConsentTest() : consent(config_from_agent(), context, random) { consent.start(start); }

  // Jumps from one timeout to the next until `until`.
  void run_until(Timestamp until) {
    while (consent.next_timeout() <= until) {
      now = consent.next_timeout();
      consent.handle_timeout(now);
    }
    now = until;
  }
  // The peer's answer to the last request sent, keyed with `pwd`.
  void answer_last(Timestamp at, bool success = true, std::string_view pwd = kRemotePwd) {
    ASSERT_FALSE(context.sent.empty());
    const auto request = stun::MessageView::parse(context.sent.back().bytes);
    ASSERT_TRUE(request);
    std::array<std::byte, kMaxCheckMessage> buf;
    const SocketAddress mapped = *SocketAddress::parse("192.0.2.1:4000");
    const auto bytes = success ? build_check_success(buf, request->transaction_id(), mapped, pwd)
                               : build_check_error(buf, request->transaction_id(), 400, pwd);
    const auto m = stun::MessageView::parse(bytes);
    ASSERT_TRUE(m);
    now = at;
    consent.on_response(now, *m);
  }
  // Whether the last request sent still waits for its answer.
  bool in_flight() const {
    if (context.sent.empty()) return false;
    const auto m = stun::MessageView::parse(context.sent.back().bytes);
    return m && consent.expects(m->transaction_id());
  }
  std::vector<Timestamp> first_sends() const {
    std::vector<Timestamp> out;
    for (const auto& s : context.sent)
      if (s.first) out.push_back(s.at);
    return out;
  }

  SeededRandom random{11};
  FakeContext context;
  const Timestamp start = Timestamp::from_micros(10'000'000);
  Timestamp now = start;
  ConsentFreshness consent;
};

TEST_F(ConsentTest, ChecksEveryIntervalWithTwentyPercentJitter) {
  // Answered at once, so consent stays fresh and a new check follows every interval.
  Timestamp last = start;
  for (int i = 0; i < 50; ++i) {
    const auto before = first_sends().size();
    while (first_sends().size() == before) {
      now = consent.next_timeout();
      consent.handle_timeout(now);
    }
    const Duration gap = now - last;
    EXPECT_GE(gap.us(), Duration::millis(1600).us());
    EXPECT_LE(gap.us(), Duration::millis(2400).us());
    last = now;
    answer_last(now + Duration::millis(10));
  }
  EXPECT_EQ(consent.state(), ConsentFreshness::State::kFresh);
  EXPECT_TRUE(context.states.empty());
  EXPECT_EQ(context.rtts.size(), 50u);
  EXPECT_EQ(context.rtts.front(), Duration::millis(10));
}

TEST_F(ConsentTest, StaleAtFiveSecondsAndExpiredAtThirtyWithoutAnswers) {
  std::vector<Timestamp> changes;
  while (consent.state() != ConsentFreshness::State::kExpired &&
         now < start + Duration::seconds(40)) {
    const auto seen = context.states.size();
    now = consent.next_timeout();
    consent.handle_timeout(now);
    if (context.states.size() != seen) changes.push_back(now);
  }
  ASSERT_EQ(context.states.size(), 2u);
  EXPECT_EQ(context.states[0], ConsentFreshness::State::kStale);
  EXPECT_EQ(changes[0], start + Duration::seconds(5));
  EXPECT_EQ(context.states[1], ConsentFreshness::State::kExpired);
  EXPECT_EQ(changes[1], start + Duration::seconds(30));
  // §5.1: after expiry nothing more is sent and no timer is left.
  const auto sent = context.sent.size();
  EXPECT_EQ(consent.next_timeout(), Timestamp::never());
  consent.handle_timeout(now + Duration::seconds(10));
  EXPECT_EQ(context.sent.size(), sent);
}

TEST_F(ConsentTest, RetransmitsARequestAndGivesUpBeforeTheNextCheck) {
  run_until(start + Duration::millis(2500));  // the first check is due by 2.4 s
  const auto sends = first_sends();
  ASSERT_EQ(sends.size(), 1u);
  run_until(sends[0] + Duration::millis(1600));
  std::size_t retransmissions = 0;
  for (const auto& s : context.sent) retransmissions += s.first ? 0 : 1;
  EXPECT_GE(retransmissions, 1u);
  EXPECT_EQ(first_sends().size(), 1u);  // the next check waits for the interval
  EXPECT_EQ(consent.state(), ConsentFreshness::State::kFresh);
}

TEST_F(ConsentTest, AnAnswerAfterStaleMakesItFreshAgain) {
  run_until(start + Duration::seconds(5));
  ASSERT_EQ(consent.state(), ConsentFreshness::State::kStale);
  // The request in flight at 5 s may be answered; if the last one gave up, wait for a new one.
  while (!in_flight()) {
    now = consent.next_timeout();
    consent.handle_timeout(now);
  }
  answer_last(now + Duration::millis(20));
  EXPECT_EQ(consent.state(), ConsentFreshness::State::kFresh);
  ASSERT_EQ(context.states.size(), 2u);
  EXPECT_EQ(context.states[1], ConsentFreshness::State::kFresh);
  // Fresh again means the 5 s count restarts from that answer.
  const Timestamp answered = now;
  run_until(answered + Duration::seconds(5));
  EXPECT_EQ(context.states.size(), 3u);
  EXPECT_EQ(consent.state(), ConsentFreshness::State::kStale);
}

TEST_F(ConsentTest, ErrorsAndUnauthenticatedAnswersGiveNoConsent) {
  run_until(start + Duration::millis(2500));
  answer_last(now, true, "not-the-password-22chr");
  EXPECT_TRUE(context.rtts.empty());
  answer_last(now, false);  // 400: the transaction ends, consent is not refreshed
  EXPECT_TRUE(context.rtts.empty());
  EXPECT_FALSE(in_flight());
  run_until(start + Duration::seconds(5));
  EXPECT_EQ(consent.state(), ConsentFreshness::State::kStale);
}

TEST_F(ConsentTest, NoPathNoRequestAndStopIsIdle) {
  context.has_path = false;
  run_until(start + Duration::seconds(3));
  EXPECT_TRUE(context.sent.empty());
  consent.stop();
  EXPECT_EQ(consent.state(), ConsentFreshness::State::kIdle);
  EXPECT_EQ(consent.next_timeout(), Timestamp::never());
  consent.start(now);
  EXPECT_EQ(consent.state(), ConsentFreshness::State::kFresh);
}

}  // namespace
}  // namespace peerkit::ice
