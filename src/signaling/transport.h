// What the signaling cores need from their driver: send a text frame to a session, or close it.
// The cores never touch sockets; the WebSocket driver (src/server) implements this, tests use a
// recording fake.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace peerkit::signaling {

// One WebSocket connection, numbered by the driver; never reused within a process. A type of its
// own, so a session cannot be swapped with a count, a code or another id without a compile error.
struct SessionId {
  constexpr SessionId() = default;
  constexpr explicit SessionId(std::uint64_t v) : value(v) {}
  std::uint64_t value = 0;
  constexpr SessionId next() const { return SessionId(value + 1); }
  auto operator<=>(const SessionId&) const = default;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues one text frame (the driver copies it: the core reuses its buffer); never calls back
  // into the core. False when the session is gone or its
  // bounded write queue is full; the driver then closes that session itself and reports on_close
  // later.
  virtual bool send(SessionId session, std::string_view text) = 0;
  // Sends a close frame with RFC 6455 §7.4 `code` and a reason, after what is already queued.
  virtual void close(SessionId session, std::uint16_t code, std::string_view reason) = 0;
};

// RFC 6455 §7.4.1 close codes the cores use.
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kClosePolicy = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;

}  // namespace peerkit::signaling

template <>
struct std::hash<peerkit::signaling::SessionId> {
  std::size_t operator()(peerkit::signaling::SessionId s) const noexcept {
    return std::hash<std::uint64_t>{}(s.value);
  }
};
