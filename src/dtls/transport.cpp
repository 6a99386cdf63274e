#include "dtls/transport.h"

#include <cstdio>

#include <openssl/err.h>
#include <openssl/srtp.h>

#include <algorithm>
#include <array>

#include "dtls/datagram_bio.h"

namespace peerkit::dtls {
namespace {

// RFC 6347 §4.2.4.1 doubles the retransmission timer up to 60 s; we start lower than its 1 s,
// as browsers do, so that a lost first flight costs 100 ms and not a second.
unsigned int retransmit_timer(SSL* ssl, unsigned int previous_us) {
  const auto* t = static_cast<const Transport*>(SSL_get_app_data(ssl));
  const unsigned int initial = t ? static_cast<unsigned int>(t->initial_retransmit_us()) : 100'000;
  if (previous_us == 0) return initial;
  return std::min<unsigned int>(previous_us * 2, 60'000'000);
}

// One buffer per thread for decrypted records before they are copied into a transport's queue:
// a transport keeps no 16 KiB buffer of its own while idle.
std::array<std::byte, kMaxPlaintext>& scratch() {
  thread_local std::array<std::byte, kMaxPlaintext> buffer;
  return buffer;
}

}  // namespace

// SSL_get_error reads the thread's error queue, so it must be empty before each call; peeking
// first is much cheaper than clearing an empty queue on every record.
static void clear_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

std::string_view to_string(State s) {
  switch (s) {
    case State::kNew: return "new";
    case State::kConnecting: return "connecting";
    case State::kConnected: return "connected";
    case State::kClosed: return "closed";
    case State::kFailed: return "failed";
  }
  return "failed";
}

Transport::Transport(std::shared_ptr<const Context> context, TransportOptions options)
    : context_(std::move(context)), options_(std::move(options)) {
  ssl_.reset(SSL_new(context_->ssl_ctx()));
  BIO* bio = ssl_ ? DatagramBio::create(this) : nullptr;
  if (!ssl_ || !bio) {
    if (bio) BIO_free(bio);
    fail(take_openssl_error("SSL_new failed"));
    return;
  }
  SSL_set_bio(ssl_.get(), bio, bio);  // the SSL owns the BIO from here
  SSL_set_app_data(ssl_.get(), this);
  SSL_set_mtu(ssl_.get(), static_cast<long>(options_.mtu));
  DTLS_set_timer_cb(ssl_.get(), &retransmit_timer);
  if (options_.role == Role::kClient) {
    SSL_set_connect_state(ssl_.get());
  } else {
    SSL_set_accept_state(ssl_.get());
  }
}

Transport::~Transport() {
  if (ssl_) SSL_set_app_data(ssl_.get(), nullptr);
}

std::int64_t Transport::initial_retransmit_us() const {
  return options_.initial_retransmit.us();
}

void Transport::start(Timestamp now) {
  if (state_ != State::kNew) return;
  set_state(State::kConnecting);
  handshake_deadline_ = now + options_.handshake_timeout;
  drive(now);
}

void Transport::set_remote_fingerprints(Timestamp now, std::vector<Fingerprint> fingerprints) {
  options_.remote_fingerprints = std::move(fingerprints);
  if (handshake_done_ && !verified_ && state_ == State::kConnecting) {
    finish_verification();
    update_timer(now);
  }
}

void Transport::handle_datagram(Timestamp now, ByteSpan datagram) {
  if (state_ == State::kNew) start(now);
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  input_ = datagram;
  drive(now);
  input_ = {};  // a datagram OpenSSL did not read (a stray one after close) is dropped
}

void Transport::handle_timeout(Timestamp now) {
  if (state_ == State::kConnecting && handshake_deadline_ && now >= *handshake_deadline_) {
    fail("DTLS handshake timed out");
    return;
  }
  if (retransmit_at_ && now >= *retransmit_at_) {
    // OpenSSL retransmits only once its own clock has passed the deadline too.
    if (DTLSv1_handle_timeout(ssl_.get()) < 0) {
      fail(take_openssl_error("DTLS retransmission limit reached"));
      return;
    }
  }
  update_timer(now);
}

std::optional<Timestamp> Transport::next_timeout() const {
  std::optional<Timestamp> t = retransmit_at_;
  if (state_ == State::kConnecting && handshake_deadline_ && (!t || *handshake_deadline_ < *t))
    t = handshake_deadline_;
  return t;
}

void Transport::drive(Timestamp now) {
  if (!handshake_done_) {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_.get());
    if (r == 1) {
      handshake_done_ = true;
      finish_verification();
    } else {
      const int e = SSL_get_error(ssl_.get(), r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        fail(failure_.empty() ? take_openssl_error("DTLS handshake failed") : failure_);
        return;
      }
    }
  }
  if (handshake_done_) read_application_data();
  update_timer(now);
}

void Transport::read_application_data() {
  auto& buffer = scratch();
  for (;;) {
    clear_errors();
    const int n = SSL_read(ssl_.get(), buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) {
      if (verified_ && state_ == State::kConnected) {
        in_.push(SocketId{}, SocketAddress{}, ByteSpan(buffer.data(), static_cast<std::size_t>(n)));
      } else {
        ++dropped_unverified_;  // never delivered before the fingerprint matched
      }
      continue;
    }
    const int e = SSL_get_error(ssl_.get(), n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return;
    if (e == SSL_ERROR_ZERO_RETURN) {  // the peer's close_notify: answer it and end
      SSL_shutdown(ssl_.get());
      set_state(State::kClosed);
      return;
    }
    fail(take_openssl_error("DTLS read failed"));
    return;
  }
}

bool Transport::check_peer(X509* cert) {
  for (const auto& expected : options_.remote_fingerprints) {
    const auto actual = fingerprint_of(cert, expected.algorithm);
    if (actual && actual->digest == expected.digest) return true;
  }
  return false;
}

void Transport::finish_verification() {
  if (state_ != State::kConnecting) return;
  if (!verified_) {  // not judged during the handshake (the fingerprint came later)
    if (options_.remote_fingerprints.empty()) return;  // wait for the remote description
    X509* peer = SSL_get0_peer_certificate(ssl_.get());
    if (peer == nullptr || !check_peer(peer)) {
      SSL_shutdown(ssl_.get());
      fail("remote certificate does not match the SDP fingerprint");
      return;
    }
    verified_ = true;
  }
  handshake_deadline_.reset();
  set_state(State::kConnected);
}

int Transport::verify_callback(int, X509_STORE_CTX* store) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* t = ssl ? static_cast<Transport*>(SSL_get_app_data(ssl)) : nullptr;
  if (t == nullptr) return 0;
  if (X509_STORE_CTX_get_error_depth(store) > 0) return 1;  // no CA chain is judged
  if (t->options_.remote_fingerprints.empty()) return 1;    // judged when the SDP arrives
  if (t->check_peer(X509_STORE_CTX_get_current_cert(store))) {
    t->verified_ = true;
    return 1;
  }
  // Failing here makes OpenSSL send a bad_certificate alert, so the peer learns why.
  t->failure_ = "remote certificate does not match the SDP fingerprint";
  return 0;
}

Expected<std::size_t, std::string> Transport::send(ByteSpan plaintext) {
  if (state_ != State::kConnected)
    return Unexpected("DTLS transport is " + std::string(to_string(state_)) + ", not connected");
  if (plaintext.size() > max_plaintext())
    return Unexpected("record of " + std::to_string(plaintext.size()) + " bytes exceeds " +
                      std::to_string(max_plaintext()));
  if (plaintext.empty()) return std::size_t{0};
  clear_errors();
  const int n = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
  if (n <= 0) {
    fail(take_openssl_error("DTLS write failed"));
    return Unexpected(failure_);
  }
  return static_cast<std::size_t>(n);
}

std::size_t Transport::max_plaintext() const {
  const std::size_t data_mtu = handshake_done_ ? DTLS_get_data_mtu(ssl_.get()) : 0;
  return data_mtu == 0 ? std::min(options_.mtu, kMaxPlaintext) : std::min(data_mtu, kMaxPlaintext);
}

void Transport::close(Timestamp now) {
  if (state_ == State::kClosed || state_ == State::kFailed) return;
  if (state_ != State::kNew) SSL_shutdown(ssl_.get());
  set_state(State::kClosed);
  update_timer(now);
}

std::optional<State> Transport::poll_state_change() {
  if (next_change_ == changes_.size()) {
    changes_.clear();
    next_change_ = 0;
    return std::nullopt;
  }
  return changes_[next_change_++];
}

std::optional<SrtpKeying> Transport::srtp_keying() const {
  if (state_ != State::kConnected) return std::nullopt;
  const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_.get());
  if (p == nullptr) return std::nullopt;
  std::size_t key = 0, salt = 0;
  switch (p->id) {
    case SRTP_AES128_CM_SHA1_80:
    case SRTP_AES128_CM_SHA1_32: key = 16; salt = 14; break;  // RFC 5764 §4.1.2
    case SRTP_AEAD_AES_128_GCM: key = 16; salt = 12; break;   // RFC 7714 §12
    case SRTP_AEAD_AES_256_GCM: key = 32; salt = 12; break;
    default: return std::nullopt;
  }
  // RFC 5764 §4.2: client key, server key, client salt, server salt.
  std::vector<std::uint8_t> m(2 * (key + salt));
  static constexpr char kLabel[] = "EXTRACTOR-dtls_srtp";
  if (SSL_export_keying_material(ssl_.get(), m.data(), m.size(), kLabel, sizeof kLabel - 1,
                                 nullptr, 0, 0) != 1)
    return std::nullopt;
  auto part = [&](std::size_t at, std::size_t n) {
    return std::vector<std::uint8_t>(m.begin() + static_cast<std::ptrdiff_t>(at),
                                     m.begin() + static_cast<std::ptrdiff_t>(at + n));
  };
  const auto client_key = part(0, key), server_key = part(key, key);
  const auto client_salt = part(2 * key, salt), server_salt = part(2 * key + salt, salt);
  const bool client = options_.role == Role::kClient;
  return SrtpKeying{static_cast<std::uint16_t>(p->id), client ? client_key : server_key,
                    client ? client_salt : server_salt, client ? server_key : client_key,
                    client ? server_salt : client_salt};
}

void Transport::fail(std::string why) {
  if (state_ == State::kFailed) return;
  failure_ = std::move(why);
  retransmit_at_.reset();
  handshake_deadline_.reset();
  set_state(State::kFailed);
}

void Transport::set_state(State s) {
  if (state_ == s) return;
  state_ = s;
  changes_.push_back(s);
}

void Transport::update_timer(Timestamp now) {
  retransmit_at_.reset();
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  timeval tv{};
  if (DTLSv1_get_timeout(ssl_.get(), &tv) == 1)
    retransmit_at_ = now + Duration::micros(std::int64_t{tv.tv_sec} * 1'000'000 + tv.tv_usec);
}

std::string Transport::cipher_name() const {
  if (state_ != State::kConnected) return "";
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  const char* name = c ? SSL_CIPHER_standard_name(c) : nullptr;
  return name ? name : "";
}

std::string Transport::version_hex() const {
  if (state_ != State::kConnected) return "";
  char out[8];
  std::snprintf(out, sizeof out, "%04X", static_cast<unsigned>(SSL_version(ssl_.get())) & 0xFFFFu);
  return out;
}

}  // namespace peerkit::dtls
