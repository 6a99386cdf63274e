// The WebRTC views of a description (sdp/webrtc_params.h) and the offer/answer builders
// (sdp/answer.h), on captured browser SDP and the other stacks' shapes.
#include "sdp/webrtc_params.h"

#include <gtest/gtest.h>


#include "sdp/answer.h"
#include "support/sdp_data.h"

namespace peerkit::sdp {
namespace {

SessionDescription load(const std::string& name) {
  const std::string text = testing::read_sdp_data(name);
  auto d = parse(text);
  EXPECT_TRUE(d) << name;
  return d ? *d : SessionDescription{};
}

LocalParameters ours() {
  LocalParameters p;
  p.ice_ufrag = "pk01";
  p.ice_pwd = "abcdefghijklmnopqrstuvwx";
  p.fingerprint = *parse_fingerprint(
      "sha-256 01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
      "67:89:AB:CD:EF");
  p.session_id = 4242;
  return p;
}

TEST(Fingerprint, ParsesAndPrints) {
  const auto f = parse_fingerprint(
      "SHA-256 1B:ED:60:85:8C:9C:54:BB:55:2F:07:F1:8D:09:59:58:67:96:AD:21:B3:AF:60:BF:18:B0:31:"
      "43:B7:8C:7F:52");
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ(f->algorithm, "sha-256");
  ASSERT_EQ(f->digest.size(), 32u);
  EXPECT_EQ(f->digest[0], 0x1b);
  EXPECT_EQ(f->to_string(), "sha-256 1B:ED:60:85:8C:9C:54:BB:55:2F:07:F1:8D:09:59:58:67:96:AD:21:"
                            "B3:AF:60:BF:18:B0:31:43:B7:8C:7F:52");
  EXPECT_TRUE(parse_fingerprint("sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33"));
  for (const char* bad : {"", "sha-256", "md5 00:11", "sha-256 00:11",
                          "sha-1 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:3g",
                          "sha-1 00-11-22-33-44-55-66-77-88-99-aa-bb-cc-dd-ee-ff-00-11-22-33"})
    EXPECT_FALSE(parse_fingerprint(bad)) << bad;
}

TEST(WebRtcParams, ChromiumDataOffer) {
  const auto d = load("chromium156-data-offer.sdp");
  ASSERT_EQ(d.media.size(), 1u);
  const auto& m = d.media[0];
  const auto ice = ice_parameters(d, m);
  ASSERT_TRUE(ice) << ice.error();
  EXPECT_TRUE(ice->trickle);
  EXPECT_EQ(ice->ufrag.size(), 4u);
  const auto dtls = dtls_parameters(d, m);
  ASSERT_TRUE(dtls) << dtls.error();
  EXPECT_EQ(dtls->setup, Setup::kActpass);
  ASSERT_EQ(dtls->fingerprints.size(), 1u);
  const auto dc = data_channel_parameters(m);
  ASSERT_TRUE(dc);
  EXPECT_EQ(dc->form, DataChannelForm::kCurrent);
  EXPECT_EQ(dc->sctp_port, 5000);
  EXPECT_EQ(dc->max_message_size, 262144u);
  EXPECT_EQ(bundle_groups(d), (std::vector<std::vector<std::string>>{{"0"}}));
}

TEST(WebRtcParams, CandidatesInlineAndRelay) {
  const auto d = load("chromium156-relay-offer-after-gathering.sdp");
  const auto c = candidates(d.media[0]);
  ASSERT_FALSE(c.empty());
  for (const auto line : c) EXPECT_NE(line.find("typ relay"), std::string_view::npos) << line;
}

TEST(WebRtcParams, FirefoxSessionLevelFingerprint) {
  const auto d = load("firefox-data-offer.sdp");
  const auto dtls = dtls_parameters(d, d.media[0]);
  ASSERT_TRUE(dtls) << dtls.error();
  EXPECT_EQ(dtls->fingerprints.front().algorithm, "sha-256");
  const auto ice = ice_parameters(d, d.media[0]);
  ASSERT_TRUE(ice) << ice.error();
  EXPECT_TRUE(ice->trickle);  // session-level a=ice-options
  EXPECT_EQ(data_channel_parameters(d.media[0])->max_message_size, 1073741823u);
}

TEST(WebRtcParams, LegacySctpmapForm) {
  const auto d = load("aiortc-legacy-offer.sdp");
  const auto dc = data_channel_parameters(d.media[0]);
  ASSERT_TRUE(dc);
  EXPECT_EQ(dc->form, DataChannelForm::kLegacy);
  EXPECT_EQ(dc->sctp_port, 5000);
  EXPECT_TRUE(end_of_candidates(d.media[0]));
}

TEST(WebRtcParams, MaxMessageSizeDefaultsAndLimits) {
  auto d = load("chromium156-data-offer.sdp");
  d.media[0].body.remove("max-message-size");
  EXPECT_EQ(data_channel_parameters(d.media[0])->max_message_size, kDefaultMaxMessageSize);
  EXPECT_EQ(sendable_message_size(262144, 65536), 65536u);
  EXPECT_EQ(sendable_message_size(262144, 0), 262144u);  // 0: the peer takes any size
  EXPECT_EQ(sendable_message_size(262144, 1u << 30), 262144u);
}

TEST(WebRtcParams, RefusesBadIceCredentials) {
  auto d = load("chromium156-data-offer.sdp");
  d.media[0].body.remove("ice-pwd");
  d.media[0].body.add(attribute("ice-pwd", "short"));
  EXPECT_FALSE(ice_parameters(d, d.media[0]));
  d.media[0].body.remove("ice-pwd");
  EXPECT_FALSE(ice_parameters(d, d.media[0]));
}

TEST(Answer, AcceptsTheDataSectionOfAChromiumOffer) {
  const auto offer = load("chromium156-data-offer.sdp");
  const auto a = build_answer(offer, ours());
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->local_setup, Setup::kActive);
  EXPECT_EQ(a->data_mid, "0");
  // What we print parses back and says what we meant.
  const auto again = parse(a->description.to_string());
  ASSERT_TRUE(again) << to_string(again.error());
  const auto& m = again->media.at(0);
  EXPECT_EQ(m.proto, "UDP/DTLS/SCTP");
  EXPECT_EQ(dtls_parameters(*again, m)->setup, Setup::kActive);
  EXPECT_EQ(dtls_parameters(*again, m)->fingerprints.front(), ours().fingerprint);
  EXPECT_EQ(data_channel_parameters(m)->max_message_size, kAdvertisedMaxMessageSize);
  EXPECT_EQ(ice_parameters(*again, m)->ufrag, "pk01");
  EXPECT_EQ(bundle_groups(*again), (std::vector<std::vector<std::string>>{{"0"}}));
}

TEST(Answer, RejectsAudioAndVideoWithPortZero) {
  const auto offer = load("chromium156-media-offer.sdp");
  const auto a = build_answer(offer, ours());
  ASSERT_TRUE(a) << a.error();
  const auto& media = a->description.media;
  ASSERT_EQ(media.size(), 3u);  // one answer section per offered section, in order
  EXPECT_TRUE(media[0].rejected());
  EXPECT_EQ(media[0].media, "audio");
  EXPECT_EQ(media[0].mid(), "0");
  EXPECT_EQ(media[0].formats.size(), 1u);
  EXPECT_TRUE(media[1].rejected());
  EXPECT_FALSE(media[2].rejected());
  EXPECT_EQ(a->data_mid, "2");
  // Rejected sections leave the BUNDLE group (RFC 8843 §7.3.3).
  EXPECT_EQ(bundle_groups(a->description), (std::vector<std::vector<std::string>>{{"2"}}));
}

TEST(Answer, AnswersTheLegacyFormInKind) {
  const auto a = build_answer(load("aiortc-legacy-offer.sdp"), ours());
  ASSERT_TRUE(a) << a.error();
  const auto& m = a->description.media.at(0);
  EXPECT_EQ(m.proto, "DTLS/SCTP");
  EXPECT_EQ(m.formats, std::vector<std::string>{"5000"});
  EXPECT_EQ(m.body.first("sctpmap"), "5000 webrtc-datachannel 1024");
  EXPECT_EQ(data_channel_parameters(m)->form, DataChannelForm::kLegacy);
}

TEST(Answer, SetupRoles) {
  EXPECT_EQ(*answer_setup(Setup::kActpass), Setup::kActive);
  EXPECT_EQ(*answer_setup(Setup::kActive), Setup::kPassive);
  EXPECT_EQ(*answer_setup(Setup::kPassive), Setup::kActive);
  EXPECT_FALSE(answer_setup(Setup::kHoldconn));
}

TEST(Answer, RefusesOffersWithoutDataChannels) {
  auto offer = load("chromium156-media-offer.sdp");
  offer.media.pop_back();
  const auto a = build_answer(offer, ours());
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().find("data-channel"), std::string::npos);
}

TEST(Offer, DataOfferLooksLikeChromiums) {
  const auto text = build_data_offer(ours()).to_string();
  const auto d = parse(text);
  ASSERT_TRUE(d) << text;
  const auto& m = d->media.at(0);
  EXPECT_EQ(m.media, "application");
  EXPECT_EQ(m.port, 9);
  EXPECT_EQ(dtls_parameters(*d, m)->setup, Setup::kActpass);
  EXPECT_EQ(m.mid(), "0");
  EXPECT_EQ(data_channel_parameters(m)->sctp_port, 5000);
  // A Chromium answer to it would be accepted by our own reading of answers.
  EXPECT_TRUE(ice_parameters(*d, m));
}

}  // namespace
}  // namespace peerkit::sdp
