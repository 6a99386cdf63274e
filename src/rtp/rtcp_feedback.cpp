// RFC 4585 §6.2.1 NACK, §6.3.1 PLI, RFC 5104 §4.3.1 FIR, draft-alvestrand-rmcat-remb REMB.
#include "rtp/rtcp_feedback.h"

#include <algorithm>

#include "rtp/sequence.h"

namespace peerkit::rtp {

namespace {
constexpr std::uint32_t kRembId = 0x52454d42;  // "REMB"

Expected<bool, Error> finish(ByteWriter& w, std::size_t start) {
  end_rtcp(w, start);
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  return true;
}
}  // namespace

std::vector<std::uint16_t> nack_sequences(const GenericNack& n) {
  std::vector<std::uint16_t> out;
  for (const auto& it : n.items) {
    out.push_back(it.pid);
    for (int i = 0; i < 16; ++i)
      if (it.blp & (1u << i)) out.push_back(static_cast<std::uint16_t>(it.pid + i + 1));
  }
  return out;
}

std::vector<NackItem> nack_items(std::span<const std::uint16_t> lost) {
  // Sort in wrap-aware order relative to the first number so a run across 65535 → 0 stays
  // together; numbers more than half the space away are simply ordered after.
  std::vector<std::uint16_t> s(lost.begin(), lost.end());
  if (s.empty()) return {};
  const std::uint16_t base =
      *std::min_element(s.begin(), s.end(), [](auto a, auto b) { return seq_newer(b, a); });
  std::sort(s.begin(), s.end(), [base](auto a, auto b) {
    return static_cast<std::uint16_t>(a - base) < static_cast<std::uint16_t>(b - base);
  });
  s.erase(std::unique(s.begin(), s.end()), s.end());
  std::vector<NackItem> items;
  for (std::uint16_t seq : s) {
    if (!items.empty()) {
      const std::uint16_t d = static_cast<std::uint16_t>(seq - items.back().pid);
      if (d >= 1 && d <= 16) {
        items.back().blp |= static_cast<std::uint16_t>(1u << (d - 1));
        continue;
      }
    }
    items.push_back({seq, 0});
  }
  return items;
}

Expected<GenericNack, Error> parse_nack(const RtcpCommon& c) {
  ByteReader r(c.body);
  GenericNack n;
  n.sender_ssrc = r.u32();
  n.media_ssrc = r.u32();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  if (r.remaining() % 4 != 0) return Unexpected(Error::kBadLength);
  while (r.remaining() >= 4) {
    NackItem it;
    it.pid = r.u16();
    it.blp = r.u16();
    n.items.push_back(it);
  }
  return n;
}

Expected<Pli, Error> parse_pli(const RtcpCommon& c) {
  ByteReader r(c.body);
  Pli p;
  p.sender_ssrc = r.u32();
  p.media_ssrc = r.u32();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  return p;  // §6.3.1: no FCI; extra bytes are ignored
}

Expected<Fir, Error> parse_fir(const RtcpCommon& c) {
  ByteReader r(c.body);
  Fir f;
  f.sender_ssrc = r.u32();
  (void)r.u32();  // media source SSRC: 0 for FIR (RFC 5104 §4.3.1.2), ignored
  if (!r.ok()) return Unexpected(Error::kTooShort);
  if (r.remaining() % 8 != 0) return Unexpected(Error::kBadLength);
  while (r.remaining() >= 8) {
    FirEntry e;
    e.ssrc = r.u32();
    e.sequence = r.u8();
    r.skip(3);
    f.entries.push_back(e);
  }
  return f;
}

bool is_remb(const RtcpCommon& c) {
  ByteReader r(c.body);
  r.skip(8);
  return r.u32() == kRembId && r.ok();
}

Expected<Remb, Error> parse_remb(const RtcpCommon& c) {
  ByteReader r(c.body);
  Remb m;
  m.sender_ssrc = r.u32();
  (void)r.u32();  // media source: 0 (draft §2.2)
  const std::uint32_t id = r.u32();
  const std::uint8_t num = r.u8();
  const std::uint8_t b0 = r.u8();
  const std::uint16_t b12 = r.u16();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  if (id != kRembId) return Unexpected(Error::kBadValue);
  const unsigned exp = b0 >> 2;
  const std::uint64_t mantissa = (std::uint64_t{b0 & 3u} << 16) | b12;
  if (exp > 46) return Unexpected(Error::kBadValue);  // 18 + 46 bits: the most a uint64 holds
  m.bitrate_bps = mantissa << exp;
  if (r.remaining() < 4u * num) return Unexpected(Error::kBadLength);
  for (unsigned i = 0; i < num; ++i) m.ssrcs.push_back(r.u32());
  return m;
}

Expected<bool, Error> write_nack(const GenericNack& n, ByteWriter& w) {
  const auto start = begin_rtcp(w, fb_fmt::kNack, rtcp_type::kRtpfb);
  w.u32(n.sender_ssrc);
  w.u32(n.media_ssrc);
  for (const auto& it : n.items) {
    w.u16(it.pid);
    w.u16(it.blp);
  }
  return finish(w, start);
}

Expected<bool, Error> write_pli(const Pli& p, ByteWriter& w) {
  const auto start = begin_rtcp(w, fb_fmt::kPli, rtcp_type::kPsfb);
  w.u32(p.sender_ssrc);
  w.u32(p.media_ssrc);
  return finish(w, start);
}

Expected<bool, Error> write_fir(const Fir& f, ByteWriter& w) {
  const auto start = begin_rtcp(w, fb_fmt::kFir, rtcp_type::kPsfb);
  w.u32(f.sender_ssrc);
  w.u32(0);
  for (const auto& e : f.entries) {
    w.u32(e.ssrc);
    w.u8(e.sequence);
    w.zeros(3);
  }
  return finish(w, start);
}

Expected<bool, Error> write_remb(const Remb& m, ByteWriter& w) {
  if (m.ssrcs.size() > 255) return Unexpected(Error::kTooMany);
  unsigned exp = 0;
  while ((m.bitrate_bps >> exp) >= (1u << 18)) ++exp;
  // A value that needs more than 18 significant bits is rounded down: REMB is an upper bound.
  const std::uint32_t mantissa = static_cast<std::uint32_t>(m.bitrate_bps >> exp);
  const auto start = begin_rtcp(w, fb_fmt::kApp, rtcp_type::kPsfb);
  w.u32(m.sender_ssrc);
  w.u32(0);
  w.u32(kRembId);
  w.u8(static_cast<std::uint8_t>(m.ssrcs.size()));
  w.u8(static_cast<std::uint8_t>(exp << 2 | (mantissa >> 16)));
  w.u16(static_cast<std::uint16_t>(mantissa & 0xffff));
  for (auto s : m.ssrcs) w.u32(s);
  return finish(w, start);
}

}  // namespace peerkit::rtp
