#include "stun/constants.h"

namespace peerkit::stun {

bool attr::is_known_required(std::uint16_t type) {
  switch (type) {
    case kMappedAddress:
    case kChangeRequest:
    case kUsername:
    case kMessageIntegrity:
    case kErrorCode:
    case kUnknownAttributes:
    case kChannelNumber:
    case kLifetime:
    case kXorPeerAddress:
    case kData:
    case kRealm:
    case kNonce:
    case kXorRelayedAddress:
    case kRequestedAddressFamily:
    case kEvenPort:
    case kRequestedTransport:
    case kDontFragment:
    case kMessageIntegritySha256:
    case kPasswordAlgorithm:
    case kUserhash:
    case kXorMappedAddress:
    case kReservationToken:
    case kPriority:
    case kUseCandidate:
    case kPadding:
    case kResponsePort:
      return true;
    default:
      return false;
  }
}

// RFC 8489 §14.8 and RFC 8656 §19 recommended reason phrases; sent only when the operator
// enables them (they make unauthenticated responses larger, see docs/turn.md).
const char* error::reason_phrase(int code) {
  switch (code) {
    case kTryAlternate:
      return "Try Alternate";
    case kBadRequest:
      return "Bad Request";
    case kUnauthorized:
      return "Unauthenticated";
    case kForbidden:
      return "Forbidden";
    case kUnknownAttribute:
      return "Unknown Attribute";
    case kAllocationMismatch:
      return "Allocation Mismatch";
    case kStaleNonce:
      return "Stale Nonce";
    case kAddressFamilyNotSupported:
      return "Address Family not Supported";
    case kWrongCredentials:
      return "Wrong Credentials";
    case kUnsupportedTransportProtocol:
      return "Unsupported Transport Protocol";
    case kPeerAddressFamilyMismatch:
      return "Peer Address Family Mismatch";
    case kAllocationQuotaReached:
      return "Allocation Quota Reached";
    case kRoleConflict:
      return "Role Conflict";
    case kServerError:
      return "Server Error";
    case kInsufficientCapacity:
      return "Insufficient Capacity";
    default:
      return "";
  }
}

}  // namespace peerkit::stun
