// The TURN client core (RFC 8656 §6-§12), sans-IO like the server: Allocate with the 401
// round trip (long-term credentials, RFC 8489 §9.2), 438 stale-nonce retry, Refresh before the
// lifetime runs out, CreatePermission per peer IP (refreshed every 4 minutes, §9), ChannelBind
// per peer address (refreshed every 9 minutes, §11) and ChannelData once bound, Send/Data
// indications before that. The ICE agent owns one per TURN server and base; the driver only
// carries its bytes to and from the server, over UDP or a TCP/TLS stream (framing by the driver,
// §12.5: ChannelData padded to 4 bytes on streams).
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"
#include "common/random.h"
#include "common/time.h"
#include "common/transmit.h"
#include "stun/client_transaction.h"
#include "stun/message.h"
#include "turn/channel_data.h"

namespace peerkit::turn {

struct ClientConfig {
  SocketAddress server;
  std::string username;
  std::string password;   // never logged
  bool reliable = false;  // TCP or TLS to the server: one send per request, padded ChannelData
  Duration lifetime = Duration::seconds(600);  // asked for in Allocate and Refresh (§7.2)
  // A TURN server that does not answer should not hold up gathering: 4 transmissions, failed
  // after 3.75 s.
  stun::TransactionConfig transaction{Duration::millis(250), 4, 8, Duration::seconds(5)};
  std::size_t max_peers = 64;                 // permissions this client will hold
  std::size_t max_pending_bytes = 64 * 1024;  // data waiting for its permission
  bool use_channels = true;
};

class Client {
 public:
  enum class State { kIdle, kAllocating, kAllocated, kFailed, kClosed };
  struct PeerData {
    SocketAddress peer;
    ByteSpan payload;  // points into the packet given to handle_packet
  };
  struct Counters {
    std::uint64_t requests = 0, responses = 0, sent_indications = 0, sent_channel_data = 0,
                  received_data = 0, dropped = 0;
  };

  Client(ClientConfig config, RandomSource& random);

  void allocate(Timestamp now);
  State state() const { return state_; }
  const std::string& failure() const { return failure_; }  // why kFailed, for logs
  const ClientConfig& config() const { return config_; }
  std::optional<SocketAddress> relayed_address() const { return relayed_; }
  std::optional<SocketAddress> mapped_address() const { return mapped_; }

  // Ask for a permission now (ICE does this when it learns a remote candidate), so the first
  // check does not wait for it.
  void create_permission(Timestamp now, const IpAddress& peer);
  // Sends `data` to `peer` through the relay; waits for the permission if needed (bounded).
  // False when it was dropped: not allocated, too many peers, or the waiting queue is full.
  bool send(Timestamp now, const SocketAddress& peer, ByteSpan data);
  bool permitted(const IpAddress& peer) const;

  // A message from the server: responses are consumed; data from a peer is returned.
  std::optional<PeerData> handle_packet(Timestamp now, ByteSpan packet);
  // What to send to the server (all to config().server; the socket is the caller's, so it is
  // left as SocketId{}). The common Transmit rule holds: see common/transmit.h.
  peerkit::TransmitBatch transmits() { return out_.drain(); }
  Timestamp next_timeout() const;
  void handle_timeout(Timestamp now);
  // Refresh with LIFETIME 0 (§7.2), best effort, then kClosed.
  void close(Timestamp now);
  const Counters& counters() const { return counters_; }

 private:
  enum class Kind { kAllocate, kRefresh, kPermission, kChannelBind };
  struct Pending {
    Kind kind;
    stun::ClientTransaction transaction;
    IpAddress peer_ip;      // kPermission
    SocketAddress peer;     // kChannelBind
    ChannelNumber channel;  // kChannelBind
    bool retried_nonce = false;
  };
  struct Peer {
    bool installed = false;
    bool requested = false;
    Timestamp refresh_at = Timestamp::never();
    std::deque<std::pair<SocketAddress, std::vector<std::byte>>> waiting;
  };
  struct Channel {
    ChannelNumber number;
    bool bound = false;
    Timestamp refresh_at = Timestamp::never();
  };

  void start_request(Timestamp now, Kind kind, const IpAddress& peer_ip = {},
                     const SocketAddress& peer = {}, ChannelNumber channel = {},
                     bool retried_nonce = false);
  void on_response(Timestamp now, Pending& p, const stun::MessageView& m);
  void on_success(Timestamp now, Pending& p, const stun::MessageView& m);
  void fail(std::string why);
  void send_now(const SocketAddress& peer, ByteSpan data);
  void flush_waiting(Timestamp now, const IpAddress& ip);
  std::optional<PeerData> handle_channel_data(ByteSpan packet);

  ClientConfig config_;
  RandomSource& random_;
  State state_ = State::kIdle;
  std::string failure_;
  std::string realm_, nonce_;
  std::vector<std::byte> key_;  // the long-term key, once the realm is known
  std::optional<SocketAddress> relayed_, mapped_;
  Timestamp refresh_at_ = Timestamp::never();
  std::vector<Pending> pending_;
  std::map<IpAddress, Peer> peers_;
  std::map<SocketAddress, Channel> channels_;
  ChannelNumber next_channel_ = kFirstChannel;  // §12: 0x4000-0x4FFF
  std::size_t waiting_bytes_ = 0;
  peerkit::TransmitQueue out_;         // owned bytes, reused: no allocation per packet
  std::vector<std::byte> indication_;  // scratch for Send indications, reused
  Counters counters_;
};

const char* to_string(Client::State state);

}  // namespace peerkit::turn
