// Offer/answer for a PeerConnection (JSEP, RFC 9429): makes our descriptions with sdp/answer.h
// (data channels only) or, once there is media, sdp/sfu_offer.h (our sendonly tracks, the data
// section after them) and sdp/media_answer.h (what a remote offer sends us, received), applies both sides' descriptions through the signaling state machine
// (sdp/jsep_state.h), and says what the rest of the connection needs from the remote one:
// ICE credentials and candidates, DTLS fingerprints and roles, the max message size.
//
// Roles: the offerer is ICE-controlling (RFC 8445 §6.1.1; ice-lite peers aside); DTLS roles
// follow a=setup in the answer (RFC 8842 §5): an answer's "active" makes the answerer the
// DTLS client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "dtls/certificate.h"
#include "dtls/transport.h"
#include "ice/agent_config.h"
#include "ice/candidate.h"
#include "peer/media_session.h"
#include "sdp/media.h"
#include "sdp/jsep_state.h"
#include "sdp/session_description.h"
#include "sdp/webrtc_params.h"

namespace peerkit::peer {

struct LocalIdentity {
  std::string ice_ufrag;
  std::string ice_pwd;
  dtls::Fingerprint fingerprint;
  std::uint64_t session_id = 0;
  std::uint64_t max_message_size = 262144;  // what we accept (advertised)
  bool receive_media = true;  // Configuration::receive_media: a remote's media answered recvonly, or rejected
};

struct RemoteParameters {
  std::string ice_ufrag;
  std::string ice_pwd;
  bool ice_lite = false;
  std::vector<ice::Candidate> candidates;  // inline in the description
  bool end_of_candidates = false;
  std::vector<dtls::Fingerprint> fingerprints;
  ice::Role ice_role = ice::Role::kControlling;  // ours
  std::optional<dtls::Role> dtls_role;           // ours, once an answer fixed it
  std::uint64_t send_max_message_size = 65536;   // what we may send
  std::string mid;                               // the transport (first bundled) section's
  bool data = false;                             // a data-channel section was negotiated
  // A remote offer: the sections that send to us, which our answer receives (ontrack).
  struct Track {
    std::string mid, kind, stream_id, track_id;
    ReceivingTrack receiving;
  };
  std::vector<Track> receiving;
  // A remote answer: those of our tracks it takes (recvonly or sendrecv), as we send them.
  std::vector<SendingTrack> sending;
  bool rtcp_rsize = false;  // a=rtcp-rsize in its RTP sections (RFC 5506)
};

// Why add_track() refuses this kind or these ids (msid tokens, RFC 8830 §2), if it does.
// rids: simulcast layers (video only; at most sdp::kMaxSendRids RFC 8851 rid-ids, each at most
// 16 bytes, none twice).
std::optional<std::string> track_init_error(const std::string& kind, const std::string& stream_id,
                                            const std::string& track_id,
                                            const std::vector<std::string>& rids = {});

// A track we send (PeerConnection::add_track): one sendonly section of our offers.
struct LocalTrack {
  std::string mid, kind;  // "audio" (Opus) or "video" (VP8)
  std::uint32_t ssrc = 0;  // the first layer's, with simulcast
  std::string stream_id, track_id;
  std::vector<SendingLayer> layers;  // simulcast (a=rid send), ascending quality; empty: none
};

// What RTCPeerConnection.localDescription shows: our description with the candidates gathered
// so far as a=candidate lines in the media section of `mid` (the bundled data section), and
// a=end-of-candidates once gathering is complete (RFC 8839 §5.1, RFC 8840 §8.2), so that a
// description read after gathering is enough for a peer that does not trickle.
std::string with_local_candidates(std::string_view sdp, std::string_view mid,
                                  const std::vector<std::string>& candidates, bool complete);

class Negotiation {
 public:
  explicit Negotiation(LocalIdentity local);

  Expected<std::string, std::string> create_offer();
  Expected<std::string, std::string> create_answer();
  Expected<sdp::Transition, std::string> set_local(sdp::SdpType type, std::string_view text);
  // Applies the remote description; its parameters are returned (and kept: parameters()).
  Expected<RemoteParameters, std::string> set_remote(sdp::SdpType type, std::string_view text);
  void close() { state_.close(); }
  // Before the first description only (renegotiating new tracks is not done yet). The mid is
  // chosen here; the SSRC is the caller's.
  // `layers`, when given, are simulcast layers each with its own SSRC (`ssrc` is ignored).
  Expected<LocalTrack, std::string> add_track(std::string kind, std::uint32_t ssrc,
                                              std::string stream_id, std::string track_id,
                                              std::vector<SendingLayer> layers = {});
  // A data channel exists: offers with tracks carry a data section too.
  void want_data() { want_data_ = true; }
  const std::vector<LocalTrack>& local_tracks() const { return tracks_; }

  sdp::SignalingState signaling_state() const { return state_.state(); }
  const std::optional<RemoteParameters>& parameters() const { return remote_; }
  const std::string& local_description() const { return local_text_; }
  const std::string& remote_description() const { return remote_text_; }
  const std::string& mid() const { return mid_; }

 private:
  LocalIdentity local_;
  sdp::SignalingStateMachine state_;
  std::uint64_t version_ = 2;
  std::optional<sdp::SessionDescription> remote_offer_;
  std::optional<RemoteParameters> remote_;
  std::string local_text_, remote_text_;
  std::string mid_ = "0";
  bool we_offered_ = false;
  std::optional<sdp::Setup> local_setup_;
  std::vector<LocalTrack> tracks_;
  sdp::ExtensionIds extension_ids_;
  bool want_data_ = false;
  bool negotiated_ = false;  // a description has been set: the sections are fixed

};

}  // namespace peerkit::peer
