// Builders for the descriptions peerkit writes: a data-channel offer and the answer to a remote
// offer (RFC 9429 §5.2/§5.3 for a WebRTC subset with data channels only). In an answer every
// section but the first data-channel one is rejected with port 0 (RFC 3264 §6, RFC 8843 §7.3.3:
// a rejected section keeps its mid and leaves the BUNDLE group), a form Chrome, Firefox,
// libwebrtc and libdatachannel all accept; media sections are answered this way until peerkit
// has media.
#pragma once

#include <cstdint>
#include <string>

#include "common/expected.h"
#include "sdp/session_description.h"
#include "sdp/webrtc_params.h"

namespace peerkit::sdp {

struct LocalParameters {
  std::string ice_ufrag;
  std::string ice_pwd;
  Fingerprint fingerprint;
  std::uint64_t session_id = 0;      // o= sess-id: < 2^63 (RFC 8866 §5.2, JSEP §5.2.1)
  std::uint64_t session_version = 2;  // o= sess-version, incremented on every new description
  std::uint16_t sctp_port = kDefaultSctpPort;
  std::uint64_t max_message_size = kAdvertisedMaxMessageSize;
  bool trickle = true;
};

// m=application 9 UDP/DTLS/SCTP webrtc-datachannel with mid "0", setup actpass, in one BUNDLE.
SessionDescription build_data_offer(const LocalParameters& local);

// The role peerkit takes in an answer: offer actpass → active (RFC 8842 §5.3: the answerer
// should choose active, so the DTLS handshake starts one round trip earlier); active → passive;
// passive → active; holdconn is refused.
Expected<Setup, std::string> answer_setup(Setup offered);

struct Answer {
  SessionDescription description;
  std::string data_mid;                 // the accepted data-channel section's mid
  DataChannelParameters remote_data;    // what the offer said about it
  IceParameters remote_ice;
  DtlsParameters remote_dtls;
  Setup local_setup = Setup::kActive;
};

// Answers `offer`, accepting its first data-channel section in the form it was offered
// (current or legacy). Fails when there is none, or when its ICE or DTLS parameters are missing.
Expected<Answer, std::string> build_answer(const SessionDescription& offer,
                                           const LocalParameters& local);

// The pieces build_answer() is made of, shared with build_sfu_answer() (media_answer.h).
namespace detail {
LineList session_lines(const LocalParameters& local);  // v=, o=, s=, t=
void add_transport(LineList& body, const LocalParameters& local, Setup setup);  // c=, ICE, DTLS
MediaSection rejected(const MediaSection& offered);  // port 0, keeps the mid
MediaSection accepted_data_section(const MediaSection& m, const DataChannelParameters& params,
                                   const LocalParameters& local, Setup setup);
}  // namespace detail

}  // namespace peerkit::sdp
