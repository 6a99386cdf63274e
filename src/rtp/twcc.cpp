// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1 feedback parse and build.
#include "rtp/twcc.h"

#include "rtp/rtcp_feedback.h"

namespace peerkit::rtp {

Expected<TransportFeedback, Error> parse_transport_feedback(const RtcpCommon& c) {
  ByteReader r(c.body);
  TransportFeedback f;
  f.sender_ssrc = r.u32();
  f.media_ssrc = r.u32();
  f.base_sequence = r.u16();
  const std::size_t count = r.u16();
  const std::uint32_t ref = r.u32();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  f.feedback_count = static_cast<std::uint8_t>(ref & 0xff);
  f.reference_time = static_cast<std::int32_t>(ref) >> 8;  // arithmetic shift keeps the sign
  f.packets.reserve(count);
  while (f.packets.size() < count) {
    const std::uint16_t chunk = r.u16();
    if (!r.ok()) return Unexpected(Error::kTooShort);
    const std::size_t left = count - f.packets.size();
    if ((chunk & 0x8000) == 0) {
      const auto s = static_cast<std::uint8_t>((chunk >> 13) & 3);
      const std::size_t run = chunk & 0x1fff;
      if (s == 3) return Unexpected(Error::kBadValue);
      if (run == 0) return Unexpected(Error::kBadValue);  // would never make progress
      for (std::size_t i = 0; i < run && i < left; ++i)
        f.packets.push_back({static_cast<TwccStatus>(s), 0});
    } else if ((chunk & 0x4000) == 0) {
      for (int i = 13; i >= 0 && f.packets.size() < count; --i)
        f.packets.push_back({static_cast<TwccStatus>((chunk >> i) & 1), 0});
    } else {
      for (int i = 6; i >= 0 && f.packets.size() < count; --i) {
        const auto s = static_cast<std::uint8_t>((chunk >> (2 * i)) & 3);
        if (s == 3) return Unexpected(Error::kBadValue);
        f.packets.push_back({static_cast<TwccStatus>(s), 0});
      }
    }
  }
  for (auto& p : f.packets) {
    if (p.status == TwccStatus::kSmallDelta) p.delta = r.u8();
    if (p.status == TwccStatus::kLargeDelta) p.delta = static_cast<std::int16_t>(r.u16());
  }
  if (!r.ok()) return Unexpected(Error::kTooShort);
  return f;  // trailing bytes are the zero padding to 32 bits
}

namespace {
bool delta_fits(const TwccPacket& p) {
  switch (p.status) {
    case TwccStatus::kNotReceived:
      return p.delta == 0;
    case TwccStatus::kSmallDelta:
      return p.delta >= 0 && p.delta <= 255;
    case TwccStatus::kLargeDelta:
      return p.delta >= -32768 && p.delta <= 32767;
  }
  return false;
}

// Chooses the next chunk greedily: a run when at least 14 equal statuses follow (a 1-bit vector
// holds no more) or all the rest are equal, else a 1-bit vector if the next 14 are all "not
// received"/"small", else a 2-bit vector. Returns the chunk and how many packets it covers.
std::pair<std::uint16_t, std::size_t> next_chunk(const std::vector<TwccPacket>& p, std::size_t at) {
  const std::size_t left = p.size() - at;
  std::size_t run = 1;
  while (run < left && run < 0x1fff && p[at + run].status == p[at].status) ++run;
  if (run >= 14 || run == left) {
    return {static_cast<std::uint16_t>(static_cast<unsigned>(p[at].status) << 13 | run), run};
  }
  bool one_bit = true;
  for (std::size_t i = 0; i < 14 && i < left; ++i)
    if (p[at + i].status == TwccStatus::kLargeDelta) one_bit = false;
  if (one_bit && left >= 14) {
    std::uint16_t c = 0x8000;
    for (std::size_t i = 0; i < 14; ++i)
      c |= static_cast<std::uint16_t>(static_cast<unsigned>(p[at + i].status) << (13 - i));
    return {c, 14};
  }
  std::uint16_t c = 0xc000;
  const std::size_t n = left < 7 ? left : 7;
  for (std::size_t i = 0; i < n; ++i)
    c |= static_cast<std::uint16_t>(static_cast<unsigned>(p[at + i].status) << (2 * (6 - i)));
  return {c, n};
}
}  // namespace

Expected<bool, Error> write_transport_feedback(const TransportFeedback& f, ByteWriter& w) {
  if (f.packets.size() > 0xffff) return Unexpected(Error::kTooMany);
  if (f.reference_time < -(1 << 23) || f.reference_time >= (1 << 23))
    return Unexpected(Error::kBadValue);
  for (const auto& p : f.packets)
    if (!delta_fits(p)) return Unexpected(Error::kBadValue);
  const auto start = begin_rtcp(w, fb_fmt::kTransportCc, rtcp_type::kRtpfb);
  w.u32(f.sender_ssrc);
  w.u32(f.media_ssrc);
  w.u16(f.base_sequence);
  w.u16(static_cast<std::uint16_t>(f.packets.size()));
  w.u32((static_cast<std::uint32_t>(f.reference_time) << 8) | f.feedback_count);
  for (std::size_t at = 0; at < f.packets.size();) {
    auto [chunk, n] = next_chunk(f.packets, at);
    w.u16(chunk);
    at += n;
  }
  for (const auto& p : f.packets) {
    if (p.status == TwccStatus::kSmallDelta) w.u8(static_cast<std::uint8_t>(p.delta));
    if (p.status == TwccStatus::kLargeDelta)
      w.u16(static_cast<std::uint16_t>(static_cast<std::int16_t>(p.delta)));
  }
  end_rtcp(w, start);
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  return true;
}

}  // namespace peerkit::rtp
