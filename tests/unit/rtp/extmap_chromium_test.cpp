// The extmap ids and URIs of a captured Chromium 156 offer (tests/data/sdp/) fed into
// ExtensionMap: every URI Chrome offers for audio and video that we name must be recognised,
// and an audio packet shaped like Chrome's (ids 1–4) must read and remap through it.
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hex.h"
#include "rtp/extension_values.h"
#include "rtp/extensions.h"
#include "rtp/packet.h"

namespace peerkit::rtp {
namespace {
using test::hex;

// One ExtensionMap per audio/video m-section, from the `a=extmap:<id> <uri>` lines.
std::vector<ExtensionMap> maps_of(const std::string& file) {
  std::ifstream in(std::string(PEERKIT_RTP_SDP_DIR) + "/" + file);
  EXPECT_TRUE(in.good()) << file;
  std::vector<ExtensionMap> maps;
  std::string line;
  bool media = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("m=", 0) == 0) {
      media = line.rfind("m=audio", 0) == 0 || line.rfind("m=video", 0) == 0;
      if (media) maps.emplace_back();
      continue;
    }
    if (!media || line.rfind("a=extmap:", 0) != 0) continue;
    const auto space = line.find(' ');
    const int id = std::stoi(line.substr(9, space - 9));
    auto added = maps.back().add(id, line.substr(space + 1));
    EXPECT_TRUE(added) << line;
  }
  return maps;
}

TEST(ExtmapChromium, OfferUrisAreRecognised) {
  const auto maps = maps_of("chromium156-media-offer.sdp");
  ASSERT_EQ(maps.size(), 2u);
  const ExtensionMap& audio = maps[0];
  EXPECT_EQ(audio.id_of(ExtensionKind::kAudioLevel), 1);
  EXPECT_EQ(audio.id_of(ExtensionKind::kAbsSendTime), 2);
  EXPECT_EQ(audio.id_of(ExtensionKind::kTransportWideCc), 3);
  EXPECT_EQ(audio.id_of(ExtensionKind::kMid), 4);
  const ExtensionMap& video = maps[1];
  EXPECT_EQ(video.id_of(ExtensionKind::kTimeOffset), 14);
  EXPECT_EQ(video.id_of(ExtensionKind::kVideoOrientation), 13);
  EXPECT_EQ(video.id_of(ExtensionKind::kPlayoutDelay), 5);
  EXPECT_EQ(video.id_of(ExtensionKind::kRid), 10);
  EXPECT_EQ(video.id_of(ExtensionKind::kRepairedRid), 11);
  EXPECT_EQ(video.kind_of(6), ExtensionKind::kUnknown);  // video-content-type: not named here
}

TEST(ExtmapChromium, AudioPacketReadsAndRemapsToAnotherConnectionsIds) {
  const auto maps = maps_of("chromium156-media-offer.sdp");
  ASSERT_FALSE(maps.empty());
  // Opus PT 111; audio level V=1 level 30 (id 1), abs-send-time (id 2), twcc 0x0102 (id 3),
  // mid "0" (id 4): 2 + 4 + 3 + 2 = 11 bytes, padded to 12.
  const auto p =
      hex("90 6f 00 01 00 00 03 c0 11 11 11 11 be de 00 03 10 9e 22 01 02 03 31 01 02 40 30 00 f8");
  auto v = parse_packet(p);
  ASSERT_TRUE(v) << to_string(v.error());
  const ExtensionMap& m = maps[0];
  EXPECT_EQ(*parse_audio_level(*v->extensions.find(*m.id_of(ExtensionKind::kAudioLevel))),
            (AudioLevel{true, 30}));
  EXPECT_EQ(*parse_abs_send_time(*v->extensions.find(*m.id_of(ExtensionKind::kAbsSendTime))),
            0x010203u);
  EXPECT_EQ(*parse_transport_cc(*v->extensions.find(*m.id_of(ExtensionKind::kTransportWideCc))),
            0x0102);
  EXPECT_EQ(*parse_sdes_text(*v->extensions.find(*m.id_of(ExtensionKind::kMid))), "0");
  // A subscriber whose answer numbered them differently (Chrome M140: ids are not fixed) and
  // did not negotiate abs-send-time.
  ExtensionMap sub;
  ASSERT_TRUE(sub.add(9, uri::kMid));
  ASSERT_TRUE(sub.add(7, uri::kAudioLevel));
  ASSERT_TRUE(sub.add(12, uri::kTransportWideCc));
  std::array<std::byte, 64> out{};
  auto n = rewrite_packet(p, m, sub, {}, out);
  ASSERT_TRUE(n);
  auto r = parse_packet(std::span<const std::byte>(out.data(), *n));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->extensions.count, 3u);
  EXPECT_EQ(*parse_audio_level(*r->extensions.find(7)), (AudioLevel{true, 30}));
  EXPECT_EQ(*parse_transport_cc(*r->extensions.find(12)), 0x0102);
  EXPECT_EQ(*parse_sdes_text(*r->extensions.find(9)), "0");
  EXPECT_FALSE(r->extensions.find(2).has_value());
}

}  // namespace
}  // namespace peerkit::rtp
