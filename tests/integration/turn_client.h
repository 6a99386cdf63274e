// A small blocking TURN client for integration tests: a real UDP or TCP socket on loopback,
// long-term credentials with the 401 round trip, and waits bounded by a deadline.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "common/random.h"
#include "net/endpoint.h"
#include "stun/attributes.h"
#include "stun/integrity.h"
#include "turn/stream_framing.h"

namespace peerkit::testing {

namespace attr = stun::attr;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;

inline int bound_udp(const char* ip = "127.0.0.1") {
  auto a = *SocketAddress::parse(ip, 0);
  const int fd = ::socket(a.ip().is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
  sockaddr_storage ss;
  const socklen_t len = net::to_sockaddr(a, ss);
  ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
  return fd;
}

inline SocketAddress local_of(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return *net::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

// A loopback port free for both UDP and TCP right now. A TURN listener binds both, and an
// ephemeral UDP port can be some parallel test's TCP client port, so both are checked.
inline std::uint16_t free_udp_tcp_port() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int udp = bound_udp();
    const SocketAddress at = local_of(udp);
    const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_storage ss;
    const socklen_t len = net::to_sockaddr(at, ss);
    const bool free = ::bind(tcp, reinterpret_cast<sockaddr*>(&ss), len) == 0;
    ::close(tcp);
    ::close(udp);
    if (free) return at.port();
  }
  return 0;
}

// Waits up to `ms` for a datagram; nullopt on timeout.
inline std::optional<std::vector<std::byte>> receive(int fd, int ms,
                                                     SocketAddress* from = nullptr) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return std::nullopt;
  std::vector<std::byte> buf(65536);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  const auto n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), &len);
  if (n < 0) return std::nullopt;
  if (from) *from = *net::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

class TurnClient {
 public:
  TurnClient(SocketAddress server, std::string user, std::string password, std::string realm,
             bool tcp = false)
      : server_(server),
        user_(std::move(user)),
        password_(std::move(password)),
        realm_(std::move(realm)),
        tcp_(tcp) {
    fd_ = ::socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    sockaddr_storage ss;
    const socklen_t len = net::to_sockaddr(server, ss);
    ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len);
  }
  ~TurnClient() { ::close(fd_); }
  int fd() const { return fd_; }
  void set_credentials(std::string user, std::string password) {
    user_ = std::move(user);
    password_ = std::move(password);
  }

  // One request with authentication; returns the final answer (after 401/438 retries).
  template <class F>
  std::optional<std::vector<std::byte>> request(Method method, F add) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::byte buf[1500];
      stun::TransactionId tid;
      random_.fill(tid.bytes);
      MessageBuilder b(buf, method, MessageClass::kRequest, tid);
      add(b);
      if (!nonce_.empty()) {
        b.add(attr::kUsername, user_);
        b.add(attr::kRealm, realm_);
        b.add(attr::kNonce, nonce_);
        b.add_message_integrity(stun::long_term_key(user_, realm_, password_));
      }
      send(b.finish());
      auto answer = receive_message(2000);
      if (!answer) return std::nullopt;
      auto m = MessageView::parse(*answer);
      if (!m) return std::nullopt;
      auto e = stun::find_error_code(*m);
      if (e && (e->code == 401 || e->code == 438) && m->has(attr::kNonce)) {
        const bool had_nonce = !nonce_.empty();
        nonce_ = std::string(as_string_view(*m->find(attr::kNonce)));
        if (e->code == 401 && had_nonce) return answer;  // credentials were wrong
        continue;
      }
      return answer;
    }
    return std::nullopt;
  }

  static int code(const std::optional<std::vector<std::byte>>& answer) {
    if (!answer) return -1;
    auto m = MessageView::parse(*answer);
    if (!m) return -2;
    auto e = stun::find_error_code(*m);
    return e ? e->code : 0;
  }

  int allocate(bool dual = false) {
    return code(request(Method::kAllocate, [&](MessageBuilder& b) {
      stun::add_requested_transport(b, 17);
      if (dual) stun::add_address_family(b, attr::kAdditionalAddressFamily, AddressFamily::kIpv6);
    }));
  }
  int permit(const SocketAddress& peer) {
    return code(request(Method::kCreatePermission, [&](MessageBuilder& b) {
      stun::add_xor_address(b, attr::kXorPeerAddress, peer);
    }));
  }
  int bind(std::uint16_t channel, const SocketAddress& peer) {
    return code(request(Method::kChannelBind, [&](MessageBuilder& b) {
      stun::add_channel_number(b, channel);
      stun::add_xor_address(b, attr::kXorPeerAddress, peer);
    }));
  }
  int refresh(std::uint32_t lifetime) {
    return code(request(Method::kRefresh,
                        [&](MessageBuilder& b) { b.add_u32(attr::kLifetime, lifetime); }));
  }
  void send_indication(const SocketAddress& peer, std::string_view data) {
    std::byte buf[1500];
    stun::TransactionId tid;
    random_.fill(tid.bytes);
    MessageBuilder b(buf, Method::kSend, MessageClass::kIndication, tid);
    stun::add_xor_address(b, attr::kXorPeerAddress, peer);
    b.add(attr::kData, data);
    send(b.finish());
  }
  void send(ByteSpan bytes) { ::send(fd_, bytes.data(), bytes.size(), 0); }

  // A whole message (UDP datagram or one TCP frame).
  std::optional<std::vector<std::byte>> receive_message(int ms) {
    if (!tcp_) return receive(fd_, ms);
    for (;;) {
      auto f = turn::next_frame(stream_);
      if (f.status == turn::FrameStatus::kFrame) {
        std::vector<std::byte> out(stream_.begin(),
                                   stream_.begin() + static_cast<long>(f.frame_length));
        stream_.erase(stream_.begin(), stream_.begin() + static_cast<long>(f.consumed));
        return out;
      }
      if (f.status == turn::FrameStatus::kInvalid) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, ms) <= 0) return std::nullopt;
      std::byte buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      stream_.insert(stream_.end(), buf, buf + n);
    }
  }

 private:
  SocketAddress server_;
  std::string user_, password_, realm_;
  bool tcp_;
  int fd_;
  std::string nonce_;
  std::vector<std::byte> stream_;
  CryptoRandom random_;
};

}  // namespace peerkit::testing
