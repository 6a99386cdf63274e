// srtp::Session (srtp/session.h) keyed from two real DTLS transports that handshook in memory:
// RTP and RTCP round trips both ways for both profiles, tampering, replay, the ROC across a
// sequence wrap, bad keys and the SSRC cap.
#include "srtp/session.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "../dtls/dtls_pair.h"

namespace peerkit::srtp {
namespace {

using Buffer = std::array<std::byte, kMaxPacket + kMaxOverhead>;

Keys keys_of(const dtls::Transport& t) {
  const auto k = t.srtp_keying();
  EXPECT_TRUE(k.has_value());
  if (!k) return {};
  return Keys{k->profile, k->local_key, k->local_salt, k->remote_key, k->remote_salt};
}

// Two sessions from one DTLS handshake that offered only `profile_name`.
struct Sessions {
  std::unique_ptr<Session> client, server;
};
Sessions handshake(const char* profile_name, std::uint16_t expect_profile) {
  dtls::test::Pair p;
  dtls::ContextOptions o;
  o.srtp_profiles = profile_name;
  dtls::TransportOptions co, so;
  co.role = dtls::Role::kClient;
  so.role = dtls::Role::kServer;
  co.remote_fingerprints = {p.server_cert->fingerprint()};
  so.remote_fingerprints = {p.client_cert->fingerprint()};
  p.client = std::make_unique<dtls::Transport>(*dtls::Context::create(p.client_cert, o), co);
  p.server = std::make_unique<dtls::Transport>(*dtls::Context::create(p.server_cert, o), so);
  p.connect();
  EXPECT_EQ(p.client->state(), dtls::State::kConnected) << p.client->failure();
  EXPECT_EQ(p.server->state(), dtls::State::kConnected) << p.server->failure();
  const Keys ck = keys_of(*p.client), sk = keys_of(*p.server);
  EXPECT_EQ(ck.profile, expect_profile);
  EXPECT_EQ(ck.local_key, sk.remote_key);  // RFC 5764 §4.2: each side's local is the other's remote
  auto c = Session::create(ck);
  auto s = Session::create(sk);
  EXPECT_TRUE(c.has_value());
  EXPECT_TRUE(s.has_value());
  if (!c || !s) return {};
  return {std::move(*c), std::move(*s)};
}

// A minimal RTP packet (RFC 3550 §5.1): V=2, PT 96, then a recognisable payload.
std::size_t rtp(Buffer& b, std::uint16_t seq, std::uint32_t ssrc, std::size_t payload = 100) {
  b.fill(std::byte{0});
  b[0] = std::byte{0x80};
  b[1] = std::byte{96};
  b[2] = std::byte(seq >> 8);
  b[3] = std::byte(seq);
  const std::uint32_t ts = 90000u + seq;
  for (int i = 0; i < 4; ++i) b[4 + i] = std::byte(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) b[8 + i] = std::byte(ssrc >> (24 - 8 * i));
  for (std::size_t i = 0; i < payload; ++i) b[12 + i] = std::byte(i * 7 + seq);
  return 12 + payload;
}

// A receiver report with no report blocks (RFC 3550 §6.4.2): 8 bytes, a valid compound packet.
std::size_t rtcp_rr(Buffer& b, std::uint32_t ssrc) {
  b.fill(std::byte{0});
  b[0] = std::byte{0x80};
  b[1] = std::byte{201};
  b[2] = std::byte{0};
  b[3] = std::byte{1};
  for (int i = 0; i < 4; ++i) b[4 + i] = std::byte(ssrc >> (24 - 8 * i));
  return 8;
}

void round_trips(Session& from, Session& to, std::uint32_t ssrc, std::size_t tag) {
  Buffer b, plain;
  for (std::uint16_t seq = 1000; seq < 1010; ++seq) {
    const std::size_t n = rtp(b, seq, ssrc);
    plain = b;
    auto p = from.protect_rtp(b, n);
    ASSERT_TRUE(p.has_value()) << to_string(p.error());
    EXPECT_EQ(*p, n + tag);
    EXPECT_NE(0, std::memcmp(b.data() + 12, plain.data() + 12, n - 12)) << "payload encrypted";
    auto u = to.unprotect_rtp(b, *p);
    ASSERT_TRUE(u.has_value()) << to_string(u.error());
    ASSERT_EQ(*u, n);
    EXPECT_EQ(0, std::memcmp(b.data(), plain.data(), n));
  }
  const std::size_t n = rtcp_rr(b, ssrc);
  plain = b;
  auto p = from.protect_rtcp(b, n);
  ASSERT_TRUE(p.has_value()) << to_string(p.error());
  EXPECT_EQ(*p, n + 4 + tag);  // RFC 3711 §3.4: E flag + SRTCP index, then the tag
  auto u = to.unprotect_rtcp(b, *p);
  ASSERT_TRUE(u.has_value()) << to_string(u.error());
  ASSERT_EQ(*u, n);
  EXPECT_EQ(0, std::memcmp(b.data(), plain.data(), n));
}

TEST(SrtpSession, GcmRoundTripsBothWaysFromDtlsKeys) {
  auto s = handshake("SRTP_AEAD_AES_128_GCM", kAeadAes128Gcm);
  ASSERT_TRUE(s.client && s.server);
  round_trips(*s.client, *s.server, 0x11111111, 16);
  round_trips(*s.server, *s.client, 0x22222222, 16);
}

TEST(SrtpSession, AesCmHmacSha1_80RoundTripsBothWaysFromDtlsKeys) {
  auto s = handshake("SRTP_AES128_CM_SHA1_80", kAes128CmHmacSha1_80);
  ASSERT_TRUE(s.client && s.server);
  round_trips(*s.client, *s.server, 0x11111111, 10);
  round_trips(*s.server, *s.client, 0x22222222, 10);
}

TEST(SrtpSession, FlippedBitFailsAuthenticationForRtpAndRtcp) {
  for (auto [name, id] : {std::pair{"SRTP_AEAD_AES_128_GCM", kAeadAes128Gcm},
                          std::pair{"SRTP_AES128_CM_SHA1_80", kAes128CmHmacSha1_80}}) {
    auto s = handshake(name, id);
    ASSERT_TRUE(s.client && s.server);
    Buffer b;
    auto p = s.client->protect_rtp(b, rtp(b, 7, 0xabc));
    ASSERT_TRUE(p.has_value());
    b[20] ^= std::byte{0x01};
    auto u = s.server->unprotect_rtp(b, *p);
    ASSERT_FALSE(u.has_value()) << name;
    EXPECT_EQ(u.error(), Error::kAuthFail) << name;
    EXPECT_EQ(s.server->inbound_ssrcs(), 0u) << "a forged packet adds no stream";

    auto q = s.client->protect_rtcp(b, rtcp_rr(b, 0xabc));
    ASSERT_TRUE(q.has_value());
    b[*q - 1] ^= std::byte{0x80};
    auto v = s.server->unprotect_rtcp(b, *q);
    ASSERT_FALSE(v.has_value());
    EXPECT_EQ(v.error(), Error::kAuthFail) << name;
  }
}

TEST(SrtpSession, SamePacketTwiceIsAReplay) {
  auto s = handshake("SRTP_AEAD_AES_128_GCM", kAeadAes128Gcm);
  ASSERT_TRUE(s.client && s.server);
  Buffer b, copy;
  auto p = s.client->protect_rtp(b, rtp(b, 42, 0x5));
  ASSERT_TRUE(p.has_value());
  copy = b;
  ASSERT_TRUE(s.server->unprotect_rtp(b, *p).has_value());
  auto again = s.server->unprotect_rtp(copy, *p);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), Error::kReplayFail);

  // Far behind the window (kReplayWindow packets later): "old", not "seen".
  Buffer old;
  auto po = s.client->protect_rtp(old, rtp(old, 43, 0x5));
  ASSERT_TRUE(po.has_value());
  for (std::uint16_t seq = 44; seq < 44 + kReplayWindow + 10; ++seq) {
    auto q = s.client->protect_rtp(b, rtp(b, seq, 0x5));
    ASSERT_TRUE(q.has_value());
    ASSERT_TRUE(s.server->unprotect_rtp(b, *q).has_value()) << seq;
  }
  auto late = s.server->unprotect_rtp(old, *po);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error(), Error::kReplayOld);

  // The sender refuses to protect an index twice unless allowed.
  const auto last = static_cast<std::uint16_t>(44 + kReplayWindow + 9);
  auto twice = s.client->protect_rtp(b, rtp(b, last, 0x5));
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error(), Error::kReplayFail);

  // RTCP replay.
  auto r = s.client->protect_rtcp(b, rtcp_rr(b, 0x5));
  ASSERT_TRUE(r.has_value());
  copy = b;
  ASSERT_TRUE(s.server->unprotect_rtcp(b, *r).has_value());
  auto r2 = s.server->unprotect_rtcp(copy, *r);
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error(), Error::kReplayFail);
}

TEST(SrtpSession, SequenceWrapKeepsDecryptingWithTheRolloverCounter) {
  for (auto [name, id] : {std::pair{"SRTP_AEAD_AES_128_GCM", kAeadAes128Gcm},
                          std::pair{"SRTP_AES128_CM_SHA1_80", kAes128CmHmacSha1_80}}) {
    auto s = handshake(name, id);
    ASSERT_TRUE(s.client && s.server);
    Buffer b, plain;
    for (std::uint32_t i = 65530; i < 65536 + 6; ++i) {
      const auto seq = static_cast<std::uint16_t>(i);
      const std::size_t n = rtp(b, seq, 0x77);
      plain = b;
      auto p = s.client->protect_rtp(b, n);
      ASSERT_TRUE(p.has_value()) << seq;
      auto u = s.server->unprotect_rtp(b, *p);
      ASSERT_TRUE(u.has_value()) << name << " seq " << seq << ": " << to_string(u.error());
      EXPECT_EQ(0, std::memcmp(b.data(), plain.data(), n));
    }
  }
}

TEST(SrtpSession, WrongProfileOrKeyLengthsAreBadParam) {
  Keys good{kAeadAes128Gcm, std::vector<std::uint8_t>(16, 1), std::vector<std::uint8_t>(12, 2),
            std::vector<std::uint8_t>(16, 3), std::vector<std::uint8_t>(12, 4)};
  ASSERT_TRUE(Session::create(good).has_value());
  Keys k = good;
  k.profile = 0x0002;  // SRTP_AES128_CM_HMAC_SHA1_32: not supported
  EXPECT_EQ(Session::create(k).error(), Error::kBadParam);
  k = good;
  k.local_salt.resize(14);  // a CM salt with the GCM profile
  EXPECT_EQ(Session::create(k).error(), Error::kBadParam);
  k = good;
  k.profile = kAes128CmHmacSha1_80;  // GCM lengths with the CM profile
  EXPECT_EQ(Session::create(k).error(), Error::kBadParam);
  k = good;
  k.remote_key.resize(32);
  EXPECT_EQ(Session::create(k).error(), Error::kBadParam);
  SessionOptions o;
  o.max_ssrcs = 0;
  EXPECT_EQ(Session::create(good, o).error(), Error::kBadParam);
}

TEST(SrtpSession, PacketBoundsAndSsrcCap) {
  Keys keys{kAeadAes128Gcm, std::vector<std::uint8_t>(16, 1), std::vector<std::uint8_t>(12, 2),
            std::vector<std::uint8_t>(16, 1), std::vector<std::uint8_t>(12, 2)};
  SessionOptions o;
  o.max_ssrcs = 2;
  auto s = Session::create(keys, o);
  ASSERT_TRUE(s.has_value());
  Buffer b;
  const std::size_t n = rtp(b, 1, 1);
  EXPECT_EQ((*s)->protect_rtp(std::span(b).first(n + 10), n).error(), Error::kNoRoom);
  EXPECT_EQ((*s)->protect_rtp(b, 11).error(), Error::kMalformed);
  EXPECT_EQ((*s)->protect_rtp(b, kMaxPacket + 1).error(), Error::kTooLarge);
  b[0] = std::byte{0x40};  // version 1
  EXPECT_EQ((*s)->protect_rtp(b, n).error(), Error::kMalformed);
  ASSERT_TRUE((*s)->protect_rtp(b, rtp(b, 1, 1)).has_value());
  ASSERT_TRUE((*s)->protect_rtp(b, rtp(b, 1, 2)).has_value());
  EXPECT_EQ((*s)->protect_rtp(b, rtp(b, 1, 3)).error(), Error::kTooManySsrcs);
  EXPECT_EQ((*s)->outbound_ssrcs(), 2u);
  (*s)->remove_ssrc(1);
  EXPECT_TRUE((*s)->protect_rtp(b, rtp(b, 1, 3)).has_value());
}

}  // namespace
}  // namespace peerkit::srtp
