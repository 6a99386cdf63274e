#include "peer/negotiation.h"

#include "sdp/answer.h"
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

// The remote data section's parameters, whatever its type.
Expected<RemoteParameters, std::string> read_remote(const sdp::SessionDescription& d,
                                                    std::uint64_t our_max) {
  const sdp::MediaSection* data = nullptr;
  sdp::DataChannelParameters dc;
  for (const auto& m : d.media) {
    if (m.rejected()) continue;
    if (const auto p = sdp::data_channel_parameters(m)) {
      data = &m;
      dc = *p;
      break;
    }
  }
  if (data == nullptr) return Unexpected(std::string("the description has no data-channel section"));
  auto ice = sdp::ice_parameters(d, *data);
  if (!ice) return Unexpected(ice.error());
  auto dtls = sdp::dtls_parameters(d, *data);
  if (!dtls) return Unexpected(dtls.error());
  RemoteParameters r;
  r.ice_ufrag = ice->ufrag;
  r.ice_pwd = ice->pwd;
  r.ice_lite = ice->ice_lite;
  for (const auto& f : dtls->fingerprints) r.fingerprints.push_back(dtls::Fingerprint{f.algorithm, f.digest});
  r.send_max_message_size = sdp::sendable_message_size(our_max, dc.max_message_size);
  r.mid = std::string(data->mid().value_or(""));
  for (const auto line : sdp::candidates(*data)) {
    auto c = ice::parse_candidate("candidate:" + std::string(line));
    if (c) r.candidates.push_back(std::move(*c));  // an unreadable candidate is skipped, as browsers do
  }
  r.end_of_candidates = sdp::end_of_candidates(*data);
  return r;
}

}  // namespace

Negotiation::Negotiation(LocalIdentity local) : local_(std::move(local)) {}

Expected<std::string, std::string> Negotiation::create_offer() {
  const auto s = state_.state();
  if (s != sdp::SignalingState::kStable && s != sdp::SignalingState::kHaveLocalOffer)
    return Unexpected("InvalidStateError: cannot create an offer in state " +
                      std::string(sdp::to_string(s)));
  return sdp::build_data_offer(local_parameters(local_, version_)).to_string();
}

Expected<std::string, std::string> Negotiation::create_answer() {
  const auto s = state_.state();
  if ((s != sdp::SignalingState::kHaveRemoteOffer && s != sdp::SignalingState::kHaveLocalPranswer) ||
      !remote_offer_)
    return Unexpected("InvalidStateError: cannot create an answer in state " +
                      std::string(sdp::to_string(s)));
  auto a = sdp::build_answer(*remote_offer_, local_parameters(local_, version_));
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
  auto dtls = sdp::dtls_parameters(*d, [&]() -> const sdp::MediaSection& {
    for (const auto& m : d->media)
      if (!m.rejected() && sdp::data_channel_parameters(m)) return m;
    return d->media.front();
  }());
  if (!dtls) return Unexpected(dtls.error());
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
