// The TURN (RFC 8656) and STUN (RFC 8489, RFC 5780) server core. Sans-IO: it never touches a
// socket or a clock. The driver hands it packets with the time they arrived and drains the
// TransmitQueue; relay sockets and global quotas come through the RelayAllocator and QuotaLedger
// interfaces. One Server per worker thread; nothing here is locked, and what the workers share
// (the unauthenticated-answer budget, the relay directory) comes in through SharedState.
//
// Request processing follows RFC 8656 §7-§12 and RFC 8489 §6.3; authentication §9.2 with
// stateless nonces (nonce.h) and a per-source limit on unauthenticated answers (amplification,
// ../../docs/turn.md "Abuse resistance").
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/random.h"
#include "stun/message.h"
#include "turn/allocation.h"
#include "turn/credentials.h"
#include "turn/nonce.h"
#include "turn/options.h"
#include "turn/policy.h"
#include "turn/resources.h"
#include "turn/transmit.h"
#include "turn/unauth_limiter.h"

namespace peerkit::turn {

// Things worth a log line. Never carries keys, passwords or nonces.
struct ServerEvent {
  enum class Kind {
    kAllocationCreated,
    kAllocationDeleted,
    kAllocationExpired,
    kPeerDenied,
    kAuthFailed,
    kQuotaRejected
  };
  Kind kind;
  ClientRoute route;
  std::string username;
  std::string detail;  // relay address, denied peer and matched rule, ...
};

// What the Servers of one process (one per worker thread) share besides the quota ledger. A
// null pointer means this Server runs alone (tests, the simulator, the fuzzer) and keeps its own.
struct SharedState {
  UnauthBudget* unauth = nullptr;             // unauthenticated answers per client key
  RelayDirectory* relay_addresses = nullptr;  // every worker's relayed transport addresses
};

// The RelayDirectory of a Server that runs alone: its own allocations' relays.
class LocalRelayDirectory final : public RelayDirectory {
 public:
  void add(const SocketAddress& relay) override { relays_.insert(relay); }
  void remove(const SocketAddress& relay) override { relays_.erase(relay); }
  bool contains(const SocketAddress& a) const override { return relays_.contains(a); }

 private:
  std::unordered_set<SocketAddress, SocketAddressHash> relays_;
};

class Server {
 public:
  Server(ServerOptions options, CredentialStore credentials, PeerPolicy policy,
         RelayAllocator& relays, QuotaLedger& quotas, NonceIssuer nonces, RandomSource& random,
         SharedState shared = {});
  ~Server();

  // A datagram or stream frame from a client (STUN message or ChannelData).
  void handle_client_packet(Timestamp now, const ClientRoute& route, ByteSpan data,
                            TransmitQueue& out);
  // A datagram that arrived on a relay socket from `peer`. `headroom` writable bytes precede
  // `data` (at least 4 lets the ChannelData header be written in place for UDP clients; with
  // less, the payload is copied).
  void handle_peer_packet(Timestamp now, RelayHandle relay, const SocketAddress& peer,
                          MutableByteSpan data, std::size_t headroom, TransmitQueue& out);
  // A TCP/TLS client connection closed: its allocations go with it (RFC 8656 §5).
  void handle_connection_closed(Timestamp now, std::uint64_t connection);
  void handle_timeout(Timestamp now);
  Timestamp next_timeout() const { return next_sweep_; }

  // Swap the relay policy (configuration reload); permissions are checked again on next use.
  void set_policy(PeerPolicy policy);
  // Swap the TURN REST secrets (rotation without a restart; CredentialStore::set_secrets).
  void set_secrets(std::vector<std::string> secrets) {
    credentials_.set_secrets(std::move(secrets));
  }

  bool poll_event(ServerEvent& event);
  const Counters& counters() const { return counters_; }
  std::size_t allocation_count() const { return allocations_.size(); }
  std::size_t permission_count() const;
  std::size_t channel_count() const;
  // For tests: the allocation owning a 5-tuple.
  const Allocation* find_allocation(const ClientRoute& route) const;

 private:
  struct Request;  // a parsed, possibly authenticated request (server.cpp)

  void handle_stun(Timestamp now, const ClientRoute& route, const stun::MessageView& m,
                   TransmitQueue& out);
  void handle_channel_data(Timestamp now, const ClientRoute& route, ByteSpan data,
                           TransmitQueue& out);
  void handle_binding(Timestamp now, Request& req, TransmitQueue& out);
  void handle_allocate(Timestamp now, Request& req, TransmitQueue& out);
  void handle_refresh(Timestamp now, Request& req, TransmitQueue& out);
  void handle_create_permission(Timestamp now, Request& req, TransmitQueue& out);
  void handle_channel_bind(Timestamp now, Request& req, TransmitQueue& out);
  void handle_send(Timestamp now, const ClientRoute& route, const stun::MessageView& m,
                   TransmitQueue& out);

  bool authenticate(Timestamp now, Request& req, TransmitQueue& out);
  bool unauth_allowed(Timestamp now, const ClientRoute& route);
  IpAddress client_key_of(const ClientRoute& route) const;
  bool check_peer(Request& req, const SocketAddress& peer, Allocation& a, TransmitQueue& out,
                  bool for_channel, bool& own_relays_only);
  void send_error(Request& req, int code, TransmitQueue& out, bool with_nonce = false);
  void finish_response(Request& req, stun::MessageBuilder& b, TransmitQueue& out);
  void send_allocate_success(Timestamp now, Request& req, Allocation& a,
                             std::optional<std::uint64_t> token,
                             std::optional<AddressFamily> failed_family, TransmitQueue& out);
  void relay_to_peer(Timestamp now, Allocation& a, const SocketAddress& peer, ByteSpan payload,
                     TransmitQueue& out);
  bool policy_allows(const IpAddress& peer, std::string* rule);
  void delete_allocation(Timestamp now, const ClientRoute& route, ServerEvent::Kind why);
  void emit(ServerEvent::Kind kind, const ClientRoute& route, std::string username,
            std::string detail);
  void sweep(Timestamp now);

  ServerOptions options_;
  CredentialStore credentials_;
  PeerPolicy policy_;
  std::uint32_t policy_epoch_ = 0;
  RelayAllocator& relays_;
  QuotaLedger& quotas_;
  NonceIssuer nonces_;
  RandomSource& random_;
  UnauthLimiter own_unauth_;  // used when no shared budget is given
  LocalRelayDirectory own_relay_addresses_;
  UnauthBudget& unauth_;
  RelayDirectory& relay_addresses_;

  std::unordered_map<ClientRoute, std::unique_ptr<Allocation>, ClientRouteHash> allocations_;
  std::unordered_map<RelayHandle, Allocation*> by_relay_;

  Counters counters_;
  std::deque<ServerEvent> events_;
  Timestamp next_sweep_;
};

}  // namespace peerkit::turn
