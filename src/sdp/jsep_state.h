// The JSEP signaling state machine (RFC 9429 §3.2, and the transitions of RTCPeerConnection's
// setLocalDescription / setRemoteDescription in W3C webrtc-pc §4.4.1.5). A wrong call leaves the
// state as it was and returns the error a browser raises (InvalidStateError).
#pragma once

#include <string>
#include <string_view>

#include "common/expected.h"

namespace peerkit::sdp {

enum class SdpType { kOffer, kPranswer, kAnswer, kRollback };
enum class SignalingState {
  kStable,
  kHaveLocalOffer,
  kHaveRemoteOffer,
  kHaveLocalPranswer,
  kHaveRemotePranswer,
  kClosed,
};

std::string_view to_string(SdpType t);       // "offer", "pranswer", "answer", "rollback"
std::string_view to_string(SignalingState s);  // "stable", "have-local-offer", …
Expected<SdpType, std::string> parse_sdp_type(std::string_view text);

struct Transition {
  SignalingState state;
  // A remote offer arrived while our own offer was outstanding (glare): our offer was rolled back
  // first, as browsers do since "perfect negotiation" (webrtc-pc §4.4.1.5, step "If ... type is
  // offer and signalingState is have-local-offer"). The caller discards its local offer.
  bool implicit_rollback = false;
};

class SignalingStateMachine {
 public:
  SignalingState state() const { return state_; }

  Expected<Transition, std::string> set_local(SdpType type);
  Expected<Transition, std::string> set_remote(SdpType type);
  void close() { state_ = SignalingState::kClosed; }

 private:
  Expected<Transition, std::string> apply(bool local, SdpType type);
  SignalingState state_ = SignalingState::kStable;
};

}  // namespace peerkit::sdp
