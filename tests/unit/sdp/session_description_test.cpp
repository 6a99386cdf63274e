// SDP parsing and printing (sdp/session_description.h) on captured browser descriptions and
// on hand-made malformed ones.
#include "sdp/session_description.h"

#include <gtest/gtest.h>

#include <string>
#include "support/sdp_data.h"

namespace peerkit::sdp {
namespace {

std::string read_data(const std::string& name) {
  bool found = false;
  const std::string text = testing::read_sdp_data(name, &found);
  EXPECT_TRUE(found) << name;
  return text;
}

class CapturedSdp : public ::testing::TestWithParam<const char*> {};

TEST_P(CapturedSdp, RoundTripsByteForByte) {
  const auto text = read_data(GetParam());
  ASSERT_FALSE(text.empty());
  const auto d = parse(text);
  ASSERT_TRUE(d) << to_string(d.error());
  EXPECT_EQ(d->to_string(), text);
}

INSTANTIATE_TEST_SUITE_P(
    Browsers, CapturedSdp,
    ::testing::Values("chromium156-data-offer.sdp", "chromium156-data-answer.sdp",
                      "chromium156-data-offer-after-gathering.sdp",
                      "chromium156-media-offer.sdp", "chromium156-media-answer.sdp",
                      "chromium156-media-offer-after-gathering.sdp",
                      "chromium156-relay-offer.sdp", "chromium156-relay-answer.sdp",
                      "chromium156-relay-offer-after-gathering.sdp", "firefox-data-offer.sdp",
                      "aiortc-legacy-offer.sdp"));

TEST(SdpParse, ReadsMediaSections) {
  const auto d = parse(read_data("chromium156-media-offer.sdp"));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->media.size(), 3u);
  EXPECT_EQ(d->media[0].media, "audio");
  EXPECT_EQ(d->media[0].proto, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(d->media[0].formats.front(), "111");
  EXPECT_EQ(d->media[1].media, "video");
  EXPECT_EQ(d->media[2].media, "application");
  EXPECT_EQ(d->media[2].mid(), "2");
  EXPECT_EQ(d->session.first("group"), "BUNDLE 0 1 2");
  EXPECT_EQ(d->media[0].body.all("rtpmap").size(), 8u);
  EXPECT_TRUE(d->media[0].body.has("rtcp-mux"));          // a flag attribute
  EXPECT_EQ(d->media[0].body.first("rtcp-mux"), "");
}

TEST(SdpParse, AcceptsLfLineEndsAndPrintsCrlf) {
  const auto d = parse("v=0\no=- 1 2 IN IP4 127.0.0.1\ns=\nt=0 0\nm=application 9 UDP/DTLS/SCTP "
                       "webrtc-datachannel\na=mid:0\n");
  ASSERT_TRUE(d) << to_string(d.error());
  EXPECT_EQ(d->to_string(), "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=\r\nt=0 0\r\n"
                            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n");
}

TEST(SdpParse, PortCountRoundTrips) {
  const std::string text = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                           "m=video 49170/2 RTP/AVP 31\r\n";
  const auto d = parse(text);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->media[0].port_count, 2);
  EXPECT_EQ(d->to_string(), text);
}

struct Bad {
  const char* text;
  std::size_t line;
};

TEST(SdpParse, RefusesMalformedDescriptionsWithTheLine) {
  const std::string head = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  const Bad cases[] = {
      {"", 0},
      {"v=1\r\n", 1},
      {"x\r\n", 1},
      {"v=0\r\ns=-\r\n", 2},
      {"v=0\r\no=- 1 2 IN IP4\r\ns=-\r\nt=0 0\r\n", 2},
      {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\nt=0 0\r\n", 3},
      {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\n", 0},  // no t=
      {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", 4},
  };
  for (const auto& c : cases) {
    const auto d = parse(c.text);
    ASSERT_FALSE(d) << c.text;
    EXPECT_EQ(d.error().line, c.line) << c.text << " → " << to_string(d.error());
  }
  const Bad body_cases[] = {
      {"m=audio 70000 RTP/AVP 0\r\n", 5},        // port out of range
      {"m=audio 9 RTP/AVP\r\n", 5},              // no format
      {"m=audio x RTP/AVP 0\r\n", 5},
      {"m=audio 9/0 RTP/AVP 0\r\n", 5},
      {"m=audio 9 /RTP 0\r\n", 5},
      {"a=ok\r\nA=upper\r\n", 6},                // types are lower case
      {"a=ok\r\n\r\na=after-empty\r\n", 6},
      {"m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", 6},   // session line in a media section
      {"a=\r\n", 5},                             // attribute without a name
      {"a=x\0y\r\n", 5},
      {"v=0\r\n", 5},
  };
  for (const auto& c : body_cases) {
    std::string text = head + c.text;
    if (std::string(c.text) == "a=x") text = head + std::string("a=x\0y\r\n", 7);
    const auto d = parse(text);
    ASSERT_FALSE(d) << c.text;
    EXPECT_EQ(d.error().line, c.line) << c.text << " → " << to_string(d.error());
  }
}

TEST(SdpParse, BoundsSizeLinesAndSections) {
  const std::string head = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
  std::string big = head + "a=x:" + std::string(kMaxDescriptionBytes, 'y') + "\r\n";
  EXPECT_FALSE(parse(big));
  std::string many = head;
  for (std::size_t i = 0; i < kMaxLines; ++i) many += "a=x\r\n";
  EXPECT_FALSE(parse(many));
  std::string sections = head;
  for (std::size_t i = 0; i <= kMaxMediaSections; ++i) sections += "m=audio 9 RTP/AVP 0\r\n";
  const auto d = parse(sections);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("512"), std::string::npos);
}

TEST(SdpLines, EditingKeepsOrder) {
  auto d = parse("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                 "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n"
                 "a=candidate:1 1 udp 1 127.0.0.1 1 typ host\r\na=sctp-port:5000\r\n");
  ASSERT_TRUE(d);
  auto& body = d->media[0].body;
  body.remove("candidate");
  body.add(attribute("max-message-size", "262144"));
  body.add(flag_attribute("end-of-candidates"));
  EXPECT_EQ(d->to_string(), "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n"
                            "a=sctp-port:5000\r\na=max-message-size:262144\r\n"
                            "a=end-of-candidates\r\n");
}

}  // namespace
}  // namespace peerkit::sdp
