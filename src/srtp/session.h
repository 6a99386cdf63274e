// SRTP and SRTCP protection for one DTLS-SRTP association (RFC 5764), over libsrtp2.
//
// A Session holds two libsrtp sessions: outbound (our key and salt: protect) and inbound (the
// peer's: unprotect). libsrtp allows one "any SSRC" template per session, which is why the two
// directions are separate srtp_t objects. Keys come from dtls::Transport::srtp_keying(), which
// already splits the RFC 5764 §4.2 export into ours and the peer's by DTLS role; the caller
// copies its fields into Keys (srtp/ does not link dtls/).
//
// Packets are processed in place: the caller's buffer holds the packet in its first `length`
// bytes and has room for kMaxOverhead more (libsrtp writes up to SRTP_MAX_TRAILER_LEN after the
// packet, plus the 4-byte SRTCP index for RTCP); nothing is allocated per packet once a stream
// exists. Replay protection is on for inbound RTP (window kReplayWindow, RFC 3711 §3.3.2) and
// SRTCP (libsrtp's fixed 128-packet window); libsrtp estimates the rollover counter, so a
// sequence wrap 65535 → 0 keeps decrypting.
//
// Bounds: a packet is at most kMaxPacket bytes before protection. Streams are added on demand
// from the ssrc_any templates (libsrtp clones the template for a new SSRC only after the packet
// authenticated, so strangers cannot add streams), and we cap the distinct SSRCs per direction at
// SessionOptions::max_ssrcs: a further SSRC is refused with kTooManySsrcs before libsrtp sees it,
// so an authenticated but misbehaving peer cannot grow the session without bound.
// remove_ssrc() frees a slot when a track ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/expected.h"

namespace peerkit::srtp {

// SRTPProtectionProfile values (RFC 5764 §4.1.2, RFC 7714 §14.2).
inline constexpr std::uint16_t kAes128CmHmacSha1_80 = 0x0001;
inline constexpr std::uint16_t kAeadAes128Gcm = 0x0007;

inline constexpr std::size_t kMaxPacket = 1500;       // plaintext RTP/RTCP, one Ethernet MTU
inline constexpr std::size_t kMaxOverhead = 144 + 4;  // SRTP_MAX_TRAILER_LEN + SRTCP index
inline constexpr unsigned kReplayWindow = 1024;       // packets, as browsers use

enum class Error {
  kBadParam,        // unknown profile, wrong key/salt length, bad options
  kMalformed,       // shorter than an RTP/RTCP header, or not version 2
  kTooLarge,        // longer than kMaxPacket (protect) or kMaxPacket + overhead (unprotect)
  kNoRoom,          // the buffer lacks kMaxOverhead bytes after the packet
  kAuthFail,        // tag mismatch: tampered, wrong key, or not ours
  kReplayOld,       // index older than the replay window
  kReplayFail,      // index already seen (or a repeated protect)
  kTooManySsrcs,    // a new SSRC past max_ssrcs
  kInternal,        // any other libsrtp status
};
std::string_view to_string(Error e);

struct Keys {
  std::uint16_t profile = 0;
  std::vector<std::uint8_t> local_key, local_salt, remote_key, remote_salt;
};

struct SessionOptions {
  std::size_t max_ssrcs = 64;          // distinct SSRCs per direction
  unsigned replay_window = kReplayWindow;  // 64..32768 (libsrtp's range)
  // Protecting the same RTP index twice is refused (kReplayFail) unless this is set, e.g. for a
  // sender that re-sends a packet from its history without RTX.
  bool allow_repeat_tx = false;
};

class Session {
 public:
  static Expected<std::unique_ptr<Session>, Error> create(const Keys& keys,
                                                           SessionOptions options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Each takes the packet in buffer[0, length) and returns its new length.
  Expected<std::size_t, Error> protect_rtp(MutableByteSpan buffer, std::size_t length);
  Expected<std::size_t, Error> unprotect_rtp(MutableByteSpan buffer, std::size_t length);
  Expected<std::size_t, Error> protect_rtcp(MutableByteSpan buffer, std::size_t length);
  Expected<std::size_t, Error> unprotect_rtcp(MutableByteSpan buffer, std::size_t length);

  // Forgets a stream (both directions) and frees its SSRC slot.
  void remove_ssrc(std::uint32_t ssrc);
  // The inbound direction only: a remote's ended stream. Never our own outbound streams, whose
  // index restarting at 0 would reuse keystream (RFC 3711 §9.1): a remote can name our SSRC.
  void remove_inbound_ssrc(std::uint32_t ssrc);

  std::uint16_t profile() const { return profile_; }
  std::size_t outbound_ssrcs() const { return out_ssrcs_.size(); }
  std::size_t inbound_ssrcs() const { return in_ssrcs_.size(); }

 private:
  struct Impl;
  Session(std::uint16_t profile, SessionOptions options, std::unique_ptr<Impl> impl);
  void remove(std::uint32_t ssrc, bool outbound);
  Expected<std::size_t, Error> run(bool outbound, bool rtcp, MutableByteSpan buffer,
                                   std::size_t length);

  std::uint16_t profile_;
  SessionOptions options_;
  std::unique_ptr<Impl> impl_;
  std::vector<std::uint32_t> out_ssrcs_, in_ssrcs_;  // at most max_ssrcs each
};

}  // namespace peerkit::srtp
