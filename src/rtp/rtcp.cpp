// RFC 3550 §6.1 compound packets, §6.4 SR/RR, §6.5 SDES, §6.6 BYE; dispatch to the feedback
// decoders of rtcp_feedback.cpp and twcc.cpp.
#include "rtp/rtcp.h"

#include <optional>

namespace peerkit::rtp {

Expected<std::vector<RtcpCommon>, Error> split_compound(ByteSpan d) {
  std::vector<RtcpCommon> out;
  if (d.size() < 4) return Unexpected(Error::kTooShort);
  std::size_t at = 0;
  while (at < d.size()) {
    ByteReader r(d.subspan(at));
    const std::uint8_t b0 = r.u8();
    const std::uint8_t type = r.u8();
    const std::size_t len = (std::size_t{r.u16()} + 1) * 4;
    if (!r.ok()) return Unexpected(Error::kTooShort);
    if ((b0 >> 6) != 2) return Unexpected(Error::kBadVersion);
    if (len > d.size() - at) return Unexpected(Error::kBadLength);
    ByteSpan body = d.subspan(at + 4, len - 4);
    if (b0 & 0x20) {
      // §6.4.1: the last octet counts padding octets, itself included.
      if (body.empty()) return Unexpected(Error::kBadPadding);
      const auto pad = std::to_integer<std::uint8_t>(body.back());
      if (pad == 0 || pad > body.size()) return Unexpected(Error::kBadPadding);
      body = body.first(body.size() - pad);
    }
    if (out.size() == kMaxCompoundPackets) return Unexpected(Error::kTooMany);
    out.push_back({static_cast<std::uint8_t>(b0 & 0x1f), type, body});
    at += len;
  }
  return out;
}

namespace {
ReportBlock read_block(ByteReader& r) {
  ReportBlock b;
  b.ssrc = r.u32();
  const std::uint32_t lost = r.u32();
  b.fraction_lost = static_cast<std::uint8_t>(lost >> 24);
  // 24-bit two's complement: shift into the top of an int32, then back down arithmetically.
  b.cumulative_lost = static_cast<std::int32_t>(lost << 8) >> 8;
  b.highest_sequence = r.u32();
  b.jitter = r.u32();
  b.last_sr = r.u32();
  b.delay_since_last_sr = r.u32();
  return b;
}

void write_block(const ReportBlock& b, ByteWriter& w) {
  w.u32(b.ssrc);
  w.u32(std::uint32_t{b.fraction_lost} << 24 |
        (static_cast<std::uint32_t>(b.cumulative_lost) & 0xffffff));
  w.u32(b.highest_sequence);
  w.u32(b.jitter);
  w.u32(b.last_sr);
  w.u32(b.delay_since_last_sr);
}

Expected<std::vector<ReportBlock>, Error> read_blocks(ByteReader& r, std::size_t n) {
  if (r.remaining() < n * 24) return Unexpected(Error::kBadLength);
  std::vector<ReportBlock> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(read_block(r));
  return v;  // anything after the blocks is a profile-specific extension (§6.4.1), ignored
}
}  // namespace

Expected<SenderReport, Error> parse_sender_report(const RtcpCommon& c) {
  ByteReader r(c.body);
  SenderReport s;
  s.ssrc = r.u32();
  s.ntp_time = r.u64();
  s.rtp_time = r.u32();
  s.packet_count = r.u32();
  s.octet_count = r.u32();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  auto blocks = read_blocks(r, c.count);
  if (!blocks) return Unexpected(blocks.error());
  s.reports = std::move(*blocks);
  return s;
}

Expected<ReceiverReport, Error> parse_receiver_report(const RtcpCommon& c) {
  ByteReader r(c.body);
  ReceiverReport rr;
  rr.ssrc = r.u32();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  auto blocks = read_blocks(r, c.count);
  if (!blocks) return Unexpected(blocks.error());
  rr.reports = std::move(*blocks);
  return rr;
}

Expected<Sdes, Error> parse_sdes(const RtcpCommon& c) {
  ByteReader r(c.body);
  Sdes s;
  for (unsigned i = 0; i < c.count; ++i) {
    // §6.5: each chunk is an SSRC, items, then a null octet and padding to 32 bits.
    const std::size_t chunk_start = r.position();
    SdesChunk chunk;
    chunk.ssrc = r.u32();
    while (true) {
      const std::uint8_t type = r.u8();
      if (!r.ok()) return Unexpected(Error::kBadLength);
      if (type == 0) break;
      const std::uint8_t len = r.u8();
      ByteSpan text = r.bytes(len);
      if (!r.ok()) return Unexpected(Error::kBadLength);
      chunk.items.push_back({type, std::string(as_string_view(text))});
    }
    const std::size_t used = r.position() - chunk_start;
    r.skip((4 - used % 4) % 4);
    if (!r.ok()) return Unexpected(Error::kBadLength);
    s.chunks.push_back(std::move(chunk));
  }
  return s;
}

Expected<Bye, Error> parse_bye(const RtcpCommon& c) {
  ByteReader r(c.body);
  Bye b;
  for (unsigned i = 0; i < c.count; ++i) b.ssrcs.push_back(r.u32());
  if (!r.ok()) return Unexpected(Error::kBadLength);
  if (r.remaining() > 0) {
    const std::uint8_t len = r.u8();
    ByteSpan text = r.bytes(len);
    if (!r.ok()) return Unexpected(Error::kBadLength);
    b.reason = std::string(as_string_view(text));
  }
  return b;
}

std::string_view first_cname(const Sdes& s) {
  for (const auto& c : s.chunks)
    for (const auto& it : c.items)
      if (it.type == sdes_item::kCname) return it.text;
  return {};
}

Expected<std::vector<RtcpPacket>, Error> parse_compound(ByteSpan datagram) {
  auto parts = split_compound(datagram);
  if (!parts) return Unexpected(parts.error());
  std::vector<RtcpPacket> out;
  auto add = [&out](auto parsed) -> std::optional<Error> {
    if (!parsed) return parsed.error();
    out.emplace_back(std::move(*parsed));
    return std::nullopt;
  };
  for (const auto& c : *parts) {
    std::optional<Error> e;
    switch (c.type) {
      case rtcp_type::kSr:
        e = add(parse_sender_report(c));
        break;
      case rtcp_type::kRr:
        e = add(parse_receiver_report(c));
        break;
      case rtcp_type::kSdes:
        e = add(parse_sdes(c));
        break;
      case rtcp_type::kBye:
        e = add(parse_bye(c));
        break;
      case rtcp_type::kRtpfb:
        if (c.count == fb_fmt::kNack) e = add(parse_nack(c));
        if (c.count == fb_fmt::kTransportCc) e = add(parse_transport_feedback(c));
        break;
      case rtcp_type::kPsfb:
        if (c.count == fb_fmt::kPli) e = add(parse_pli(c));
        if (c.count == fb_fmt::kFir) e = add(parse_fir(c));
        if (c.count == fb_fmt::kApp && is_remb(c)) e = add(parse_remb(c));
        break;
      default:
        break;  // APP, XR and anything newer: skipped
    }
    if (e) return Unexpected(*e);
  }
  return out;
}

namespace {
Expected<bool, Error> finish(ByteWriter& w, std::size_t start) {
  end_rtcp(w, start);
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  return true;
}

Expected<bool, Error> write_one(const SenderReport& s, ByteWriter& w) {
  if (s.reports.size() > 31) return Unexpected(Error::kTooMany);
  const auto start = begin_rtcp(w, static_cast<std::uint8_t>(s.reports.size()), rtcp_type::kSr);
  w.u32(s.ssrc);
  w.u64(s.ntp_time);
  w.u32(s.rtp_time);
  w.u32(s.packet_count);
  w.u32(s.octet_count);
  for (const auto& b : s.reports) write_block(b, w);
  return finish(w, start);
}

Expected<bool, Error> write_one(const ReceiverReport& rr, ByteWriter& w) {
  if (rr.reports.size() > 31) return Unexpected(Error::kTooMany);
  const auto start = begin_rtcp(w, static_cast<std::uint8_t>(rr.reports.size()), rtcp_type::kRr);
  w.u32(rr.ssrc);
  for (const auto& b : rr.reports) write_block(b, w);
  return finish(w, start);
}

Expected<bool, Error> write_one(const Sdes& s, ByteWriter& w) {
  if (s.chunks.size() > 31) return Unexpected(Error::kTooMany);
  const auto start = begin_rtcp(w, static_cast<std::uint8_t>(s.chunks.size()), rtcp_type::kSdes);
  for (const auto& c : s.chunks) {
    const std::size_t chunk_start = w.size();
    w.u32(c.ssrc);
    for (const auto& it : c.items) {
      if (it.type == 0 || it.text.size() > 255) return Unexpected(Error::kBadValue);
      w.u8(it.type);
      w.u8(static_cast<std::uint8_t>(it.text.size()));
      w.bytes(as_bytes(it.text));
    }
    w.u8(0);  // end of items; then pad the chunk to 32 bits
    while ((w.size() - chunk_start) % 4 != 0 && w.ok()) w.u8(0);
  }
  return finish(w, start);
}

Expected<bool, Error> write_one(const Bye& b, ByteWriter& w) {
  if (b.ssrcs.size() > 31) return Unexpected(Error::kTooMany);
  if (b.reason.size() > 255) return Unexpected(Error::kBadValue);
  const auto start = begin_rtcp(w, static_cast<std::uint8_t>(b.ssrcs.size()), rtcp_type::kBye);
  for (auto s : b.ssrcs) w.u32(s);
  if (!b.reason.empty()) {
    w.u8(static_cast<std::uint8_t>(b.reason.size()));
    w.bytes(as_bytes(b.reason));
  }
  return finish(w, start);
}

Expected<bool, Error> write_one(const GenericNack& n, ByteWriter& w) {
  return write_nack(n, w);
}
Expected<bool, Error> write_one(const Pli& p, ByteWriter& w) {
  return write_pli(p, w);
}
Expected<bool, Error> write_one(const Fir& f, ByteWriter& w) {
  return write_fir(f, w);
}
Expected<bool, Error> write_one(const Remb& m, ByteWriter& w) {
  return write_remb(m, w);
}
Expected<bool, Error> write_one(const TransportFeedback& f, ByteWriter& w) {
  return write_transport_feedback(f, w);
}
}  // namespace

Expected<bool, Error> write_rtcp(const RtcpPacket& p, ByteWriter& w) {
  return std::visit([&w](const auto& v) { return write_one(v, w); }, p);
}

Expected<std::size_t, Error> build_compound(std::span<const RtcpPacket> packets,
                                            MutableByteSpan out) {
  ByteWriter w(out);
  for (const auto& p : packets)
    if (auto r = write_rtcp(p, w); !r) return Unexpected(r.error());
  return w.size();
}

}  // namespace peerkit::rtp
