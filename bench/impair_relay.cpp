#include "impair_relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace peerkit::bench {
namespace {

sockaddr_in address(const std::string& host, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) throw std::runtime_error("not an IPv4 address: " + host);
  return a;
}

int bound_socket(const std::string& host) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket");
  const int buffer = 4 << 20;  // a burst of video must not be lost here, before the impairment
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
  const sockaddr_in a = address(host, 0);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind " + host);
  return fd;
}

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t n = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  return ntohs(a.sin_port);
}

}  // namespace

ImpairRelay::ImpairRelay(const std::string& host, const std::string& server_host, std::uint16_t server_port,
                         Impairment impairment, std::uint32_t seed)
    : impairment_(impairment), server_(address(server_host, server_port)), random_(seed) {
  client_fd_ = bound_socket(host);
  server_fd_ = bound_socket(host);
  client_port_ = port_of(client_fd_);
  thread_ = std::thread([this] { run(); });
}

ImpairRelay::~ImpairRelay() {
  stop_ = true;
  thread_.join();
  close(client_fd_);
  close(server_fd_);
}

void ImpairRelay::set_cap(std::optional<double> bps) {
  std::lock_guard l(m_);
  cap_bps_ = bps;
}

ImpairRelay::Counters ImpairRelay::counters() const {
  std::lock_guard l(m_);
  return counters_;
}

void ImpairRelay::run() {
  while (!stop_) {
    auto now = Clock::now();
    // Wake for the next packet due, or every 20 ms to notice stop_.
    auto wake = now + std::chrono::milliseconds(20);
    if (!to_server_.empty()) wake = std::min(wake, to_server_.front().due);
    if (!to_client_.empty()) wake = std::min(wake, to_client_.front().due);
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count();
    pollfd fds[2] = {{client_fd_, POLLIN, 0}, {server_fd_, POLLIN, 0}};
    // poll() has millisecond resolution: a packet is sent up to 1 ms late, never early.
    (void)poll(fds, 2, static_cast<int>(std::max<long>(0, wait_ms)));
    now = Clock::now();
    if (fds[0].revents & POLLIN) receive(client_fd_, true, now);
    if (fds[1].revents & POLLIN) receive(server_fd_, false, now);
    flush(Clock::now());
  }
}

void ImpairRelay::receive(int fd, bool from_client, Clock::time_point now) {
  std::uniform_real_distribution<double> coin(0, 1);
  for (int i = 0; i < 256; ++i) {  // drain what is there, a bounded batch per wake
    unsigned char buf[2048];
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    const ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) return;
    std::lock_guard l(m_);
    if (from_client) client_ = from;
    else if (!client_) continue;  // nowhere to send it yet
    if (coin(random_) < impairment_.loss) {
      ++counters_.lost_random;
      continue;
    }
    Held h{now + impairment_.one_way_delay, std::vector<unsigned char>(buf, buf + n)};
    if (!from_client && cap_bps_) {
      // The bottleneck: this packet leaves once those ahead of it have (serialization at the
      // cap); one that would wait longer than the queue allows is dropped.
      const auto start = std::max(now, link_free_);
      if (start - now > impairment_.max_queue_delay) {
        ++counters_.dropped_queue;
        continue;
      }
      const auto transmit = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(static_cast<double>(n) * 8 / *cap_bps_));
      link_free_ = start + transmit;
      h.due = link_free_ + impairment_.one_way_delay;
    }
    (from_client ? to_server_ : to_client_).push_back(std::move(h));
  }
}

void ImpairRelay::flush(Clock::time_point now) {
  while (!to_server_.empty() && to_server_.front().due <= now) {
    const auto& d = to_server_.front().data;
    (void)sendto(server_fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&server_), sizeof server_);
    std::lock_guard l(m_);
    ++counters_.to_server;
    to_server_.pop_front();
  }
  while (!to_client_.empty() && to_client_.front().due <= now) {
    const auto& d = to_client_.front().data;
    (void)sendto(client_fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&*client_), sizeof *client_);
    std::lock_guard l(m_);
    ++counters_.to_client;
    to_client_.pop_front();
  }
}

}  // namespace peerkit::bench
