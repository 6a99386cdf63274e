// Reads an SDP offer on stdin and prints sdp::build_sfu_answer()'s answer (tests/browser/
// sfu-answer.js hands Chromium's offers to it). Exit 1 with the reason on stderr when the offer
// does not parse or cannot be answered.
#include <iostream>
#include <sstream>

#include "sdp/media_answer.h"

int main() {
  std::stringstream in;
  in << std::cin.rdbuf();
  auto offer = peerkit::sdp::parse(in.str());
  if (!offer) {
    std::cerr << "offer: " << peerkit::sdp::to_string(offer.error()) << '\n';
    return 1;
  }
  peerkit::sdp::LocalParameters local;
  local.ice_ufrag = "sfu1";
  local.ice_pwd = "0123456789abcdefghijkl";
  local.fingerprint.algorithm = "sha-256";
  local.fingerprint.digest.assign(32, 0xab);  // never checked: no DTLS handshake in this test
  auto answer = peerkit::sdp::build_sfu_answer(*offer, local);
  if (!answer) {
    std::cerr << "answer: " << answer.error() << '\n';
    return 1;
  }
  std::cout << answer->description.to_string();
  return 0;
}
