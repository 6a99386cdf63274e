// The PeerJS protocol across nodes: wraps one node's signaling::PeerJsServer (as its cluster
// hook) so that ids are unique cluster-wide, frames reach a destination on whichever node holds
// it (that node's channel only), offline queues live in Redis per destination id, and a dead
// node's ids are freed by the survivors. The driver calls this class's on_open/on_close/on_timer
// instead of the server's; on_message still goes to the server. README.md has the details.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/node.h"
#include "signaling/peerjs_server.h"

namespace peerkit::cluster {

struct PeerJsClusterStats {
  std::uint64_t claims = 0;           // ids claimed in Redis
  std::uint64_t id_taken = 0;         // refused: the id is held on another node
  std::uint64_t takeovers = 0;        // same token reconnected here, away from another node
  std::uint64_t unclaimed_opens = 0;  // registered locally while Redis was unreachable
  std::uint64_t routed = 0;           // frames sent to another node
  std::uint64_t queued = 0;           // frames put in a Redis offline queue
  std::uint64_t expired = 0;          // EXPIRE sent because of the cluster path
  std::uint64_t delivered_in = 0;     // frames from other nodes given to a local client
  std::uint64_t lost_claims = 0;      // local ids dropped: claimed elsewhere meanwhile
  std::uint64_t freed = 0;            // ids of dead nodes freed by this node
  std::uint64_t owner_cache_hits = 0; // frames routed without a claim lookup
  std::uint64_t forwarded = 0;        // frames passed on: their id had left this node
};

class PeerJsCluster final : public signaling::PeerJsClusterHook {
 public:
  PeerJsCluster(Node& node, signaling::PeerJsServer& server, signaling::Transport& transport);
  ~PeerJsCluster() override;

  // As PeerJsServer::on_open, but the id is claimed cluster-wide first, so OPEN or ID-TAKEN
  // comes a Redis round trip later. While Redis is unreachable the id is registered locally
  // and claimed once Redis is back.
  void on_open(signaling::SessionId session, const signaling::PeerJsConnectRequest& request,
               Timestamp now);
  void on_close(signaling::SessionId session);
  void on_timer(Timestamp now);
  // GET /<key>/peers across the cluster (this node's own list alone when Redis fails).
  void peer_ids(std::function<void(std::vector<std::string>)> done);

  const PeerJsClusterStats& stats() const { return stats_; }
  std::size_t pending_opens() const { return pending_.size(); }

  // PeerJsClusterHook
  bool route(std::string_view type, std::string_view src, std::string_view dst,
             std::string_view text) override;
  void registered(std::string_view id, std::string_view token) override;
  void unregistered(std::string_view id) override;

 private:
  struct Pending {
    signaling::PeerJsConnectRequest request;
  };
  struct Expiry {
    Timestamp deadline;
  };

  std::string claim_key(std::string_view id) const;
  std::string queue_key(std::string_view id) const;
  std::string ids_key(std::string_view node) const;
  std::string claim_value(std::string_view token) const;
  void open_locally(signaling::SessionId session);
  // Looks up the owner of `dst` and sends it there, or queues it in Redis (not LEAVE/EXPIRE);
  // on failure the sender `src` gets EXPIRE if it was a message that expects an answer.
  // `hop` 1: a node that got the frame for an id it no longer holds passes it on; it looks the
  // owner up in Redis (never in the cache) and the next node queues rather than passing it on.
  // Views: copied only when the owner must first be looked up in Redis.
  void send(std::string_view type, std::string_view src, std::string_view dst,
            std::string_view text, int hop = 0);
  // Publishes to `owner`'s channel; the sender hears EXPIRE if that node is not listening.
  void publish_to(const std::string& owner, std::string_view type, std::string_view src,
                  std::string_view dst, std::string_view text, int hop);
  void queue(const std::string& type, const std::string& src, const std::string& dst,
             const std::string& text);
  void expire_to(const std::string& sender, const std::string& unreachable);
  void drain(const std::string& id);
  void refresh_claims();
  void reclaim(const std::string& id, const std::string& token);
  void node_died(const std::string& node);
  void receive(const boost::json::object& message, std::string_view frame);
  void receive_takeover(const boost::json::object& message);

  Node& node_;
  signaling::PeerJsServer& server_;
  signaling::Transport& transport_;
  PeerJsClusterStats stats_;
  Timestamp now_;
  Timestamp next_refresh_;
  std::unordered_map<signaling::SessionId, Pending> pending_;
  std::map<std::string, std::string> local_;  // id -> token of this node's clients
  std::map<std::string, Expiry> expiries_;    // Redis queues this node pushed to
  // dst -> its owner's node, as a claim lookup found it, so that a conversation's frames need
  // one Redis command (PUBLISH) instead of two. Stale entries are safe: the node reached passes
  // the frame on (hop 1). Dropped after kOwnerCacheTtl, when the PUBLISH reached no one, and
  // when the owner dies; bounded by kOwnerCacheEntries.
  struct CachedOwner {
    std::string node;
    Timestamp until;
  };
  struct ViewHash {  // looked up by the frame's dst view, without a copy
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, CachedOwner, ViewHash, std::equal_to<>> owners_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::cluster
