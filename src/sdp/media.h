// Typed audio/video sections (Unified Plan, RFC 9429 §5.8) read from a parsed description:
// mid, direction, rtcp-mux/rsize, codecs per payload type (rtpmap, fmtp, rtcp-fb; RTX by apt=),
// header extensions (RFC 8285), rids (RFC 8851), simulcast (RFC 8853), ssrc and ssrc-group
// (RFC 5576, FID for RTX, RFC 4588), msid (RFC 8830).
//
// Written to survive Chrome's SDP changes: payload types are whatever the section says (M140
// stopped fixing them, so nothing here maps a number to a codec except the RFC 3551 static
// types); a disabled (port 0) section is parsed like any other, rid lines included (M143);
// and an extension id means one URI across every section of a BUNDLE group (M148 forbids
// reusing an id for another extension in one connection: parse_media() rejects such an offer,
// and ExtensionIds hands out ids per connection that are never reused for another URI).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "sdp/session_description.h"

namespace peerkit::sdp {

inline constexpr std::size_t kMaxRids = 16;           // per section; browsers send 3
inline constexpr std::size_t kMaxRidLength = 32;      // RFC 8851 leaves it open; rids are short
inline constexpr std::size_t kMaxSsrcsPerSection = 64;

enum class Direction { kSendrecv, kSendonly, kRecvonly, kInactive };
std::optional<Direction> parse_direction(std::string_view value);
std::string_view to_string(Direction d);
// What the other side's direction is from our point of view (sendonly ↔ recvonly).
Direction reverse(Direction d);

struct Codec {
  std::uint8_t pt = 0;      // 0..127, as the offer numbered it
  std::string name;         // from a=rtpmap (or RFC 3551 for static types), as written: "opus", "VP8"
  std::uint32_t clock_rate = 0;
  std::uint8_t channels = 0;  // audio: 1 when a=rtpmap omits it; video: 0
  std::string fmtp;           // the a=fmtp parameters, verbatim ("" when none)
  std::vector<std::string> rtcp_fb;  // "nack", "nack pli", "ccm fir", "transport-cc", …
  std::optional<std::uint8_t> apt;   // rtx (RFC 4588 §8.1): the payload type it repairs

  bool is(std::string_view codec_name) const;  // case-insensitive name match
  // One fmtp parameter ("packetization-mode" → "1"); nullopt when absent.
  std::optional<std::string_view> parameter(std::string_view key) const;
};

struct Extension {
  std::uint16_t id = 0;  // 1..14 (one-byte header) or 16..255 (two-byte, RFC 8285 §4.3)
  std::optional<Direction> direction;
  std::string uri;
  std::string attributes;  // what follows the URI, verbatim
};

struct Rid {
  std::string id;
  Direction direction = Direction::kSendonly;  // "send" → kSendonly, "recv" → kRecvonly
  std::vector<std::uint8_t> pts;               // pt= restriction; empty: any
  std::string restrictions;                    // the rest (max-width=…), verbatim
};

// a=simulcast (RFC 8853 §5.1): per direction, streams in order, each a list of alternative rids.
struct SimulcastRid {
  std::string rid;
  bool paused = false;  // written "~rid"
};
struct Simulcast {
  std::vector<std::vector<SimulcastRid>> send, recv;
};

struct SsrcInfo {
  std::uint32_t ssrc = 0;
  std::string cname;
  std::string msid;  // "stream track", as a=ssrc:… msid: writes it
};
struct SsrcGroup {
  std::string semantics;  // FID, SIM, FEC-FR, …
  std::vector<std::uint32_t> ssrcs;
};

struct Msid {
  std::string stream;  // "-" for no stream
  std::string track;
};

struct MediaDescription {
  std::string kind;  // audio, video
  bool disabled = false;  // port 0: parsed all the same (Chrome M143 keeps rids there)
  std::string mid;
  Direction direction = Direction::kSendrecv;
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  std::vector<Codec> codecs;  // in the m= line's order (the offerer's preference)
  std::vector<Extension> extensions;
  std::vector<Rid> rids;
  std::optional<Simulcast> simulcast;
  std::vector<SsrcInfo> ssrcs;
  std::vector<SsrcGroup> ssrc_groups;
  std::vector<Msid> msids;

  const Codec* codec(std::uint8_t pt) const;
  // The first codec named `name`, in preference order.
  const Codec* find_codec(std::string_view name) const;
  // The rtx payload type whose apt= is `pt`.
  const Codec* rtx_for(std::uint8_t pt) const;
  std::optional<std::uint16_t> extension_id(std::string_view uri) const;
  // The SSRC an FID group pairs with `primary` (its RTX), if any.
  std::optional<std::uint32_t> rtx_ssrc(std::uint32_t primary) const;
};

// True for m=audio / m=video over RTP (proto ends in RTP/AVP, RTP/SAVP, RTP/AVPF or RTP/SAVPF).
bool is_rtp_media(const MediaSection& m);

// One section. Errors name the line's attribute and value.
Expected<MediaDescription, std::string> parse_media(const MediaSection& m);

// Every audio/video section of `d`, in order (others are skipped), and the one-connection rule
// (Chrome M148, RFC 8843 §9.2 for BUNDLE): across all sections of the description, disabled ones
// included, an extension id maps to one URI.
Expected<std::vector<MediaDescription>, std::string> parse_media_sections(
    const SessionDescription& d);

// Header-extension ids of one connection (RFC 8285; Chrome M148): an id, once bound to a URI,
// stays bound to it for the connection's life, even after the extension is no longer
// negotiated, so a later offer or answer can never reuse it for another extension.
class ExtensionIds {
 public:
  explicit ExtensionIds(bool two_byte = false) : two_byte_(two_byte) {}
  // Records what a remote description bound; fails when an id or a URI is already bound to
  // something else.
  Expected<bool, std::string> adopt(std::uint16_t id, std::string_view uri);
  Expected<bool, std::string> adopt_all(const std::vector<MediaDescription>& sections);
  // The id of `uri`, binding the lowest free one when it has none; nullopt when all are used.
  std::optional<std::uint16_t> id_for(std::string_view uri);
  std::optional<std::uint16_t> find(std::string_view uri) const;

 private:
  bool two_byte_;  // ids 16..255 are usable too (a=extmap-allow-mixed negotiated)
  std::map<std::uint16_t, std::string> by_id_;
};

}  // namespace peerkit::sdp
