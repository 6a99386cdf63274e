// libsrtp2 behind srtp::Session (session.h): policies from the DTLS-SRTP profile, in-place
// protect/unprotect with bounds checked before libsrtp sees a byte, status codes mapped to Error.
#include "srtp/session.h"

#include <srtp2/srtp.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace peerkit::srtp {
namespace {

static_assert(kMaxOverhead >= SRTP_MAX_TRAILER_LEN + 4, "libsrtp may write this far");

// srtp_init() must run once per process before any session. A function-local static is
// initialised exactly once even when several loops create sessions at the same time (C++11
// [stmt.dcl]/4), which is std::call_once without pulling <mutex> into a sans-IO core.
bool library_ready() {
  static const bool ready = srtp_init() == srtp_err_status_ok;
  return ready;
}

struct Layout {
  std::size_t key = 0, salt = 0;
};

// RFC 5764 §4.1.2 and RFC 7714 §12: master key and salt lengths per profile.
bool layout_for(std::uint16_t profile, Layout& out) {
  switch (profile) {
    case kAes128CmHmacSha1_80: out = {16, 14}; return true;
    case kAeadAes128Gcm: out = {16, 12}; return true;
    default: return false;
  }
}

Error from_status(srtp_err_status_t s) {
  switch (s) {
    case srtp_err_status_auth_fail: return Error::kAuthFail;
    case srtp_err_status_replay_old: return Error::kReplayOld;
    case srtp_err_status_replay_fail: return Error::kReplayFail;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err: return Error::kMalformed;
    default: return Error::kInternal;
  }
}

std::uint32_t read_u32(const std::byte* p) {
  return (std::to_integer<std::uint32_t>(p[0]) << 24) | (std::to_integer<std::uint32_t>(p[1]) << 16) |
         (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}

}  // namespace

struct Session::Impl {
  srtp_t out = nullptr;
  srtp_t in = nullptr;
  ~Impl() {
    if (out != nullptr) srtp_dealloc(out);
    if (in != nullptr) srtp_dealloc(in);
  }
};

std::string_view to_string(Error e) {
  switch (e) {
    case Error::kBadParam: return "bad parameter";
    case Error::kMalformed: return "malformed packet";
    case Error::kTooLarge: return "packet too large";
    case Error::kNoRoom: return "no room for the SRTP trailer";
    case Error::kAuthFail: return "authentication failed";
    case Error::kReplayOld: return "replayed packet (older than the window)";
    case Error::kReplayFail: return "replayed packet";
    case Error::kTooManySsrcs: return "too many SSRCs";
    case Error::kInternal: return "libsrtp error";
  }
  return "?";
}

Expected<std::unique_ptr<Session>, Error> Session::create(const Keys& keys, SessionOptions options) {
  Layout l;
  if (!layout_for(keys.profile, l)) return Unexpected(Error::kBadParam);
  if (keys.local_key.size() != l.key || keys.remote_key.size() != l.key ||
      keys.local_salt.size() != l.salt || keys.remote_salt.size() != l.salt)
    return Unexpected(Error::kBadParam);
  if (options.max_ssrcs == 0 || options.replay_window < 64 || options.replay_window > 0x8000)
    return Unexpected(Error::kBadParam);
  if (!library_ready()) return Unexpected(Error::kInternal);

  auto impl = std::make_unique<Impl>();
  auto make = [&](bool outbound, srtp_t& into) {
    // libsrtp takes the master key and salt as one buffer, key first.
    std::vector<std::uint8_t> material(outbound ? keys.local_key : keys.remote_key);
    const auto& salt = outbound ? keys.local_salt : keys.remote_salt;
    material.insert(material.end(), salt.begin(), salt.end());
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof policy);
    if (keys.profile == kAeadAes128Gcm) {
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
    }
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = material.data();
    policy.window_size = options.replay_window;
    policy.allow_repeat_tx = options.allow_repeat_tx ? 1 : 0;
    policy.next = nullptr;
    const srtp_err_status_t s = srtp_create(&into, &policy);  // copies the key
    std::fill(material.begin(), material.end(), 0);
    return s == srtp_err_status_ok;
  };
  if (!make(true, impl->out) || !make(false, impl->in)) return Unexpected(Error::kBadParam);
  return std::unique_ptr<Session>(new Session(keys.profile, options, std::move(impl)));
}

Session::Session(std::uint16_t profile, SessionOptions options, std::unique_ptr<Impl> impl)
    : profile_(profile), options_(options), impl_(std::move(impl)) {
  out_ssrcs_.reserve(options_.max_ssrcs);
  in_ssrcs_.reserve(options_.max_ssrcs);
}

Session::~Session() = default;

Expected<std::size_t, Error> Session::run(bool outbound, bool rtcp, MutableByteSpan buffer,
                                          std::size_t length) {
  const std::size_t header = rtcp ? 8 : 12;
  if (length > buffer.size()) return Unexpected(Error::kBadParam);
  if (length < header || (std::to_integer<unsigned>(buffer[0]) >> 6) != 2)
    return Unexpected(Error::kMalformed);
  if (length > (outbound ? kMaxPacket : kMaxPacket + kMaxOverhead))
    return Unexpected(Error::kTooLarge);
  if (outbound && buffer.size() - length < kMaxOverhead) return Unexpected(Error::kNoRoom);

  // The stream is keyed by the sender's SSRC: RTP bytes 8..11, RTCP bytes 4..7.
  const std::uint32_t ssrc = read_u32(buffer.data() + (rtcp ? 4 : 8));
  auto& known = outbound ? out_ssrcs_ : in_ssrcs_;
  const bool is_new = std::find(known.begin(), known.end(), ssrc) == known.end();
  if (is_new && known.size() >= options_.max_ssrcs) return Unexpected(Error::kTooManySsrcs);

  int len = static_cast<int>(length);
  srtp_t s = outbound ? impl_->out : impl_->in;
  void* p = buffer.data();
  const srtp_err_status_t status = outbound ? (rtcp ? srtp_protect_rtcp(s, p, &len)
                                                    : srtp_protect(s, p, &len))
                                            : (rtcp ? srtp_unprotect_rtcp(s, p, &len)
                                                    : srtp_unprotect(s, p, &len));
  if (status != srtp_err_status_ok) return Unexpected(from_status(status));
  if (is_new) known.push_back(ssrc);
  return static_cast<std::size_t>(len);
}

Expected<std::size_t, Error> Session::protect_rtp(MutableByteSpan buffer, std::size_t length) {
  return run(true, false, buffer, length);
}
Expected<std::size_t, Error> Session::unprotect_rtp(MutableByteSpan buffer, std::size_t length) {
  return run(false, false, buffer, length);
}
Expected<std::size_t, Error> Session::protect_rtcp(MutableByteSpan buffer, std::size_t length) {
  return run(true, true, buffer, length);
}
Expected<std::size_t, Error> Session::unprotect_rtcp(MutableByteSpan buffer, std::size_t length) {
  return run(false, true, buffer, length);
}

void Session::remove_ssrc(std::uint32_t ssrc) {
  remove(ssrc, true);
  remove(ssrc, false);
}
void Session::remove_inbound_ssrc(std::uint32_t ssrc) { remove(ssrc, false); }

void Session::remove(std::uint32_t ssrc, bool outbound) {
  for (auto* list : {outbound ? &out_ssrcs_ : &in_ssrcs_}) {
    const auto it = std::find(list->begin(), list->end(), ssrc);
    if (it == list->end()) continue;
    list->erase(it);
    // libsrtp wants the SSRC as it lies in the packet (network byte order).
    const std::byte wire[4] = {std::byte(ssrc >> 24), std::byte(ssrc >> 16), std::byte(ssrc >> 8),
                               std::byte(ssrc)};
    unsigned int key = 0;
    std::memcpy(&key, wire, sizeof key);
    srtp_remove_stream(list == &out_ssrcs_ ? impl_->out : impl_->in, key);
  }
}

}  // namespace peerkit::srtp
