// Test support for the media half (peer/media_session.h): the two ends' DTLS-SRTP keys, RTP
// packets as a packetizer writes them, and a raw SRTP end that writes what a remote of its
// choosing would send (RTCP, RTP with any header) and reads what a session wrote.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "common/time.h"
#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "srtp/session.h"
#include "support/srtp_test_keys.h"

namespace peerkit::peer::media_test {

inline const Timestamp kT0 = Timestamp::from_micros(5'000'000);

inline srtp::Keys keys(bool mirrored) { return testing::srtp_test_keys(mirrored); }

// An RTP packet as a packetizer writes it: its own SSRC and payload type, which the session
// replaces with the negotiated ones.
inline std::vector<std::byte> packet(std::uint16_t seq, std::vector<std::byte> payload,
                              std::uint32_t ssrc = 0xDEAD, std::uint8_t pt = 0) {
  rtp::PacketBuild b;
  b.header.sequence = seq;
  b.header.timestamp = seq * 960u;
  b.header.ssrc = ssrc;
  b.header.payload_type = pt;
  b.payload = payload;
  std::vector<std::byte> out(rtp::packet_size(b));
  const auto n = rtp::build_packet(b, out);
  out.resize(n ? *n : 0);
  return out;
}

// An SRTP end with one side's keys (mirrored: the receiver's), standing beside a session under
// test: it writes RTCP (and raw RTP) that session must read, and reads what that session wrote.
// Each one keeps its own SRTCP index (RFC 3711 §3.4), so two ends with the same keys replay
// each other's.
class RtcpEnd {
 public:
  explicit RtcpEnd(bool mirrored) {
    auto s = srtp::Session::create(keys(mirrored));
    EXPECT_TRUE(s);
    if (s) session_ = std::move(*s);
  }
  std::vector<std::byte> protect(std::vector<rtp::RtcpPacket> packets) {
    std::vector<std::byte> out(srtp::kMaxPacket + srtp::kMaxOverhead);
    const auto n = rtp::build_compound(packets, MutableByteSpan(out.data(), srtp::kMaxPacket));
    EXPECT_TRUE(n);
    if (!n) return {};
    const auto size = session_->protect_rtcp(MutableByteSpan(out.data(), out.size()), *n);
    EXPECT_TRUE(size);
    out.resize(size ? *size : 0);
    return out;
  }
  // An RTP packet exactly as given (SSRC, payload type, extensions: a remote's choice).
  std::vector<std::byte> protect_rtp(std::vector<std::byte> plain) {
    const std::size_t n = plain.size();
    plain.resize(n + srtp::kMaxOverhead);
    const auto size = session_->protect_rtp(MutableByteSpan(plain.data(), plain.size()), n);
    EXPECT_TRUE(size);
    plain.resize(size ? *size : 0);
    return plain;
  }
  std::vector<rtp::RtcpPacket> read(const std::vector<std::byte>& datagram) {
    std::vector<std::byte> plain(datagram);
    plain.resize(plain.size() + srtp::kMaxOverhead);
    const auto n = session_->unprotect_rtcp(MutableByteSpan(plain.data(), plain.size()), datagram.size());
    EXPECT_TRUE(n);
    if (!n) return {};
    auto packets = rtp::parse_compound(ByteSpan(plain.data(), *n));
    EXPECT_TRUE(packets);
    return packets ? std::move(*packets) : std::vector<rtp::RtcpPacket>{};
  }

 private:
  std::unique_ptr<srtp::Session> session_;
};

inline std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int x : v) out.push_back(std::byte(x));
  return out;
}

}  // namespace peerkit::peer::media_test
