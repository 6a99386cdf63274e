// build_sfu_answer() (media_answer.h): one pass over the offer, a section answered or rejected
// at a time, then the BUNDLE group of what was accepted.
#include "sdp/media_answer.h"

#include <algorithm>

namespace peerkit::sdp {
namespace {

constexpr std::string_view kRidExtensionUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";

bool contains(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

const Codec* choose_codec(const MediaDescription& m, const SfuAnswerOptions& o) {
  if (m.kind == "audio") {
    // RFC 7587 §7: opus/48000/2 whatever the channel count actually sent.
    for (const auto& c : m.codecs)
      if (c.is("opus") && c.clock_rate == 48000 && c.channels == 2) return &c;
    return nullptr;
  }
  for (const auto& c : m.codecs)
    if (c.is("VP8") && c.clock_rate == 90000) return &c;
  if (o.h264)
    for (const auto& c : m.codecs)
      if (c.is("H264") && c.clock_rate == 90000 && c.parameter("packetization-mode") == "1")
        return &c;
  return nullptr;
}

std::string rtpmap_of(const Codec& c) {
  std::string v = std::to_string(c.pt) + ' ' + c.name + '/' + std::to_string(c.clock_rate);
  if (c.channels > 1) v += '/' + std::to_string(c.channels);
  return v;
}

void add_codec(LineList& body, const Codec& c, const SfuAnswerOptions& o) {
  body.add(attribute("rtpmap", rtpmap_of(c)));
  for (const auto& fb : c.rtcp_fb)
    if (contains(o.rtcp_fb, fb)) body.add(attribute("rtcp-fb", std::to_string(c.pt) + ' ' + fb));
  if (!c.fmtp.empty()) body.add(attribute("fmtp", std::to_string(c.pt) + ' ' + c.fmtp));
}

// The offered send streams become our receive streams; rids keep their order and pause marks.
std::string simulcast_recv(const Simulcast& s, std::vector<std::string>& rids) {
  std::string list;
  for (const auto& stream : s.send) {
    if (!list.empty()) list += ';';
    std::string alternatives;
    for (const auto& alt : stream) {
      if (!alternatives.empty()) alternatives += ',';
      alternatives += (alt.paused ? "~" : "") + alt.rid;
      if (!contains(rids, alt.rid)) rids.push_back(alt.rid);
    }
    list += alternatives;
  }
  return list;
}

std::optional<MediaSection> answer_media(const MediaSection& m, const MediaDescription& md,
                                         const LocalParameters& local, Setup setup,
                                         const SfuAnswerOptions& o, AcceptedMedia& out) {
  // RFC 8829 §5.1.3: a WebRTC endpoint requires rtcp-mux; no RTP profile other than SAVPF.
  if (md.disabled || !md.rtcp_mux || m.proto != "UDP/TLS/RTP/SAVPF") return std::nullopt;
  const Codec* codec = choose_codec(md, o);
  if (codec == nullptr) return std::nullopt;
  const Codec* rtx = o.rtx ? md.rtx_for(codec->pt) : nullptr;
  if (rtx != nullptr && o.rtx_needs_ssrc_group &&
      std::none_of(md.ssrcs.begin(), md.ssrcs.end(), [&](const auto& s) { return md.rtx_ssrc(s.ssrc).has_value(); }))
    rtx = nullptr;

  out.mid = md.mid;
  out.kind = md.kind;
  out.direction = md.direction == Direction::kSendonly || md.direction == Direction::kSendrecv
                      ? Direction::kRecvonly
                      : Direction::kInactive;  // nothing to send to a subscriber on this leg
  out.codec = *codec;
  if (rtx != nullptr) out.rtx_pt = rtx->pt;

  MediaSection a;
  a.media = m.media;
  a.port = 9;
  a.proto = m.proto;
  a.formats = {std::to_string(codec->pt)};
  if (rtx != nullptr) a.formats.push_back(std::to_string(rtx->pt));
  detail::add_transport(a.body, local, setup);
  a.body.add(attribute("mid", md.mid));
  for (const auto& e : md.extensions) {
    if (!contains(o.extensions, e.uri)) continue;
    out.extensions.push_back(e);
    a.body.add(attribute("extmap", std::to_string(e.id) + ' ' + e.uri));
  }
  a.body.add(flag_attribute(to_string(out.direction)));
  a.body.add(flag_attribute("rtcp-mux"));
  if (md.rtcp_rsize) a.body.add(flag_attribute("rtcp-rsize"));
  add_codec(a.body, *codec, o);
  if (rtx != nullptr) add_codec(a.body, *rtx, o);
  // Simulcast only with the rid extension kept: without it the layers' packets cannot be told
  // apart (RFC 8852 §3, RFC 8853 §5.1), and an answer without a=simulcast makes the offerer send
  // its first encoding alone (RFC 8829 §5.3.1) — one stream, which such a receiver can play.
  const bool rid_kept = std::any_of(out.extensions.begin(), out.extensions.end(),
                                    [](const Extension& e) { return e.uri == kRidExtensionUri; });
  if (md.simulcast && !md.simulcast->send.empty() && out.direction == Direction::kRecvonly && rid_kept) {
    const std::string list = simulcast_recv(*md.simulcast, out.rids);
    for (const auto& rid : out.rids) a.body.add(attribute("rid", rid + " recv"));
    a.body.add(attribute("simulcast", "recv " + list));
  }
  return a;
}

}  // namespace

std::vector<std::string> default_sfu_extensions() {
  return {
      "urn:ietf:params:rtp-hdrext:sdes:mid",
      "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
      "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
      "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
      "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
      "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
      "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
  };
}

Expected<MediaAnswer, std::string> build_sfu_answer(const SessionDescription& offer,
                                                    const LocalParameters& local,
                                                    const SfuAnswerOptions& options) {
  auto offered = parse_media_sections(offer);
  if (!offered) return Unexpected(offered.error());
  MediaAnswer a;
  a.offered = std::move(*offered);
  a.description.session = detail::session_lines(local);
  if (offer.session.has("extmap-allow-mixed"))
    a.description.session.add(flag_attribute("extmap-allow-mixed"));
  if (options.ice_lite) a.description.session.add(flag_attribute("ice-lite"));

  bool transport_known = false;
  // ICE and DTLS come from the first section we accept (with BUNDLE, they are the same for all).
  auto take_transport = [&](const MediaSection& m) -> Expected<bool, std::string> {
    if (transport_known) return true;
    auto ice = ice_parameters(offer, m);
    if (!ice) return Unexpected(ice.error());
    auto dtls = dtls_parameters(offer, m);
    if (!dtls) return Unexpected(dtls.error());
    auto setup = answer_setup(dtls->setup);
    if (!setup) return Unexpected(setup.error());
    a.remote_ice = std::move(*ice);
    a.remote_dtls = std::move(*dtls);
    a.local_setup = *setup;
    transport_known = true;
    return true;
  };

  std::vector<std::string> accepted_mids;
  std::size_t next_media = 0;
  for (const auto& m : offer.media) {
    if (is_rtp_media(m)) {
      const MediaDescription& md = a.offered[next_media++];
      std::optional<MediaSection> ours;
      if (!md.disabled) {
        if (auto t = take_transport(m); !t) return Unexpected(t.error());
        AcceptedMedia accepted;
        ours = answer_media(m, md, local, a.local_setup, options, accepted);
        if (ours) a.media.push_back(std::move(accepted));
      }
      if (ours) {
        accepted_mids.push_back(md.mid);
        a.description.media.push_back(std::move(*ours));
      } else {
        a.description.media.push_back(detail::rejected(m));
      }
      continue;
    }
    const auto data = m.rejected() || a.data_mid ? std::nullopt : data_channel_parameters(m);
    if (data) {
      if (auto t = take_transport(m); !t) return Unexpected(t.error());
      a.remote_data = *data;
      a.data_mid = std::string(m.mid().value_or(""));
      accepted_mids.push_back(*a.data_mid);
      a.description.media.push_back(detail::accepted_data_section(m, *data, local, a.local_setup));
    } else {
      a.description.media.push_back(detail::rejected(m));
    }
  }
  if (accepted_mids.empty()) return Unexpected(std::string("the offer has no section an SFU accepts"));
  if (!options.candidates.empty())
    for (auto& m : a.description.media) {
      if (m.rejected()) continue;
      for (const auto& c : options.candidates) m.body.add(attribute("candidate", c));
      m.body.add(flag_attribute("end-of-candidates"));
      break;  // BUNDLE: the first accepted section carries the transport
    }
  // RFC 8843 §7.3.1: the answer's BUNDLE group holds the accepted sections the offer bundled,
  // in the offer's order.
  const auto groups = bundle_groups(offer);
  if (!groups.empty()) {
    std::string value = "BUNDLE";
    for (const auto& mid : groups.front())
      if (contains(accepted_mids, mid)) value += ' ' + mid;
    if (value != "BUNDLE")
      a.description.session.lines.insert(a.description.session.lines.begin() + 4,
                                         attribute("group", value));
  }
  return a;
}

}  // namespace peerkit::sdp
