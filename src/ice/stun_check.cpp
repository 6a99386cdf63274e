#include "ice/stun_check.h"

#include "stun/attributes.h"
#include "stun/constants.h"
#include "stun/integrity.h"

namespace peerkit::ice {
namespace {

ByteSpan key_of(std::string_view pwd) {
  return as_bytes(pwd);
}

}  // namespace

ByteSpan build_check_request(MutableByteSpan buffer, const stun::TransactionId& tid,
                             const CheckRequest& r) {
  stun::MessageBuilder b(buffer, stun::Method::kBinding, stun::MessageClass::kRequest, tid);
  std::string username;
  username.reserve(r.remote_ufrag.size() + 1 + r.local_ufrag.size());
  username.append(r.remote_ufrag).append(":").append(r.local_ufrag);
  b.add(stun::attr::kUsername, username);
  b.add_u32(stun::attr::kPriority, r.priority);
  b.add_u64(r.controlling ? stun::attr::kIceControlling : stun::attr::kIceControlled,
            r.tie_breaker);
  if (r.use_candidate) b.add_empty(stun::attr::kUseCandidate);
  b.add_message_integrity(key_of(r.remote_pwd));
  b.add_fingerprint();
  return b.finish();
}

Expected<IncomingCheck, CheckRejection> verify_check_request(const stun::MessageView& m,
                                                             std::string_view local_ufrag,
                                                             std::string_view local_pwd) {
  if (m.message_class() != stun::MessageClass::kRequest || m.method() != stun::Method::kBinding)
    return Unexpected(CheckRejection{0});
  if (!stun::verify_fingerprint(m)) return Unexpected(CheckRejection{0});
  const auto username_attr = m.find(stun::attr::kUsername);
  if (!username_attr || !m.integrity_offset()) return Unexpected(CheckRejection{400});
  const auto username = stun::decode_text(*username_attr, stun::kMaxUsernameBytes);
  if (!username) return Unexpected(CheckRejection{400});
  const auto colon = username->find(':');
  // RFC 8489 §9.1.3: an unknown username is a 401.
  if (colon == std::string_view::npos || username->substr(0, colon) != local_ufrag)
    return Unexpected(CheckRejection{401});
  if (!stun::verify_message_integrity(m, key_of(local_pwd))) return Unexpected(CheckRejection{401});

  IncomingCheck check;
  check.remote_ufrag = username->substr(colon + 1);
  const auto priority = m.find(stun::attr::kPriority);
  const auto controlling = m.find(stun::attr::kIceControlling);
  const auto controlled = m.find(stun::attr::kIceControlled);
  // §7.1.2: PRIORITY and one role attribute are mandatory in every check.
  if (!priority || controlling.has_value() == controlled.has_value())
    return Unexpected(CheckRejection{400});
  const auto p = stun::decode_u32(*priority);
  const auto t = stun::decode_u64(controlling ? *controlling : *controlled);
  if (!p || !t || *p == 0) return Unexpected(CheckRejection{400});
  check.priority = *p;
  check.tie_breaker = *t;
  check.remote_controlling = controlling.has_value();
  check.use_candidate = m.has(stun::attr::kUseCandidate);
  return check;
}

ByteSpan build_check_success(MutableByteSpan buffer, const stun::TransactionId& tid,
                             const SocketAddress& mapped, std::string_view local_pwd) {
  stun::MessageBuilder b(buffer, stun::Method::kBinding, stun::MessageClass::kSuccess, tid);
  stun::add_xor_address(b, stun::attr::kXorMappedAddress, mapped);
  b.add_message_integrity(key_of(local_pwd));
  b.add_fingerprint();
  return b.finish();
}

ByteSpan build_check_error(MutableByteSpan buffer, const stun::TransactionId& tid, int code,
                           std::string_view local_pwd) {
  stun::MessageBuilder b(buffer, stun::Method::kBinding, stun::MessageClass::kError, tid);
  b.add_error(code, "");
  if (code != 400 && code != 401) b.add_message_integrity(key_of(local_pwd));
  b.add_fingerprint();
  return b.finish();
}

std::optional<CheckResponse> verify_check_response(const stun::MessageView& m,
                                                   std::string_view remote_pwd) {
  if (m.method() != stun::Method::kBinding) return std::nullopt;
  if (m.has(stun::attr::kFingerprint) && !stun::verify_fingerprint(m)) return std::nullopt;
  CheckResponse r;
  if (m.message_class() == stun::MessageClass::kSuccess) {
    if (!m.integrity_offset() || !stun::verify_message_integrity(m, key_of(remote_pwd)))
      return std::nullopt;
    r.success = true;
    if (const auto x = m.find(stun::attr::kXorMappedAddress))
      r.mapped = stun::decode_xor_address(*x, m.transaction_id());
    if (!r.mapped) return std::nullopt;  // §7.2.5.2.1 needs the mapped address
    return r;
  }
  if (m.message_class() != stun::MessageClass::kError) return std::nullopt;
  const auto error = stun::find_error_code(m);
  if (!error) return std::nullopt;
  // 487 changes our role, so it must be authentic; 400/401 cannot be (the peer could not
  // authenticate us) and only fail the check, which a forged one could do anyway by loss.
  if (error->code == 487 &&
      (!m.integrity_offset() || !stun::verify_message_integrity(m, key_of(remote_pwd))))
    return std::nullopt;
  r.error_code = error->code;
  return r;
}

}  // namespace peerkit::ice
