// JSEP signaling states (sdp/jsep_state.h): every allowed transition and the errors of the rest.
#include "sdp/jsep_state.h"

#include <gtest/gtest.h>

namespace peerkit::sdp {
namespace {

using S = SignalingState;
using T = SdpType;

TEST(Jsep, OfferAnswerFromBothSides) {
  SignalingStateMachine a, b;
  EXPECT_EQ(a.set_local(T::kOffer)->state, S::kHaveLocalOffer);
  EXPECT_EQ(b.set_remote(T::kOffer)->state, S::kHaveRemoteOffer);
  EXPECT_EQ(b.set_local(T::kAnswer)->state, S::kStable);
  EXPECT_EQ(a.set_remote(T::kAnswer)->state, S::kStable);
}

TEST(Jsep, ProvisionalAnswers) {
  SignalingStateMachine a, b;
  ASSERT_TRUE(a.set_local(T::kOffer));
  ASSERT_TRUE(b.set_remote(T::kOffer));
  EXPECT_EQ(b.set_local(T::kPranswer)->state, S::kHaveLocalPranswer);
  EXPECT_EQ(a.set_remote(T::kPranswer)->state, S::kHaveRemotePranswer);
  EXPECT_EQ(b.set_local(T::kPranswer)->state, S::kHaveLocalPranswer);
  EXPECT_EQ(b.set_local(T::kAnswer)->state, S::kStable);
  EXPECT_EQ(a.set_remote(T::kAnswer)->state, S::kStable);
}

TEST(Jsep, WrongCallsKeepTheStateAndSayWhy) {
  SignalingStateMachine m;
  const auto e = m.set_local(T::kAnswer);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error(), "InvalidStateError: cannot set local answer in state stable");
  EXPECT_EQ(m.state(), S::kStable);
  EXPECT_FALSE(m.set_remote(T::kAnswer));
  EXPECT_FALSE(m.set_local(T::kRollback));  // nothing to roll back
  ASSERT_TRUE(m.set_local(T::kOffer));
  EXPECT_FALSE(m.set_local(T::kAnswer));
}

TEST(Jsep, RollbackUndoesAnUnansweredOffer) {
  SignalingStateMachine m;
  ASSERT_TRUE(m.set_local(T::kOffer));
  EXPECT_EQ(m.set_local(T::kRollback)->state, S::kStable);
  ASSERT_TRUE(m.set_remote(T::kOffer));
  EXPECT_EQ(m.set_remote(T::kRollback)->state, S::kStable);
  ASSERT_TRUE(m.set_remote(T::kOffer));
  ASSERT_TRUE(m.set_local(T::kPranswer));
  EXPECT_FALSE(m.set_local(T::kRollback));  // an answer, even provisional, is not rolled back
  EXPECT_EQ(m.state(), S::kHaveLocalPranswer);
}

TEST(Jsep, GlareRollsOurOfferBack) {
  SignalingStateMachine m;
  ASSERT_TRUE(m.set_local(T::kOffer));
  const auto t = m.set_remote(T::kOffer);
  ASSERT_TRUE(t) << t.error();
  EXPECT_TRUE(t->implicit_rollback);
  EXPECT_EQ(t->state, S::kHaveRemoteOffer);
  EXPECT_FALSE(m.set_local(T::kOffer));  // we owe an answer now
  EXPECT_FALSE(m.set_local(T::kAnswer)->implicit_rollback);
}

TEST(Jsep, ClosedRefusesEverything) {
  SignalingStateMachine m;
  m.close();
  for (const auto t : {T::kOffer, T::kPranswer, T::kAnswer, T::kRollback}) {
    EXPECT_FALSE(m.set_local(t));
    EXPECT_FALSE(m.set_remote(t));
  }
  EXPECT_EQ(m.state(), S::kClosed);
}

TEST(Jsep, TypeNames) {
  EXPECT_EQ(*parse_sdp_type("pranswer"), T::kPranswer);
  EXPECT_FALSE(parse_sdp_type("Offer"));
  EXPECT_EQ(to_string(S::kHaveRemotePranswer), "have-remote-pranswer");
}

}  // namespace
}  // namespace peerkit::sdp
