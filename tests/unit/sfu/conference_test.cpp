// sfu::Conference (sfu/conference.h): publish answers, subscribe offers that follow the room,
// one offer outstanding at a time, slots reused under new mids, connections closed when
// nothing is left to forward — on captured Chromium 156 offers, no sockets.
#include "sfu/conference.h"

#include <gtest/gtest.h>


#include "dtls/context.h"
#include "sdp/media.h"
#include "support/browser_answer.h"
#include "support/sdp_data.h"

namespace peerkit::sfu {
namespace {

std::string load(const std::string& name) {
  const std::string text = testing::read_sdp_data(name);
  return text;
}

std::string answer_to(const std::string& offer) { return testing::browser_answer_to(offer); }

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// The captured Chromium offer with its VP8's RTX (97) taken out: a publisher that sends none.
std::string media_offer_without_rtx() {
  std::string offer = load("chromium156-media-offer.sdp");
  for (const std::string line : {"a=rtpmap:97 rtx/90000\r\n", "a=fmtp:97 apt=96\r\n"}) {
    const auto at = offer.find(line);
    EXPECT_NE(at, std::string::npos) << line;
    if (at != std::string::npos) offer.erase(at, line.size());
  }
  return offer;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
}

class ConferenceTest : public ::testing::Test {
 protected:
  ConferenceTest()
      : certificate_(*dtls::Certificate::generate()),
        worker_(*dtls::Context::create(certificate_), {}),
        conference_(worker_, certificate_, random_,
                    {{"1 1 udp 2130706431 10.0.0.1 40000 typ host"}}) {}

  std::vector<Conference::Message> drain() {
    std::vector<Conference::Message> out;
    while (auto m = conference_.poll_message()) out.push_back(std::move(*m));
    return out;
  }
  // Answers every offer in `messages`, as the browser would.
  void answer_all(const std::vector<Conference::Message>& messages) {
    for (const auto& m : messages) {
      if (m.type == "sfu-subscribe-offer") {
        ASSERT_EQ(conference_.subscribe_answer(m.member, m.connection, answer_to(m.sdp)), "");
      }
    }
  }

  std::shared_ptr<const dtls::Certificate> certificate_;
  SeededRandom random_{7};
  Worker worker_;
  Conference conference_;
};

TEST_F(ConferenceTest, APublishIsAnsweredAndOfferedToTheRestOfTheRoomOnly) {
  ASSERT_EQ(conference_.join("r", "ann"), "");
  ASSERT_EQ(conference_.join("r", "bo"), "");
  ASSERT_EQ(conference_.join("other", "cy"), "");
  EXPECT_TRUE(drain().empty());  // nothing is published yet

  auto answer = conference_.publish("ann", load("chromium156-media-offer.sdp"));
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_NE(answer->find("a=ice-lite"), std::string::npos);
  EXPECT_NE(answer->find("10.0.0.1 40000 typ host"), std::string::npos);
  EXPECT_EQ(worker_.router().track_count(), 2u);

  auto messages = drain();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].member, "bo");
  EXPECT_EQ(messages[0].type, "sfu-subscribe-offer");
  EXPECT_EQ(count(messages[0].sdp, "m=audio"), 1);
  EXPECT_EQ(count(messages[0].sdp, "m=video"), 1);
  EXPECT_NE(messages[0].sdp.find("a=msid:ann ann-"), std::string::npos);  // bo's tile for ann
  EXPECT_NE(messages[0].sdp.find("a=setup:actpass"), std::string::npos);

  answer_all(messages);
  EXPECT_EQ(worker_.router().subscription_count(), 2u);
  EXPECT_FALSE(conference_.publish("ann", load("chromium156-media-offer.sdp")));  // once
}

// A member who only watches (publishes nothing) and joins after the others published gets
// their tracks at once: the join itself offers what the room publishes.
TEST_F(ConferenceTest, ALaterMemberIsOfferedWhatIsAlreadyPublished) {
  ASSERT_EQ(conference_.join("r", "ann"), "");
  ASSERT_TRUE(conference_.publish("ann", load("chromium156-media-offer.sdp")));
  EXPECT_TRUE(drain().empty());  // nobody else yet
  ASSERT_EQ(conference_.join("r", "viewer"), "");
  auto messages = drain();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].member, "viewer");
  EXPECT_EQ(messages[0].type, "sfu-subscribe-offer");
  EXPECT_EQ(count(messages[0].sdp, "m=video"), 1);
  answer_all(messages);
  EXPECT_EQ(worker_.router().subscription_count(), 2u);
}

TEST_F(ConferenceTest, ChangesWhileAnOfferIsOutAreFoldedIntoTheNextOffer) {
  for (const char* m : {"ann", "bo", "cy"}) ASSERT_EQ(conference_.join("r", m), "");
  ASSERT_TRUE(conference_.publish("ann", load("chromium156-media-offer.sdp")));
  auto first = drain();
  ASSERT_EQ(first.size(), 2u);  // bo and cy
  // bo's offer is still out when cy publishes: no second offer yet.
  ASSERT_TRUE(conference_.publish("cy", load("chromium156-media-offer.sdp")));
  auto second = drain();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].member, "ann");
  const auto& bo = first[0].member == "bo" ? first[0] : first[1];
  ASSERT_EQ(conference_.subscribe_answer("bo", bo.connection, answer_to(bo.sdp)), "");
  auto third = drain();  // bo's answer lets the folded change out: ann's and cy's tracks
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].member, "bo");
  EXPECT_EQ(count(third[0].sdp, "m=video"), 2);
  // The re-offer keeps the role DTLS already has: bo answered active, so the SFU is passive.
  EXPECT_NE(third[0].sdp.find("a=setup:passive"), std::string::npos);
  EXPECT_EQ(third[0].connection, bo.connection);
  // An answer to a stale connection number is refused and changes nothing.
  EXPECT_NE(conference_.subscribe_answer("bo", bo.connection + 1, answer_to(third[0].sdp)), "");
}

TEST_F(ConferenceTest, ALeaverSectionsEndAndTheirSlotsAreReusedUnderNewMids) {
  for (const char* m : {"ann", "bo", "cy"}) ASSERT_EQ(conference_.join("r", m), "");
  ASSERT_TRUE(conference_.publish("bo", load("chromium156-media-offer.sdp")));
  ASSERT_TRUE(conference_.publish("cy", load("chromium156-media-offer.sdp")));
  for (int round = 0; round < 3; ++round) answer_all(drain());
  ASSERT_EQ(worker_.router().subscription_count(), 8u);  // ann: bo's and cy's; bo↔cy

  conference_.leave("bo");
  auto after = drain();
  const auto ann = std::find_if(after.begin(), after.end(), [](auto& m) { return m.member == "ann"; });
  ASSERT_NE(ann, after.end());
  EXPECT_EQ(count(ann->sdp, "m=audio 0 "), 1);  // bo's audio ended, its slot kept
  EXPECT_EQ(count(ann->sdp, "m=video 0 "), 1);
  EXPECT_EQ(count(ann->sdp, "m=video 9 "), 1);  // cy's still flowing
  answer_all(after);
  EXPECT_EQ(worker_.router().subscription_count(), 2u);  // ann↔cy

  ASSERT_EQ(conference_.join("r", "dee"), "");
  ASSERT_TRUE(conference_.publish("dee", load("chromium156-media-offer.sdp")));
  auto again = drain();
  const auto ann2 = std::find_if(again.begin(), again.end(), [](auto& m) { return m.member == "ann"; });
  ASSERT_NE(ann2, again.end());
  EXPECT_EQ(count(ann2->sdp, "m="), 4);  // dee took bo's slots: no section was added
  EXPECT_EQ(count(ann2->sdp, "m=audio 0 "), 0);
  auto sections = sdp::parse_media_sections(*sdp::parse(ann2->sdp));
  ASSERT_TRUE(sections);
  std::set<std::string> mids;
  for (const auto& s : *sections) mids.insert(s.mid);
  EXPECT_EQ(mids.size(), 4u);
  EXPECT_FALSE(mids.contains("0"));  // bo's old mids are not reused for other tracks
}

TEST_F(ConferenceTest, NothingLeftToForwardClosesTheSubscribeConnection) {
  for (const char* m : {"ann", "bo"}) ASSERT_EQ(conference_.join("r", m), "");
  ASSERT_TRUE(conference_.publish("bo", load("chromium156-media-offer.sdp")));
  auto first = drain();
  answer_all(first);
  ASSERT_TRUE(conference_.info("ann"));
  EXPECT_EQ(conference_.info("ann")->subscriptions.size(), 2u);
  conference_.leave("bo");
  auto after = drain();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].type, "sfu-subscribe-close");
  EXPECT_EQ(worker_.router().subscription_count(), 0u);
  EXPECT_EQ(worker_.router().track_count(), 0u);
  // The next publisher starts a fresh connection with new ICE credentials.
  ASSERT_EQ(conference_.join("r", "cy"), "");
  ASSERT_TRUE(conference_.publish("cy", load("chromium156-media-offer.sdp")));
  auto fresh = drain();
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_GT(fresh[0].connection, first[0].connection);  // a new connection
  EXPECT_NE(fresh[0].sdp.find("a=setup:actpass"), std::string::npos);
  answer_all(fresh);
  EXPECT_EQ(worker_.router().subscription_count(), 2u);
}

TEST_F(ConferenceTest, AnUnusableAnswerToTheCurrentOfferStartsTheConnectionAgain) {
  for (const char* m : {"ann", "bo"}) ASSERT_EQ(conference_.join("r", m), "");
  ASSERT_TRUE(conference_.publish("ann", load("chromium156-media-offer.sdp")));
  auto first = drain();
  ASSERT_EQ(first.size(), 1u);
  // The browser failed to apply it and says so with an answer the SFU cannot use.
  EXPECT_NE(conference_.subscribe_answer("bo", first[0].connection, ""), "");
  auto again = drain();
  ASSERT_EQ(again.size(), 2u);  // not left waiting: the old connection closes, a new one is offered
  EXPECT_EQ(again[0].type, "sfu-subscribe-close");
  EXPECT_EQ(again[0].connection, first[0].connection);
  EXPECT_EQ(again[1].type, "sfu-subscribe-offer");
  EXPECT_NE(again[1].connection, first[0].connection);
  answer_all(again);
  EXPECT_EQ(worker_.router().subscription_count(), 2u);
  // Connection numbers are never reused, even by a member who leaves and comes back.
  conference_.leave("bo");
  ASSERT_EQ(conference_.join("r", "bo"), "");
  auto rejoined = drain();
  ASSERT_EQ(rejoined.size(), 1u);
  EXPECT_GT(rejoined[0].connection, again[1].connection);
}

TEST_F(ConferenceTest, MaxHeightConstraintsPickTheLayer) {
  for (const char* m : {"ann", "bo"}) ASSERT_EQ(conference_.join("r", m), "");
  ASSERT_TRUE(conference_.publish("bo", load("chromium156-simulcast-offer.sdp"), 720));
  answer_all(drain());
  auto video = [&] {
    const auto info = conference_.info("ann");
    for (const auto& s : info->subscriptions)
      if (s.kind == "video") return s;
    return Conference::SubscriptionInfo{};
  };
  ASSERT_EQ(video().source, "bo");
  conference_.constrain("ann", 180, {});
  // Nothing flowed yet, so no layer is current; the target shows in the router's stream.
  std::optional<int> target;
  for (std::uint32_t id = 0; id < 16 && !target; ++id)
    if (const auto* s = worker_.router().stream({id}); s && s->target_layer() != 0)
      target = s->target_layer();
  EXPECT_FALSE(target);  // 720 → 360 → 180: layer 0 for every video subscription
  conference_.constrain("ann", std::nullopt, {{"bo", 400}});
  bool found_mid = false;
  for (std::uint32_t id = 0; id < 16; ++id)
    if (const auto* s = worker_.router().stream({id}); s && s->target_layer() == 1) found_mid = true;
  EXPECT_TRUE(found_mid);  // 360 ≤ 400: the middle layer
}

TEST_F(ConferenceTest, AScreenSectionReachesSubscribersInAStreamOfItsOwn) {
  for (const char* m : {"ann", "bo"}) ASSERT_EQ(conference_.join("r", m), "");
  // The captured offer's video section (mid 1) stands in for a screen share here.
  ASSERT_TRUE(conference_.publish("ann", load("chromium156-media-offer.sdp"), 0, "1"));
  auto messages = drain();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].sdp.find("a=msid:ann~screen ann-1"), std::string::npos);
  EXPECT_NE(messages[0].sdp.find("a=msid:ann ann-0"), std::string::npos);  // audio as usual
}

// A publisher that sends no RTX (a native one): its subscribers are still offered RTX, the
// SFU's own (it repairs from its history and probes with RTX padding), on a type nothing else
// in the connection uses (RFC 8843 §9.1: one meaning per type in a BUNDLE group).
TEST_F(ConferenceTest, SubscribersGetRtxEvenWhenThePublisherSentNone) {
  for (const char* m : {"ann", "bo"}) ASSERT_EQ(conference_.join("r", m), "");
  std::string offer = media_offer_without_rtx();
  auto answer = conference_.publish("ann", offer);
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->find("apt="), std::string::npos);  // nothing to take from Ann
  auto messages = drain();
  ASSERT_EQ(messages.size(), 1u);
  const std::string& sub = messages[0].sdp;
  EXPECT_NE(sub.find("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=rtpmap:97 rtx/90000\r\n"), std::string::npos);
  EXPECT_NE(sub.find("a=fmtp:97 apt=96\r\n"), std::string::npos);
  EXPECT_NE(sub.find("a=ssrc-group:FID "), std::string::npos);
  EXPECT_NE(sub.find("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"), std::string::npos);  // audio: none
  answer_all(messages);
  EXPECT_EQ(worker_.router().subscription_count(), 2u);

  // A second publisher whose Opus is on 98 and who has no RTX either: its video's RTX takes
  // the type Ann's already repairs VP8 with (97), never 98, which means Opus in this group.
  ASSERT_EQ(conference_.join("r", "cy"), "");
  drain();
  std::string cy = offer;
  replace_all(cy, "111", "98");
  ASSERT_TRUE(conference_.publish("cy", cy));
  int offers = 0;
  for (const auto& m : drain()) {
    if (m.member != "bo" || m.type != "sfu-subscribe-offer") continue;
    ++offers;
    EXPECT_EQ(count(m.sdp, "a=fmtp:97 apt=96\r\n"), 2) << m.sdp;
    EXPECT_EQ(count(m.sdp, "a=rtpmap:98 opus/48000/2\r\n"), 1);
    EXPECT_EQ(m.sdp.find("apt=96\r\na=rtpmap:98"), std::string::npos);
    EXPECT_EQ(m.sdp.find("a=rtpmap:98 rtx"), std::string::npos);
  }
  EXPECT_EQ(offers, 1);  // Bo's re-offer with Cy's tracks
}

// A first section that takes the lowest free type for itself: the RTX goes to the next one.
TEST_F(ConferenceTest, TheSubscribersRtxTypeAvoidsTypesTheConnectionUses) {
  for (const char* m : {"ann", "bo"}) ASSERT_EQ(conference_.join("r", m), "");
  std::string offer = media_offer_without_rtx();
  replace_all(offer, "111", "97");  // Opus on 97
  ASSERT_TRUE(conference_.publish("ann", offer));
  auto messages = drain();
  ASSERT_EQ(messages.size(), 1u);
  const std::string& sub = messages[0].sdp;
  EXPECT_NE(sub.find("a=rtpmap:97 opus/48000/2\r\n"), std::string::npos) << sub;
  EXPECT_NE(sub.find("a=fmtp:98 apt=96\r\n"), std::string::npos) << sub;
  EXPECT_EQ(count(sub, "apt=96\r\n"), 1);
  answer_all(messages);
  EXPECT_EQ(worker_.router().subscription_count(), 2u);
}

// RFC 4588 §8.1: an answer without the offered RTX codec cannot unwrap RTX. That subscriber
// gets its retransmissions plain on the media SSRC (and no RTX padding probes); one whose answer
// kept the codec gets RTX. Conference::info (and `sfu-stats`) say which.
TEST_F(ConferenceTest, AnAnswerWithoutRtxGetsPlainRetransmissions) {
  for (const char* m : {"ann", "bo", "cy"}) ASSERT_EQ(conference_.join("r", m), "");
  ASSERT_TRUE(conference_.publish("ann", load("chromium156-media-offer.sdp")));
  int answered = 0;
  for (const auto& m : drain()) {
    if (m.type != "sfu-subscribe-offer") continue;
    std::string answer = answer_to(m.sdp);
    if (m.member == "bo") {  // Bo's answer takes VP8 alone
      const auto rtpmap = answer.find(" rtx/90000\r\n");
      ASSERT_NE(rtpmap, std::string::npos) << answer;
      const auto line = answer.rfind("a=rtpmap:", rtpmap);
      const std::string pt = answer.substr(line + 9, rtpmap - line - 9);
      answer.erase(line, answer.find("\r\n", rtpmap) + 2 - line);
      const auto fmtp = answer.find("a=fmtp:" + pt + " apt=");
      ASSERT_NE(fmtp, std::string::npos) << answer;
      answer.erase(fmtp, answer.find("\r\n", fmtp) + 2 - fmtp);
      const auto mline = answer.find("m=video ");
      const auto in_mline = answer.find(" " + pt, mline);
      ASSERT_LT(in_mline, answer.find("\r\n", mline));
      answer.erase(in_mline, pt.size() + 1);
      ASSERT_EQ(answer.find(" rtx/"), std::string::npos) << answer;
    }
    ASSERT_EQ(conference_.subscribe_answer(m.member, m.connection, answer), "") << m.member;
    ++answered;
  }
  ASSERT_EQ(answered, 2);
  const auto video_rtx = [&](const std::string& member) -> std::optional<bool> {
    auto info = conference_.info(member);
    if (!info) return std::nullopt;
    for (const auto& s : info->subscriptions)
      if (s.kind == "video") return s.rtx;
    return std::nullopt;
  };
  EXPECT_EQ(video_rtx("bo"), std::optional<bool>(false));
  EXPECT_EQ(video_rtx("cy"), std::optional<bool>(true));
}

TEST_F(ConferenceTest, BadInputIsRefusedWithAReason) {
  EXPECT_NE(conference_.subscribe_answer("nobody", 1, "v=0"), "");
  EXPECT_FALSE(conference_.publish("nobody", load("chromium156-media-offer.sdp")));
  ASSERT_EQ(conference_.join("r", "ann"), "");
  EXPECT_NE(conference_.join("r", "ann"), "");
  auto garbage = conference_.publish("ann", "not sdp");
  ASSERT_FALSE(garbage);
  EXPECT_FALSE(garbage.error().empty());
  EXPECT_NE(conference_.subscribe_answer("ann", 1, "v=0"), "");  // no offer out
  EXPECT_TRUE(conference_.publish("ann", load("chromium156-media-offer.sdp")));  // still can
}

}  // namespace
}  // namespace peerkit::sfu
