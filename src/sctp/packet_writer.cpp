#include "sctp/packet_writer.h"

#include <array>

#include "sctp/crc32c.h"

namespace peerkit::sctp {
namespace {

std::size_t padding(std::size_t n) {
  return (4 - n % 4) % 4;
}

}  // namespace

PacketWriter::PacketWriter(MutableByteSpan buffer, std::uint16_t source_port,
                           std::uint16_t destination_port, std::uint32_t verification_tag)
    : w_(buffer) {
  w_.u16(source_port);
  w_.u16(destination_port);
  w_.u32(verification_tag);
  w_.u32(0);  // checksum, written by finish()
}

std::size_t PacketWriter::room_for_value() const {
  const std::size_t left = w_.buffer().size() - w_.size();
  return left < kChunkHeaderSize + 4 ? 0 : (left - kChunkHeaderSize) & ~std::size_t{3};
}

bool PacketWriter::begin(ChunkType type, std::uint8_t flags, std::size_t value_length) {
  const std::size_t need = kChunkHeaderSize + value_length + padding(value_length);
  if (!w_.ok() || need > w_.buffer().size() - w_.size() || need > 0xffff) return false;
  w_.u8(static_cast<std::uint8_t>(type));
  w_.u8(flags);
  w_.u16(static_cast<std::uint16_t>(kChunkHeaderSize + value_length));
  return true;
}

void PacketWriter::end_chunk(std::size_t value_length) {
  w_.zeros(padding(value_length));
}

bool PacketWriter::add_init(ChunkType type, const InitFields& f, ByteSpan cookie) {
  std::size_t len = 16;
  if (!cookie.empty()) len += 4 + cookie.size() + padding(cookie.size());
  std::array<std::uint8_t, 3> extensions{};
  std::size_t n_ext = 0;
  if (f.forward_tsn) extensions[n_ext++] = static_cast<std::uint8_t>(ChunkType::kForwardTsn);
  if (f.idata) extensions[n_ext++] = static_cast<std::uint8_t>(ChunkType::kIData);
  if (f.reconfig) extensions[n_ext++] = static_cast<std::uint8_t>(ChunkType::kReconfig);
  if (n_ext) len += 4 + n_ext + padding(n_ext);
  if (f.forward_tsn) len += 4;
  if (f.zero_checksum_dtls) len += 8;
  if (!begin(type, 0, len)) return false;
  w_.u32(f.initiate_tag);
  w_.u32(f.a_rwnd);
  w_.u16(f.outbound_streams);
  w_.u16(f.inbound_streams);
  w_.u32(f.initial_tsn);
  if (!cookie.empty()) {
    w_.u16(7);  // State Cookie
    w_.u16(static_cast<std::uint16_t>(4 + cookie.size()));
    w_.bytes(cookie);
    w_.zeros(padding(cookie.size()));
  }
  if (n_ext) {
    w_.u16(0x8008);  // Supported Extensions (RFC 5061 §4.2.7)
    w_.u16(static_cast<std::uint16_t>(4 + n_ext));
    for (std::size_t i = 0; i < n_ext; ++i) w_.u8(extensions[i]);
    w_.zeros(padding(n_ext));
  }
  if (f.forward_tsn) {
    w_.u16(0xc000);  // Forward-TSN-Supported (RFC 3758 §3.1)
    w_.u16(4);
  }
  if (f.zero_checksum_dtls) {
    w_.u16(0x8001);  // Zero Checksum Acceptable (RFC 9653 §4), EDMID 1: DTLS
    w_.u16(8);
    w_.u32(1);
  }
  end_chunk(len);
  return w_.ok();
}

bool PacketWriter::add_data(const DataChunk& d) {
  const std::size_t len = (d.idata ? 16 : 12) + d.payload.size();
  if (!begin(d.idata ? ChunkType::kIData : ChunkType::kData, d.flags, len)) return false;
  w_.u32(d.tsn);
  w_.u16(d.stream);
  if (d.idata) {
    w_.u16(0);
    w_.u32(d.mid);
    w_.u32(d.beginning() ? d.ppid : d.fsn);
  } else {
    w_.u16(d.ssn);
    w_.u32(d.ppid);
  }
  w_.bytes(d.payload);
  end_chunk(len);
  return w_.ok();
}

bool PacketWriter::add_sack(std::uint32_t cumulative_tsn_ack, std::uint32_t a_rwnd,
                            std::span<const GapBlock> gaps, std::uint16_t duplicates) {
  const std::size_t len = 12 + gaps.size() * 4;
  if (gaps.size() > 0xffff || !begin(ChunkType::kSack, 0, len)) return false;
  w_.u32(cumulative_tsn_ack);
  w_.u32(a_rwnd);
  w_.u16(static_cast<std::uint16_t>(gaps.size()));
  w_.u16(0);  // duplicates are counted, not listed
  (void)duplicates;
  for (const auto& g : gaps) {
    w_.u16(g.start);
    w_.u16(g.end);
  }
  end_chunk(len);
  return w_.ok();
}

bool PacketWriter::add_forward_tsn(bool idata, std::uint32_t new_cumulative_tsn,
                                   std::span<const ForwardTsnChunk::Entry> entries) {
  const std::size_t len = 4 + entries.size() * (idata ? 8 : 4);
  if (!begin(idata ? ChunkType::kIForwardTsn : ChunkType::kForwardTsn, 0, len)) return false;
  w_.u32(new_cumulative_tsn);
  for (const auto& e : entries) {
    w_.u16(e.stream);
    if (idata) {
      w_.u16(e.unordered ? 1 : 0);
      w_.u32(e.ssn_or_mid);
    } else {
      w_.u16(static_cast<std::uint16_t>(e.ssn_or_mid));
    }
  }
  end_chunk(len);
  return w_.ok();
}

bool PacketWriter::add_outgoing_reset(const OutgoingResetRequest& q,
                                      std::span<const std::uint16_t> streams) {
  const std::size_t param = 16 + streams.size() * 2;
  const std::size_t len = param + padding(param);
  if (!begin(ChunkType::kReconfig, 0, len)) return false;
  w_.u16(kParamOutgoingReset);
  w_.u16(static_cast<std::uint16_t>(param));
  w_.u32(q.request_seq);
  w_.u32(q.response_seq);
  w_.u32(q.last_tsn);
  for (const auto s : streams) w_.u16(s);
  w_.zeros(padding(param));
  end_chunk(len);
  return w_.ok();
}

bool PacketWriter::add_reconfig_response(const ReconfigResponse& p) {
  if (!begin(ChunkType::kReconfig, 0, 12)) return false;
  w_.u16(kParamReconfigResponse);
  w_.u16(12);
  w_.u32(p.response_seq);
  w_.u32(p.result);
  end_chunk(12);
  return w_.ok();
}

bool PacketWriter::add_heartbeat(ChunkType type, ByteSpan info) {
  const std::size_t len = 4 + info.size() + padding(info.size());
  if (!begin(type, 0, len)) return false;
  w_.u16(1);  // Heartbeat Info (RFC 9260 §3.3.5)
  w_.u16(static_cast<std::uint16_t>(4 + info.size()));
  w_.bytes(info);
  w_.zeros(padding(info.size()));
  end_chunk(len);
  return w_.ok();
}

bool PacketWriter::add_shutdown(std::uint32_t cumulative_tsn_ack) {
  if (!begin(ChunkType::kShutdown, 0, 4)) return false;
  w_.u32(cumulative_tsn_ack);
  return w_.ok();
}

bool PacketWriter::add_error_cause(ChunkType type, std::uint16_t cause, ByteSpan info,
                                   bool reflected) {
  const std::size_t cause_len = 4 + info.size();
  const std::size_t len = cause_len + padding(cause_len);
  if (!begin(type, reflected ? 1 : 0, len)) return false;
  w_.u16(cause);
  w_.u16(static_cast<std::uint16_t>(cause_len));
  w_.bytes(info);
  w_.zeros(padding(cause_len));
  end_chunk(len);
  return w_.ok();
}

bool PacketWriter::add_raw(ChunkType type, std::uint8_t flags, ByteSpan value) {
  if (!begin(type, flags, value.size())) return false;
  w_.bytes(value);
  end_chunk(value.size());
  return w_.ok();
}

std::size_t PacketWriter::finish(bool zero_checksum) {
  if (!w_.ok()) return 0;
  const std::size_t n = w_.size();
  const std::uint32_t crc = zero_checksum ? 0 : crc32c(w_.written());  // field is still zero
  auto out = w_.buffer();
  out[8] = std::byte(crc & 0xff);  // little-endian on the wire, see read_common_header
  out[9] = std::byte((crc >> 8) & 0xff);
  out[10] = std::byte((crc >> 16) & 0xff);
  out[11] = std::byte(crc >> 24);
  return n;
}

}  // namespace peerkit::sctp
