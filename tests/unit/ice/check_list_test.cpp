// The check list alone (RFC 8445 §6.1.2-§8.1.1): pair order by priority, the limit and its
// replacement rule, frozen/waiting by foundation, the triggered queue, Ta pacing, replaced
// in-progress checks, regular nomination timing and the selected pair.
#include "ice/check_list.h"

#include <gtest/gtest.h>

#include <vector>

#include "common/random.h"
#include "ice/stun_check.h"

namespace peerkit::ice {
namespace {

constexpr std::string_view kPwd = "remote-password-22chars";

class FakeContext : public CheckList::Context {
 public:
  Role local_role() const override { return role; }
  void send_check(Timestamp now, const CandidatePair& pair, ByteSpan request) override {
    sent.push_back(Sent{now, pair.local, std::vector<std::byte>(request.begin(), request.end())});
  }
  struct Sent {
    Timestamp at;
    LocalCandidateId local;
    std::vector<std::byte> bytes;
  };
  Role role = Role::kControlling;
  std::vector<Sent> sent;
};

class CheckListTest : public ::testing::Test {
 protected:
  static CheckListConfig config() {
    CheckListConfig c = CheckListConfig::from(AgentConfig{});
    c.max_pairs = 4;
    c.max_triggered = 2;
    return c;
  }
  // A pair from local `l` to remote `r`; the foundation defaults to one of its own.
  PairId add(std::size_t l, std::size_t r, std::uint64_t priority, std::string foundation = "",
             PairState state = PairState::kFrozen) {
    auto id = try_add(l, r, priority, std::move(foundation), state);
    EXPECT_TRUE(id);
    return id.value_or(PairId{});
  }
  std::optional<PairId> try_add(std::size_t l, std::size_t r, std::uint64_t priority,
                                std::string foundation = "", PairState state = PairState::kFrozen) {
    CandidatePair p;
    p.local = LocalCandidateId{l};
    p.remote = RemoteCandidateId{r};
    p.priority = priority;
    p.foundation = foundation.empty() ? std::to_string(l) + ":" + std::to_string(r) : foundation;
    return list.add(std::move(p), state);
  }
  // Starts a real check on `id`, so that its answer can be matched by transaction id.
  void start(PairId id, bool nominate = false) {
    CheckRequest r;
    r.local_ufrag = "locl";
    r.remote_ufrag = "remt";
    r.remote_pwd = kPwd;
    r.priority = 1;
    r.controlling = true;
    r.use_candidate = nominate;
    stun::TransactionId tid;
    random.fill(tid.bytes);
    std::array<std::byte, kMaxCheckMessage> buf;
    list.start_check(now, id, build_check_request(buf, tid, r), nominate);
  }
  // The peer's success answer to the last request sent.
  void answer_last(Timestamp at) {
    const auto request = stun::MessageView::parse(context.sent.back().bytes);
    ASSERT_TRUE(request);
    std::array<std::byte, kMaxCheckMessage> buf;
    const auto bytes = build_check_success(buf, request->transaction_id(),
                                           *SocketAddress::parse("192.0.2.1:1"), kPwd);
    const auto m = stun::MessageView::parse(bytes);
    ASSERT_TRUE(m);
    now = at;
    const auto answered = list.answered(m->transaction_id());
    ASSERT_TRUE(answered);
    const bool nominated = list.take_answer(now, *answered, *m);
    list[answered->pair].state = PairState::kSucceeded;
    list.mark_valid(now, answered->pair, answered->pair, nominated);
  }

  SeededRandom random{3};
  FakeContext context;
  CheckList list{config(), context};
  Timestamp now = Timestamp::from_micros(1'000'000);
};

TEST_F(CheckListTest, ChecksWaitingPairsInPriorityOrder) {
  const auto low = add(0, 0, 10);
  const auto high = add(1, 0, 30);
  const auto mid = add(2, 0, 20);
  for (const PairId expected : {high, mid, low}) {
    const auto next = list.next_check();
    ASSERT_TRUE(next);
    EXPECT_EQ(*next, expected);
    start(*next);
    EXPECT_EQ(list[*next].state, PairState::kInProgress);
  }
  EXPECT_FALSE(list.next_check());
  EXPECT_TRUE(list.pending());
}

TEST_F(CheckListTest, AFullListReplacesItsLowestIdlePairOnlyForABetterOne) {
  const auto a = add(0, 0, 10);
  add(1, 0, 20);
  add(2, 0, 30);
  const auto d = add(3, 0, 5);
  start(d);                        // in progress: never replaced, although it is the lowest
  EXPECT_FALSE(try_add(4, 0, 8));  // does not beat the lowest idle pair (10)
  const auto e = try_add(4, 0, 15);
  ASSERT_TRUE(e);
  EXPECT_EQ(*e, a);  // took the place of the pair of priority 10
  EXPECT_EQ(list.size(), 4u);
  EXPECT_EQ(list[*e].priority, 15u);
  EXPECT_EQ(list.find(LocalCandidateId{4}, RemoteCandidateId{0}), e);
  EXPECT_FALSE(list.find(LocalCandidateId{0}, RemoteCandidateId{0}));
}

TEST_F(CheckListTest, OnePairPerFoundationAtWorkTheRestFrozenUntilItSucceeds) {
  // RFC 8838 §10: the first pair of a foundation is Waiting, later ones Frozen.
  const auto first = add(0, 0, 30, "f");
  const auto second = add(1, 0, 20, "f");
  const auto other = add(2, 0, 10, "g");
  EXPECT_EQ(list[first].state, PairState::kWaiting);
  EXPECT_EQ(list[second].state, PairState::kFrozen);
  EXPECT_EQ(list[other].state, PairState::kWaiting);
  start(*list.next_check());        // first
  start(*list.next_check());        // other
  EXPECT_FALSE(list.next_check());  // `second`'s foundation is busy: it stays frozen
  // §7.2.5.3.3: success unfreezes the foundation.
  answer_last(now + Duration::millis(10));  // answers `other`: foundation g has no frozen pair
  EXPECT_EQ(list[second].state, PairState::kFrozen);
  context.sent.erase(context.sent.end() - 1);
  answer_last(now + Duration::millis(10));  // answers `first`
  EXPECT_EQ(list[second].state, PairState::kWaiting);
}

TEST_F(CheckListTest, AFrozenPairWakesWhenItsFoundationIsIdle) {
  const auto first = add(0, 0, 30, "f");
  const auto second = add(1, 0, 20, "f");
  list[first].state = PairState::kFailed;
  // §6.1.4.2: no Waiting pair, so the best Frozen pair of an idle foundation is checked.
  EXPECT_EQ(list.next_check(), second);
}

TEST_F(CheckListTest, TriggeredChecksGoFirstInArrivalOrderAndAreBounded) {
  const auto best = add(0, 0, 30);
  const auto b = add(1, 0, 20);
  const auto c = add(2, 0, 10);
  list.trigger(c);
  list.trigger(b);
  list.trigger(best);  // over max_triggered (2): dropped
  EXPECT_EQ(list.next_check(), c);
  start(c);
  EXPECT_EQ(list.next_check(), b);
  start(b);
  EXPECT_EQ(list.next_check(), best);  // the ordinary order again
  // A triggered pair that is no longer Waiting is skipped.
  list.trigger(b);
  EXPECT_FALSE(list.next_check() == b);
}

TEST_F(CheckListTest, APeersCheckReplacesAnInProgressCheckWhoseAnswerStillCounts) {
  const auto p = add(0, 0, 30);
  start(p);
  const auto first_request = context.sent.back().bytes;
  const auto incoming = list.on_check_received(p, false);
  EXPECT_TRUE(incoming.triggered);
  EXPECT_EQ(list[p].state, PairState::kWaiting);
  EXPECT_TRUE(list[p].cancelled);
  EXPECT_EQ(list[p].counters.requests_received, 1u);
  // The replaced check is not retransmitted...
  const auto sent = context.sent.size();
  list.tick(now + Duration::seconds(1));
  EXPECT_EQ(context.sent.size(), sent);
  // ...but its answer completes the pair.
  const auto m = stun::MessageView::parse(first_request);
  const auto answered = list.answered(m->transaction_id());
  ASSERT_TRUE(answered);
  EXPECT_TRUE(answered->replaced);
  EXPECT_EQ(answered->pair, p);
}

TEST_F(CheckListTest, OneCheckPerTa) {
  const Duration ta = config().ta;
  add(0, 0, 30);
  list.arm(now);
  EXPECT_TRUE(list.check_due(now));
  EXPECT_EQ(list.next_timeout(), now);
  list.paced(now, true);
  EXPECT_FALSE(list.check_due(now + ta - Duration::micros(1)));
  EXPECT_TRUE(list.check_due(now + ta));
  list.arm(now + Duration::millis(1));  // already armed: unchanged
  EXPECT_EQ(list.next_timeout(), now + ta);
  // Nothing to send: pacing stops; re-armed soon after, it still keeps Ta from the last check.
  list.paced(now + ta, false);
  EXPECT_EQ(list.next_timeout(), Timestamp::never());
  list.arm(now + Duration::millis(60));
  EXPECT_TRUE(list.check_due(now + Duration::millis(60)));
  list.paced(now + Duration::millis(60), true);
  list.paced(now + Duration::millis(60) + ta, false);
  list.arm(now + Duration::millis(70));
  EXPECT_FALSE(list.check_due(now + Duration::millis(70)));
  EXPECT_TRUE(list.check_due(now + Duration::millis(60) + ta));
}

TEST_F(CheckListTest, NominatesTheBestValidPairOnceNoBetterOneIsPlausible) {
  const auto better = add(0, 0, 30);
  const auto good = add(1, 0, 20);
  start(good);
  answer_last(now + Duration::millis(20));
  // `better` is still Waiting: nomination waits, but no longer than nomination_max_wait.
  EXPECT_FALSE(list.nominate(now));
  const Timestamp deadline = now + config().nomination_max_wait;
  EXPECT_EQ(list.next_timeout(), deadline);  // the wake-up for the nomination
  EXPECT_FALSE(list.nominate(deadline - Duration::micros(1)));
  const auto nominee = list.nominate(deadline);
  ASSERT_TRUE(nominee);
  EXPECT_EQ(*nominee, good);
  // Nominated and answered: it is selected, and the controlling side keeps it.
  now = deadline;
  start(good, true);
  answer_last(now + Duration::millis(20));
  EXPECT_TRUE(list.update_selection());
  EXPECT_EQ(list.selected(), good);
  list[better].valid = list[better].nominated = true;
  EXPECT_FALSE(list.update_selection());
}

TEST_F(CheckListTest, TheControlledSideFollowsTheBestNomination) {
  context.role = Role::kControlled;
  const auto low = add(0, 0, 10);
  const auto high = add(1, 0, 30);
  start(low);
  answer_last(now);
  list.on_check_received(low, true);  // USE-CANDIDATE on a succeeded pair
  EXPECT_TRUE(list.update_selection());
  EXPECT_EQ(list.selected(), low);
  // USE-CANDIDATE before success is remembered until the check succeeds.
  EXPECT_FALSE(list.on_check_received(high, true).select);
  EXPECT_TRUE(list[high].nominate_on_success);
  start(high);
  answer_last(now);
  EXPECT_TRUE(list[high].nominated);
  EXPECT_TRUE(list.update_selection());
  EXPECT_EQ(list.selected(), high);
}

TEST_F(CheckListTest, ClearForgetsPairsSelectionAndTriggers) {
  const auto p = add(0, 0, 10);
  list.trigger(p);
  list.clear();
  EXPECT_TRUE(list.empty());
  EXPECT_FALSE(list.next_check());
  EXPECT_FALSE(list.selected());
  EXPECT_TRUE(list.exhausted());
}

}  // namespace
}  // namespace peerkit::ice
