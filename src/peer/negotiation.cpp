#include "peer/negotiation.h"

#include <algorithm>

#include "rtp/extensions.h"
#include "sdp/answer.h"
#include "sdp/media_answer.h"
#include "sdp/sfu_offer.h"
#include "sdp/webrtc_params.h"

namespace peerkit::peer {
namespace {

sdp::Fingerprint to_sdp(const dtls::Fingerprint& f) {
  return sdp::Fingerprint{f.algorithm, f.digest};
}

sdp::LocalParameters local_parameters(const LocalIdentity& l, std::uint64_t version) {
  sdp::LocalParameters p;
  p.ice_ufrag = l.ice_ufrag;
  p.ice_pwd = l.ice_pwd;
  p.fingerprint = to_sdp(l.fingerprint);
  p.session_id = l.session_id;
  p.session_version = version;
  p.max_message_size = l.max_message_size;
  return p;
}

constexpr std::string_view kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
// FID pairs kept per received section: one per announced media SSRC, and a section carries one
// source (with simulcast, its layers: at most a handful).
constexpr std::size_t kMaxRtxPairs = 8;

// What our answers say a native receiver does: it reads the mid (RFC 8843 §15), asks for
// keyframes (PLI, FIR), for video asks for what is lost (generic NACK, RFC 4585 §6.2.1) and
// restores RTX retransmissions (RFC 4588), and feeds back transport-wide arrival times
// (transport-cc) so that the sender can estimate the path (media_session.h). No REMB: a sender
// must not wait for feedback that never comes.
sdp::SfuAnswerOptions native_answer_options() {
  sdp::SfuAnswerOptions o;
  o.ice_lite = false;
  o.extensions = {std::string(kMidUri), std::string(rtp::uri::kTransportWideCc)};
  o.rtcp_fb = {"nack", "nack pli", "ccm fir", "transport-cc"};
  o.rtx = true;
  // Only where the offer pairs RTX SSRCs with media SSRCs (a=ssrc-group:FID): an unsignalled
  // RTX stream (Chrome's simulcast, a mid-only offer) has nothing we could restore it to, and
  // without RTX in the answer its retransmissions come plain, which we use.
  o.rtx_needs_ssrc_group = true;
  return o;
}

bool offers_media(const sdp::SessionDescription& d) {
  for (const auto& m : d.media)
    if (!m.rejected() && sdp::is_rtp_media(m)) return true;
  return false;
}

// The section whose transport every bundled section shares: the first one not rejected
// (RFC 8843 §7: the offerer's BUNDLE tag leads the group, and peerkit bundles everything).
const sdp::MediaSection* transport_section(const sdp::SessionDescription& d) {
  for (const auto& m : d.media)
    if (!m.rejected()) return &m;
  return nullptr;
}

// The remote transport's parameters, and its data section's if there is one.
Expected<RemoteParameters, std::string> read_remote(const sdp::SessionDescription& d,
                                                    std::uint64_t our_max) {
  const sdp::MediaSection* transport = transport_section(d);
  if (transport == nullptr) return Unexpected(std::string("the description has no accepted section"));
  RemoteParameters r;
  for (const auto& m : d.media) {
    if (m.rejected()) continue;
    if (const auto p = sdp::data_channel_parameters(m)) {
      r.data = true;
      r.send_max_message_size = sdp::sendable_message_size(our_max, p->max_message_size);
      break;
    }
  }
  auto ice = sdp::ice_parameters(d, *transport);
  if (!ice) return Unexpected(ice.error());
  auto dtls = sdp::dtls_parameters(d, *transport);
  if (!dtls) return Unexpected(dtls.error());
  r.ice_ufrag = ice->ufrag;
  r.ice_pwd = ice->pwd;
  r.ice_lite = ice->ice_lite;
  for (const auto& f : dtls->fingerprints) r.fingerprints.push_back(dtls::Fingerprint{f.algorithm, f.digest});
  r.mid = std::string(transport->mid().value_or(""));
  for (const auto line : sdp::candidates(*transport)) {
    auto c = ice::parse_candidate("candidate:" + std::string(line));
    if (c) r.candidates.push_back(std::move(*c));  // an unreadable candidate is skipped, as browsers do
  }
  r.end_of_candidates = sdp::end_of_candidates(*transport);
  return r;
}

std::optional<std::uint8_t> one_byte_id(std::optional<std::uint16_t> id) {
  if (!id || *id == 0 || *id > 255) return std::nullopt;
  return static_cast<std::uint8_t>(*id);
}

// The sections of a remote offer our answer receives: what build_sfu_answer accepts that the
// remote sends on, with the SSRCs and msid it announced.
std::vector<RemoteParameters::Track> receiving_tracks(const sdp::MediaAnswer& a) {
  std::vector<RemoteParameters::Track> out;
  for (const auto& accepted : a.media) {
    if (accepted.direction != sdp::Direction::kRecvonly) continue;
    const sdp::MediaDescription* offered = nullptr;
    for (const auto& o : a.offered)
      if (o.mid == accepted.mid) offered = &o;
    if (offered == nullptr) continue;
    RemoteParameters::Track t;
    t.mid = accepted.mid;
    t.kind = accepted.kind;
    if (!offered->msids.empty()) {
      t.stream_id = offered->msids.front().stream;
      t.track_id = offered->msids.front().track;
    }
    t.receiving.mid = accepted.mid;
    t.receiving.payload_type = accepted.codec.pt;
    if (accepted.codec.clock_rate > 0) t.receiving.clock_rate = accepted.codec.clock_rate;
    // Our answer keeps the offer's generic NACK (we claim it) for video: then we ask for what
    // is lost, and the retransmissions come plain or, when the answer kept RTX, wrapped.
    t.receiving.nack = accepted.kind == "video" &&
                       std::find(accepted.codec.rtcp_fb.begin(), accepted.codec.rtcp_fb.end(), "nack") !=
                           accepted.codec.rtcp_fb.end();
    // The media SSRCs apart from their RTX partners (a=ssrc-group:FID, RFC 5576 §4.2): the PLI
    // names the first; the partners' packets are restored to them.
    if (accepted.rtx_pt) t.receiving.rtx_payload_type = accepted.rtx_pt;
    std::vector<std::uint32_t> rtx;
    for (const auto& s : offered->ssrcs)
      if (auto r = offered->rtx_ssrc(s.ssrc)) {
        rtx.push_back(*r);
        const std::pair pair{*r, s.ssrc};
        auto& pairs = t.receiving.rtx_ssrcs;
        if (accepted.rtx_pt && pairs.size() < kMaxRtxPairs &&
            std::find(pairs.begin(), pairs.end(), pair) == pairs.end())
          pairs.push_back(pair);
      }
    for (const auto& s : offered->ssrcs)
      if (std::find(rtx.begin(), rtx.end(), s.ssrc) == rtx.end() &&
          std::find(t.receiving.ssrcs.begin(), t.receiving.ssrcs.end(), s.ssrc) == t.receiving.ssrcs.end())
        t.receiving.ssrcs.push_back(s.ssrc);
    t.receiving.mid_extension = one_byte_id(offered->extension_id(kMidUri));
    for (const auto& e : accepted.extensions)
      if (e.uri == rtp::uri::kTransportWideCc) t.receiving.twcc_extension = one_byte_id(e.id);
    out.push_back(std::move(t));
  }
  return out;
}

sdp::Codec local_codec(const std::string& kind) {
  sdp::Codec c;
  if (kind == "audio") {
    c.pt = 111;
    c.name = "opus";
    c.clock_rate = 48000;
    c.channels = 2;
    c.fmtp = "minptime=10;useinbandfec=1";
  } else {
    c.pt = 96;
    c.name = "VP8";
    c.clock_rate = 90000;
  }
  // What a native sender answers: keyframe requests and NACKs. No transport-cc: it runs no
  // send-side estimate, and its offer has no transport-wide numbers to give feedback on.
  if (kind != "audio") c.rtcp_fb = {"nack", "nack pli", "ccm fir"};
  return c;
}

}  // namespace

// RFC 8830 §2: msid-id = 1*64token-char (RFC 4566's token-char). What goes into our a=msid
// lines, so nothing the application passes can add a line of its own.
bool is_msid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`{|}~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// What the answer's a=simulcast:recv (RFC 8853 §5.3) takes of our layers: the listed, unpaused
// ones, in our order, sent with the rid extension — none at all when every one it lists is
// paused (false: the track sends nothing until an answer resumes one). No simulcast, or no rid
// extension to say which layer a packet is: the first layer alone, plain (JSEP, RFC 8829 §5.3.1).
static bool take_simulcast(const LocalTrack& t, const sdp::MediaDescription& answer, SendingTrack& st) {
  st.rid_extension = one_byte_id(answer.extension_id(sdp::kRidUri));
  if (answer.simulcast && st.rid_extension) {
    bool listed = false;
    for (const auto& l : t.layers)
      for (const auto& stream : answer.simulcast->recv) {
        const auto r = std::find_if(stream.begin(), stream.end(),
                                    [&](const sdp::SimulcastRid& x) { return x.rid == l.rid; });
        if (r == stream.end()) continue;
        listed = true;
        if (r->paused) continue;
        st.layers.push_back(l);
        break;
      }
    if (!st.layers.empty()) return true;
    if (listed) return false;  // ours, every one paused
  }
  st.layers.clear();
  st.rid_extension.reset();
  st.ssrc = t.layers.front().ssrc;
  st.plain_rid = t.layers.front().rid;
  return true;
}

std::optional<std::string> track_init_error(const std::string& kind, const std::string& stream_id,
                                            const std::string& track_id,
                                            const std::vector<std::string>& rids) {
  if (kind != "audio" && kind != "video")
    return "TypeError: a track's kind is \"audio\" or \"video\", not \"" + kind + '"';
  if (!rids.empty() && kind != "video")
    return std::string("NotSupportedError: simulcast is for video tracks");
  if (rids.size() > sdp::kMaxSendRids)
    return "RangeError: at most " + std::to_string(sdp::kMaxSendRids) + " simulcast layers";
  for (std::size_t i = 0; i < rids.size(); ++i) {
    if (!sdp::valid_send_rid(rids[i]))
      return "TypeError: \"" + rids[i] + "\" is not a rid (1 to 16 letters, digits, - or _, RFC 8851 §10)";
    if (std::find(rids.begin(), rids.begin() + static_cast<std::ptrdiff_t>(i), rids[i]) != rids.begin() + static_cast<std::ptrdiff_t>(i))
      return "InvalidModificationError: rid \"" + rids[i] + "\" is given twice";
  }
  for (const auto* id : {&stream_id, &track_id})
    if (!id->empty() && !is_msid_id(*id))
      return "SyntaxError: \"" + *id + "\" is not an msid identifier (1 to 64 letters, digits or !#$%&'*+-.^_`{|}~, RFC 8830 §2)";
  return std::nullopt;
}

Negotiation::Negotiation(LocalIdentity local) : local_(std::move(local)) {}

Expected<std::string, std::string> Negotiation::create_offer() {
  const auto s = state_.state();
  if (s != sdp::SignalingState::kStable && s != sdp::SignalingState::kHaveLocalOffer)
    return Unexpected("InvalidStateError: cannot create an offer in state " +
                      std::string(sdp::to_string(s)));
  const auto local = local_parameters(local_, version_);
  // RFC 3264 §8: a re-offer keeps every section; ours would drop the media we receive.
  if (tracks_.empty() && remote_ && !remote_->receiving.empty())
    return Unexpected(std::string(
        "OperationError: renegotiating a connection that receives media is not supported yet (the remote re-offers)"));
  if (tracks_.empty()) return sdp::build_data_offer(local).to_string();
  std::vector<sdp::ForwardedTrack> sections;
  for (const auto& t : tracks_) {
    sdp::ForwardedTrack f;
    f.mid = t.mid;
    f.kind = t.kind;
    f.codec = local_codec(t.kind);
    f.ssrc = t.layers.empty() ? t.ssrc : 0;
    for (const auto& l : t.layers) f.send_rids.push_back(l.rid);
    f.stream_id = t.stream_id;
    f.track_id = t.track_id;
    sections.push_back(std::move(f));
  }
  sdp::SfuOfferOptions o;
  o.ice_lite = false;
  o.cname = local_.ice_ufrag;  // RFC 7022: one random CNAME per connection
  o.audio_extensions = o.video_extensions = {std::string(kMidUri)};
  auto d = sdp::build_sfu_offer(sections, local, extension_ids_, o);
  if (!d) return Unexpected("OperationError: " + d.error());
  if (want_data_) {  // the data section follows the tracks, in the same BUNDLE group
    const std::string mid = std::to_string(tracks_.size());
    auto data = sdp::build_data_offer(local).media.front();
    for (auto& line : data.body.lines)
      if (line.is_attribute("mid")) line = sdp::attribute("mid", mid);
    d->media.push_back(std::move(data));
    for (auto& line : d->session.lines)
      if (line.is_attribute("group") && line.attribute_value() && line.attribute_value()->starts_with("BUNDLE"))
        line = sdp::attribute("group", std::string(*line.attribute_value()) + ' ' + mid);
  }
  return d->to_string();
}

Expected<LocalTrack, std::string> Negotiation::add_track(std::string kind, std::uint32_t ssrc,
                                                         std::string stream_id, std::string track_id,
                                                         std::vector<SendingLayer> layers) {
  std::vector<std::string> rids;
  for (const auto& l : layers) rids.push_back(l.rid);
  if (auto e = track_init_error(kind, stream_id, track_id, rids)) return Unexpected(*e);
  if (negotiated_)
    return Unexpected(std::string(
        "InvalidStateError: tracks are added before the first offer or answer (renegotiating new tracks is not supported yet)"));
  if (tracks_.size() >= 16) return Unexpected(std::string("OperationError: at most 16 tracks per connection"));
  LocalTrack t;
  t.mid = std::to_string(tracks_.size());
  t.kind = std::move(kind);
  t.ssrc = layers.empty() ? ssrc : layers.front().ssrc;
  t.layers = std::move(layers);
  t.stream_id = stream_id.empty() ? local_.ice_ufrag : std::move(stream_id);
  t.track_id = track_id.empty() ? t.kind + '-' + t.mid : std::move(track_id);
  tracks_.push_back(t);
  return t;
}

Expected<std::string, std::string> Negotiation::create_answer() {
  const auto s = state_.state();
  if ((s != sdp::SignalingState::kHaveRemoteOffer && s != sdp::SignalingState::kHaveLocalPranswer) ||
      !remote_offer_)
    return Unexpected("InvalidStateError: cannot create an answer in state " +
                      std::string(sdp::to_string(s)));
  const auto local = local_parameters(local_, version_);
  if (local_.receive_media && offers_media(*remote_offer_)) {
    // What the offer sends is received; a section we cannot take is rejected (port 0).
    if (auto m = sdp::build_sfu_answer(*remote_offer_, local, native_answer_options()))
      return m->description.to_string();
  }
  auto a = sdp::build_answer(*remote_offer_, local);
  if (!a) return Unexpected(a.error());
  return a->description.to_string();
}

Expected<sdp::Transition, std::string> Negotiation::set_local(sdp::SdpType type, std::string_view text) {
  std::optional<sdp::SessionDescription> parsed;
  if (type != sdp::SdpType::kRollback) {
    auto d = sdp::parse(text);
    if (!d) return Unexpected(sdp::to_string(d.error()));
    if (d->media.empty()) return Unexpected(std::string("the description has no media section"));
    parsed = std::move(*d);
  }
  auto t = state_.set_local(type);
  if (!t) return Unexpected(t.error());
  if (type == sdp::SdpType::kRollback) {
    we_offered_ = false;
    return *t;
  }
  local_text_ = std::string(text);
  ++version_;
  negotiated_ = true;
  if (type == sdp::SdpType::kOffer) {
    we_offered_ = true;
    mid_ = std::string(parsed->media.front().mid().value_or("0"));
  } else {
    // Our answer fixes our DTLS role from the setup it carries (RFC 8842 §5.3).
    for (const auto& m : parsed->media) {
      if (m.rejected()) continue;
      if (const auto setup = m.body.first("setup")) local_setup_ = sdp::parse_setup(*setup);
      if (m.mid()) mid_ = std::string(*m.mid());
      break;
    }
    if (remote_ && local_setup_)
      remote_->dtls_role = *local_setup_ == sdp::Setup::kActive ? dtls::Role::kClient : dtls::Role::kServer;
  }
  return *t;
}

Expected<RemoteParameters, std::string> Negotiation::set_remote(sdp::SdpType type, std::string_view text) {
  if (type == sdp::SdpType::kRollback) {
    auto t = state_.set_remote(type);
    if (!t) return Unexpected(t.error());
    remote_offer_.reset();
    return remote_ ? *remote_ : RemoteParameters{};
  }
  auto d = sdp::parse(text);
  if (!d) return Unexpected(sdp::to_string(d.error()));
  auto params = read_remote(*d, local_.max_message_size);
  if (!params) return Unexpected(params.error());
  auto dtls = sdp::dtls_parameters(*d, *transport_section(*d));
  if (!dtls) return Unexpected(dtls.error());
  if (type == sdp::SdpType::kOffer && !tracks_.empty())
    return Unexpected(std::string(
        "OperationError: a connection with tracks of its own offers and takes answers only (answering or renegotiating with tracks is not supported yet)"));
  if (type == sdp::SdpType::kOffer && local_.receive_media && offers_media(*d)) {
    auto a = sdp::build_sfu_answer(*d, local_parameters(local_, version_), native_answer_options());
    if (a) params->receiving = receiving_tracks(*a);
    else if (!params->data) return Unexpected(a.error());
  }
  if (type != sdp::SdpType::kOffer && !tracks_.empty()) {
    // Our tracks the answer takes, with the payload type we offered and the mid id it kept.
    std::vector<sdp::MediaDescription> offered;
    if (auto ours = sdp::parse(local_text_))
      if (auto sections = sdp::parse_media_sections(*ours)) offered = std::move(*sections);
    auto answered = sdp::parse_media_sections(*d);
    if (!answered) return Unexpected(answered.error());
    for (const auto& t : tracks_) {
      const sdp::MediaDescription *o = nullptr, *a = nullptr;
      for (const auto& m : offered) if (m.mid == t.mid) o = &m;
      for (const auto& m : *answered) if (m.mid == t.mid) a = &m;
      if (!o || !a || a->disabled || o->codecs.empty() ||
          (a->direction != sdp::Direction::kRecvonly && a->direction != sdp::Direction::kSendrecv))
        continue;
      SendingTrack st{t.mid, t.ssrc, o->codecs.front().pt, one_byte_id(a->extension_id(kMidUri)), {}, {}, {}};
      if (o->codecs.front().clock_rate > 0) st.clock_rate = o->codecs.front().clock_rate;
      // Video offers nack (RFC 4585 §4.2): about 1 s of packets at a camera's rate, per SSRC.
      if (t.kind == "video") st.history = kVideoRetransmitHistory;
      if (!t.layers.empty() && !take_simulcast(t, *a, st)) continue;
      params->sending.push_back(std::move(st));
    }
  }
  for (const auto& m : d->media)  // RFC 5506: the remote takes reduced-size RTCP
    if (!m.rejected() && sdp::is_rtp_media(m) && m.body.has("rtcp-rsize")) params->rtcp_rsize = true;
  if (type == sdp::SdpType::kOffer) {
    params->ice_role = params->ice_lite ? ice::Role::kControlling : ice::Role::kControlled;
  } else {
    // Their answer's setup decides: active → they are the client, we the server.
    params->ice_role = ice::Role::kControlling;
    if (dtls->setup == sdp::Setup::kActive) params->dtls_role = dtls::Role::kServer;
    else if (dtls->setup == sdp::Setup::kPassive) params->dtls_role = dtls::Role::kClient;
    else return Unexpected("the answer's a=setup:" + std::string(sdp::to_string(dtls->setup)) +
                           " leaves no DTLS role");
  }
  auto t = state_.set_remote(type);  // only now: a refused description changes nothing
  if (!t) return Unexpected(t.error());
  if (t->implicit_rollback) we_offered_ = false;
  remote_text_ = std::string(text);
  negotiated_ = true;
  if (type == sdp::SdpType::kOffer) remote_offer_ = *d;
  remote_ = *params;
  return *params;
}

std::string with_local_candidates(std::string_view sdp, std::string_view mid,
                                  const std::vector<std::string>& candidates, bool complete) {
  if (candidates.empty() && !complete) return std::string(sdp);
  const std::string mid_line = "a=mid:" + std::string(mid) + "\r\n";
  // The section that carries the mid: from its m= line to the next m= line (or the end).
  std::size_t at = std::string_view::npos;
  if (const auto m = sdp.find(mid_line); m != std::string_view::npos) {
    const auto next = sdp.find("\r\nm=", m);
    at = next == std::string_view::npos ? sdp.size() : next + 2;
  }
  if (at == std::string_view::npos) return std::string(sdp);  // no such section: as it was
  std::string lines;
  for (const auto& c : candidates) lines += "a=" + c + "\r\n";
  if (complete) lines += "a=end-of-candidates\r\n";
  std::string out(sdp.substr(0, at));
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  out += lines;
  out += sdp.substr(at);
  return out;
}

}  // namespace peerkit::peer
