#include "net/udp_batch.h"

#include <cerrno>
#include <cstring>

#include "net/endpoint.h"

namespace peerkit::net {

namespace {
constexpr std::size_t kSlot = UdpBatchReceiver::kHeadroom + UdpBatchReceiver::kMaxDatagram;
}

UdpBatchReceiver::UdpBatchReceiver() : storage_(kBatch * kSlot) {
  for (std::size_t i = 0; i < kBatch; ++i) {
    iov_[i] = {storage_.data() + i * kSlot + kHeadroom, kMaxDatagram};
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_name = &names_[i];
  }
}

int UdpBatchReceiver::receive(int fd, int& first) {
  first = used_;
  const auto start = static_cast<std::size_t>(used_);
  if (start >= kBatch) return 0;
  for (std::size_t i = start; i < kBatch; ++i) {
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int n = ::recvmmsg(fd, msgs_.data() + start, static_cast<unsigned>(kBatch - start),
                           MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  for (std::size_t i = start; i < start + static_cast<std::size_t>(n); ++i) {
    auto a =
        from_sockaddr(reinterpret_cast<const sockaddr*>(&names_[i]), msgs_[i].msg_hdr.msg_namelen);
    from_[i] = a.value_or(SocketAddress{});
    if (truncated(static_cast<int>(i))) ++truncated_total_;
  }
  used_ += n;
  return n;
}

MutableByteSpan UdpBatchReceiver::data(int i) {
  const auto idx = static_cast<std::size_t>(i);
  return MutableByteSpan(storage_.data() + idx * kSlot + kHeadroom, msgs_[idx].msg_len);
}

bool UdpBatchReceiver::truncated(int i) const {
  return (msgs_[static_cast<std::size_t>(i)].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

void UdpBatchSender::add(int fd, const SocketAddress& to, ByteSpan payload) {
  if (fd != fd_ || count_ == kBatch) flush();
  fd_ = fd;
  auto& m = msgs_[count_];
  std::memset(&m, 0, sizeof m);
  iov_[count_] = {const_cast<std::byte*>(payload.data()), payload.size()};
  m.msg_hdr.msg_iov = &iov_[count_];
  m.msg_hdr.msg_iovlen = 1;
  m.msg_hdr.msg_name = &names_[count_];
  m.msg_hdr.msg_namelen = to_sockaddr(to, names_[count_]);
  ++count_;
}

void UdpBatchSender::flush() {
  std::size_t sent = 0;
  while (sent < count_) {
    const int n =
        ::sendmmsg(fd_, msgs_.data() + sent, static_cast<unsigned>(count_ - sent), MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The socket buffer is full or the destination is unreachable: UDP semantics, drop this one
    // and carry on with the rest.
    ++dropped_;
    ++sent;
  }
  count_ = 0;
}

}  // namespace peerkit::net
