#include "support/turn_test_client.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "net/endpoint.h"
#include "turn/stream_framing.h"

namespace peerkit::testing {

namespace attr = stun::attr;
using stun::MessageView;

int bound_udp(const char* ip) {
  auto a = *SocketAddress::parse(ip, 0);
  const int fd = ::socket(a.ip().is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
  sockaddr_storage ss;
  const socklen_t len = net::to_sockaddr(a, ss);
  ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
  return fd;
}

SocketAddress local_of(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return *net::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

std::uint16_t free_udp_tcp_port() {
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

std::optional<std::vector<std::byte>> receive(int fd, int ms, SocketAddress* from) {
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

void send_to(int fd, const SocketAddress& to, std::string_view data) {
  sockaddr_storage ss;
  const socklen_t len = net::to_sockaddr(to, ss);
  ::sendto(fd, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
}

namespace {

turn::ClientConfig config_for(SocketAddress server, const std::string& user,
                              const std::string& password, bool tcp) {
  turn::ClientConfig c;
  c.server = server;
  c.username = user;
  c.password = password;
  c.reliable = tcp;
  return c;
}

}  // namespace

TurnTestClient::TurnTestClient(SocketAddress server, std::string user, std::string password,
                               bool tcp)
    : tcp_(tcp),
      user_(std::move(user)),
      password_(std::move(password)),
      core_(config_for(server, user_, password_, tcp), random_) {
  fd_ = ::socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  sockaddr_storage ss;
  const socklen_t len = net::to_sockaddr(server, ss);
  ::connect(fd_, reinterpret_cast<sockaddr*>(&ss), len);
}

TurnTestClient::~TurnTestClient() {
  ::close(fd_);
}

// ---- through the core -------------------------------------------------------------------

int TurnTestClient::allocate() {
  last_error_ = 0;
  core_.allocate(clock_.now());
  flush();
  if (!pump([&] { return core_.state() != turn::Client::State::kAllocating; }, 5000)) return -1;
  if (core_.state() == turn::Client::State::kAllocated) return 0;
  return last_error_ ? last_error_ : -1;
}

int TurnTestClient::permit(const SocketAddress& peer) {
  if (core_.permitted(peer.ip())) return 0;
  const std::uint64_t before = responses_;
  core_.create_permission(clock_.now(), peer.ip());
  flush();
  const bool answered = pump([&] {
    return core_.permitted(peer.ip()) ||
           (responses_ > before && last_error_ != 0 && last_error_ != 438);
  });
  if (!answered) return -1;
  return core_.permitted(peer.ip()) ? 0 : last_error_;
}

bool TurnTestClient::send(const SocketAddress& peer, std::string_view data) {
  if (!core_.send(clock_.now(), peer, as_bytes(data))) return false;
  flush();
  // Data waiting for its permission leaves when the permission is installed.
  return pump([&] { return core_.permitted(peer.ip()); });
}

std::optional<std::string> TurnTestClient::receive_data(int ms, SocketAddress* from) {
  if (!pump([&] { return data_.has_value(); }, ms)) return std::nullopt;
  if (from) *from = data_from_;
  auto out = std::move(data_);
  data_.reset();
  return out;
}

void TurnTestClient::close() {
  core_.close(clock_.now());
  flush();
}

void TurnTestClient::note(const MessageView& m) {
  if (m.message_class() != stun::MessageClass::kSuccess &&
      m.message_class() != stun::MessageClass::kError)
    return;
  ++responses_;
  const auto e = stun::find_error_code(m);
  last_error_ = e ? e->code : 0;
  if (auto n = m.find(attr::kNonce)) nonce_ = std::string(as_string_view(*n));
  if (auto r = m.find(attr::kRealm)) realm_ = std::string(as_string_view(*r));
}

std::optional<turn::Client::PeerData> TurnTestClient::deliver(ByteSpan message) {
  if (auto m = MessageView::parse(message)) note(*m);
  return core_.handle_packet(clock_.now(), message);
}

void TurnTestClient::flush() {
  for (const peerkit::Transmit& t : core_.transmits()) send_raw(t.data);
}

bool TurnTestClient::pump_once(Timestamp deadline) {
  const Timestamp now = clock_.now();
  if (now >= deadline) return false;
  if (now >= core_.next_timeout()) {
    core_.handle_timeout(now);
    flush();
    return true;
  }
  const Timestamp until = std::min(deadline, core_.next_timeout());
  const int ms = static_cast<int>((until.us() - now.us() + 999) / 1000);
  if (auto message = receive_message(ms)) {
    if (auto d = deliver(*message)) {
      data_ = std::string(as_string_view(d->payload));
      data_from_ = d->peer;
    }
    flush();
  }
  return true;
}

// ---- the raw path -----------------------------------------------------------------------

void TurnTestClient::set_credentials(std::string user, std::string password) {
  user_ = std::move(user);
  password_ = std::move(password);
}

TurnTestClient::Verdict TurnTestClient::judge(const std::optional<std::vector<std::byte>>& answer) {
  if (!answer) return Verdict::kNoAnswer;
  auto m = MessageView::parse(*answer);
  if (!m) return Verdict::kNoAnswer;
  auto e = stun::find_error_code(*m);
  const bool had_nonce = !nonce_.empty();
  note(*m);
  if (e && (e->code == 401 || e->code == 438) && m->has(attr::kNonce)) {
    if (e->code == 401 && had_nonce) return Verdict::kAnswer;  // credentials were wrong
    return Verdict::kRetry;
  }
  return Verdict::kAnswer;
}

int TurnTestClient::code(const std::optional<std::vector<std::byte>>& answer) {
  if (!answer) return -1;
  auto m = MessageView::parse(*answer);
  if (!m) return -2;
  auto e = stun::find_error_code(*m);
  return e ? e->code : 0;
}

int TurnTestClient::allocate_dual() {
  return code(request(stun::Method::kAllocate, [&](stun::MessageBuilder& b) {
    stun::add_requested_transport(b, 17);
    stun::add_address_family(b, attr::kAdditionalAddressFamily, AddressFamily::kIpv6);
  }));
}

int TurnTestClient::raw_permit(const SocketAddress& peer) {
  return code(request(stun::Method::kCreatePermission, [&](stun::MessageBuilder& b) {
    stun::add_xor_address(b, attr::kXorPeerAddress, peer);
  }));
}

int TurnTestClient::bind(std::uint16_t channel, const SocketAddress& peer) {
  return code(request(stun::Method::kChannelBind, [&](stun::MessageBuilder& b) {
    stun::add_channel_number(b, channel);
    stun::add_xor_address(b, attr::kXorPeerAddress, peer);
  }));
}

int TurnTestClient::refresh(std::uint32_t lifetime) {
  return code(request(stun::Method::kRefresh,
                      [&](stun::MessageBuilder& b) { b.add_u32(attr::kLifetime, lifetime); }));
}

void TurnTestClient::send_indication(const SocketAddress& peer, std::string_view data) {
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  send_raw(testing::send_indication(tid, peer, data));
}

void TurnTestClient::send_raw(ByteSpan bytes) {
  ::send(fd_, bytes.data(), bytes.size(), 0);
}

std::optional<std::vector<std::byte>> TurnTestClient::receive_message(int ms) {
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

}  // namespace peerkit::testing
