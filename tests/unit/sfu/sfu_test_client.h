// A browser-like endpoint for the SFU worker's tests: an ICE check (the controlling full
// agent's, nominating), a DTLS client (OpenSSL, a=setup:active), then SRTP (libsrtp2) with the
// keys the handshake exported.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "dtls/context.h"
#include "dtls/transport.h"
#include "ice/stun_check.h"
#include "rtp/packet.h"
#include "srtp/session.h"

namespace peerkit::sfu::test {

struct Client {
  // `role`: the browser's DTLS role. An actpass offer answered active makes the browser the
  // DTLS server (the default here); kClient when the SFU answered passive.
  Client(std::string ufrag, std::string pwd, SocketAddress address,
         const dtls::Fingerprint& server_fingerprint, dtls::Role role = dtls::Role::kServer)
      : ufrag(std::move(ufrag)), pwd(std::move(pwd)), address(address) {
    cert = *dtls::Certificate::generate();
    dtls::TransportOptions o;
    o.role = role;
    o.remote_fingerprints = {server_fingerprint};
    dtls = std::make_unique<dtls::Transport>(*dtls::Context::create(cert), o);
  }
  std::vector<std::byte> check() const {
    ice::CheckRequest c;
    c.local_ufrag = "brws";
    c.remote_ufrag = ufrag;
    c.remote_pwd = pwd;
    c.priority = 2130706431;
    c.controlling = true;
    c.tie_breaker = 7;
    c.use_candidate = true;
    std::array<std::byte, ice::kMaxCheckMessage> buf{};
    stun::TransactionId tid;
    tid.bytes[0] = std::byte{static_cast<unsigned char>(address.port() & 0xff)};
    auto b = ice::build_check_request(buf, tid, c);
    return {b.begin(), b.end()};
  }
  void keys() {
    auto k = dtls->srtp_keying();
    ASSERT_TRUE(k);
    auto session = srtp::Session::create(
        {k->profile, k->local_key, k->local_salt, k->remote_key, k->remote_salt});
    ASSERT_TRUE(session);
    srtp = std::move(*session);
  }
  std::vector<std::byte> protect(ByteSpan plain, bool rtcp) {
    std::vector<std::byte> buf(plain.size() + srtp::kMaxOverhead);
    std::memcpy(buf.data(), plain.data(), plain.size());
    auto n = rtcp ? srtp->protect_rtcp(buf, plain.size()) : srtp->protect_rtp(buf, plain.size());
    EXPECT_TRUE(n);
    buf.resize(n ? *n : 0);
    return buf;
  }
  std::optional<std::vector<std::byte>> unprotect(std::vector<std::byte> b) {
    const bool rtcp = rtp::is_rtcp(b);
    const std::size_t len = b.size();
    b.resize(len + srtp::kMaxOverhead);
    auto n = rtcp ? srtp->unprotect_rtcp(b, len) : srtp->unprotect_rtp(b, len);
    if (!n) return std::nullopt;
    b.resize(*n);
    return b;
  }

  std::string ufrag, pwd;
  SocketAddress address;
  std::shared_ptr<const dtls::Certificate> cert;
  std::unique_ptr<dtls::Transport> dtls;
  std::unique_ptr<srtp::Session> srtp;
  std::vector<std::vector<std::byte>> inbox;  // what the SFU sent it (after the handshake)
  int stun_answers = 0;
};

}  // namespace peerkit::sfu::test
