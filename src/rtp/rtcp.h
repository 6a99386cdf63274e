// RTCP reports and compound packets: SR and RR with report blocks (RFC 3550 §6.4), SDES
// (§6.5, CNAME and the other items kept as text), BYE (§6.6), and the compound packet (§6.1)
// that carries them together with the feedback messages of rtcp_feedback.h and twcc.h.
//
// Parsed values own their data (std::vector / std::string): RTCP is a few packets per second
// per stream, and owned values compare with == (the fuzzer's parse ∘ build ∘ parse check).
// Unknown packet types and unknown feedback FMTs are skipped, not errors (RFC 3550 §6.1).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"
#include "rtp/rtcp_common.h"
#include "rtp/rtcp_feedback.h"
#include "rtp/twcc.h"

namespace peerkit::rtp {

// Limits: report blocks per SR/RR are bounded by the 5-bit count (31); SDES chunks and BYE
// sources likewise; packets per compound kMaxCompoundPackets.
constexpr std::size_t kMaxCompoundPackets = 64;

struct ReportBlock {  // §6.4.1
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;      // 8-bit fixed point, lost / expected × 256
  std::int32_t cumulative_lost = 0;    // signed 24 bits
  std::uint32_t highest_sequence = 0;  // extended highest sequence number received
  std::uint32_t jitter = 0;
  std::uint32_t last_sr = 0;              // LSR: middle 32 bits of the last SR's NTP time
  std::uint32_t delay_since_last_sr = 0;  // DLSR, 1/65536 s
  bool operator==(const ReportBlock&) const = default;
};

struct SenderReport {  // §6.4.1, PT 200
  std::uint32_t ssrc = 0;
  std::uint64_t ntp_time = 0;
  std::uint32_t rtp_time = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  std::vector<ReportBlock> reports;
  bool operator==(const SenderReport&) const = default;
};

struct ReceiverReport {  // §6.4.2, PT 201
  std::uint32_t ssrc = 0;
  std::vector<ReportBlock> reports;
  bool operator==(const ReceiverReport&) const = default;
};

namespace sdes_item {
constexpr std::uint8_t kCname = 1;
}

struct SdesItem {
  std::uint8_t type = 0;  // 1–255; 0 ends a chunk's item list
  std::string text;       // ≤ 255 bytes
  bool operator==(const SdesItem&) const = default;
};
struct SdesChunk {
  std::uint32_t ssrc = 0;
  std::vector<SdesItem> items;
  bool operator==(const SdesChunk&) const = default;
};
struct Sdes {  // §6.5, PT 202
  std::vector<SdesChunk> chunks;
  bool operator==(const Sdes&) const = default;
};
// The CNAME of the first chunk that has one; empty if none.
std::string_view first_cname(const Sdes& s);

struct Bye {  // §6.6, PT 203
  std::vector<std::uint32_t> ssrcs;
  std::string reason;  // ≤ 255 bytes
  bool operator==(const Bye&) const = default;
};

using RtcpPacket = std::variant<SenderReport, ReceiverReport, Sdes, Bye, GenericNack, Pli, Fir,
                                Remb, TransportFeedback>;

// Parses a whole compound datagram (after SRTCP decryption). Every packet's length must lie
// within the datagram and the packets must tile it exactly; a packet type or FMT we do not
// know is skipped. Errors: kTooShort, kBadVersion, kBadLength, kBadPadding, kBadValue, kTooMany.
Expected<std::vector<RtcpPacket>, Error> parse_compound(ByteSpan datagram);

// Walks the packets of a compound without decoding bodies (for demux and counting).
Expected<std::vector<RtcpCommon>, Error> split_compound(ByteSpan datagram);

// Builders: append one packet to `w`. kBadValue for counts over 31 or texts over 255 bytes,
// kBufferTooSmall when `w` overflows.
Expected<bool, Error> write_rtcp(const RtcpPacket& p, ByteWriter& w);
Expected<std::size_t, Error> build_compound(std::span<const RtcpPacket> packets,
                                            MutableByteSpan out);

// Body decoders for one packet type (exposed for tests and for callers that split first).
Expected<SenderReport, Error> parse_sender_report(const RtcpCommon& c);
Expected<ReceiverReport, Error> parse_receiver_report(const RtcpCommon& c);
Expected<Sdes, Error> parse_sdes(const RtcpCommon& c);
Expected<Bye, Error> parse_bye(const RtcpCommon& c);

}  // namespace peerkit::rtp
