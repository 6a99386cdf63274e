#include "sdp/jsep_state.h"

#include <optional>

namespace peerkit::sdp {
namespace {

using S = SignalingState;
using T = SdpType;

// The next state for a description applied locally or remotely, or nullopt when JSEP forbids it
// (rollback handled by the caller).
std::optional<S> next(S s, bool local, T t) {
  switch (s) {
    case S::kStable:
      if (t == T::kOffer) return local ? S::kHaveLocalOffer : S::kHaveRemoteOffer;
      return std::nullopt;
    case S::kHaveLocalOffer:
      if (local && t == T::kOffer) return S::kHaveLocalOffer;  // a new local offer replaces it
      if (!local && t == T::kAnswer) return S::kStable;
      if (!local && t == T::kPranswer) return S::kHaveRemotePranswer;
      return std::nullopt;
    case S::kHaveRemoteOffer:
      if (!local && t == T::kOffer) return S::kHaveRemoteOffer;
      if (local && t == T::kAnswer) return S::kStable;
      if (local && t == T::kPranswer) return S::kHaveLocalPranswer;
      return std::nullopt;
    case S::kHaveLocalPranswer:
      if (local && t == T::kPranswer) return S::kHaveLocalPranswer;
      if (local && t == T::kAnswer) return S::kStable;
      return std::nullopt;
    case S::kHaveRemotePranswer:
      if (!local && t == T::kPranswer) return S::kHaveRemotePranswer;
      if (!local && t == T::kAnswer) return S::kStable;
      return std::nullopt;
    case S::kClosed:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string refusal(S s, bool local, T t) {
  return std::string("InvalidStateError: cannot set ") + (local ? "local " : "remote ") +
         std::string(to_string(t)) + " in state " + std::string(to_string(s));
}

}  // namespace

std::string_view to_string(SdpType t) {
  switch (t) {
    case T::kOffer: return "offer";
    case T::kPranswer: return "pranswer";
    case T::kAnswer: return "answer";
    case T::kRollback: return "rollback";
  }
  return "offer";
}

std::string_view to_string(SignalingState s) {
  switch (s) {
    case S::kStable: return "stable";
    case S::kHaveLocalOffer: return "have-local-offer";
    case S::kHaveRemoteOffer: return "have-remote-offer";
    case S::kHaveLocalPranswer: return "have-local-pranswer";
    case S::kHaveRemotePranswer: return "have-remote-pranswer";
    case S::kClosed: return "closed";
  }
  return "closed";
}

Expected<SdpType, std::string> parse_sdp_type(std::string_view text) {
  if (text == "offer") return T::kOffer;
  if (text == "pranswer") return T::kPranswer;
  if (text == "answer") return T::kAnswer;
  if (text == "rollback") return T::kRollback;
  return Unexpected("unknown SDP type '" + std::string(text.substr(0, 32)) + "'");
}

Expected<Transition, std::string> SignalingStateMachine::set_local(SdpType type) {
  return apply(true, type);
}

Expected<Transition, std::string> SignalingStateMachine::set_remote(SdpType type) {
  return apply(false, type);
}

Expected<Transition, std::string> SignalingStateMachine::apply(bool local, SdpType type) {
  if (state_ == S::kClosed) return Unexpected(refusal(state_, local, type));
  if (type == T::kRollback) {
    // RFC 9429 §5.7: rollback undoes an offer that has not been answered.
    if (state_ != S::kHaveLocalOffer && state_ != S::kHaveRemoteOffer)
      return Unexpected(refusal(state_, local, type));
    state_ = S::kStable;
    return Transition{state_, false};
  }
  bool rolled_back = false;
  S from = state_;
  if (!local && type == T::kOffer && from == S::kHaveLocalOffer) {
    from = S::kStable;  // glare: our own offer gives way
    rolled_back = true;
  }
  const auto to = next(from, local, type);
  if (!to) return Unexpected(refusal(state_, local, type));
  state_ = *to;
  return Transition{state_, rolled_back};
}

}  // namespace peerkit::sdp
