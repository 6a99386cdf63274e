// One DTLS 1.2 association (RFC 6347) as a sans-IO core: datagrams in, records out, plaintext
// out, a timeout the caller drives. OpenSSL does the protocol through a datagram BIO of ours
// (datagram_bio.h), so no socket is involved and every record leaves through transmits().
//
// WebRTC rules (RFC 8827 §6.5, RFC 5763): the role comes from a=setup (active → client); the
// peer's certificate is self-signed and must match a fingerprint from its SDP before any
// application byte is delivered — a mismatch fails the transport (a bad_certificate alert when
// the fingerprint was known during the handshake) and nothing is ever received. When the
// handshake finishes before the remote description has arrived (trickle ICE can connect
// first), the transport waits in kConnecting until set_remote_fingerprints().
//
// Clock: OpenSSL keeps its own retransmission clock (the one leak docs/architecture.md accepts).
// next_timeout() translates its remaining time onto the caller's time line after every input;
// handle_timeout() lets OpenSSL retransmit, which it does only once its own clock agrees. The
// first retransmission comes after 100 ms (not OpenSSL's 1 s), doubling up to 60 s
// (RFC 6347 §4.2.4.1), and the whole handshake is bounded by handshake_timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/expected.h"
#include "common/time.h"
#include "common/transmit.h"
#include "dtls/certificate.h"
#include "dtls/context.h"
#include "dtls/openssl_handles.h"

namespace peerkit::dtls {

enum class Role { kClient, kServer };
enum class State { kNew, kConnecting, kConnected, kClosed, kFailed };
std::string_view to_string(State s);

inline constexpr std::size_t kMaxPlaintext = 16384;  // RFC 6347 §4.1: 2^14 per record

struct TransportOptions {
  Role role = Role::kClient;
  std::vector<Fingerprint> remote_fingerprints;  // from the peer's SDP; may come later
  std::size_t mtu = 1200;                         // largest datagram written
  Duration initial_retransmit = Duration::millis(100);
  Duration handshake_timeout = Duration::seconds(30);
};

// DTLS-SRTP keys (RFC 5764 §4.2), split into ours and the peer's.
struct SrtpKeying {
  std::uint16_t profile = 0;  // SRTPProtectionProfile, e.g. 0x0007 SRTP_AEAD_AES_128_GCM
  std::vector<std::uint8_t> local_key, local_salt, remote_key, remote_salt;
};

// RFC 7983 §7: the first byte of a DTLS record is 20..63.
inline bool looks_like_dtls(ByteSpan datagram) {
  return !datagram.empty() && std::to_integer<int>(datagram[0]) >= 20 &&
         std::to_integer<int>(datagram[0]) <= 63;
}

class Transport {
 public:
  Transport(std::shared_ptr<const Context> context, TransportOptions options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Begins the handshake (the client sends its ClientHello). A server also starts on its first
  // datagram.
  void start(Timestamp now);
  void set_remote_fingerprints(Timestamp now, std::vector<Fingerprint> fingerprints);
  void handle_datagram(Timestamp now, ByteSpan datagram);
  void handle_timeout(Timestamp now);
  std::optional<Timestamp> next_timeout() const;

  // Encrypts one record. Only in kConnected; at most max_plaintext() bytes.
  Expected<std::size_t, std::string> send(ByteSpan plaintext);
  // The largest plaintext that fits one datagram of `mtu` bytes with the negotiated cipher.
  std::size_t max_plaintext() const;
  // Sends close_notify (RFC 5246 §7.2.1) and ends the transport.
  void close(Timestamp now);

  State state() const { return state_; }
  const std::string& failure() const { return failure_; }
  std::optional<State> poll_state_change();
  // Records to send (one datagram each; socket and address unset: the caller routes them).
  TransmitBatch transmits() { return out_.drain(); }
  // Application data, one entry per record, in order.
  TransmitBatch received() { return in_.drain(); }
  std::optional<SrtpKeying> srtp_keying() const;
  Role role() const { return options_.role; }
  // The negotiated suite by its IANA name ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") and the
  // protocol version as W3C webrtc-stats writes it (hex of the wire value: "FEFD" for DTLS 1.2);
  // empty before the handshake.
  std::string cipher_name() const;
  std::string version_hex() const;
  std::uint64_t dropped_unverified() const { return dropped_unverified_; }

  std::int64_t initial_retransmit_us() const;
  // For Context: accepts any chain, judges the leaf by fingerprint.
  static int verify_callback(int preverify_ok, X509_STORE_CTX* store);

 private:
  friend struct DatagramBio;
  void drive(Timestamp now);
  void read_application_data();
  bool check_peer(X509* cert);
  void finish_verification();
  void fail(std::string why);
  void set_state(State s);
  void update_timer(Timestamp now);

  std::shared_ptr<const Context> context_;
  TransportOptions options_;
  SslHandle ssl_;
  State state_ = State::kNew;
  std::string failure_;
  std::vector<State> changes_;
  std::size_t next_change_ = 0;
  TransmitQueue out_;
  TransmitQueue in_;
  ByteSpan input_;  // the datagram OpenSSL reads next (empty: nothing)
  bool handshake_done_ = false;
  bool verified_ = false;
  std::optional<Timestamp> retransmit_at_;
  std::optional<Timestamp> handshake_deadline_;
  std::uint64_t dropped_unverified_ = 0;
};

}  // namespace peerkit::dtls
