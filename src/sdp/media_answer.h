// The answer an SFU gives a publisher's offer (RFC 9429 §5.3 for audio/video): every
// audio/video section the publisher sends on is received (sendonly/sendrecv → recvonly) with one
// codec, Opus for audio and VP8 for video (H264 packetization-mode 1 when asked and VP8 is
// absent), plus the RTX type that repairs it; the offerer's payload types and extension ids are
// kept as they are (Chrome M140 no longer fixes them, and an SFU rewrites per subscriber
// anyway); offered simulcast send rids are accepted as `a=rid:<id> recv` + `a=simulcast:recv`;
// the first data-channel section is accepted as build_answer() accepts it; everything else
// (disabled sections, Chrome M143's port-0 sections with rids included, unknown codecs, sections
// without rtcp-mux) is rejected with port 0 and leaves the BUNDLE group.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "sdp/answer.h"
#include "sdp/media.h"

namespace peerkit::sdp {

// The header extensions an SFU reads or forwards (the rtp/ module parses them).
std::vector<std::string> default_sfu_extensions();

struct SfuAnswerOptions {
  bool h264 = false;  // accept H264 (packetization-mode=1) when the offer has no VP8
  std::vector<std::string> extensions = default_sfu_extensions();
  // RTCP feedback kept per accepted codec (RFC 4585, RFC 5104, transport-cc, REMB).
  std::vector<std::string> rtcp_fb = {"nack", "nack pli", "ccm fir", "transport-cc", "goog-remb"};
  // Keep the offered RTX codec (RFC 4588) of the accepted one. An answerer that cannot unwrap
  // RTX says no, so that retransmissions come as the original packets.
  bool rtx = true;
  // Keep it only in sections whose offer pairs an RTX SSRC with a media SSRC (a=ssrc-group:FID,
  // RFC 5576 §4.2): for an answerer that binds RTX streams by those pairs alone.
  bool rtx_needs_ssrc_group = false;
  // The SFU is an ICE-lite agent (RFC 8445 §2.5), which its descriptions must say (RFC 8839
  // §5.3, session level).
  bool ice_lite = true;
  // a=candidate values for the worker's port ("1 1 udp 2130706431 192.0.2.1 40000 typ host"):
  // written in the first accepted section, then a=end-of-candidates (a lite agent knows all its
  // candidates at once; RFC 8840 §4.1).
  std::vector<std::string> candidates;
};

struct AcceptedMedia {
  std::string mid;
  std::string kind;        // audio, video
  Direction direction = Direction::kRecvonly;  // ours
  Codec codec;             // as offered (pt, name, fmtp)
  std::optional<std::uint8_t> rtx_pt;
  std::vector<Extension> extensions;  // the kept ones, offerer's ids
  std::vector<std::string> rids;      // simulcast layers we receive, in the offer's order
};

struct MediaAnswer {
  SessionDescription description;
  std::vector<MediaDescription> offered;  // every audio/video section of the offer
  std::vector<AcceptedMedia> media;
  std::optional<std::string> data_mid;
  DataChannelParameters remote_data;
  IceParameters remote_ice;
  DtlsParameters remote_dtls;
  Setup local_setup = Setup::kActive;
};

// Fails when the offer's media sections do not parse (media.h), when nothing can be accepted,
// or when the accepted sections lack ICE or DTLS parameters.
Expected<MediaAnswer, std::string> build_sfu_answer(const SessionDescription& offer,
                                                    const LocalParameters& local,
                                                    const SfuAnswerOptions& options = {});

}  // namespace peerkit::sdp
