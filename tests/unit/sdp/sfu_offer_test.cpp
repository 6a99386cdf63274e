// build_sfu_offer() (sdp/sfu_offer.h): what a subscriber's browser is offered, read back with
// the same parser that reads Chromium's descriptions.
#include "sdp/sfu_offer.h"

#include <gtest/gtest.h>

#include "sdp/media_answer.h"
#include "sdp/webrtc_params.h"

namespace peerkit::sdp {
namespace {

LocalParameters ours() {
  LocalParameters p;
  p.ice_ufrag = "sfu2";
  p.ice_pwd = "0123456789abcdefghijkl";
  p.fingerprint.algorithm = "sha-256";
  p.fingerprint.digest.assign(32, 0xcd);
  return p;
}

std::vector<ForwardedTrack> two_tracks() {
  ForwardedTrack audio;
  audio.mid = "a1";
  audio.kind = "audio";
  audio.codec = Codec{111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {"transport-cc"}, {}};
  audio.ssrc = 1001;
  audio.stream_id = "bea-stream";
  audio.track_id = "bea-mic";
  ForwardedTrack video;
  video.mid = "v1";
  video.kind = "video";
  video.codec = Codec{96, "VP8", 90000, 0, "", {"nack", "nack pli", "ccm fir", "transport-cc"}, {}};
  video.rtx_pt = 97;
  video.ssrc = 2001;
  video.rtx_ssrc = 2002;
  video.stream_id = "bea-stream";
  video.track_id = "bea-camera";
  return {audio, video};
}

TEST(SfuOffer, OneSendonlySectionPerTrackWithSsrcsMsidAndRtxReadBack) {
  ExtensionIds ids;
  SfuOfferOptions o;
  o.candidates = {"1 1 udp 2130706431 192.0.2.7 40000 typ host"};
  auto d = build_sfu_offer(two_tracks(), ours(), ids, o);
  ASSERT_TRUE(d) << d.error();
  auto text = d->to_string();
  auto back = parse(text);
  ASSERT_TRUE(back) << text;
  EXPECT_TRUE(back->session.has("ice-lite"));
  EXPECT_EQ(back->session.first("group"), "BUNDLE a1 v1");
  auto sections = parse_media_sections(*back);
  ASSERT_TRUE(sections) << sections.error();
  ASSERT_EQ(sections->size(), 2u);
  const auto& a = (*sections)[0];
  const auto& v = (*sections)[1];
  EXPECT_EQ(a.direction, Direction::kSendonly);
  EXPECT_EQ(v.direction, Direction::kSendonly);
  ASSERT_EQ(a.codecs.size(), 1u);
  EXPECT_TRUE(a.codecs[0].is("opus"));
  EXPECT_EQ(a.codecs[0].fmtp, "minptime=10;useinbandfec=1");
  ASSERT_NE(v.rtx_for(96), nullptr);
  EXPECT_EQ(v.rtx_for(96)->pt, 97);
  EXPECT_EQ(v.rtx_ssrc(2001), 2002u);
  ASSERT_EQ(v.msids.size(), 1u);
  EXPECT_EQ(v.msids[0].stream, "bea-stream");
  EXPECT_EQ(v.msids[0].track, "bea-camera");
  // One id per URI across the connection (RFC 8843 §9.2, Chrome M148).
  EXPECT_EQ(a.extension_id("urn:ietf:params:rtp-hdrext:sdes:mid"),
            v.extension_id("urn:ietf:params:rtp-hdrext:sdes:mid"));
  EXPECT_TRUE(a.extension_id("urn:ietf:params:rtp-hdrext:ssrc-audio-level"));
  EXPECT_FALSE(v.extension_id("urn:ietf:params:rtp-hdrext:ssrc-audio-level"));
  // Our transport: actpass, and the worker's candidate in the first section only.
  EXPECT_NE(text.find("a=setup:actpass"), std::string::npos);
  EXPECT_EQ(back->media[0].body.all("candidate").size(), 1u);
  EXPECT_EQ(back->media[1].body.all("candidate").size(), 0u);
  auto ice = ice_parameters(*back, back->media[0]);
  ASSERT_TRUE(ice);
  EXPECT_EQ(ice->ufrag, "sfu2");
}

TEST(SfuOffer, RenegotiationKeepsExtensionIdsAndAnEndedTrackKeepsItsSlot) {
  ExtensionIds ids;
  auto first = build_sfu_offer(two_tracks(), ours(), ids);
  ASSERT_TRUE(first);
  auto tracks = two_tracks();
  tracks[1].active = false;  // Bea turned her camera off
  ForwardedTrack carl = two_tracks()[1];
  carl.mid = "v2";
  carl.ssrc = 3001;
  carl.rtx_ssrc = 3002;
  carl.stream_id = "carl-stream";
  carl.track_id = "carl-camera";
  tracks.push_back(carl);
  auto second = build_sfu_offer(tracks, ours(), ids);
  ASSERT_TRUE(second) << second.error();
  auto back = parse(second->to_string());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->session.first("group"), "BUNDLE a1 v2");
  ASSERT_EQ(back->media.size(), 3u);
  EXPECT_EQ(back->media[1].port, 0);
  EXPECT_TRUE(back->media[1].body.has("inactive"));
  auto s1 = parse_media_sections(*parse(first->to_string()));
  auto s2 = parse_media_sections(*back);
  ASSERT_TRUE(s1 && s2) << (s2 ? "" : s2.error());
  const std::string twcc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
  EXPECT_EQ((*s1)[1].extension_id(twcc), (*s2)[2].extension_id(twcc));
}

TEST(SfuOffer, RefusesWhatABrowserWouldTripOver) {
  ExtensionIds ids;
  EXPECT_FALSE(build_sfu_offer({}, ours(), ids));
  auto dup = two_tracks();
  dup[1].mid = "a1";
  EXPECT_FALSE(build_sfu_offer(dup, ours(), ids));
  auto same_ssrc = two_tracks();
  same_ssrc[1].ssrc = 1001;
  EXPECT_FALSE(build_sfu_offer(same_ssrc, ours(), ids));
  auto no_rtx_ssrc = two_tracks();
  no_rtx_ssrc[1].rtx_ssrc = 0;
  EXPECT_FALSE(build_sfu_offer(no_rtx_ssrc, ours(), ids));
  auto no_msid = two_tracks();
  no_msid[0].track_id.clear();
  EXPECT_FALSE(build_sfu_offer(no_msid, ours(), ids));
}

// A simulcast sender's section (a native publisher's): rids and a=simulcast:send in ascending
// quality, the rid extension, no a=ssrc (Chrome's shape); an SFU's answer takes the layers.
TEST(SfuOffer, SimulcastSendRidsAreWrittenAndAnSfuTakesThem) {
  ExtensionIds ids;
  auto tracks = two_tracks();
  tracks[1].ssrc = 0;
  tracks[1].rtx_pt.reset();
  tracks[1].rtx_ssrc = 0;
  tracks[1].send_rids = {"q", "h", "f"};
  SfuOfferOptions o;
  o.ice_lite = false;
  auto d = build_sfu_offer(tracks, ours(), ids, o);
  ASSERT_TRUE(d) << d.error();
  const auto text = d->to_string();
  auto back = parse(text);
  ASSERT_TRUE(back) << text;
  auto sections = parse_media_sections(*back);
  ASSERT_TRUE(sections) << sections.error();
  const auto& v = (*sections)[1];
  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[0].id, "q");
  EXPECT_EQ(v.rids[2].id, "f");
  EXPECT_EQ(v.rids[1].direction, Direction::kSendonly);
  ASSERT_TRUE(v.simulcast);
  ASSERT_EQ(v.simulcast->send.size(), 3u);
  EXPECT_EQ(v.simulcast->send[1][0].rid, "h");
  EXPECT_TRUE(v.extension_id(kRidUri));
  EXPECT_FALSE((*sections)[0].extension_id(kRidUri));  // audio has no layers
  EXPECT_TRUE(v.ssrcs.empty());
  EXPECT_FALSE((*sections)[0].ssrcs.empty());

  auto answer = build_sfu_answer(*back, ours());
  ASSERT_TRUE(answer) << answer.error();
  ASSERT_EQ(answer->media.size(), 2u);
  EXPECT_EQ(answer->media[1].rids, (std::vector<std::string>{"q", "h", "f"}));
  EXPECT_NE(answer->description.to_string().find("a=simulcast:recv q;h;f"), std::string::npos);

  for (auto bad : std::vector<std::vector<std::string>>{{"q", "q"}, {"a b"}, {std::string(17, 'x')}, {"a", "b", "c", "d", "e"}}) {
    auto t = tracks;
    t[1].send_rids = bad;
    EXPECT_FALSE(build_sfu_offer(t, ours(), ids, o)) << bad.front();
  }
  auto with_rtx = tracks;
  with_rtx[1].rtx_pt = 97;
  EXPECT_FALSE(build_sfu_offer(with_rtx, ours(), ids, o));
  // Nor with an SSRC named for the layers and one for RTX: still no per-layer RTX pair.
  with_rtx[1].ssrc = 4001;
  with_rtx[1].rtx_ssrc = 4002;
  const auto refused = build_sfu_offer(with_rtx, ours(), ids, o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("RTX with simulcast"), std::string::npos) << refused.error();
}

}  // namespace
}  // namespace peerkit::sdp
