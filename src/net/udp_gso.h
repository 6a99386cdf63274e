// UDP segmentation offload for datagram bursts (Linux UDP_SEGMENT / UDP_GRO, kernel ≥ 5.0).
//
// Why: on this machine a kernel send costs 1–3 µs per 1 200-byte datagram one at a time and
// ≈ 0.18 µs with GSO/GRO (../shared/testing/environment.md §7). A data channel at full speed
// sends bursts of equal-size DTLS records (one SCTP packet each) to one peer, which is exactly
// the shape GSO wants: one sendmsg carries up to kMaxSegments datagrams, the kernel splits them
// (or, on loopback to a GRO socket, delivers them still joined, with the segment size beside).
//
//   GsoSender out;                        // one per driver, reused (no allocation per packet)
//   for (t : transmits) out.add(fd, t.to, t.data);   // groups runs to one (fd, to)
//   out.flush();                          // before the transmits' bytes go away
//
//   enable_gro(fd);                       // then, per readable socket:
//   while (auto got = receive_segments(fd, buffer, from)) for (segment : got) …
//
// A kernel or device that refuses UDP_SEGMENT (EINVAL, EIO, ENOPROTOOPT) turns GSO off for the
// sender and the same datagrams go out one by one, so the fallback costs one failed call.
//
// Single datagrams — a run of one, as an SFU's fan-out of one packet to many subscribers makes —
// are gathered and leave together in one sendmmsg (up to kMaxMessages), in order with the runs
// around them: the T10 profile showed a sendto per forwarded packet as the largest kernel cost.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/address.h"
#include "common/bytes.h"

namespace peerkit::net {

class GsoSender {
 public:
  // Linux accepts at most 64 segments per call (UDP_MAX_SEGMENTS) and one IP datagram's worth
  // of payload in total.
  static constexpr std::size_t kMaxSegments = 64;
  static constexpr std::size_t kMaxBytes = 65000;
  static constexpr std::size_t kMaxMessages = 64;  // single datagrams per sendmmsg

  GsoSender() = default;
  // Not copyable: the queued messages point into the sender's own arrays.
  GsoSender(const GsoSender&) = delete;
  GsoSender& operator=(const GsoSender&) = delete;

  // Queues one datagram. Its bytes must stay valid until flush(). A datagram joins the queued
  // run when it goes to the same (fd, to), the run's earlier datagrams all have its segment
  // size, and it is not larger than that size (the last segment may be shorter, and then closes
  // the run). Anything else flushes first.
  void add(int fd, const SocketAddress& to, ByteSpan payload);
  void flush();

  bool gso_enabled() const { return gso_; }
  void disable_gso() { gso_ = false; }
  std::uint64_t calls() const { return calls_; }        // sendmsg/sendmmsg calls made
  std::uint64_t datagrams() const { return datagrams_; }  // datagrams handed to the kernel
  std::uint64_t dropped() const { return dropped_; }      // refused by the kernel (EAGAIN, …)

 private:
  void close_run();        // the queued run: a GSO sendmsg, or its datagrams to the batch
  void queue_single(ByteSpan payload);
  void send_singles();     // the batch, in one sendmmsg (more when the kernel stops early)

  int fd_ = -1;
  SocketAddress to_;
  sockaddr_storage name_{};
  socklen_t name_len_ = 0;
  std::size_t count_ = 0, bytes_ = 0, segment_ = 0;
  bool closed_run_ = false;  // the last segment was short: nothing more may join
  std::array<iovec, kMaxSegments> iov_{};
  // The batch of single datagrams, all to fd singles_fd_.
  int singles_fd_ = -1;
  std::size_t singles_ = 0;
  std::array<mmsghdr, kMaxMessages> messages_{};
  std::array<iovec, kMaxMessages> single_iov_{};
  std::array<sockaddr_storage, kMaxMessages> single_names_{};
  bool gso_ = true;
  std::uint64_t calls_ = 0, datagrams_ = 0, dropped_ = 0;
};

// Asks the kernel to hand this socket coalesced segments (UDP_GRO). False where unsupported;
// receiving works the same either way.
bool enable_gro(int fd);

struct ReceivedSegments {
  std::size_t bytes = 0;    // in the buffer
  std::size_t segment = 0;  // size of each segment but the last (== bytes when not coalesced)
  bool truncated = false;   // larger than the buffer (or its control data cut): dropped by the caller
  // The i-th datagram of the buffer.
  std::size_t count() const { return segment == 0 ? 0 : (bytes + segment - 1) / segment; }
};

// One non-blocking recvmsg into `buffer` (64 KiB holds any GRO batch). nullopt when nothing is
// waiting (or on an error, which a datagram socket only reports for a datagram it then drops).
std::optional<ReceivedSegments> receive_segments(int fd, MutableByteSpan buffer, SocketAddress& from);

}  // namespace peerkit::net
