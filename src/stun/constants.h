// STUN wire constants: RFC 8489 §5-§6 (header, classes, methods), §14/§18.3 (attribute
// registry), RFC 8656 §18 (TURN methods and attributes), RFC 8445 §16 (ICE attributes),
// RFC 5780 §7 (NAT behaviour discovery).
#pragma once

#include <cstdint>

namespace peerkit::stun {

inline constexpr std::uint32_t kMagicCookie = 0x2112A442;
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::uint32_t kFingerprintXor = 0x5354554e;  // RFC 8489 §14.7

enum class Method : std::uint16_t {
  kBinding = 0x001,
  kAllocate = 0x003,
  kRefresh = 0x004,
  kSend = 0x006,
  kData = 0x007,
  kCreatePermission = 0x008,
  kChannelBind = 0x009,
};

enum class MessageClass : std::uint8_t { kRequest = 0, kIndication = 1, kSuccess = 2, kError = 3 };

namespace attr {
// Comprehension-required (0x0000-0x7FFF)
inline constexpr std::uint16_t kMappedAddress = 0x0001;
inline constexpr std::uint16_t kChangeRequest = 0x0003;  // RFC 5780
inline constexpr std::uint16_t kUsername = 0x0006;
inline constexpr std::uint16_t kMessageIntegrity = 0x0008;
inline constexpr std::uint16_t kErrorCode = 0x0009;
inline constexpr std::uint16_t kUnknownAttributes = 0x000A;
inline constexpr std::uint16_t kChannelNumber = 0x000C;
inline constexpr std::uint16_t kLifetime = 0x000D;
inline constexpr std::uint16_t kXorPeerAddress = 0x0012;
inline constexpr std::uint16_t kData = 0x0013;
inline constexpr std::uint16_t kRealm = 0x0014;
inline constexpr std::uint16_t kNonce = 0x0015;
inline constexpr std::uint16_t kXorRelayedAddress = 0x0016;
inline constexpr std::uint16_t kRequestedAddressFamily = 0x0017;
inline constexpr std::uint16_t kEvenPort = 0x0018;
inline constexpr std::uint16_t kRequestedTransport = 0x0019;
inline constexpr std::uint16_t kDontFragment = 0x001A;
inline constexpr std::uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr std::uint16_t kPasswordAlgorithm = 0x001D;
inline constexpr std::uint16_t kUserhash = 0x001E;
inline constexpr std::uint16_t kXorMappedAddress = 0x0020;
inline constexpr std::uint16_t kReservationToken = 0x0022;
inline constexpr std::uint16_t kPriority = 0x0024;
inline constexpr std::uint16_t kUseCandidate = 0x0025;
inline constexpr std::uint16_t kPadding = 0x0026;       // RFC 5780
inline constexpr std::uint16_t kResponsePort = 0x0027;  // RFC 5780
// Comprehension-optional (0x8000-0xFFFF)
inline constexpr std::uint16_t kAdditionalAddressFamily = 0x8000;
inline constexpr std::uint16_t kAddressErrorCode = 0x8001;
inline constexpr std::uint16_t kPasswordAlgorithms = 0x8002;
inline constexpr std::uint16_t kAlternateDomain = 0x8003;
inline constexpr std::uint16_t kIcmp = 0x8004;
inline constexpr std::uint16_t kSoftware = 0x8022;
inline constexpr std::uint16_t kAlternateServer = 0x8023;
inline constexpr std::uint16_t kFingerprint = 0x8028;
inline constexpr std::uint16_t kIceControlled = 0x8029;
inline constexpr std::uint16_t kIceControlling = 0x802A;
inline constexpr std::uint16_t kResponseOrigin = 0x802B;  // RFC 5780
inline constexpr std::uint16_t kOtherAddress = 0x802C;    // RFC 5780

inline constexpr bool is_comprehension_required(std::uint16_t type) {
  return type < 0x8000;
}
// True for every comprehension-required attribute this codebase understands; any other one in
// a request earns a 420 (RFC 8489 §6.3.1.1).
bool is_known_required(std::uint16_t type);
}  // namespace attr

namespace error {
inline constexpr int kTryAlternate = 300;
inline constexpr int kBadRequest = 400;
inline constexpr int kUnauthorized = 401;
inline constexpr int kForbidden = 403;
inline constexpr int kUnknownAttribute = 420;
inline constexpr int kAllocationMismatch = 437;
inline constexpr int kStaleNonce = 438;
inline constexpr int kAddressFamilyNotSupported = 440;
inline constexpr int kWrongCredentials = 441;
inline constexpr int kUnsupportedTransportProtocol = 442;
inline constexpr int kPeerAddressFamilyMismatch = 443;
inline constexpr int kAllocationQuotaReached = 486;
inline constexpr int kRoleConflict = 487;
inline constexpr int kServerError = 500;
inline constexpr int kInsufficientCapacity = 508;
const char* reason_phrase(int code);
}  // namespace error

// RFC 8489 §18.5 password algorithm registry.
enum class PasswordAlgorithm : std::uint16_t { kMd5 = 0x0001, kSha256 = 0x0002 };

// Address family codes in XOR-*-ADDRESS and REQUESTED-ADDRESS-FAMILY (RFC 8489 §14.1).
inline constexpr std::uint8_t kFamilyIpv4 = 0x01;
inline constexpr std::uint8_t kFamilyIpv6 = 0x02;

}  // namespace peerkit::stun
