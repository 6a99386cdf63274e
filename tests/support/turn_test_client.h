// A blocking TURN client for integration tests: a real UDP or TCP socket driving the sans-IO
// turn::Client core (Allocate with the 401 round trip, permissions, data, Refresh 0 on close),
// every wait bounded by a deadline. The core only ever sends what a well-behaved client sends,
// so negative tests — another user's credentials on this 5-tuple, a chosen channel number, a
// dual-stack Allocate, a Send indication to a peer the server must refuse — have a raw path
// beside it: requests written with support/turn_requests.h, signed with the nonce and realm
// this driver has seen on the wire.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/random.h"
#include "common/time.h"
#include "stun/attributes.h"
#include "support/turn_requests.h"
#include "turn/client.h"

namespace peerkit::testing {

// UDP socket bound to an ephemeral port on `ip`.
int bound_udp(const char* ip = "127.0.0.1");
SocketAddress local_of(int fd);
// A loopback port free for both UDP and TCP right now. A TURN listener binds both, and an
// ephemeral UDP port can be some parallel test's TCP client port, so both are checked.
std::uint16_t free_udp_tcp_port();
// Waits up to `ms` for a datagram; nullopt on timeout.
std::optional<std::vector<std::byte>> receive(int fd, int ms, SocketAddress* from = nullptr);
void send_to(int fd, const SocketAddress& to, std::string_view data);

class TurnTestClient {
 public:
  TurnTestClient(SocketAddress server, std::string user, std::string password, bool tcp = false);
  ~TurnTestClient();
  TurnTestClient(const TurnTestClient&) = delete;
  TurnTestClient& operator=(const TurnTestClient&) = delete;
  int fd() const { return fd_; }

  // ---- through the turn::Client core. Results: 0 on success, else the error code of the
  // answer that ended it (-1: no answer in time).
  int allocate();
  int permit(const SocketAddress& peer);
  // Data to `peer` (Send indication until its channel is bound, then ChannelData).
  bool send(const SocketAddress& peer, std::string_view data);
  // Data from a peer, up to `ms`.
  std::optional<std::string> receive_data(int ms, SocketAddress* from = nullptr);
  // Refresh with LIFETIME 0.
  void close();
  const turn::Client& core() const { return core_; }

  // ---- the raw path, for what the core never sends.
  void set_credentials(std::string user, std::string password);
  // One request signed with the current credentials; the final answer after 401/438 retries.
  template <class F>
  std::optional<std::vector<std::byte>> request(stun::Method method, F add);
  static int code(const std::optional<std::vector<std::byte>>& answer);
  int allocate_dual();  // Allocate with ADDITIONAL-ADDRESS-FAMILY IPv6 (RFC 8656 §7.2)
  int raw_permit(const SocketAddress& peer);
  int bind(std::uint16_t channel, const SocketAddress& peer);
  int refresh(std::uint32_t lifetime);
  void send_indication(const SocketAddress& peer, std::string_view data);
  void send_raw(ByteSpan bytes);
  // A whole message (UDP datagram or one TCP frame), up to `ms`.
  std::optional<std::vector<std::byte>> receive_message(int ms);

 private:
  enum class Verdict { kAnswer, kRetry, kNoAnswer };
  // Notes the nonce and realm a 401/438 carries; whether to sign again and retry.
  Verdict judge(const std::optional<std::vector<std::byte>>& answer);
  // Feeds one message to the core, noting the nonce, realm and error code it carries.
  std::optional<turn::Client::PeerData> deliver(ByteSpan message);
  void flush();
  // Runs the core until `done()` or `ms` pass; false on timeout.
  template <class F>
  bool pump(F done, int ms = 3000) {
    const Timestamp deadline = clock_.now() + Duration::millis(ms);
    while (!done())
      if (!pump_once(deadline)) return false;
    return true;
  }
  bool pump_once(Timestamp deadline);
  void note(const stun::MessageView& m);

  int fd_ = -1;
  bool tcp_;
  std::string user_, password_, realm_, nonce_;
  int last_error_ = 0;  // of the last response the driver saw
  std::uint64_t responses_ = 0;
  std::vector<std::byte> stream_;
  std::optional<std::string> data_;  // peer data the core returned while pumping
  SocketAddress data_from_;
  SteadyClock clock_;
  CryptoRandom random_;
  turn::Client core_;
};

template <class F>
std::optional<std::vector<std::byte>> TurnTestClient::request(stun::Method method, F add) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::optional<LongTermCredentials> credentials;
    if (!nonce_.empty()) credentials = LongTermCredentials{user_, realm_, password_, nonce_};
    stun::TransactionId tid;
    random_.fill(tid.bytes);
    send_raw(turn_request(method, tid, add, credentials));
    auto answer = receive_message(2000);
    switch (judge(answer)) {
      case Verdict::kAnswer:
        return answer;
      case Verdict::kRetry:
        continue;
      case Verdict::kNoAnswer:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace peerkit::testing
