// SCTP packets (RFC 9260 §3) as views over the received bytes: the common header, the chunks
// in order, and typed readers for the chunks a WebRTC data channel uses. Nothing is copied and
// nothing is allocated; a malformed packet or chunk reads as nullopt.
#pragma once

#include <cstdint>
#include <optional>

#include "common/bytes.h"

namespace peerkit::sctp {

// Chunk types (RFC 9260 §3.2, RFC 8260 §2.1, RFC 6525 §3.1, RFC 3758 §3.2).
enum class ChunkType : std::uint8_t {
  kData = 0,
  kInit = 1,
  kInitAck = 2,
  kSack = 3,
  kHeartbeat = 4,
  kHeartbeatAck = 5,
  kAbort = 6,
  kShutdown = 7,
  kShutdownAck = 8,
  kError = 9,
  kCookieEcho = 10,
  kCookieAck = 11,
  kShutdownComplete = 14,
  kIData = 64,
  kReconfig = 130,
  kForwardTsn = 192,
  kIForwardTsn = 194,
};

inline constexpr std::size_t kCommonHeaderSize = 12;
inline constexpr std::size_t kChunkHeaderSize = 4;

struct CommonHeader {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint32_t verification_tag = 0;
  std::uint32_t checksum = 0;
};

struct ChunkView {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  ByteSpan value;  // without the 4-byte header and without padding
};

// Iterates the chunks of a packet. ok() turns false at a chunk whose length is wrong.
class ChunkReader {
 public:
  explicit ChunkReader(ByteSpan chunks) : rest_(chunks) {}
  std::optional<ChunkView> next();
  bool ok() const { return ok_; }

 private:
  ByteSpan rest_;
  bool ok_ = true;
};

std::optional<CommonHeader> read_common_header(ByteSpan packet);
// True when the checksum field is right (or zero, when `zero_checksum_allowed`, RFC 9653 §5.4).
bool checksum_ok(ByteSpan packet, bool zero_checksum_allowed);

// ---- typed chunks ----

// RFC 9260 §3.3.1 DATA flags, also used by I-DATA (RFC 8260 §2.1).
inline constexpr std::uint8_t kFlagEnd = 0x01;
inline constexpr std::uint8_t kFlagBeginning = 0x02;
inline constexpr std::uint8_t kFlagUnordered = 0x04;
inline constexpr std::uint8_t kFlagImmediate = 0x08;  // RFC 7053: SACK at once

// DATA and I-DATA in one shape: `ssn` for DATA, `mid`/`fsn` for I-DATA.
struct DataChunk {
  bool idata = false;
  std::uint8_t flags = 0;
  std::uint32_t tsn = 0;
  std::uint16_t stream = 0;
  std::uint16_t ssn = 0;
  std::uint32_t mid = 0;
  std::uint32_t fsn = 0;
  std::uint32_t ppid = 0;  // DATA: always; I-DATA: only with kFlagBeginning
  ByteSpan payload;

  bool beginning() const { return flags & kFlagBeginning; }
  bool end() const { return flags & kFlagEnd; }
  bool unordered() const { return flags & kFlagUnordered; }
};
std::optional<DataChunk> read_data(const ChunkView& c);

// INIT and INIT ACK (RFC 9260 §3.3.2/§3.3.3) with the parameters WebRTC uses.
struct InitChunk {
  std::uint32_t initiate_tag = 0;
  std::uint32_t a_rwnd = 0;
  std::uint16_t outbound_streams = 0;
  std::uint16_t inbound_streams = 0;
  std::uint32_t initial_tsn = 0;
  ByteSpan state_cookie;              // INIT ACK only
  bool forward_tsn = false;           // RFC 3758 §3.1
  bool idata = false;                 // I-DATA in Supported Extensions (RFC 8260 §2.2)
  bool reconfig = false;              // RE-CONFIG in Supported Extensions (RFC 6525 §3.1)
  bool zero_checksum_dtls = false;    // RFC 9653: Zero Checksum Acceptable, EDMID 1 (DTLS)
  bool unrecognized_parameter_report = false;  // a parameter asked to be reported
};
std::optional<InitChunk> read_init(const ChunkView& c);

struct GapBlock {
  std::uint16_t start = 0;  // offsets from the cumulative TSN ack
  std::uint16_t end = 0;
};
struct SackChunk {
  std::uint32_t cumulative_tsn_ack = 0;
  std::uint32_t a_rwnd = 0;
  ByteSpan gap_blocks;  // read with gap_block(i)
  std::uint16_t gap_count = 0;
  std::uint16_t duplicate_count = 0;

  GapBlock gap_block(std::size_t i) const;
};
std::optional<SackChunk> read_sack(const ChunkView& c);

// FORWARD TSN (RFC 3758 §3.2) and I-FORWARD-TSN (RFC 8260 §2.3).
struct ForwardTsnChunk {
  bool idata = false;
  std::uint32_t new_cumulative_tsn = 0;
  ByteSpan entries;  // 4 bytes each (stream, ssn) or 8 (stream, flags, mid)
  std::size_t entry_count() const { return entries.size() / (idata ? 8 : 4); }
  struct Entry {
    std::uint16_t stream;
    bool unordered;
    std::uint32_t ssn_or_mid;
  };
  Entry entry(std::size_t i) const;
};
std::optional<ForwardTsnChunk> read_forward_tsn(const ChunkView& c);

// RE-CONFIG parameters (RFC 6525 §4): the two data channels use.
struct OutgoingResetRequest {
  std::uint32_t request_seq = 0;
  std::uint32_t response_seq = 0;
  std::uint32_t last_tsn = 0;
  ByteSpan streams;  // 2 bytes each
  std::size_t stream_count() const { return streams.size() / 2; }
  std::uint16_t stream(std::size_t i) const;
};
struct ReconfigResponse {
  std::uint32_t response_seq = 0;
  std::uint32_t result = 0;
};
inline constexpr std::uint16_t kParamOutgoingReset = 13;
inline constexpr std::uint16_t kParamReconfigResponse = 16;
inline constexpr std::uint32_t kReconfigSuccess = 1;
inline constexpr std::uint32_t kReconfigInProgress = 6;
inline constexpr std::uint32_t kReconfigDenied = 2;

// Calls the reader once per parameter: out-of-shape parameters make the whole chunk invalid.
struct ReconfigChunk {
  std::optional<OutgoingResetRequest> reset;
  std::optional<ReconfigResponse> response;
};
std::optional<ReconfigChunk> read_reconfig(const ChunkView& c);

}  // namespace peerkit::sctp
