// What a browser answers to an SFU's subscribe offer, as far as the SFU reads it: its own ICE
// and DTLS parameters, setup active, every section recvonly (ended ones stay port 0). For tests
// that drive sfu::Conference or `peerkit serve`'s SFU without a browser.
#pragma once

#include <regex>
#include <string>

namespace peerkit::testing {

inline std::string browser_answer_to(const std::string& offer) {
  std::string a = std::regex_replace(offer, std::regex("a=sendonly"), "a=recvonly");
  a = std::regex_replace(a, std::regex("a=setup:(actpass|passive)"), "a=setup:active");
  a = std::regex_replace(a, std::regex("a=ice-ufrag:[^\r\n]*"), "a=ice-ufrag:brws");
  a = std::regex_replace(a, std::regex("a=ice-pwd:[^\r\n]*"), "a=ice-pwd:browserpasswordbrowserpass");
  a = std::regex_replace(a, std::regex("a=ice-lite\r\n"), "");
  a = std::regex_replace(a, std::regex("a=candidate:[^\r\n]*\r\n"), "");
  std::string fp = "a=fingerprint:sha-256 ";
  for (int i = 0; i < 32; ++i) fp += (i ? ":" : "") + std::string("AB");
  return std::regex_replace(a, std::regex("a=fingerprint:[^\r\n]*"), fp);
}

}  // namespace peerkit::testing
