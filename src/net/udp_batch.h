// Batched datagram IO with recvmmsg/sendmmsg: one system call moves up to kBatch datagrams,
// which is what makes a relay fast on Linux (the per-datagram kernel cost dominates; see
// ../shared/testing/environment.md §7). Receive buffers keep kHeadroom spare bytes in front of
// each datagram so a protocol header can be prepended in place (TURN ChannelData).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"

namespace peerkit::net {

class UdpBatchReceiver {
 public:
  static constexpr std::size_t kBatch = 64;
  static constexpr std::size_t kHeadroom = 4;
  static constexpr std::size_t kMaxDatagram = 8192;  // larger datagrams are dropped (counted)

  UdpBatchReceiver();
  // Non-blocking; receives into the free slots after those in use and returns the index of
  // the first slot it filled through `first`, and how many (0 when none are waiting). Slots
  // keep their datagrams until reset(), so a caller can gather datagrams from several sockets
  // and send all the answers in one batch.
  int receive(int fd, int& first);
  int free_slots() const { return static_cast<int>(kBatch) - used_; }
  void reset() { used_ = 0; }
  MutableByteSpan data(int i);
  const SocketAddress& from(int i) const { return from_[static_cast<std::size_t>(i)]; }
  bool truncated(int i) const;
  std::uint64_t truncated_total() const { return truncated_total_; }

 private:
  std::vector<std::byte> storage_;
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_storage, kBatch> names_{};
  std::array<SocketAddress, kBatch> from_{};
  std::uint64_t truncated_total_ = 0;
  int used_ = 0;
};

class UdpBatchSender {
 public:
  static constexpr std::size_t kBatch = 64;
  // Queue one datagram for fd; a change of fd or a full batch flushes what is queued.
  void add(int fd, const SocketAddress& to, ByteSpan payload);
  void flush();
  std::uint64_t dropped() const { return dropped_; }  // EAGAIN/ENOBUFS/other send errors

 private:
  int fd_ = -1;
  std::size_t count_ = 0;
  std::array<mmsghdr, kBatch> msgs_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_storage, kBatch> names_{};
  std::uint64_t dropped_ = 0;
};

}  // namespace peerkit::net
