// The SDP parser and the answer builder (src/sdp/): never crash, stay within their bounds, and
// whatever parses prints to text that parses to the same description (print ∘ parse is a fixed
// point). Every accepted description is also read as WebRTC parameters and media sections, and
// answered both as a data-channel peer and as an SFU.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sdp/answer.h"
#include "sdp/media.h"
#include "sdp/media_answer.h"
#include "sdp/session_description.h"
#include "sdp/webrtc_params.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace peerkit::sdp;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = parse(text);
  if (!first) return 0;
  const std::string printed = first->to_string();
  auto second = parse(printed);
  if (!second || second->to_string() != printed) std::abort();
  for (const auto& m : first->media) {
    (void)ice_parameters(*first, m);
    (void)dtls_parameters(*first, m);
    (void)data_channel_parameters(m);
    if (is_rtp_media(m)) (void)parse_media(m);
  }
  const auto media = parse_media_sections(*first);
  if (media) {
    ExtensionIds ids;
    (void)ids.adopt_all(*media);
    (void)ids.id_for("urn:fuzz");
  }
  (void)bundle_groups(*first);
  LocalParameters local;
  local.ice_ufrag = "fuzz";
  local.ice_pwd = "0123456789abcdefghijkl";
  local.fingerprint.algorithm = "sha-256";
  local.fingerprint.digest.assign(32, 0xab);
  if (auto answer = build_answer(*first, local)) {
    // What we answer must parse, and its accepted section must read as a data channel.
    auto reparsed = parse(answer->description.to_string());
    if (!reparsed) std::abort();
    bool accepted = false;
    for (const auto& m : reparsed->media)
      if (!m.rejected() && data_channel_parameters(m)) accepted = true;
    if (!accepted) std::abort();
  }
  if (auto sfu = build_sfu_answer(*first, local)) {
    // The SFU's answer parses, its media sections read back, and each accepted one is recvonly
    // or inactive with the codec it chose.
    auto reparsed = parse(sfu->description.to_string());
    if (!reparsed || !media) std::abort();
    auto sections = parse_media_sections(*reparsed);
    if (!sections) std::abort();
    for (const auto& accepted : sfu->media) {
      bool found = false;
      for (const auto& s : *sections)
        if (s.mid == accepted.mid && !s.disabled && s.codec(accepted.codec.pt) != nullptr &&
            (s.direction == Direction::kRecvonly || s.direction == Direction::kInactive))
          found = true;
      if (!found) std::abort();
    }
  }
  return 0;
}
