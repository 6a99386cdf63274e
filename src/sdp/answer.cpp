#include "sdp/answer.h"

#include <algorithm>

namespace peerkit::sdp {
namespace detail {

LineList session_lines(const LocalParameters& local) {
  LineList s;
  s.add(Line{'v', "0"});
  s.add(Line{'o', "- " + std::to_string(local.session_id) + ' ' +
                      std::to_string(local.session_version) + " IN IP4 127.0.0.1"});
  s.add(Line{'s', "-"});
  s.add(Line{'t', "0 0"});
  return s;
}

// The transport lines of an accepted section: ICE, DTLS and SCTP (RFC 8839, 8122, 8841).
void add_transport(LineList& body, const LocalParameters& local, Setup setup) {
  body.add(Line{'c', "IN IP4 0.0.0.0"});
  body.add(attribute("ice-ufrag", local.ice_ufrag));
  body.add(attribute("ice-pwd", local.ice_pwd));
  if (local.trickle) body.add(attribute("ice-options", "trickle"));
  body.add(attribute("fingerprint", local.fingerprint.to_string()));
  body.add(attribute("setup", to_string(setup)));
}

MediaSection rejected(const MediaSection& offered) {
  MediaSection m;
  m.media = offered.media;
  m.port = 0;
  m.proto = offered.proto;
  m.formats = {offered.formats.front()};  // RFC 3264 §6: at least one format, even when rejected
  m.body.add(Line{'c', "IN IP4 0.0.0.0"});
  if (const auto mid = offered.mid()) m.body.add(attribute("mid", *mid));
  return m;
}

MediaSection accepted_data_section(const MediaSection& m, const DataChannelParameters& params,
                                   const LocalParameters& local, Setup setup) {
  MediaSection ours;
  ours.media = m.media;
  ours.port = 9;
  ours.proto = m.proto;
  ours.formats = m.formats;
  add_transport(ours.body, local, setup);
  if (m.mid()) ours.body.add(attribute("mid", *m.mid()));
  if (params.form == DataChannelForm::kCurrent) {
    ours.body.add(attribute("sctp-port", std::to_string(local.sctp_port)));
  } else {
    // Legacy form: the SCTP port is the format, described by a=sctpmap.
    ours.formats = {std::to_string(local.sctp_port)};
    ours.body.add(
        attribute("sctpmap", std::to_string(local.sctp_port) + " webrtc-datachannel 1024"));
  }
  ours.body.add(attribute("max-message-size", std::to_string(local.max_message_size)));
  return ours;
}

}  // namespace detail

using detail::add_transport;
using detail::rejected;
using detail::session_lines;

SessionDescription build_data_offer(const LocalParameters& local) {
  SessionDescription d;
  d.session = session_lines(local);
  d.session.add(attribute("group", "BUNDLE 0"));
  MediaSection m;
  m.media = "application";
  m.port = 9;  // RFC 8840 §4.1.1: the port of a description without candidates
  m.proto = "UDP/DTLS/SCTP";
  m.formats = {"webrtc-datachannel"};
  add_transport(m.body, local, Setup::kActpass);
  m.body.add(attribute("mid", "0"));
  m.body.add(attribute("sctp-port", std::to_string(local.sctp_port)));
  m.body.add(attribute("max-message-size", std::to_string(local.max_message_size)));
  d.media.push_back(std::move(m));
  return d;
}

Expected<Setup, std::string> answer_setup(Setup offered) {
  switch (offered) {
    case Setup::kActpass: return Setup::kActive;
    case Setup::kActive: return Setup::kPassive;
    case Setup::kPassive: return Setup::kActive;
    case Setup::kHoldconn: break;
  }
  return Unexpected(std::string("the offer's a=setup:holdconn leaves no DTLS role"));
}

Expected<Answer, std::string> build_answer(const SessionDescription& offer,
                                           const LocalParameters& local) {
  Answer a;
  a.description.session = session_lines(local);
  const MediaSection* data = nullptr;
  for (const auto& m : offer.media) {
    const auto params = m.rejected() ? std::nullopt : data_channel_parameters(m);
    if (data == nullptr && params) {
      auto ice = ice_parameters(offer, m);
      if (!ice) return Unexpected(ice.error());
      auto dtls = dtls_parameters(offer, m);
      if (!dtls) return Unexpected(dtls.error());
      auto setup = answer_setup(dtls->setup);
      if (!setup) return Unexpected(setup.error());
      data = &m;
      a.remote_data = *params;
      a.remote_ice = std::move(*ice);
      a.remote_dtls = std::move(*dtls);
      a.local_setup = *setup;
      a.data_mid = std::string(m.mid().value_or(""));

      a.description.media.push_back(detail::accepted_data_section(m, *params, local, a.local_setup));
    } else {
      a.description.media.push_back(rejected(m));
    }
  }
  if (data == nullptr) return Unexpected(std::string("the offer has no data-channel section"));
  // RFC 8843 §7.3.1: the answer's BUNDLE group holds the accepted sections the offer bundled.
  for (const auto& group : bundle_groups(offer)) {
    if (!a.data_mid.empty() && std::find(group.begin(), group.end(), a.data_mid) != group.end()) {
      a.description.session.lines.insert(a.description.session.lines.begin() + 4,
                                         attribute("group", "BUNDLE " + a.data_mid));
      break;
    }
  }
  return a;
}

}  // namespace peerkit::sdp
