// VP8 RTP payload descriptor, RFC 7741 §4.2, and keyframe detection (§4.3):
//
//        0 1 2 3 4 5 6 7
//       |X|R|N|S|R| PID |   X: extended control bits present, N: non-reference frame,
//   X:  |I|L|T|K| RSV   |   S: start of a partition, PID: partition index
//   I:  |M| PictureID   |   M: 15-bit picture id (one more byte follows)
//       |   PictureID   |
//   L:  |   TL0PICIDX   |
//   T/K:|TID|Y| KEYIDX  |   present if T or K is set
//
// The first byte of the VP8 payload header (§4.3) holds the inverse key frame flag P in its
// low bit: 0 = key frame; it is only there at the start (S=1) of partition 0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"

namespace peerkit::rtp {

struct Vp8Descriptor {
  bool extended = false;            // X; written anyway when any of I/L/T/K is set
  bool non_reference = false;       // N
  bool start_of_partition = false;  // S
  std::uint8_t partition_id = 0;    // PID, 0–7
  bool has_picture_id = false;      // I
  bool picture_id_15bit = false;    // M
  std::uint16_t picture_id = 0;
  bool has_tl0picidx = false;  // L
  std::uint8_t tl0picidx = 0;
  bool has_tid = false;     // T
  std::uint8_t tid = 0;     // 0–3
  bool layer_sync = false;  // Y
  bool has_keyidx = false;  // K
  std::uint8_t keyidx = 0;  // 0–31
  std::size_t size = 0;     // descriptor bytes; the VP8 payload starts here
  bool operator==(const Vp8Descriptor&) const = default;
};

// kTooShort when the flags promise bytes that are missing or nothing follows the descriptor
// (§4.2: a packet carries at least one payload byte).
Expected<Vp8Descriptor, Error> parse_vp8(ByteSpan payload);

// Start of partition 0 with P = 0 in the first payload byte.
bool vp8_is_keyframe(ByteSpan payload);

// Writes the descriptor (size follows from the flags; `size` is ignored); returns its size.
Expected<std::size_t, Error> write_vp8_descriptor(const Vp8Descriptor& d, MutableByteSpan out);

// In-place rewrites keeping the descriptor's length: the picture id is truncated to the width
// the packet has (7 or 15 bits). false if the packet has no such field or does not parse.
bool vp8_set_picture_id(MutableByteSpan payload, std::uint16_t picture_id);
bool vp8_set_tl0picidx(MutableByteSpan payload, std::uint8_t tl0picidx);

}  // namespace peerkit::rtp
