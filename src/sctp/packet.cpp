#include "sctp/packet.h"

#include <array>

#include "sctp/crc32c.h"

namespace peerkit::sctp {
namespace {

constexpr std::uint16_t kParamStateCookie = 7;
constexpr std::uint16_t kParamSupportedExtensions = 0x8008;
constexpr std::uint16_t kParamForwardTsnSupported = 0xc000;
constexpr std::uint16_t kParamZeroChecksum = 0x8001;
constexpr std::uint32_t kEdmidDtls = 1;  // RFC 9653 §7: DTLS is the error detection method

std::size_t padded(std::size_t n) {
  return (n + 3) & ~std::size_t{3};
}

}  // namespace

std::optional<CommonHeader> read_common_header(ByteSpan packet) {
  if (packet.size() < kCommonHeaderSize) return std::nullopt;
  ByteReader r(packet);
  CommonHeader h;
  h.source_port = r.u16();
  h.destination_port = r.u16();
  h.verification_tag = r.u32();
  // The checksum is little-endian on the wire (RFC 9260 Appendix A: the CRC's bytes are sent
  // in the order they are computed); keep it as it appears, compared the same way.
  const auto b = r.bytes(4);
  h.checksum = std::to_integer<std::uint32_t>(b[0]) | std::to_integer<std::uint32_t>(b[1]) << 8 |
               std::to_integer<std::uint32_t>(b[2]) << 16 | std::to_integer<std::uint32_t>(b[3]) << 24;
  return h;
}

bool checksum_ok(ByteSpan packet, bool zero_checksum_allowed) {
  const auto h = read_common_header(packet);
  if (!h) return false;
  if (h->checksum == 0 && zero_checksum_allowed) return true;
  // RFC 9260 §6.8: the CRC over the whole packet with the checksum field as zero.
  static constexpr std::array<std::byte, 4> kZeros{};
  std::uint32_t c = crc32c_extend(0, packet.first(8));
  c = crc32c_extend(c, kZeros);
  c = crc32c_extend(c, packet.subspan(kCommonHeaderSize));
  return c == h->checksum;
}

std::optional<ChunkView> ChunkReader::next() {
  if (!ok_ || rest_.empty()) return std::nullopt;
  if (rest_.size() < kChunkHeaderSize) {
    ok_ = false;
    return std::nullopt;
  }
  ByteReader r(rest_);
  ChunkView c;
  c.type = r.u8();
  c.flags = r.u8();
  const std::size_t length = r.u16();
  if (length < kChunkHeaderSize || length > rest_.size()) {
    ok_ = false;
    return std::nullopt;
  }
  c.value = rest_.subspan(kChunkHeaderSize, length - kChunkHeaderSize);
  // The last chunk's padding may be missing (RFC 9260 §3.2: "the sender MUST pad"; be lenient).
  rest_ = rest_.subspan(std::min(padded(length), rest_.size()));
  return c;
}

std::optional<DataChunk> read_data(const ChunkView& c) {
  DataChunk d;
  d.flags = c.flags;
  ByteReader r(c.value);
  d.tsn = r.u32();
  d.stream = r.u16();
  if (c.type == static_cast<std::uint8_t>(ChunkType::kIData)) {
    d.idata = true;
    r.skip(2);
    d.mid = r.u32();
    const std::uint32_t ppid_or_fsn = r.u32();
    if (d.beginning()) {
      d.ppid = ppid_or_fsn;  // RFC 8260 §2.1: the first fragment carries the PPID, FSN is 0
    } else {
      d.fsn = ppid_or_fsn;
    }
  } else if (c.type == static_cast<std::uint8_t>(ChunkType::kData)) {
    d.ssn = r.u16();
    d.ppid = r.u32();
  } else {
    return std::nullopt;
  }
  if (!r.ok() || r.remaining() == 0) return std::nullopt;  // RFC 9260 §3.3.1: no empty DATA
  d.payload = r.bytes(r.remaining());
  return d;
}

std::optional<InitChunk> read_init(const ChunkView& c) {
  ByteReader r(c.value);
  InitChunk i;
  i.initiate_tag = r.u32();
  i.a_rwnd = r.u32();
  i.outbound_streams = r.u16();
  i.inbound_streams = r.u16();
  i.initial_tsn = r.u32();
  if (!r.ok()) return std::nullopt;
  // RFC 9260 §3.3.2: a zero tag or zero stream count is a protocol violation.
  if (i.initiate_tag == 0 || i.outbound_streams == 0 || i.inbound_streams == 0)
    return std::nullopt;
  while (r.remaining() >= 4) {
    const std::uint16_t type = r.u16();
    const std::size_t length = r.u16();
    if (length < 4 || length - 4 > r.remaining()) return std::nullopt;
    const ByteSpan value = r.bytes(length - 4);
    r.skip(std::min(padded(length) - length, r.remaining()));
    switch (type) {
      case kParamStateCookie:
        i.state_cookie = value;
        break;
      case kParamForwardTsnSupported:
        i.forward_tsn = true;
        break;
      case kParamSupportedExtensions:
        for (const auto b : value) {
          const auto t = std::to_integer<std::uint8_t>(b);
          if (t == static_cast<std::uint8_t>(ChunkType::kIData)) i.idata = true;
          if (t == static_cast<std::uint8_t>(ChunkType::kReconfig)) i.reconfig = true;
          if (t == static_cast<std::uint8_t>(ChunkType::kForwardTsn)) i.forward_tsn = true;
        }
        break;
      case kParamZeroChecksum: {
        ByteReader v(value);
        if (v.u32() == kEdmidDtls && v.ok()) i.zero_checksum_dtls = true;
        break;
      }
      default:
        // RFC 9260 §3.2.1: the high bits say whether to go on and whether to report.
        if (type & 0x4000) i.unrecognized_parameter_report = true;
        if (!(type & 0x8000)) return i;  // stop processing parameters here
        break;
    }
  }
  return i;
}

GapBlock SackChunk::gap_block(std::size_t i) const {
  ByteReader r(gap_blocks.subspan(i * 4, 4));
  GapBlock g;
  g.start = r.u16();
  g.end = r.u16();
  return g;
}

std::optional<SackChunk> read_sack(const ChunkView& c) {
  ByteReader r(c.value);
  SackChunk s;
  s.cumulative_tsn_ack = r.u32();
  s.a_rwnd = r.u32();
  s.gap_count = r.u16();
  s.duplicate_count = r.u16();
  s.gap_blocks = r.bytes(std::size_t{s.gap_count} * 4);
  r.skip(std::size_t{s.duplicate_count} * 4);
  if (!r.ok()) return std::nullopt;
  return s;
}

ForwardTsnChunk::Entry ForwardTsnChunk::entry(std::size_t i) const {
  if (idata) {
    ByteReader r(entries.subspan(i * 8, 8));
    const std::uint16_t stream = r.u16();
    const std::uint16_t flags = r.u16();
    return Entry{stream, (flags & 1) != 0, r.u32()};
  }
  ByteReader r(entries.subspan(i * 4, 4));
  const std::uint16_t stream = r.u16();
  return Entry{stream, false, r.u16()};
}

std::optional<ForwardTsnChunk> read_forward_tsn(const ChunkView& c) {
  ForwardTsnChunk f;
  f.idata = c.type == static_cast<std::uint8_t>(ChunkType::kIForwardTsn);
  ByteReader r(c.value);
  f.new_cumulative_tsn = r.u32();
  if (!r.ok() || r.remaining() % (f.idata ? 8 : 4) != 0) return std::nullopt;
  f.entries = r.bytes(r.remaining());
  return f;
}

std::uint16_t OutgoingResetRequest::stream(std::size_t i) const {
  ByteReader r(streams.subspan(i * 2, 2));
  return r.u16();
}

std::optional<ReconfigChunk> read_reconfig(const ChunkView& c) {
  ReconfigChunk out;
  ByteReader r(c.value);
  while (r.remaining() >= 4) {
    const std::uint16_t type = r.u16();
    const std::size_t length = r.u16();
    if (length < 4 || length - 4 > r.remaining()) return std::nullopt;
    ByteReader v(r.bytes(length - 4));
    r.skip(std::min(padded(length) - length, r.remaining()));
    if (type == kParamOutgoingReset) {
      OutgoingResetRequest q;
      q.request_seq = v.u32();
      q.response_seq = v.u32();
      q.last_tsn = v.u32();
      if (!v.ok() || v.remaining() % 2 != 0) return std::nullopt;
      q.streams = v.bytes(v.remaining());
      out.reset = q;
    } else if (type == kParamReconfigResponse) {
      ReconfigResponse p;
      p.response_seq = v.u32();
      p.result = v.u32();
      if (!v.ok()) return std::nullopt;
      out.response = p;
    }
  }
  if (r.remaining() != 0) return std::nullopt;
  return out;
}

}  // namespace peerkit::sctp
