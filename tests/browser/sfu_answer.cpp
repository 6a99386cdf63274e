// Prints peerkit's SFU descriptions for tests/browser/sfu-answer.js:
//   sfu_answer            reads a publisher's SDP offer on stdin, prints sdp::build_sfu_answer()
//   sfu_answer subscribe  prints sdp::build_sfu_offer() for a subscriber: one participant's
//                         Opus and VP8 (+RTX) tracks, stream "bea-stream"
// Exit 1 with the reason on stderr when the offer does not parse or cannot be answered.
#include <iostream>
#include <sstream>
#include <string_view>

#include "sdp/media_answer.h"
#include "sdp/sfu_offer.h"

namespace {

peerkit::sdp::LocalParameters local() {
  peerkit::sdp::LocalParameters l;
  l.ice_ufrag = "sfu1";
  l.ice_pwd = "0123456789abcdefghijkl";
  l.fingerprint.algorithm = "sha-256";
  l.fingerprint.digest.assign(32, 0xab);  // never checked: no DTLS handshake in this test
  return l;
}

int subscribe() {
  using peerkit::sdp::Codec;
  peerkit::sdp::ForwardedTrack audio;
  audio.mid = "0";
  audio.kind = "audio";
  audio.codec = Codec{111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {"transport-cc"}, {}};
  audio.ssrc = 1001;
  audio.stream_id = "bea-stream";
  audio.track_id = "bea-mic";
  peerkit::sdp::ForwardedTrack video;
  video.mid = "1";
  video.kind = "video";
  video.codec = Codec{96, "VP8", 90000, 0, "", {"nack", "nack pli", "ccm fir", "transport-cc"}, {}};
  video.rtx_pt = 97;
  video.ssrc = 2001;
  video.rtx_ssrc = 2002;
  video.stream_id = "bea-stream";
  video.track_id = "bea-camera";
  peerkit::sdp::ExtensionIds ids;
  peerkit::sdp::SfuOfferOptions o;
  o.candidates = {"1 1 udp 2130706431 127.0.0.1 9 typ host"};
  auto offer = peerkit::sdp::build_sfu_offer({audio, video}, local(), ids, o);
  if (!offer) {
    std::cerr << "offer: " << offer.error() << '\n';
    return 1;
  }
  std::cout << offer->to_string();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "subscribe") return subscribe();
  std::stringstream in;
  in << std::cin.rdbuf();
  auto offer = peerkit::sdp::parse(in.str());
  if (!offer) {
    std::cerr << "offer: " << peerkit::sdp::to_string(offer.error()) << '\n';
    return 1;
  }
  peerkit::sdp::SfuAnswerOptions options;
  options.candidates = {"1 1 udp 2130706431 127.0.0.1 9 typ host"};
  auto answer = peerkit::sdp::build_sfu_answer(*offer, local(), options);
  if (!answer) {
    std::cerr << "answer: " << answer.error() << '\n';
    return 1;
  }
  std::cout << answer->description.to_string();
  return 0;
}
