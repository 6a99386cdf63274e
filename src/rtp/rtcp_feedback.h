// RTCP feedback messages (RFC 4585 §6.1 common format: FMT in the count field, sender SSRC and
// media SSRC, then FCI):
//   Generic NACK — RTPFB FMT 1 (RFC 4585 §6.2.1): FCI = PID (16) | BLP (16), bit i of BLP set
//                  means PID + i + 1 is lost too;
//   PLI          — PSFB FMT 1 (RFC 4585 §6.3.1): no FCI;
//   FIR          — PSFB FMT 4 (RFC 5104 §4.3.1): FCI = SSRC (32) | seq nr (8) | reserved (24),
//                  media SSRC field 0;
//   REMB         — PSFB FMT 15, application layer (draft-alvestrand-rmcat-remb-03 §2.2):
//                  'R' 'E' 'M' 'B' | num SSRC (8) | BR exp (6) | BR mantissa (18) | SSRCs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"
#include "rtp/rtcp_common.h"

namespace peerkit::rtp {

namespace fb_fmt {
constexpr std::uint8_t kNack = 1;          // RTPFB
constexpr std::uint8_t kTransportCc = 15;  // RTPFB
constexpr std::uint8_t kPli = 1;           // PSFB
constexpr std::uint8_t kFir = 4;           // PSFB
constexpr std::uint8_t kApp = 15;          // PSFB (REMB)
}  // namespace fb_fmt

struct NackItem {
  std::uint16_t pid = 0;
  std::uint16_t blp = 0;
  bool operator==(const NackItem&) const = default;
};

struct GenericNack {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  std::vector<NackItem> items;  // wire order, kept as sent so build ∘ parse is exact
  bool operator==(const GenericNack&) const = default;
};
// Every lost sequence number, item by item (PID, then BLP bits low to high).
std::vector<std::uint16_t> nack_sequences(const GenericNack& n);
// Packs lost sequence numbers into items: each item starts at a number not yet covered and
// takes the following 16 numbers that are in the list. Order of `lost` does not matter;
// duplicates are fine. Handles wrap (65535, 0, 1 fit in one item).
std::vector<NackItem> nack_items(std::span<const std::uint16_t> lost);

struct Pli {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  bool operator==(const Pli&) const = default;
};

struct FirEntry {
  std::uint32_t ssrc = 0;
  std::uint8_t sequence = 0;  // incremented per new request (RFC 5104 §4.3.1.1)
  bool operator==(const FirEntry&) const = default;
};
struct Fir {
  std::uint32_t sender_ssrc = 0;
  std::vector<FirEntry> entries;
  bool operator==(const Fir&) const = default;
};

struct Remb {
  std::uint32_t sender_ssrc = 0;
  std::uint64_t bitrate_bps = 0;     // mantissa × 2^exp; encodings above 2^64 are rejected
  std::vector<std::uint32_t> ssrcs;  // ≤ 255
  bool operator==(const Remb&) const = default;
};

// Decode one feedback packet's body. parse_psfb_app returns kBadValue for an application
// message that is not REMB (the compound parser then skips it).
Expected<GenericNack, Error> parse_nack(const RtcpCommon& c);
Expected<Pli, Error> parse_pli(const RtcpCommon& c);
Expected<Fir, Error> parse_fir(const RtcpCommon& c);
Expected<Remb, Error> parse_remb(const RtcpCommon& c);
bool is_remb(const RtcpCommon& c);

Expected<bool, Error> write_nack(const GenericNack& n, ByteWriter& w);
Expected<bool, Error> write_pli(const Pli& p, ByteWriter& w);
Expected<bool, Error> write_fir(const Fir& f, ByteWriter& w);
Expected<bool, Error> write_remb(const Remb& r, ByteWriter& w);

}  // namespace peerkit::rtp
