// The PeerJS signaling protocol as PeerServer 1.0.2 speaks it (../shared/specs/peerjs-protocol.md
// §2), as a sans-IO core: the driver reports WebSocket opens, frames, closes and clock ticks; the
// core answers through Transport. Differences from PeerServer, all allowed by the protocol:
// OPEN on same-token takeover (and the replaced socket is closed), bounded offline queues, a
// per-connection message rate, and a malformed frame never stops later frames being relayed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/address.h"
#include "common/random.h"
#include "common/time.h"
#include "signaling/cluster_hook.h"
#include "signaling/json_frame.h"
#include "signaling/peerjs_frame.h"
#include "signaling/peerjs_options.h"
#include "signaling/rate_limiter.h"
#include "signaling/stats.h"
#include "signaling/transport.h"

namespace peerkit::signaling {

// The query of `<path>peerjs?key=&id=&token=`, already percent-decoded by the driver.
struct PeerJsConnectRequest {
  std::string key;
  std::string id;
  std::string token;
  IpAddress address;  // the client's; per-address budgets count client_key(address)
};

class PeerJsServer {
 public:
  PeerJsServer(PeerJsOptions options, Transport& transport);

  // A WebSocket at `<path>peerjs` completed its handshake. Runs the acceptance checks of spec
  // §2.2 in PeerServer's order; on rejection the session has been sent ERROR/ID-TAKEN and closed.
  bool on_open(SessionId session, const PeerJsConnectRequest& request, Timestamp now);
  void on_message(SessionId session, std::string_view text, Timestamp now);
  void on_close(SessionId session);
  // Reaps clients past the alive timeout and expires offline queues. Call every few hundred ms.
  void on_timer(Timestamp now);

  // GET /<key>/id: a fresh lower-case UUID v4 not used by a registered client (not reserved).
  std::string generate_id(RandomSource& random) const;
  // GET /<key>/peers (only when allow_discovery).
  std::vector<std::string> peer_ids() const;

  const PeerJsOptions& options() const { return options_; }
  const PeerJsStats& stats() const { return stats_; }
  std::size_t registered() const { return clients_.size(); }
  std::size_t sessions() const { return sessions_.size(); }
  std::size_t offline_messages() const;
  std::size_t queued_bytes() const { return total_bytes_; }  // what the byte budgets count
  // Queued bytes freed so far (delivered, expired, reaped); the driver returns memory to the
  // system after large frees.
  std::uint64_t released_bytes() const { return released_bytes_; }

  // Cluster mode (src/cluster): null (the default) is a single node. The hook must outlive the
  // core or be reset first.
  void set_cluster_hook(PeerJsClusterHook* hook) { hook_ = hook; }
  // A frame the cluster brought for local client `id`: sent to its current socket. False when
  // `id` is not a client here (or its send failed, which unregisters it as a local relay does).
  bool deliver_local(std::string_view id, std::string_view text);
  // The token `id` registered with here, or nullopt when it is not a local client.
  std::optional<std::string> local_token(std::string_view id) const;
  // Closes `id`'s socket and forgets it without telling the hook (its id now lives elsewhere).
  void drop_local(std::string_view id, std::string_view reason);

 private:
  struct Client {
    std::string token;
    SessionId session;
    Timestamp last_ping;
  };
  struct Session {
    // The client id this socket speaks for (PeerServer binds it at connect), while it is that
    // id's current socket: after a LEAVE without dst, a takeover or a failed send it speaks for
    // no one, even once the id is registered again by someone else.
    std::string id;
    IpAddress key;  // client_key of its address
    FrameGate gate;
  };
  struct Queued {
    std::string src;
    std::string text;  // the relayed frame, ready to send
    IpAddress key;     // the sender's client key
    std::size_t cost() const { return src.size() + text.size() + kQueuedMessageOverhead; }
  };
  struct OfflineQueue {
    Timestamp created;
    std::vector<Queued> messages;
    std::size_t bytes = 0;
  };

  void reject(SessionId session, std::string text);
  void deliver_queue(const std::string& id, SessionId session);
  // Spec §2.4 "transmission". `payload` is serialized JSON or empty when absent.
  void transmit(std::string_view type, std::string_view src, std::optional<std::string_view> dst,
                std::string_view payload, const IpAddress& sender_key = {});
  // False (and nothing queued) when a count or byte budget would be exceeded.
  bool enqueue(std::string_view dst, std::string_view src, const IpAddress& key,
               std::string_view text, Timestamp now);
  // Gives a queued message's bytes back to the sender and address budgets and the total.
  void release(const Queued& message);
  // Releases and erases a whole queue; the containers give their memory back once empty.
  void drop_queue(const std::string& dst);
  void count_relayed(std::string_view type);

  // Tells the hook (if any) that `id` is leaving this node's clients.
  void tell_unregistered(std::string_view id) {
    if (hook_) hook_->unregistered(id);
  }

  PeerJsOptions options_;
  Transport& transport_;
  PeerJsClusterHook* hook_ = nullptr;
  PeerJsStats stats_;
  Timestamp now_;
  // Looked up by the views the frame reader hands over, without a std::string per message.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  template <class T>
  using ById = std::unordered_map<std::string, T, IdHash, std::equal_to<>>;
  ById<Client> clients_;
  std::unordered_map<SessionId, Session> sessions_;
  ById<OfflineQueue> queues_;
  ById<std::size_t> sender_bytes_;  // queued bytes by sender id
  std::unordered_map<IpAddress, std::size_t, IpAddressHash> address_bytes_;
  std::size_t total_bytes_ = 0;
  std::uint64_t released_bytes_ = 0;
  PeerJsFrameReader reader_{kMaxJsonDepth};
  PeerJsFrame frame_;
  std::string out_;              // the frame being relayed (reused)
  std::string payload_scratch_;  // a payload that had to be serialized again (rare)
};

// The exact texts the official client inspects (spec §2.2, §2.3).
namespace peerjs_text {
inline constexpr std::string_view kNoIdTokenOrKey =
    "No id, token, or key supplied to websocket server";
inline constexpr std::string_view kInvalidKey = "Invalid key provided";
inline constexpr std::string_view kConcurrentLimit = "Server has reached its concurrent user limit";
inline constexpr std::string_view kIdTaken =
    R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})";
inline constexpr std::string_view kOpen = R"({"type":"OPEN"})";
}  // namespace peerjs_text

// {"type":"ERROR","payload":{"msg":"<msg>"}} with `msg` JSON-escaped.
std::string peerjs_error(std::string_view msg);

}  // namespace peerkit::signaling
