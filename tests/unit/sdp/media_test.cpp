// Audio/video sections (sdp/media.h) on captured Chromium 156 descriptions, malformed lines, and
// the three Chrome changes an SFU writing its own SDP must survive (M140, M143, M148).
#include "sdp/media.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "sdp/media_answer.h"
#include "support/sdp_data.h"

namespace peerkit::sdp {
namespace {

std::string read_data(const std::string& name) {
  bool found = false;
  const std::string text = testing::read_sdp_data(name, &found);
  EXPECT_TRUE(found) << name;
  return text;
}

SessionDescription load(const std::string& name) {
  auto d = parse(read_data(name));
  EXPECT_TRUE(d) << name << ": " << to_string(d.error());
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

std::vector<std::string> rid_ids(const MediaDescription& m) {
  std::vector<std::string> out;
  for (const auto& r : m.rids) out.push_back(r.id);
  return out;
}

// The section's lines named `name`, as text.
std::vector<std::string> values(const MediaSection& m, std::string_view name) {
  std::vector<std::string> out;
  for (auto v : m.body.all(name)) out.emplace_back(v);
  return out;
}

TEST(SdpMedia, CapturedSimulcastDescriptionsRoundTrip) {
  for (const char* name : {"chromium156-simulcast-offer.sdp", "chromium156-simulcast-answer.sdp",
                           "chromium156-simulcast-offer-stopped.sdp"}) {
    const auto text = read_data(name);
    auto d = parse(text);
    ASSERT_TRUE(d) << name;
    EXPECT_EQ(d->to_string(), text) << name;
    EXPECT_TRUE(parse_media_sections(*d)) << name;
  }
}

TEST(SdpMedia, ReadsTheCapturedMediaOffer) {
  const auto d = load("chromium156-media-offer.sdp");
  auto sections = parse_media_sections(d);
  ASSERT_TRUE(sections) << sections.error();
  ASSERT_EQ(sections->size(), 2u);  // the data-channel section is not RTP media
  const auto& audio = (*sections)[0];
  EXPECT_EQ(audio.kind, "audio");
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.direction, Direction::kSendrecv);
  EXPECT_TRUE(audio.rtcp_mux);
  EXPECT_TRUE(audio.rtcp_rsize);
  ASSERT_EQ(audio.codecs.size(), 8u);
  EXPECT_EQ(audio.codecs[0].pt, 111);
  EXPECT_EQ(audio.codecs[0].name, "opus");
  EXPECT_EQ(audio.codecs[0].clock_rate, 48000u);
  EXPECT_EQ(audio.codecs[0].channels, 2);
  EXPECT_EQ(audio.codecs[0].fmtp, "minptime=10;useinbandfec=1");
  EXPECT_EQ(audio.codecs[0].parameter("useinbandfec"), "1");
  EXPECT_EQ(audio.codecs[0].rtcp_fb, std::vector<std::string>{"transport-cc"});
  EXPECT_EQ(audio.codec(0)->name, "PCMU");
  EXPECT_EQ(audio.extension_id("urn:ietf:params:rtp-hdrext:ssrc-audio-level"), 1);
  ASSERT_EQ(audio.ssrcs.size(), 1u);
  EXPECT_EQ(audio.ssrcs[0].ssrc, 3012551519u);
  EXPECT_EQ(audio.ssrcs[0].cname, "mzR5uS38R+cYlbHh");
  ASSERT_EQ(audio.msids.size(), 1u);
  EXPECT_EQ(audio.msids[0].stream, "ff1f77af-18c9-416f-9f6f-811931266d41");

  const auto& video = (*sections)[1];
  EXPECT_EQ(video.mid, "1");
  const Codec* vp8 = video.find_codec("vp8");
  ASSERT_NE(vp8, nullptr);
  EXPECT_EQ(vp8->pt, 96);
  EXPECT_EQ(vp8->rtcp_fb, (std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir",
                                                    "nack", "nack pli"}));
  const Codec* rtx = video.rtx_for(96);
  ASSERT_NE(rtx, nullptr);
  EXPECT_EQ(rtx->pt, 97);
  EXPECT_EQ(video.codec(102)->parameter("packetization-mode"), "1");
  EXPECT_EQ(video.codec(103)->apt, 102);
  EXPECT_EQ(video.extension_id("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), 10);
  EXPECT_EQ(video.rtx_ssrc(3406058701u), 3688307034u);
  EXPECT_TRUE(video.rids.empty());
  EXPECT_FALSE(video.simulcast);
}

TEST(SdpMedia, ReadsTheCapturedSimulcastOffer) {
  const auto d = load("chromium156-simulcast-offer.sdp");
  auto sections = parse_media_sections(d);
  ASSERT_TRUE(sections) << sections.error();
  ASSERT_EQ(sections->size(), 2u);
  const auto& video = (*sections)[1];
  EXPECT_EQ(video.direction, Direction::kSendonly);
  EXPECT_EQ(rid_ids(video), (std::vector<std::string>{"q", "h", "f"}));
  for (const auto& r : video.rids) EXPECT_EQ(r.direction, Direction::kSendonly);
  ASSERT_TRUE(video.simulcast);
  ASSERT_EQ(video.simulcast->send.size(), 3u);
  EXPECT_EQ(video.simulcast->send[2][0].rid, "f");
  EXPECT_FALSE(video.simulcast->send[0][0].paused);
  EXPECT_TRUE(video.simulcast->recv.empty());
}

TEST(SdpMedia, ReadsRidRestrictionsAndPausedAlternatives) {
  MediaSection m;
  m.media = "video";
  m.port = 9;
  m.proto = "UDP/TLS/RTP/SAVPF";
  m.formats = {"35", "36"};
  m.body.add(attribute("mid", "v"));
  m.body.add(attribute("rtpmap", "35 VP8/90000"));
  m.body.add(attribute("rtpmap", "36 rtx/90000"));
  m.body.add(attribute("fmtp", "36 apt=35"));
  m.body.add(attribute("rid", "lo send pt=35;max-width=320;max-height=180"));
  m.body.add(attribute("rid", "hi send"));
  m.body.add(attribute("rid", "alt send"));
  m.body.add(attribute("simulcast", "send ~lo;hi,alt"));
  auto d = parse_media(m);
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->rids[0].pts, std::vector<std::uint8_t>{35});
  EXPECT_EQ(d->rids[0].restrictions, "max-width=320;max-height=180");
  ASSERT_EQ(d->simulcast->send.size(), 2u);
  EXPECT_TRUE(d->simulcast->send[0][0].paused);
  ASSERT_EQ(d->simulcast->send[1].size(), 2u);
  EXPECT_EQ(d->simulcast->send[1][1].rid, "alt");
  EXPECT_EQ(d->rtx_for(35)->pt, 36);
}

// One section with a line added, for the error cases.
Expected<MediaDescription, std::string> with_line(std::string_view name, std::string_view value,
                                                  std::vector<std::string> formats = {"96"}) {
  MediaSection m;
  m.media = "video";
  m.port = 9;
  m.proto = "UDP/TLS/RTP/SAVPF";
  m.formats = std::move(formats);
  m.body.add(attribute("mid", "1"));
  m.body.add(attribute("rtpmap", "96 VP8/90000"));
  m.body.add(attribute(name, value));
  return parse_media(m);
}

TEST(SdpMedia, BadLinesAreClearErrors) {
  struct Case {
    const char* name;
    const char* value;
    const char* expect;
  };
  for (const Case& c : std::vector<Case>{
           {"rtpmap", "96 VP9/90000", "second a=rtpmap"},
           {"rtpmap", "200 VP9/90000", "0..127"},
           {"fmtp", "96 a=1", "ok"},
           {"extmap", "15 urn:x", "1..14 or 16..255"},
           {"extmap", "0 urn:x", "1..14 or 16..255"},
           {"extmap", "3/sideways urn:x", "bad direction"},
           {"extmap", "3", "no URI"},
           {"rid", "a.b send", "rid-id"},
           {"rid", "q both", "send or recv"},
           {"rid", "q send pt=x", "pt="},
           {"simulcast", "send q", "no a=rid line"},
           {"simulcast", "up q", "send or recv"},
           {"ssrc-group", "FID 1 2 3", "exactly two"},
           {"ssrc", "x cname:a", "bad SSRC"},
           {"msid", "a b c", "stream"},
       }) {
    auto d = with_line(c.name, c.value);
    if (std::string(c.expect) == "ok") {
      EXPECT_TRUE(d) << c.name << ':' << c.value;
      continue;
    }
    ASSERT_FALSE(d) << c.name << ':' << c.value;
    EXPECT_NE(d.error().find(c.expect), std::string::npos) << d.error();
  }
  EXPECT_FALSE(with_line("sendonly", "", {"96", "x"}));
  EXPECT_FALSE(with_line("sendonly", "", {"96", "96"}));
  // rtx must repair a type of the section.
  auto rtx = with_line("rtpmap", "97 rtx/90000", {"96", "97"});
  ASSERT_FALSE(rtx);
  EXPECT_NE(rtx.error().find("apt="), std::string::npos);
  // The same id twice in one section.
  MediaSection m;
  m.media = "audio";
  m.port = 9;
  m.proto = "UDP/TLS/RTP/SAVPF";
  m.formats = {"111"};
  m.body.add(attribute("mid", "0"));
  m.body.add(attribute("extmap", "1 urn:a"));
  m.body.add(attribute("extmap", "1 urn:b"));
  EXPECT_FALSE(parse_media(m));
  m.body.lines.erase(m.body.lines.begin() + 1, m.body.lines.end());
  EXPECT_TRUE(parse_media(m));
  m.body.lines.clear();
  auto no_mid = parse_media(m);
  ASSERT_FALSE(no_mid);
  EXPECT_NE(no_mid.error().find("a=mid"), std::string::npos);
}

// Renumbers every payload type of section `index` by reversing the m= line's list, as a Chrome
// that no longer fixes payload types (M140) may number them: rtpmap/fmtp/rtcp-fb, apt= and RED's
// "pt/pt" follow.
void reverse_payload_types(SessionDescription& d, std::size_t index) {
  MediaSection& m = d.media[index];
  std::map<std::string, std::string> to;
  for (std::size_t i = 0; i < m.formats.size(); ++i)
    to[m.formats[i]] = m.formats[m.formats.size() - 1 - i];
  for (auto& f : m.formats) f = to[f];
  for (auto& line : m.body.lines) {
    const auto name = std::string(line.attribute_name());
    if (name != "rtpmap" && name != "fmtp" && name != "rtcp-fb") continue;
    std::string value(*line.attribute_value());
    const auto sp = value.find(' ');
    std::string pt = value.substr(0, sp), rest = value.substr(sp + 1);
    if (name == "fmtp" && rest.rfind("apt=", 0) == 0) rest = "apt=" + to[rest.substr(4)];
    if (name == "fmtp" && rest == "111/111") rest = to["111"] + '/' + to["111"];
    line = attribute(name, (to.count(pt) ? to[pt] : pt) + ' ' + rest);
  }
}

TEST(SdpMedia, ChromeM140PayloadTypesAreWhateverTheOfferSays) {
  auto d = load("chromium156-media-offer.sdp");
  reverse_payload_types(d, 0);
  reverse_payload_types(d, 1);
  auto sections = parse_media_sections(d);
  ASSERT_TRUE(sections) << sections.error();
  EXPECT_EQ((*sections)[0].find_codec("opus")->pt, 126);
  EXPECT_EQ((*sections)[1].find_codec("VP8")->pt, 120);
  EXPECT_EQ((*sections)[1].rtx_for(120)->pt, 119);

  auto a = build_sfu_answer(d, ours());
  ASSERT_TRUE(a) << a.error();
  const auto& audio = a->description.media[0];
  const auto& video = a->description.media[1];
  EXPECT_EQ(audio.formats, std::vector<std::string>{"126"});
  EXPECT_EQ(values(audio, "rtpmap"), std::vector<std::string>{"126 opus/48000/2"});
  EXPECT_EQ(values(audio, "fmtp"), std::vector<std::string>{"126 minptime=10;useinbandfec=1"});
  EXPECT_EQ(video.formats, (std::vector<std::string>{"120", "119"}));
  EXPECT_EQ(values(video, "rtpmap"),
            (std::vector<std::string>{"120 VP8/90000", "119 rtx/90000"}));
  EXPECT_EQ(values(video, "fmtp"), std::vector<std::string>{"119 apt=120"});
  ASSERT_EQ(a->media.size(), 2u);
  EXPECT_EQ(a->media[1].codec.pt, 120);
  EXPECT_EQ(a->media[1].rtx_pt, 119);
  // The same offer with the captured numbers answers with the captured numbers.
  auto plain = build_sfu_answer(load("chromium156-media-offer.sdp"), ours());
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->description.media[1].formats, (std::vector<std::string>{"96", "97"}));
}

TEST(SdpMedia, ChromeM143DisabledSectionKeepsItsRidsAndIsAnsweredDisabled) {
  // Derived from the captured simulcast offer: its video section disabled with port 0 and its
  // rid/simulcast lines kept, as Chrome M143+ writes it (Chromium 156 dropped them after
  // stop(): that capture is checked below too).
  auto d = load("chromium156-simulcast-offer.sdp");
  ASSERT_EQ(d.media[1].media, "video");
  d.media[1].port = 0;
  auto sections = parse_media_sections(d);
  ASSERT_TRUE(sections) << sections.error();
  const auto& video = (*sections)[1];
  EXPECT_TRUE(video.disabled);
  EXPECT_EQ(rid_ids(video), (std::vector<std::string>{"q", "h", "f"}));
  EXPECT_TRUE(video.simulcast);

  auto a = build_sfu_answer(d, ours());
  ASSERT_TRUE(a) << a.error();
  const auto& answered = a->description.media[1];
  EXPECT_EQ(answered.port, 0);
  EXPECT_EQ(answered.mid(), "1");
  EXPECT_FALSE(answered.body.has("rid"));
  EXPECT_FALSE(answered.body.has("simulcast"));
  EXPECT_EQ(a->description.session.first("group"), "BUNDLE 0 2");
  ASSERT_EQ(a->media.size(), 1u);
  EXPECT_EQ(a->media[0].kind, "audio");
  EXPECT_EQ(a->data_mid, "2");
  auto reparsed = parse(a->description.to_string());
  ASSERT_TRUE(reparsed);
  EXPECT_TRUE(parse_media_sections(*reparsed));

  auto stopped = build_sfu_answer(load("chromium156-simulcast-offer-stopped.sdp"), ours());
  ASSERT_TRUE(stopped) << stopped.error();
  EXPECT_EQ(stopped->description.media[1].port, 0);
  EXPECT_EQ(stopped->description.session.first("group"), "BUNDLE 0 2");
}

TEST(SdpMedia, ChromeM148ExtensionIdNeverMeansTwoUrisInOneConnection) {
  // An offer whose video section binds id 1, ssrc-audio-level in the audio section, to toffset.
  auto d = load("chromium156-media-offer.sdp");
  for (auto& line : d.media[1].body.lines)
    if (line.is_attribute("extmap") && line.value == "extmap:14 urn:ietf:params:rtp-hdrext:toffset")
      line = attribute("extmap", "1 urn:ietf:params:rtp-hdrext:toffset");
  auto sections = parse_media_sections(d);
  ASSERT_FALSE(sections);
  EXPECT_NE(sections.error().find("a=extmap:1"), std::string::npos) << sections.error();
  EXPECT_FALSE(build_sfu_answer(d, ours()));

  // Per connection: what the first offer bound stays bound.
  auto first = parse_media_sections(load("chromium156-media-offer.sdp"));
  ASSERT_TRUE(first);
  ExtensionIds ids;
  ASSERT_TRUE(ids.adopt_all(*first));
  EXPECT_TRUE(ids.adopt_all(*first));  // the same bindings again: fine
  EXPECT_FALSE(ids.adopt(14, "urn:ietf:params:rtp-hdrext:sdes:mid"));  // 14 is toffset
  EXPECT_FALSE(ids.adopt(9, "urn:ietf:params:rtp-hdrext:toffset"));   // toffset is 14
  EXPECT_EQ(ids.find("urn:ietf:params:rtp-hdrext:sdes:mid"), 4);
  // New extensions get ids never used in this connection: 9 and 12 are the free one-byte ids.
  EXPECT_EQ(ids.id_for("urn:example:one"), 9);
  EXPECT_EQ(ids.id_for("urn:example:two"), 12);
  EXPECT_EQ(ids.id_for("urn:example:one"), 9);
  EXPECT_EQ(ids.id_for("urn:example:three"), std::nullopt);
  ExtensionIds mixed(true);
  ASSERT_TRUE(mixed.adopt_all(*first));
  mixed.id_for("a");
  mixed.id_for("b");
  EXPECT_EQ(mixed.id_for("c"), 16);  // 15 is reserved (RFC 8285 §4.2)

  // The answer keeps the offerer's ids for what it keeps, and drops what an SFU does not use.
  auto a = build_sfu_answer(load("chromium156-media-offer.sdp"), ours());
  ASSERT_TRUE(a) << a.error();
  const auto ext = values(a->description.media[1], "extmap");
  EXPECT_NE(std::find(ext.begin(), ext.end(),
                      "10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"), ext.end());
  for (const auto& e : ext) EXPECT_EQ(e.find("toffset"), std::string::npos) << e;
  auto answered = parse(a->description.to_string());
  ASSERT_TRUE(answered);
  auto answered_sections = parse_media_sections(*answered);
  ASSERT_TRUE(answered_sections);
  EXPECT_TRUE(ids.adopt_all(*answered_sections)) << "the answer binds nothing new";
}

}  // namespace
}  // namespace peerkit::sdp
