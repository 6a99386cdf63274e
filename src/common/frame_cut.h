// How a framer cuts a byte stream into messages: the one vocabulary shared by protocol cores that
// frame streams (TURN over TCP/TLS, RFC 8656 §12.5; later the peer's signaling client) and by
// net::Stream, which calls them on every read without either knowing the other.
#pragma once

#include <cstddef>
#include <cstdint>

namespace peerkit {

struct FrameCut {
  enum class Status : std::uint8_t { kNeedMore, kFrame, kInvalid };
  Status status = Status::kNeedMore;
  std::size_t frame_length = 0;  // bytes that make the message
  std::size_t consumed = 0;      // bytes to drop from the stream (the message plus any padding)
};

}  // namespace peerkit
