// The offer an SFU makes to a subscriber (issue 11): one sendonly section per forwarded track,
// each with the subscriber's own SSRC (and RTX SSRC, a=ssrc-group:FID, RFC 4588 §8.1), the
// publisher's stream and track ids as a=msid (RFC 8830) so the browser groups audio and video
// of one participant into one MediaStream, one codec (+ its RTX), and the header extensions
// the SFU writes, numbered through the connection's ExtensionIds (an id once bound keeps its
// URI for the connection's life: Chrome M148). Everything in one BUNDLE group on the SFU's
// ICE-lite transport, setup actpass (RFC 8842 §5.2: the offerer leaves the role to the answer).
//
// Sections are never removed (RFC 8829 §5.2.2): a track that ended keeps its place with port 0
// and a=inactive, outside the BUNDLE group, until the SFU reuses the slot for another track.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "sdp/answer.h"
#include "sdp/media.h"

namespace peerkit::sdp {

struct ForwardedTrack {
  std::string mid;   // ours, unique in this connection
  std::string kind;  // audio, video
  Codec codec;       // pt, name, clock rate, channels, fmtp; rtcp_fb as the SFU supports it
  std::optional<std::uint8_t> rtx_pt;  // repairs codec.pt (RFC 4588 §8.1: apt)
  std::uint32_t ssrc = 0;
  std::uint32_t rtx_ssrc = 0;  // 0 when rtx_pt is not set
  std::string stream_id;       // a=msid: the publisher's stream ("-" for none)
  std::string track_id;
  bool active = true;  // false: an ended track's section, port 0
  // Simulcast we send (RFC 8853 §5.1, RFC 8851): one a=rid:<rid> send per layer, in ascending
  // quality, and a=simulcast:send listing them; the rid header extension (RFC 8852) joins the
  // section's extmap. The layers' SSRCs are not written (as Chrome: a receiver binds them by mid
  // and rid), so `ssrc` may be 0.
  std::vector<std::string> send_rids;
};

inline constexpr std::string_view kRidUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
// Rids we write: RFC 8851 §10's rid-id, and at most 16 bytes so the one-byte header extension
// carries them (RFC 8285 §4.2).
inline constexpr std::size_t kMaxSendRidLength = 16;
inline constexpr std::size_t kMaxSendRids = 4;
bool valid_send_rid(std::string_view rid);

struct SfuOfferOptions {
  bool ice_lite = true;
  std::vector<std::string> candidates;  // as SfuAnswerOptions::candidates
  std::string cname = "peerkit-sfu";    // RFC 7022: one CNAME per SFU connection
  // actpass in the first offer. A re-offer on a connection whose DTLS is up says the role the
  // SFU's peer already has the other side of (RFC 8842 §5.5: an unchanged setup keeps the
  // association), so no answerer can pick a new role and restart DTLS.
  Setup setup = Setup::kActpass;
  std::vector<std::string> audio_extensions = {
      "urn:ietf:params:rtp-hdrext:sdes:mid",
      "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
      "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
      "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
  };
  std::vector<std::string> video_extensions = {
      "urn:ietf:params:rtp-hdrext:sdes:mid",
      "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
      "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
  };
};

// Fails for no tracks, a duplicate or empty mid, an SSRC of 0 or used twice (without rids),
// rids that are invalid, repeated or more than kMaxSendRids, an RTX type
// without an RTX SSRC, or when the connection has run out of extension ids.
Expected<SessionDescription, std::string> build_sfu_offer(const std::vector<ForwardedTrack>& tracks,
                                                          const LocalParameters& local,
                                                          ExtensionIds& ids,
                                                          const SfuOfferOptions& options = {});

}  // namespace peerkit::sdp
