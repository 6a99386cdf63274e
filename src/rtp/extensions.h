// RTP header extensions, RFC 8285: the one-byte (§4.2, profile 0xBEDE, ids 1–14, 1–16 bytes)
// and two-byte (§4.3, profile 0x100X, ids 1–255, 0–255 bytes) element forms inside the RFC 3550
// §5.3.1 extension block, and the id ↔ URI map an SDP `a=extmap` line sets up (§5, §8).
//
//   one-byte element:  0 1 2 3 4 5 6 7      two-byte element:  id (8) | length (8) | data
//                     +-+-+-+-+-+-+-+-+
//                     |  ID   |  len  |  data (len + 1 bytes); a 0x00 byte is padding
//
// Parsing yields (id, bytes) views into the packet; nothing is copied or allocated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"

namespace peerkit::rtp {

constexpr std::uint16_t kOneByteProfile = 0xBEDE;
constexpr std::uint16_t kTwoByteProfile = 0x1000;  // low 4 bits are "appbits", ignored here
// Limit: elements kept per packet. Browsers send at most ~10; more is an error, not a truncation.
constexpr std::size_t kMaxExtensions = 32;

struct Extension {
  std::uint8_t id = 0;
  ByteSpan data;
};

struct ExtensionList {
  std::array<Extension, kMaxExtensions> items{};
  std::size_t count = 0;

  std::span<const Extension> view() const { return {items.data(), count}; }
  // The first element with this id (RFC 8285 §4.1 allows repeats; receivers use the first).
  std::optional<ByteSpan> find(std::uint8_t id) const;
  bool push(Extension e);
};

// Parses the block of one packet: profile (0xBEDE or 0x100X) and the data words that follow the
// 4-byte extension header. Another profile is not an error: it yields no elements.
Expected<ExtensionList, Error> parse_extensions(std::uint16_t profile, ByteSpan data);

// Bytes the block (4-byte header + elements + zero padding to 32 bits) needs; one-byte form
// when every id is 1–14 and every length 1–16, else two-byte. Error for id 0, id 15 in the
// one-byte form, or a value longer than 255 bytes.
Expected<std::size_t, Error> extensions_size(std::span<const Extension> items);
// Writes the block; returns its size. No elements writes nothing (no X bit needed).
Expected<std::size_t, Error> write_extensions(std::span<const Extension> items, ByteWriter& out);

// What an extension is, independent of the id one connection gave it.
enum class ExtensionKind : std::uint8_t {
  kUnknown,
  kMid,
  kRid,
  kRepairedRid,
  kAbsSendTime,
  kTransportWideCc,
  kAudioLevel,
  kDependencyDescriptor,
  kTimeOffset,
  kVideoOrientation,
  kPlayoutDelay,
  kAbsCaptureTime,
};

namespace uri {
constexpr std::string_view kMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr std::string_view kRid = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
constexpr std::string_view kRepairedRid = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
constexpr std::string_view kAbsSendTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
constexpr std::string_view kTransportWideCc =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr std::string_view kAudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr std::string_view kDependencyDescriptor =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
constexpr std::string_view kTimeOffset = "urn:ietf:params:rtp-hdrext:toffset";
constexpr std::string_view kVideoOrientation = "urn:3gpp:video-orientation";
constexpr std::string_view kPlayoutDelay =
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
constexpr std::string_view kAbsCaptureTime =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
}  // namespace uri

ExtensionKind kind_from_uri(std::string_view uri);
std::string_view uri_of(ExtensionKind kind);  // empty for kUnknown

// One connection's id ↔ extension table (from `a=extmap:<id> <uri>`). Ids are 1–255; an id maps
// to one extension and an extension to one id (Chrome M148: an id is never reused for another
// extension within a connection, so a clash is an error, not an update).
class ExtensionMap {
 public:
  // kBadValue: id 0 or > 255; kTooMany: id or known kind already mapped differently. Re-adding
  // the same (id, uri) is fine. Unknown URIs reserve their id but have kind kUnknown.
  Expected<bool, Error> add(int id, std::string_view uri);
  Expected<bool, Error> add(int id, ExtensionKind kind);

  ExtensionKind kind_of(std::uint8_t id) const { return kinds_[id]; }
  std::optional<std::uint8_t> id_of(ExtensionKind kind) const;
  bool empty() const { return count_ == 0; }

 private:
  std::array<ExtensionKind, 256> kinds_{};
  std::array<bool, 256> used_{};
  std::array<std::uint8_t, 16> ids_{};  // by ExtensionKind; 0 = unmapped
  std::size_t count_ = 0;
};

// Subscriber-side re-serialisation: each element's id is looked up in `from` and given its id in
// `to`; elements whose kind is unknown or absent from `to` are dropped.
Expected<ExtensionList, Error> remap_extensions(const ExtensionList& in, const ExtensionMap& from,
                                                const ExtensionMap& to);

}  // namespace peerkit::rtp
