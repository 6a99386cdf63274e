// build_sfu_answer() (sdp/media_answer.h) on the captured Chromium media and simulcast offers and
// on small hand-made ones: what is accepted, with which numbers, and what is rejected.
#include "sdp/media_answer.h"

#include <gtest/gtest.h>

#include <string>
#include "support/sdp_data.h"

namespace peerkit::sdp {
namespace {

SessionDescription load(const std::string& name) {
  bool found = false;
  const std::string text = testing::read_sdp_data(name, &found);
  EXPECT_TRUE(found) << name;
  auto d = parse(text);
  EXPECT_TRUE(d) << name;
  return d ? std::move(*d) : SessionDescription{};
}

LocalParameters ours() {
  LocalParameters p;
  p.ice_ufrag = "sfu1";
  p.ice_pwd = "0123456789abcdefghijkl";
  p.fingerprint.algorithm = "sha-256";
  p.fingerprint.digest.assign(32, 0xab);
  return p;
}

std::vector<std::string> values(const MediaSection& m, std::string_view name) {
  std::vector<std::string> out;
  for (auto v : m.body.all(name)) out.emplace_back(v);
  return out;
}

TEST(SfuAnswer, AnswersTheCapturedMediaOfferRecvonlyWithOpusAndVp8) {
  auto a = build_sfu_answer(load("chromium156-media-offer.sdp"), ours());
  ASSERT_TRUE(a) << a.error();
  const auto& d = a->description;
  ASSERT_EQ(d.media.size(), 3u);
  EXPECT_EQ(d.session.first("group"), "BUNDLE 0 1 2");
  EXPECT_TRUE(d.session.has("extmap-allow-mixed"));
  const auto& audio = d.media[0];
  EXPECT_EQ(audio.port, 9);
  EXPECT_EQ(audio.formats, std::vector<std::string>{"111"});
  EXPECT_TRUE(audio.body.has("recvonly"));
  EXPECT_FALSE(audio.body.has("sendrecv"));
  EXPECT_TRUE(audio.body.has("rtcp-mux"));
  EXPECT_TRUE(audio.body.has("rtcp-rsize"));
  EXPECT_EQ(values(audio, "rtcp-fb"), std::vector<std::string>{"111 transport-cc"});
  EXPECT_EQ(audio.body.first("setup"), "active");
  EXPECT_EQ(audio.body.first("ice-ufrag"), "sfu1");
  EXPECT_FALSE(audio.body.has("ssrc")) << "the SFU sends nothing on the publish leg";
  const auto& video = d.media[1];
  EXPECT_EQ(video.formats, (std::vector<std::string>{"96", "97"}));
  EXPECT_EQ(values(video, "rtcp-fb"),
            (std::vector<std::string>{"96 goog-remb", "96 transport-cc", "96 ccm fir", "96 nack",
                                      "96 nack pli"}));
  EXPECT_FALSE(video.body.has("rid"));
  EXPECT_EQ(d.media[2].media, "application");
  EXPECT_EQ(d.media[2].port, 9);
  EXPECT_EQ(a->data_mid, "2");
  EXPECT_EQ(a->remote_ice.ufrag, "06Dz");
  EXPECT_EQ(a->local_setup, Setup::kActive);
  ASSERT_EQ(a->media.size(), 2u);
  EXPECT_EQ(a->media[0].codec.name, "opus");
  EXPECT_EQ(a->media[0].direction, Direction::kRecvonly);
  EXPECT_EQ(a->media[1].codec.name, "VP8");
  EXPECT_EQ(a->media[1].rtx_pt, 97);
  // What we print parses, and reads back as the same media.
  auto again = parse(d.to_string());
  ASSERT_TRUE(again);
  auto sections = parse_media_sections(*again);
  ASSERT_TRUE(sections) << sections.error();
  EXPECT_EQ((*sections)[1].rtx_for(96)->pt, 97);
  EXPECT_EQ((*sections)[0].direction, Direction::kRecvonly);
}

TEST(SfuAnswer, AcceptsSimulcastRidsAsRecv) {
  auto a = build_sfu_answer(load("chromium156-simulcast-offer.sdp"), ours());
  ASSERT_TRUE(a) << a.error();
  const auto& video = a->description.media[1];
  EXPECT_EQ(values(video, "rid"), (std::vector<std::string>{"q recv", "h recv", "f recv"}));
  EXPECT_EQ(video.body.first("simulcast"), "recv q;h;f");
  EXPECT_EQ(a->media[1].rids, (std::vector<std::string>{"q", "h", "f"}));
  // The extensions an SFU needs to tell layers apart are kept, with the offer's ids.
  auto again = parse(a->description.to_string());
  ASSERT_TRUE(again);
  auto sections = parse_media_sections(*again);
  ASSERT_TRUE(sections) << sections.error();
  EXPECT_EQ((*sections)[1].extension_id("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), 10);
  EXPECT_EQ((*sections)[1].extension_id("urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"),
            11);
  EXPECT_EQ((*sections)[1].simulcast->recv.size(), 3u);
}

// An answerer that does not read the rid extension cannot tell layers apart: it answers no
// simulcast, and the offerer sends its first encoding alone (RFC 8829 §5.3.1).
TEST(SfuAnswer, WithoutTheRidExtensionSimulcastIsDeclined) {
  SfuAnswerOptions o;
  o.extensions = {"urn:ietf:params:rtp-hdrext:sdes:mid"};
  auto a = build_sfu_answer(load("chromium156-simulcast-offer.sdp"), ours(), o);
  ASSERT_TRUE(a) << a.error();
  const auto& video = a->description.media[1];
  EXPECT_TRUE(values(video, "rid").empty());
  EXPECT_FALSE(video.body.first("simulcast"));
  EXPECT_TRUE(a->media[1].rids.empty());
  EXPECT_EQ(a->media[1].direction, Direction::kRecvonly);  // still received, as one stream
}

// A small bundled offer: one video section with the given codec lines.
SessionDescription video_offer(std::vector<std::string> formats, std::vector<Line> lines,
                               bool rtcp_mux = true) {
  SessionDescription d;
  d.session.add(Line{'v', "0"});
  d.session.add(Line{'o', "- 1 1 IN IP4 127.0.0.1"});
  d.session.add(Line{'s', "-"});
  d.session.add(Line{'t', "0 0"});
  d.session.add(attribute("group", "BUNDLE v"));
  MediaSection m;
  m.media = "video";
  m.port = 9;
  m.proto = "UDP/TLS/RTP/SAVPF";
  m.formats = std::move(formats);
  m.body.add(attribute("ice-ufrag", "abcd"));
  m.body.add(attribute("ice-pwd", "0123456789abcdefghijkl"));
  std::string digest = "AA";
  for (int i = 1; i < 32; ++i) digest += ":AA";  // 32 bytes, a sha-256 fingerprint
  m.body.add(attribute("fingerprint", "sha-256 " + digest));
  m.body.add(attribute("setup", "actpass"));
  m.body.add(attribute("mid", "v"));
  m.body.add(flag_attribute("sendonly"));
  if (rtcp_mux) m.body.add(flag_attribute("rtcp-mux"));
  for (auto& l : lines) m.body.add(std::move(l));
  d.media.push_back(std::move(m));
  return d;
}

TEST(SfuAnswer, H264OnlyWhenAskedAndVp8IsAbsent) {
  const auto offer = video_offer({"45", "46"}, {attribute("rtpmap", "45 H264/90000"),
                                                attribute("fmtp", "45 packetization-mode=1"),
                                                attribute("rtpmap", "46 AV1/90000")});
  auto refused = build_sfu_answer(offer, ours());
  ASSERT_FALSE(refused) << "nothing to accept without H264";
  EXPECT_NE(refused.error().find("no section"), std::string::npos);
  SfuAnswerOptions o;
  o.h264 = true;
  auto a = build_sfu_answer(offer, ours(), o);
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->description.media[0].formats, std::vector<std::string>{"45"});
  EXPECT_EQ(a->description.session.first("group"), "BUNDLE v");
}

TEST(SfuAnswer, RejectsWhatItDoesNotSupport) {
  // No rtcp-mux: rejected (port 0) though VP8 is there; the offer then has nothing to accept.
  auto no_mux = build_sfu_answer(
      video_offer({"96"}, {attribute("rtpmap", "96 VP8/90000")}, /*rtcp_mux=*/false), ours());
  EXPECT_FALSE(no_mux);
  // Unknown codecs in one section, VP8 in the captured ones: only that section is port 0.
  auto d = load("chromium156-media-offer.sdp");
  MediaSection extra = d.media[1];
  extra.formats = {"45"};
  for (auto& line : extra.body.lines)
    if (line.is_attribute("mid")) line = attribute("mid", "3");
  std::vector<Line> kept;
  for (auto& line : extra.body.lines)
    if (!line.is_attribute("rtpmap") && !line.is_attribute("fmtp") && !line.is_attribute("rtcp-fb") &&
        !line.is_attribute("ssrc") && !line.is_attribute("ssrc-group"))
      kept.push_back(line);
  kept.push_back(attribute("rtpmap", "45 AV1/90000"));
  extra.body.lines = kept;
  d.media.push_back(extra);
  d.session.lines[4] = attribute("group", "BUNDLE 0 1 2 3");
  auto a = build_sfu_answer(d, ours());
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->description.media[3].port, 0);
  EXPECT_EQ(a->description.media[3].mid(), "3");
  EXPECT_EQ(a->description.session.first("group"), "BUNDLE 0 1 2");
}

}  // namespace
}  // namespace peerkit::sdp

namespace peerkit::sdp {
namespace {

TEST(SfuAnswer, SaysIceLiteAndCarriesTheWorkersCandidateOnce) {
  SfuAnswerOptions o;
  o.candidates = {"1 1 udp 2130706431 192.0.2.7 40000 typ host"};
  auto a = build_sfu_answer(load("chromium156-media-offer.sdp"), ours(), o);
  ASSERT_TRUE(a) << a.error();
  const auto& d = a->description;
  EXPECT_TRUE(d.session.has("ice-lite"));
  // The BUNDLE group still comes right after t=, ahead of ice-lite.
  EXPECT_EQ(d.session.first("group"), "BUNDLE 0 1 2");
  int with_candidates = 0;
  for (const auto& m : d.media) {
    const auto c = values(m, "candidate");
    if (c.empty()) continue;
    ++with_candidates;
    EXPECT_EQ(c, o.candidates);
    EXPECT_TRUE(m.body.has("end-of-candidates"));
  }
  EXPECT_EQ(with_candidates, 1);
  // It parses back as what Chromium will read.
  auto again = parse(d.to_string());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->session.has("ice-lite"));
  SfuAnswerOptions full;
  full.ice_lite = false;
  EXPECT_FALSE(build_sfu_answer(load("chromium156-media-offer.sdp"), ours(), full)->description.session.has("ice-lite"));
}

}  // namespace
}  // namespace peerkit::sdp
