#include "net/udp_gso.h"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <cerrno>
#include <cstring>

#include "net/endpoint.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

namespace peerkit::net {

void GsoSender::add(int fd, const SocketAddress& to, ByteSpan payload) {
  const bool joins = count_ > 0 && fd == fd_ && to == to_ && !closed_run_ &&
                     payload.size() <= segment_ && count_ < kMaxSegments &&
                     bytes_ + payload.size() <= kMaxBytes && gso_;
  if (!joins) {
    close_run();
    fd_ = fd;
    if (!(to == to_) || name_len_ == 0) {
      to_ = to;
      name_len_ = to_sockaddr(to, name_);
    }
    segment_ = payload.size();
  }
  iov_[count_++] = {const_cast<std::byte*>(payload.data()), payload.size()};
  bytes_ += payload.size();
  if (payload.size() < segment_) closed_run_ = true;
}

void GsoSender::flush() {
  close_run();
  send_singles();
}

void GsoSender::close_run() {
  if (count_ == 0) return;
  if (count_ == 1 || !gso_) {
    for (std::size_t i = 0; i < count_; ++i)
      queue_single(ByteSpan(static_cast<const std::byte*>(iov_[i].iov_base), iov_[i].iov_len));
  } else {
    send_singles();  // what came before this run leaves before it
    msghdr m{};
    m.msg_name = &name_;
    m.msg_namelen = name_len_;
    m.msg_iov = iov_.data();
    m.msg_iovlen = count_;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(std::uint16_t))> control{};
    m.msg_control = control.data();
    m.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    const auto size = static_cast<std::uint16_t>(segment_);
    std::memcpy(CMSG_DATA(c), &size, sizeof size);
    ++calls_;
    if (::sendmsg(fd_, &m, MSG_DONTWAIT) >= 0) {
      datagrams_ += count_;
    } else if (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
      // No GSO on this kernel or device (EIO: no checksum offload): from now on one by one.
      gso_ = false;
      for (std::size_t i = 0; i < count_; ++i)
        queue_single(ByteSpan(static_cast<const std::byte*>(iov_[i].iov_base), iov_[i].iov_len));
    } else {
      dropped_ += count_;  // a full socket buffer drops the burst, as the network might
    }
  }
  count_ = bytes_ = segment_ = 0;
  closed_run_ = false;
}

void GsoSender::queue_single(ByteSpan payload) {
  if (singles_ == kMaxMessages || (singles_ > 0 && singles_fd_ != fd_)) send_singles();
  singles_fd_ = fd_;
  single_iov_[singles_] = {const_cast<std::byte*>(payload.data()), payload.size()};
  std::memcpy(&single_names_[singles_], &name_, name_len_);
  msghdr& h = messages_[singles_].msg_hdr;
  h = msghdr{};
  h.msg_name = &single_names_[singles_];
  h.msg_namelen = name_len_;
  h.msg_iov = &single_iov_[singles_];
  h.msg_iovlen = 1;
  ++singles_;
}

void GsoSender::send_singles() {
  std::size_t at = 0;
  while (at < singles_) {
    ++calls_;
    const int n = ::sendmmsg(singles_fd_, messages_.data() + at, static_cast<unsigned>(singles_ - at), MSG_DONTWAIT);
    if (n <= 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        dropped_ += singles_ - at;  // the socket buffer is full: the rest would fail one by one
        break;
      }
      ++dropped_;  // this one failed (e.g. an unreachable address): skip it, send the rest
      ++at;
    } else {
      datagrams_ += static_cast<std::uint64_t>(n);
      at += static_cast<std::size_t>(n);
    }
  }
  singles_ = 0;
}

bool enable_gro(int fd) {
  const int on = 1;
  return ::setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) == 0;
}

std::optional<ReceivedSegments> receive_segments(int fd, MutableByteSpan buffer, SocketAddress& from) {
  sockaddr_storage name{};
  iovec iov{buffer.data(), buffer.size()};
  msghdr m{};
  m.msg_name = &name;
  m.msg_namelen = sizeof name;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int))> control{};
  m.msg_control = control.data();
  m.msg_controllen = control.size();
  const ssize_t n = ::recvmsg(fd, &m, MSG_DONTWAIT);
  if (n < 0) return std::nullopt;
  ReceivedSegments r;
  r.bytes = static_cast<std::size_t>(n);
  r.segment = r.bytes;
  // MSG_CTRUNC: the segment size may be missing, and a GRO batch read as one datagram would be
  // garbage to the layers above: drop it like a truncated one.
  r.truncated = (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      if (size > 0 && static_cast<std::size_t>(size) < r.bytes) r.segment = static_cast<std::size_t>(size);
    }
  }
  from = from_sockaddr(reinterpret_cast<const sockaddr*>(&name), m.msg_namelen).value_or(SocketAddress{});
  return r;
}

}  // namespace peerkit::net
