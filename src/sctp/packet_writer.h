// Builds one SCTP packet in a caller's buffer (in practice, space reserved in a TransmitQueue
// arena): the common header, then chunks while they fit, then the checksum. Chunks that do not
// fit are refused (false), so the caller bundles as many as one MTU holds (RFC 9260 §6.10).
#pragma once

#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "sctp/packet.h"

namespace peerkit::sctp {

struct InitFields {
  std::uint32_t initiate_tag = 0;
  std::uint32_t a_rwnd = 0;
  std::uint16_t outbound_streams = 0;
  std::uint16_t inbound_streams = 0;
  std::uint32_t initial_tsn = 0;
  bool forward_tsn = true;
  bool idata = true;
  bool reconfig = true;
  bool zero_checksum_dtls = true;
};

class PacketWriter {
 public:
  PacketWriter(MutableByteSpan buffer, std::uint16_t source_port, std::uint16_t destination_port,
               std::uint32_t verification_tag);

  std::size_t size() const { return w_.size(); }
  bool has_chunks() const { return w_.size() > kCommonHeaderSize; }
  // Bytes left for one more chunk's value (header and padding taken off).
  std::size_t room_for_value() const;

  bool add_init(ChunkType type, const InitFields& f, ByteSpan cookie = {});
  bool add_data(const DataChunk& d);
  bool add_sack(std::uint32_t cumulative_tsn_ack, std::uint32_t a_rwnd,
                std::span<const GapBlock> gaps, std::uint16_t duplicates = 0);
  bool add_forward_tsn(bool idata, std::uint32_t new_cumulative_tsn,
                       std::span<const ForwardTsnChunk::Entry> entries);
  bool add_outgoing_reset(const OutgoingResetRequest& request,
                          std::span<const std::uint16_t> streams);
  bool add_reconfig_response(const ReconfigResponse& response);
  bool add_heartbeat(ChunkType type, ByteSpan info);  // kHeartbeat or kHeartbeatAck
  bool add_shutdown(std::uint32_t cumulative_tsn_ack);
  // ABORT / ERROR with one error cause (RFC 9260 §3.3.10), T bit for ABORT when `reflected`.
  bool add_error_cause(ChunkType type, std::uint16_t cause, ByteSpan info, bool reflected = false);
  // A chunk with any value: COOKIE ECHO (the cookie), COOKIE ACK, SHUTDOWN ACK/COMPLETE (empty).
  bool add_raw(ChunkType type, std::uint8_t flags, ByteSpan value);

  // Pads, writes the CRC32c (or zero when both sides agreed to RFC 9653), returns the size.
  std::size_t finish(bool zero_checksum);

 private:
  // Reserves a chunk of `value_length` value bytes; nullptr when it does not fit.
  bool begin(ChunkType type, std::uint8_t flags, std::size_t value_length);
  void end_chunk(std::size_t value_length);

  ByteWriter w_;
};

// Error cause codes (RFC 9260 §3.3.10) used here.
inline constexpr std::uint16_t kCauseInvalidStream = 1;
inline constexpr std::uint16_t kCauseMissingParameter = 2;
inline constexpr std::uint16_t kCauseStaleCookie = 3;
inline constexpr std::uint16_t kCauseOutOfResource = 4;
inline constexpr std::uint16_t kCauseUnrecognizedChunk = 6;
inline constexpr std::uint16_t kCauseNoUserData = 9;
inline constexpr std::uint16_t kCauseUserInitiatedAbort = 12;
inline constexpr std::uint16_t kCauseProtocolViolation = 13;

}  // namespace peerkit::sctp
