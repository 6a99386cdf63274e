// The STUN messages of ICE connectivity checks (RFC 8445 §7.1-§7.3): Binding requests that
// carry USERNAME "remote-ufrag:local-ufrag", PRIORITY, ICE-CONTROLLING or ICE-CONTROLLED with
// the tie-breaker, optionally USE-CANDIDATE, short-term MESSAGE-INTEGRITY keyed by the
// receiver's password, and FINGERPRINT (RFC 8445 §7.1.2: always present so that checks can be
// told apart from media on the same port).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/address.h"
#include "common/bytes.h"
#include "common/expected.h"
#include "stun/message.h"

namespace peerkit::ice {

// Enough for every check message this file writes (USERNAME ≤ 2×256 + 1 bytes).
inline constexpr std::size_t kMaxCheckMessage = 640;

struct CheckRequest {
  std::string_view local_ufrag;   // ours: after the colon
  std::string_view remote_ufrag;  // the peer's: before the colon
  std::string_view remote_pwd;    // keys MESSAGE-INTEGRITY
  std::uint32_t priority = 0;     // of the peer-reflexive candidate this check could create
  bool controlling = false;
  std::uint64_t tie_breaker = 0;
  bool use_candidate = false;  // regular nomination (RFC 8445 §8.1.1)
};

// Writes the request into `buffer`; empty if the buffer is too small.
ByteSpan build_check_request(MutableByteSpan buffer, const stun::TransactionId& tid,
                             const CheckRequest& request);

// A Binding request that passed §7.3's checks.
struct IncomingCheck {
  std::string_view remote_ufrag;  // the sender's ufrag: the part after the colon
  std::uint32_t priority = 0;
  bool remote_controlling = false;  // ICE-CONTROLLING present (else ICE-CONTROLLED)
  std::uint64_t tie_breaker = 0;
  bool use_candidate = false;
};

// What to do with a request that failed: answer with this STUN error code (400, 401), or
// drop it silently (code 0: no FINGERPRINT, wrong FINGERPRINT — it may not even be ICE).
struct CheckRejection {
  int code = 0;
};

// RFC 8445 §7.3 / RFC 8489 §9.1.3: FINGERPRINT, USERNAME whose first part is `local_ufrag`,
// MESSAGE-INTEGRITY with `local_pwd`, PRIORITY, and exactly one of the role attributes.
Expected<IncomingCheck, CheckRejection> verify_check_request(const stun::MessageView& request,
                                                             std::string_view local_ufrag,
                                                             std::string_view local_pwd);

// §7.3.1.2: success response with XOR-MAPPED-ADDRESS = the request's source, keyed by our pwd.
ByteSpan build_check_success(MutableByteSpan buffer, const stun::TransactionId& tid,
                             const SocketAddress& mapped, std::string_view local_pwd);
// Error response (400, 401, 487). 401 and 400 go without integrity: the sender could not be
// authenticated (RFC 8489 §9.1.3); 487 carries it.
ByteSpan build_check_error(MutableByteSpan buffer, const stun::TransactionId& tid, int code,
                           std::string_view local_pwd);

// A response to one of our checks, authenticated with the pwd the request was keyed with.
struct CheckResponse {
  bool success = false;
  int error_code = 0;                   // when !success
  std::optional<SocketAddress> mapped;  // XOR-MAPPED-ADDRESS, when success
};
// nullopt when the response does not authenticate (RFC 8445 §7.2.5.1 drops it).
std::optional<CheckResponse> verify_check_response(const stun::MessageView& response,
                                                   std::string_view remote_pwd);

}  // namespace peerkit::ice
