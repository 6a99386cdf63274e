// Errors of the RTP/RTCP parsers and builders (src/rtp/). Every malformed input maps to one of
// these; nothing in this module throws or reads outside the span it was given.
#pragma once

#include <string_view>

namespace peerkit::rtp {

enum class Error {
  kTooShort,        // fewer bytes than the fixed part or a length field promises
  kBadVersion,      // version field is not 2 (RFC 3550 §5.1)
  kBadPadding,      // padding count 0 or larger than what it pads
  kBadExtension,    // an RFC 8285 element runs past its block, or an id/length out of range
  kBadLength,       // an RTCP length or a count disagrees with the bytes present
  kBadValue,        // a field holds a reserved or out-of-range value
  kTooMany,         // more items than the named limit (see README.md "Limits")
  kBufferTooSmall,  // a builder's output span is too small
};

constexpr std::string_view to_string(Error e) {
  switch (e) {
    case Error::kTooShort:
      return "too short";
    case Error::kBadVersion:
      return "bad version";
    case Error::kBadPadding:
      return "bad padding";
    case Error::kBadExtension:
      return "bad header extension";
    case Error::kBadLength:
      return "bad length";
    case Error::kBadValue:
      return "bad value";
    case Error::kTooMany:
      return "too many items";
    case Error::kBufferTooSmall:
      return "output buffer too small";
  }
  return "unknown";
}

}  // namespace peerkit::rtp
