#include "sdp/sfu_offer.h"

#include <algorithm>
#include <set>

namespace peerkit::sdp {

namespace {

std::string rtpmap(std::uint8_t pt, const std::string& name, std::uint32_t rate,
                   std::uint8_t channels) {
  std::string v = std::to_string(pt) + ' ' + name + '/' + std::to_string(rate);
  if (channels > 1) v += '/' + std::to_string(channels);
  return v;
}

Expected<bool, std::string> check(const std::vector<ForwardedTrack>& tracks) {
  if (tracks.empty()) return Unexpected(std::string("no tracks to offer"));
  std::set<std::string> mids;
  std::set<std::uint32_t> ssrcs;
  for (const auto& t : tracks) {
    if (t.mid.empty() || !mids.insert(t.mid).second)
      return Unexpected("empty or repeated mid '" + t.mid + "'");
    if (t.kind != "audio" && t.kind != "video") return Unexpected("kind '" + t.kind + "'");
    if (!t.active) continue;
    if (t.send_rids.size() > kMaxSendRids)
      return Unexpected("mid " + t.mid + ": more than " + std::to_string(kMaxSendRids) + " simulcast layers");
    std::set<std::string> rids;
    for (const auto& r : t.send_rids)
      if (!valid_send_rid(r) || !rids.insert(r).second)
        return Unexpected("mid " + t.mid + ": rid '" + r + "' is invalid or repeated");
    // RTX per layer would need an SSRC pair per rid: not offered, with or without a=ssrc.
    if (!t.send_rids.empty() && t.rtx_pt)
      return Unexpected("mid " + t.mid + ": RTX with simulcast is not offered");
    const bool by_rid_alone = !t.send_rids.empty() && t.ssrc == 0;  // no a=ssrc (Chrome's shape)
    if (!by_rid_alone && (t.ssrc == 0 || !ssrcs.insert(t.ssrc).second))
      return Unexpected("mid " + t.mid + ": SSRC 0 or used twice");
    if (t.rtx_pt && (t.rtx_ssrc == 0 || !ssrcs.insert(t.rtx_ssrc).second))
      return Unexpected("mid " + t.mid + ": RTX without its own SSRC");
    if (t.stream_id.empty() || t.track_id.empty())
      return Unexpected("mid " + t.mid + ": no msid");
  }
  return true;
}

}  // namespace

bool valid_send_rid(std::string_view rid) {
  if (rid.empty() || rid.size() > kMaxSendRidLength) return false;
  return std::all_of(rid.begin(), rid.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
  });
}

Expected<SessionDescription, std::string> build_sfu_offer(const std::vector<ForwardedTrack>& tracks,
                                                          const LocalParameters& local,
                                                          ExtensionIds& ids,
                                                          const SfuOfferOptions& o) {
  if (auto ok = check(tracks); !ok) return Unexpected(ok.error());
  SessionDescription d;
  d.session = detail::session_lines(local);
  if (o.ice_lite) d.session.add(flag_attribute("ice-lite"));
  std::string bundle = "BUNDLE";
  bool candidates_written = false;
  for (const auto& t : tracks) {
    MediaSection m;
    m.media = t.kind;
    m.proto = "UDP/TLS/RTP/SAVPF";
    m.formats = {std::to_string(t.codec.pt)};
    if (!t.active) {
      m.port = 0;
      m.body.add(Line{'c', "IN IP4 0.0.0.0"});
      m.body.add(attribute("mid", t.mid));
      m.body.add(flag_attribute("inactive"));
      d.media.push_back(std::move(m));
      continue;
    }
    m.port = 9;
    if (t.rtx_pt) m.formats.push_back(std::to_string(*t.rtx_pt));
    detail::add_transport(m.body, local, o.setup);
    m.body.add(attribute("mid", t.mid));
    std::vector<std::string> uris = t.kind == "audio" ? o.audio_extensions : o.video_extensions;
    if (!t.send_rids.empty() && std::find(uris.begin(), uris.end(), kRidUri) == uris.end())
      uris.emplace_back(kRidUri);
    for (const auto& uri : uris) {
      const auto id = ids.id_for(uri);
      if (!id) return Unexpected("no header-extension id left for " + uri);
      m.body.add(attribute("extmap", std::to_string(*id) + ' ' + uri));
    }
    m.body.add(flag_attribute("sendonly"));
    m.body.add(attribute("msid", t.stream_id + ' ' + t.track_id));
    m.body.add(flag_attribute("rtcp-mux"));
    m.body.add(flag_attribute("rtcp-rsize"));
    const Codec& c = t.codec;
    m.body.add(attribute("rtpmap", rtpmap(c.pt, c.name, c.clock_rate, c.channels)));
    for (const auto& fb : c.rtcp_fb) m.body.add(attribute("rtcp-fb", std::to_string(c.pt) + ' ' + fb));
    if (!c.fmtp.empty()) m.body.add(attribute("fmtp", std::to_string(c.pt) + ' ' + c.fmtp));
    if (t.rtx_pt) {
      m.body.add(attribute("rtpmap", rtpmap(*t.rtx_pt, "rtx", c.clock_rate, 0)));
      m.body.add(attribute("fmtp", std::to_string(*t.rtx_pt) + " apt=" + std::to_string(c.pt)));
    }
    if (t.rtx_pt && t.send_rids.empty()) {
      m.body.add(attribute("ssrc-group", "FID " + std::to_string(t.ssrc) + ' ' +
                                             std::to_string(t.rtx_ssrc)));
    }
    if (!t.send_rids.empty()) {
      std::string list;
      for (const auto& r : t.send_rids) {
        m.body.add(attribute("rid", r + " send"));
        list += (list.empty() ? "" : ";") + r;
      }
      m.body.add(attribute("simulcast", "send " + list));
    }
    for (std::uint32_t ssrc : {t.ssrc, t.rtx_pt ? t.rtx_ssrc : 0u}) {
      if (ssrc == 0 || !t.send_rids.empty()) continue;
      m.body.add(attribute("ssrc", std::to_string(ssrc) + " cname:" + o.cname));
      m.body.add(attribute("ssrc", std::to_string(ssrc) + " msid:" + t.stream_id + ' ' + t.track_id));
    }
    if (!candidates_written && !o.candidates.empty()) {
      for (const auto& cand : o.candidates) m.body.add(attribute("candidate", cand));
      m.body.add(flag_attribute("end-of-candidates"));
      candidates_written = true;
    }
    bundle += ' ' + t.mid;
    d.media.push_back(std::move(m));
  }
  if (bundle != "BUNDLE") d.session.lines.insert(d.session.lines.begin() + 4, attribute("group", bundle));
  d.session.add(attribute("msid-semantic", " WMS *"));
  return d;
}

}  // namespace peerkit::sdp
