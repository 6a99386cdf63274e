// Offer/answer for data-channel connections (peer/negotiation.h), against captured Chromium
// descriptions and against itself.
#include "peer/negotiation.h"

#include <gtest/gtest.h>

#include "support/sdp_data.h"

namespace peerkit::peer {
namespace {

std::string read_data(const std::string& name) {
  const std::string text = testing::read_sdp_data(name);
  return text;
}

LocalIdentity identity(const char* ufrag) {
  LocalIdentity id;
  id.ice_ufrag = ufrag;
  id.ice_pwd = "0123456789abcdefghijklmn";
  id.fingerprint = (*dtls::Certificate::generate())->fingerprint();
  id.session_id = 77;
  return id;
}

using sdp::SdpType;
using sdp::SignalingState;

TEST(Negotiation, AnswersAChromiumOffer) {
  Negotiation n(identity("pk01"));
  const auto remote = n.set_remote(SdpType::kOffer, read_data("chromium156-data-offer-after-gathering.sdp"));
  ASSERT_TRUE(remote) << remote.error();
  EXPECT_EQ(n.signaling_state(), SignalingState::kHaveRemoteOffer);
  EXPECT_EQ(remote->ice_role, ice::Role::kControlled);
  EXPECT_EQ(remote->ice_ufrag, "9sdn");
  EXPECT_EQ(remote->fingerprints.size(), 1u);
  EXPECT_EQ(remote->candidates.size(), 1u);
  EXPECT_EQ(remote->send_max_message_size, 262144u);
  EXPECT_EQ(remote->mid, "0");
  const auto answer = n.create_answer();
  ASSERT_TRUE(answer) << answer.error();
  ASSERT_TRUE(n.set_local(SdpType::kAnswer, *answer));
  EXPECT_EQ(n.signaling_state(), SignalingState::kStable);
  ASSERT_TRUE(n.parameters()->dtls_role);
  EXPECT_EQ(*n.parameters()->dtls_role, dtls::Role::kClient);  // we answered active
  EXPECT_NE(answer->find("a=setup:active"), std::string::npos);
  EXPECT_NE(answer->find("a=ice-ufrag:pk01"), std::string::npos);
}

// A browser's camera-and-microphone offer with a data channel: its media is received (recvonly:
// peerkit sends only on tracks it offered itself) and the data section is taken.
TEST(Negotiation, AnswersAChromiumMediaOfferReceivingItsMediaAndTakingTheData) {
  Negotiation n(identity("pk02"));
  const auto remote = n.set_remote(SdpType::kOffer, read_data("chromium156-media-offer.sdp"));
  ASSERT_TRUE(remote) << remote.error();
  ASSERT_EQ(remote->receiving.size(), 2u);
  EXPECT_EQ(remote->receiving[0].kind, "audio");
  EXPECT_EQ(remote->receiving[0].stream_id, "ff1f77af-18c9-416f-9f6f-811931266d41");
  EXPECT_EQ(remote->receiving[1].receiving.ssrcs.front(), 3406058701u);
  EXPECT_TRUE(remote->data);
  const auto answer = n.create_answer();
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_NE(answer->find("m=audio 9 "), std::string::npos) << *answer;
  EXPECT_NE(answer->find("m=video 9 "), std::string::npos);
  EXPECT_NE(answer->find("a=recvonly"), std::string::npos);
  EXPECT_EQ(answer->find("a=sendrecv"), std::string::npos);
  EXPECT_NE(answer->find("a=group:BUNDLE 0 1 2"), std::string::npos);
  EXPECT_NE(answer->find("m=application 9 "), std::string::npos);
  // Video: generic NACK kept (we ask for what is lost) with its RTX (restored on receipt);
  // audio asks nothing. Both keep transport-cc: we feed back every numbered packet's arrival.
  EXPECT_NE(answer->find("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"), std::string::npos) << *answer;
  EXPECT_NE(answer->find("a=rtcp-fb:96 nack\r\n"), std::string::npos);
  EXPECT_NE(answer->find("a=fmtp:97 apt=96\r\n"), std::string::npos);
  EXPECT_NE(answer->find("a=rtcp-fb:96 transport-cc\r\n"), std::string::npos);
  EXPECT_NE(answer->find("a=rtcp-fb:111 transport-cc\r\n"), std::string::npos);
  EXPECT_NE(answer->find("a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"),
            std::string::npos);
  EXPECT_EQ(answer->find("abs-send-time"), std::string::npos);  // what we do not read, we do not take
  const auto& video = remote->receiving[1].receiving;
  EXPECT_TRUE(video.nack);
  EXPECT_FALSE(remote->receiving[0].receiving.nack);
  EXPECT_EQ(video.rtx_payload_type, std::optional<std::uint8_t>(97));
  EXPECT_EQ(video.rtx_ssrcs, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{3688307034u, 3406058701u}}));
  EXPECT_EQ(video.ssrcs, (std::vector<std::uint32_t>{3406058701u}));
  EXPECT_EQ(video.twcc_extension, std::optional<std::uint8_t>(3));
  EXPECT_EQ(remote->receiving[0].receiving.twcc_extension, std::optional<std::uint8_t>(3));
  EXPECT_FALSE(remote->receiving[0].receiving.rtx_payload_type);
  ASSERT_TRUE(n.set_local(SdpType::kAnswer, *answer));
  EXPECT_EQ(n.signaling_state(), SignalingState::kStable);
}

// Chromium's simulcast offer announces no SSRCs, so no RTX SSRC is paired with a media one: a
// native answer takes no RTX there (it could not restore it; retransmissions come plain), and
// no simulcast (no rid extension): one stream, the first encoding.
TEST(Negotiation, AChromiumSimulcastOfferIsAnsweredWithoutRtxOrSimulcast) {
  Negotiation n(identity("pk04"));
  const auto remote = n.set_remote(SdpType::kOffer, read_data("chromium156-simulcast-offer.sdp"));
  ASSERT_TRUE(remote) << remote.error();
  const auto answer = n.create_answer();
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->find("apt="), std::string::npos) << *answer;
  EXPECT_EQ(answer->find("a=simulcast"), std::string::npos);
  EXPECT_NE(answer->find("a=rtcp-fb:96 nack\r\n"), std::string::npos);
  for (const auto& t : remote->receiving) EXPECT_FALSE(t.receiving.rtx_payload_type) << t.kind;
}

// Configuration::receive_media = false: the old data-only answer, media sections rejected.
TEST(Negotiation, WithoutReceiveMediaAMediaOfferGetsTheDataSectionOnly) {
  auto id = identity("pk03");
  id.receive_media = false;
  Negotiation n(id);
  const auto remote = n.set_remote(SdpType::kOffer, read_data("chromium156-media-offer.sdp"));
  ASSERT_TRUE(remote) << remote.error();
  EXPECT_TRUE(remote->receiving.empty());
  const auto answer = n.create_answer();
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_NE(answer->find("m=audio 0 "), std::string::npos);
  EXPECT_NE(answer->find("m=video 0 "), std::string::npos);
  EXPECT_NE(answer->find("a=group:BUNDLE 2"), std::string::npos);
}

TEST(Negotiation, OffersAndTakesAChromiumShapedAnswer) {
  Negotiation n(identity("pk03"));
  const auto offer = n.create_offer();
  ASSERT_TRUE(offer);
  ASSERT_TRUE(n.set_local(SdpType::kOffer, *offer));
  const auto remote = n.set_remote(SdpType::kAnswer, read_data("chromium156-data-answer.sdp"));
  ASSERT_TRUE(remote) << remote.error();
  EXPECT_EQ(remote->ice_role, ice::Role::kControlling);
  EXPECT_EQ(*remote->dtls_role, dtls::Role::kServer);  // Chromium answered active
  EXPECT_EQ(n.signaling_state(), SignalingState::kStable);
}

TEST(Negotiation, TwoPeersAgreeOnOppositeRoles) {
  Negotiation a(identity("aaaa")), b(identity("bbbb"));
  const auto offer = *a.create_offer();
  ASSERT_TRUE(a.set_local(SdpType::kOffer, offer));
  ASSERT_TRUE(b.set_remote(SdpType::kOffer, offer));
  const auto answer = *b.create_answer();
  ASSERT_TRUE(b.set_local(SdpType::kAnswer, answer));
  ASSERT_TRUE(a.set_remote(SdpType::kAnswer, answer));
  EXPECT_NE(*a.parameters()->dtls_role, *b.parameters()->dtls_role);
  EXPECT_NE(a.parameters()->ice_role, b.parameters()->ice_role);
  EXPECT_EQ(a.parameters()->ice_ufrag, "bbbb");
  EXPECT_EQ(b.parameters()->ice_ufrag, "aaaa");
}

TEST(Negotiation, BadDescriptionsChangeNothing) {
  Negotiation n(identity("pk04"));
  EXPECT_FALSE(n.set_remote(SdpType::kOffer, "v=0\r\n"));
  EXPECT_FALSE(n.set_remote(SdpType::kAnswer, read_data("chromium156-data-answer.sdp")));  // no offer out
  EXPECT_EQ(n.signaling_state(), SignalingState::kStable);
  EXPECT_FALSE(n.create_answer());
  auto offer = read_data("chromium156-data-offer.sdp");
  offer.replace(offer.find("a=setup:actpass"), 15, "a=setup:holdcon");
  // An offer may carry any setup, but an unknown value is refused.
  EXPECT_FALSE(n.set_remote(SdpType::kOffer, offer));
  EXPECT_EQ(n.signaling_state(), SignalingState::kStable);
}

TEST(Negotiation, GlareRollsBackOurOffer) {
  Negotiation a(identity("aaaa")), b(identity("bbbb"));
  const auto oa = *a.create_offer();
  const auto ob = *b.create_offer();
  ASSERT_TRUE(a.set_local(SdpType::kOffer, oa));
  ASSERT_TRUE(b.set_local(SdpType::kOffer, ob));
  const auto r = a.set_remote(SdpType::kOffer, ob);  // a is the polite peer
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(a.signaling_state(), SignalingState::kHaveRemoteOffer);
  ASSERT_TRUE(a.set_local(SdpType::kAnswer, *a.create_answer()));
  ASSERT_TRUE(b.set_remote(SdpType::kAnswer, a.local_description()));
  EXPECT_EQ(b.signaling_state(), SignalingState::kStable);
}

}  // namespace
}  // namespace peerkit::peer

namespace peerkit::peer {
namespace {

TEST(LocalCandidates, GoIntoTheSectionOfTheirMidAndEndWhenGatheringIs) {
  const std::string sdp =
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
      "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:1\r\na=sctp-port:5000\r\n"
      "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n";
  const std::vector<std::string> c = {"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"};
  const auto out = with_local_candidates(sdp, "1", c, false);
  const auto data = out.find("a=mid:1"), cand = out.find("a=candidate:1 "), video = out.find("m=video");
  ASSERT_NE(cand, std::string::npos);
  EXPECT_LT(data, cand);
  EXPECT_LT(cand, video);
  EXPECT_EQ(out.find("end-of-candidates"), std::string::npos);
  const auto done = with_local_candidates(sdp, "1", c, true);
  EXPECT_LT(done.find("a=end-of-candidates\r\n"), done.find("m=video"));
  EXPECT_GT(done.find("a=end-of-candidates\r\n"), done.find("a=candidate:1 "));
  // The description still parses, and the last section keeps its lines.
  EXPECT_TRUE(sdp::parse(done).has_value()) << done;
  const auto last = with_local_candidates(sdp, "2", c, true);
  EXPECT_TRUE(last.ends_with("a=mid:2\r\na=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\na=end-of-candidates\r\n"));
  // Nothing gathered yet, or no such mid: unchanged.
  EXPECT_EQ(with_local_candidates(sdp, "1", {}, false), sdp);
  EXPECT_EQ(with_local_candidates(sdp, "9", c, true), sdp);
}

}  // namespace
}  // namespace peerkit::peer

namespace peerkit::peer {
namespace {

// Tracks: sendonly sections in our offer; a peer that takes the offer receives them with the
// SSRCs and msid announced, and its answer tells us what to send with.
TEST(NegotiationTracks, APublisherOfferIsReceivedAndItsAnswerSaysHowToSend) {
  Negotiation a(identity("pub1")), b(identity("sub1"));
  const auto mic = a.add_track("audio", 0x1111, "", "");
  const auto cam = a.add_track("video", 0x2222, "stream-x", "camera");
  ASSERT_TRUE(mic && cam);
  EXPECT_EQ(mic->mid, "0");
  EXPECT_EQ(mic->stream_id, "pub1");  // defaults to the ufrag: one stream per connection
  EXPECT_EQ(mic->track_id, "audio-0");
  EXPECT_EQ(cam->mid, "1");
  a.want_data();
  const auto offer = a.create_offer();
  ASSERT_TRUE(offer) << offer.error();
  EXPECT_NE(offer->find("a=group:BUNDLE 0 1 2"), std::string::npos) << *offer;
  EXPECT_NE(offer->find("m=application"), std::string::npos);
  EXPECT_NE(offer->find("a=msid:stream-x camera"), std::string::npos);
  EXPECT_NE(offer->find("a=rtpmap:111 opus/48000/2"), std::string::npos);
  EXPECT_NE(offer->find("a=rtpmap:96 VP8/90000"), std::string::npos);
  // Video offers generic NACK (we retransmit), PLI and FIR; Opus none.
  EXPECT_NE(offer->find("a=rtcp-fb:96 nack\r\n"), std::string::npos) << *offer;
  EXPECT_NE(offer->find("a=rtcp-fb:96 nack pli\r\n"), std::string::npos);
  EXPECT_EQ(offer->find("a=rtcp-fb:111"), std::string::npos);
  EXPECT_NE(offer->find("a=ssrc:8738 cname:pub1"), std::string::npos);  // 0x2222
  EXPECT_EQ(offer->find("a=ice-lite"), std::string::npos);
  ASSERT_TRUE(a.set_local(SdpType::kOffer, *offer));

  const auto remote = b.set_remote(SdpType::kOffer, *offer);
  ASSERT_TRUE(remote) << remote.error();
  ASSERT_EQ(remote->receiving.size(), 2u);
  EXPECT_EQ(remote->receiving[0].kind, "audio");
  EXPECT_EQ(remote->receiving[0].receiving.ssrcs, std::vector<std::uint32_t>{0x1111});
  EXPECT_EQ(remote->receiving[1].stream_id, "stream-x");
  EXPECT_EQ(remote->receiving[1].track_id, "camera");
  EXPECT_TRUE(remote->receiving[1].receiving.mid_extension);
  EXPECT_TRUE(remote->data);
  const auto answer = b.create_answer();
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_NE(answer->find("a=recvonly"), std::string::npos) << *answer;
  EXPECT_EQ(answer->find("a=sendonly"), std::string::npos);
  EXPECT_NE(answer->find("m=application 9"), std::string::npos);
  ASSERT_TRUE(b.set_local(SdpType::kAnswer, *answer));

  const auto back = a.set_remote(SdpType::kAnswer, *answer);
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->sending.size(), 2u);
  EXPECT_EQ(back->sending[0].mid, "0");
  EXPECT_EQ(back->sending[0].ssrc, 0x1111u);
  EXPECT_EQ(back->sending[0].payload_type, 111);
  EXPECT_EQ(back->sending[1].payload_type, 96);
  EXPECT_TRUE(back->sending[1].mid_extension);
  EXPECT_EQ(a.signaling_state(), SignalingState::kStable);
}

TEST(NegotiationTracks, AreAddedBeforeTheFirstDescriptionWithValidIds) {
  Negotiation n(identity("trk1"));
  EXPECT_EQ(n.add_track("screen", 1, "", "").error().rfind("TypeError", 0), 0u);
  // An msid identifier is a token: no space, no line break that would add an SDP line.
  EXPECT_EQ(n.add_track("audio", 1, "a b", "").error().rfind("SyntaxError", 0), 0u);
  EXPECT_EQ(n.add_track("audio", 1, "", "x\r\na=ice-lite").error().rfind("SyntaxError", 0), 0u);
  EXPECT_EQ(n.add_track("audio", 1, std::string(65, 'a'), "").error().rfind("SyntaxError", 0), 0u);
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(n.add_track("audio", 10 + i, "", ""));
  EXPECT_EQ(n.add_track("audio", 99, "", "").error().rfind("OperationError", 0), 0u);
  ASSERT_TRUE(n.set_local(SdpType::kOffer, *n.create_offer()));
  EXPECT_EQ(n.add_track("video", 2, "", "").error().rfind("InvalidStateError", 0), 0u);
  EXPECT_EQ(n.local_tracks().size(), 16u);
}

// Answering with tracks, or renegotiating media, is refused with a reason rather than
// producing descriptions that silently leave tracks out (RFC 3264 §8 keeps every section).
TEST(NegotiationTracks, WhatIsNotSupportedYetIsRefusedClearly) {
  Negotiation pub(identity("pub2")), sub(identity("sub2"));
  ASSERT_TRUE(pub.add_track("video", 7, "", ""));
  const auto offer = *pub.create_offer();
  ASSERT_TRUE(pub.set_local(SdpType::kOffer, offer));
  Negotiation other(identity("oth2"));
  ASSERT_TRUE(other.add_track("audio", 9, "", ""));
  const auto refused = other.set_remote(SdpType::kOffer, offer);  // would answer with its track
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().rfind("OperationError", 0), 0u) << refused.error();
  EXPECT_EQ(other.signaling_state(), SignalingState::kStable);

  ASSERT_TRUE(sub.set_remote(SdpType::kOffer, offer));
  ASSERT_TRUE(sub.set_local(SdpType::kAnswer, *sub.create_answer()));
  const auto reoffer = sub.create_offer();  // would drop the video it receives
  ASSERT_FALSE(reoffer);
  EXPECT_EQ(reoffer.error().rfind("OperationError", 0), 0u);
}

TEST(NegotiationTracks, AnOfferWithoutTracksOrChannelsStaysADataOffer) {
  Negotiation n(identity("dat1"));
  const auto offer = n.create_offer();
  ASSERT_TRUE(offer);
  EXPECT_NE(offer->find("m=application"), std::string::npos);
  EXPECT_EQ(offer->find("m=audio"), std::string::npos);
}

// Simulcast (RFC 8853): the offer lists the layers as send rids with the rid extension and no
// a=ssrc (as Chrome's); the answer's a=simulcast:recv picks the layers sent, paused ones not;
// an answer that cannot tell layers apart (no rid extension) gets the first layer alone.
TEST(NegotiationTracks, SimulcastLayersAreOfferedAsRidsAndTheAnswerPicksThem) {
  Negotiation pub(identity("sim1")), sub(identity("sim2"));
  std::vector<SendingLayer> layers{{"q", 0x11}, {"h", 0x22}, {"f", 0x33}};
  const auto cam = pub.add_track("video", 0, "", "", layers);
  ASSERT_TRUE(cam) << cam.error();
  EXPECT_EQ(cam->ssrc, 0x11u);
  const auto offer = pub.create_offer();
  ASSERT_TRUE(offer) << offer.error();
  for (const char* line : {"a=rid:q send\r\n", "a=rid:h send\r\n", "a=rid:f send\r\n", "a=simulcast:send q;h;f\r\n",
                           " urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"})
    EXPECT_NE(offer->find(line), std::string::npos) << line << *offer;
  EXPECT_EQ(offer->find("a=ssrc:"), std::string::npos) << *offer;
  // A native sender claims no transport-cc: it has no send-side estimate to feed.
  EXPECT_EQ(offer->find("transport-cc"), std::string::npos) << *offer;
  ASSERT_TRUE(pub.set_local(SdpType::kOffer, *offer));

  ASSERT_TRUE(sub.set_remote(SdpType::kOffer, *offer));
  const auto answer = sub.create_answer();  // a native answer: no rid extension, so no simulcast
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(answer->find("a=simulcast"), std::string::npos) << *answer;
  EXPECT_EQ(answer->find("a=rid:"), std::string::npos);
  {
    Negotiation again(identity("sim1"));
    ASSERT_TRUE(again.add_track("video", 0, "", "", layers));
    ASSERT_TRUE(again.set_local(SdpType::kOffer, *again.create_offer()));
    const auto plain = again.set_remote(SdpType::kAnswer, *answer);
    ASSERT_TRUE(plain) << plain.error();
    ASSERT_EQ(plain->sending.size(), 1u);
    EXPECT_TRUE(plain->sending[0].layers.empty());
    EXPECT_EQ(plain->sending[0].plain_rid, "q");
    EXPECT_EQ(plain->sending[0].ssrc, 0x11u);
  }
  // An SFU-shaped answer: the rid extension kept (the offer's id), h paused.
  const auto at = offer->find(" urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  const auto start = offer->rfind("a=extmap:", at);
  const std::string extmap = offer->substr(start, offer->find("\r\n", at) + 2 - start);
  std::string sfu = *answer;
  const auto mid_line = sfu.find("a=mid:0\r\n");
  ASSERT_NE(mid_line, std::string::npos);
  sfu.insert(mid_line + 9, extmap + "a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;~h;f\r\n");
  const auto back = pub.set_remote(SdpType::kAnswer, sfu);
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->sending.size(), 1u);
  const auto& st = back->sending[0];
  ASSERT_EQ(st.layers.size(), 2u);
  EXPECT_EQ(st.layers[0].rid, "q");
  EXPECT_EQ(st.layers[0].ssrc, 0x11u);
  EXPECT_EQ(st.layers[1].rid, "f");
  EXPECT_EQ(st.layers[1].ssrc, 0x33u);
  EXPECT_TRUE(st.rid_extension);
  EXPECT_TRUE(st.plain_rid.empty());

  // Every layer paused (RFC 8853 §5.3): nothing is sent — not the first layer, plain.
  std::string all_paused = sfu;
  all_paused.replace(all_paused.find("a=simulcast:recv q;~h;f"), 23, "a=simulcast:recv ~q;~h;~f");
  Negotiation paused(identity("sim1"));
  ASSERT_TRUE(paused.add_track("video", 0, "", "", layers));
  ASSERT_TRUE(paused.set_local(SdpType::kOffer, *paused.create_offer()));
  const auto none = paused.set_remote(SdpType::kAnswer, all_paused);
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->sending.empty());
}

TEST(NegotiationTracks, SimulcastRidsAreChecked) {
  Negotiation n(identity("sim3"));
  EXPECT_EQ(n.add_track("audio", 0, "", "", {{"q", 1}}).error().rfind("NotSupportedError", 0), 0u);
  EXPECT_EQ(n.add_track("video", 0, "", "", {{"q", 1}, {"q", 2}}).error().rfind("InvalidModificationError", 0), 0u);
  EXPECT_EQ(n.add_track("video", 0, "", "", {{"a b", 1}}).error().rfind("TypeError", 0), 0u);
  EXPECT_EQ(n.add_track("video", 0, "", "", {{std::string(17, 'r'), 1}}).error().rfind("TypeError", 0), 0u);
  EXPECT_EQ(n.add_track("video", 0, "", "", {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}}).error().rfind("RangeError", 0), 0u);
  EXPECT_TRUE(n.local_tracks().empty());
}

}  // namespace
}  // namespace peerkit::peer
