#include "turn/service/reservations.h"

#include <unistd.h>

namespace peerkit::turn {

ReservationRegistry::ReservationRegistry(Duration lifetime, std::size_t max_held,
                                         std::function<void(int, const SocketAddress&)> close_fd)
    : lifetime_(lifetime), max_held_(max_held), close_fd_(std::move(close_fd)) {
  if (!close_fd_) close_fd_ = [](int fd, const SocketAddress&) { ::close(fd); };
}

ReservationRegistry::~ReservationRegistry() {
  for (auto& [token, e] : entries_) close_fd_(e.held.fd, e.held.address);
}

std::optional<std::uint64_t> ReservationRegistry::hold(int fd, const SocketAddress& address,
                                                       std::uint64_t token, Timestamp now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_held_ || token == 0 || entries_.count(token)) {
    close_fd_(fd, address);
    return std::nullopt;
  }
  entries_[token] = {{fd, address}, now + lifetime_};
  return token;
}

std::optional<ReservationRegistry::Held> ReservationRegistry::take(std::uint64_t token,
                                                                   Timestamp now) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return std::nullopt;
  Entry e = it->second;
  entries_.erase(it);
  if (e.expires <= now) {
    close_fd_(e.held.fd, e.held.address);
    return std::nullopt;
  }
  return e.held;
}

void ReservationRegistry::expire(Timestamp now) {
  std::lock_guard lock(mutex_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires <= now) {
      close_fd_(it->second.held.fd, it->second.held.address);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t ReservationRegistry::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace peerkit::turn
