// One node of a peerkit cluster, sans-IO: registers `node id -> advertise URL` in Redis with a TTL
// and refreshes it, notices other nodes whose registration expired (dead), carries messages to
// one node's own channel (never a fan-out), and tracks health. Driven by on_timer() with the
// driver's clock; all Redis access goes through cluster::Store (store.h). See README.md for the
// keys, channels and timeouts.
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/store.h"
#include "common/time.h"

namespace peerkit::cluster {

struct ClusterOptions {
  std::string node_id;    // unique in the cluster; [A-Za-z0-9._-], 1..64 bytes
  std::string advertise;  // how clients reach this node (shown to other nodes and operators)
  std::string prefix = "peerkit";  // of every key and channel, so clusters can share a Redis
  // A node whose registration is older than node_ttl is dead to the others; it refreshes every
  // heartbeat, and the others look every check_interval. A dead node is noticed within
  // node_ttl + check_interval of its last heartbeat.
  Duration node_ttl = Duration::seconds(6);
  Duration heartbeat = Duration::seconds(2);
  Duration check_interval = Duration::seconds(1);
  std::size_t max_message_bytes = 256 * 1024;  // one message on a node channel
  std::size_t max_in_flight = 4096;            // publishes awaiting their reply (the backlog)
  std::size_t max_nodes = 256;
};

// Empty when valid, else what is wrong.
std::string validate(const ClusterOptions& options);

struct ClusterStats {
  std::uint64_t messages_out = 0;
  std::uint64_t messages_in = 0;
  std::uint64_t send_failures = 0;  // refused (too big, backlog full, disconnected) or failed
  std::uint64_t malformed_in = 0;
  std::uint64_t nodes_died = 0;
  std::uint64_t registrations = 0;  // successful (re-)registrations
};

class Node {
 public:
  // `header` is the message's JSON object; `body` its opaque payload (empty if it has none).
  using Handler = std::function<void(const boost::json::object& header, std::string_view body)>;

  Node(ClusterOptions options, Store& store);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Subscribes to this node's channel and registers. Call once, then on_timer every few hundred ms.
  void start(Timestamp now);
  void on_timer(Timestamp now);
  Timestamp now() const { return now_; }

  // Registered and connected: what /healthz shows. Local traffic works either way.
  bool healthy() const { return store_.connected() && registered_; }
  const ClusterOptions& options() const { return options_; }
  const ClusterStats& stats() const { return stats_; }
  Store& store() { return store_; }
  const std::string& id() const { return options_.node_id; }
  // Nodes seen alive at the last check (not this one).
  const std::set<std::string>& peers() const { return alive_; }

  // `<prefix>:<suffix>`.
  std::string key(std::string_view suffix) const;
  std::string channel_of(std::string_view node) const;

  // Publishes `message` (its "k" names the handler, "from" is added) to `node`'s channel only.
  // False, with nothing sent, when disconnected, too big or the backlog is full; otherwise
  // `done(true)` once a subscriber of that channel got it, `done(false)` if none or on error.
  bool send_to(std::string_view node, boost::json::object message,
               std::function<void(bool delivered)> done = {});
  // The same with an opaque `body` (a relayed frame) carried after the header as it is, so a
  // kilobyte of JSON text is neither escaped on the way out nor unescaped on the way in.
  // On the channel: the header serialized, '\n' (which serialized JSON never contains), body.
  bool send_to(std::string_view node, boost::json::object message, std::string_view body,
               std::function<void(bool delivered)> done = {});
  // Handler for messages of kind `kind` arriving on this node's channel.
  void on_message(std::string kind, Handler handler);
  // Called with the id of each node found dead (registration expired), on every survivor.
  void on_node_dead(std::function<void(const std::string& node)> handler);
  // Called after this node registered again following a Redis outage (or its own expiry).
  void on_reregistered(std::function<void()> handler);

 private:
  void register_self();
  void check_nodes();
  void receive(std::string_view text);
  bool publish(std::string_view node, std::string text, std::function<void(bool)> done);

  ClusterOptions options_;
  Store& store_;
  ClusterStats stats_;
  Timestamp now_;
  Timestamp next_heartbeat_ = Timestamp::never();
  Timestamp next_check_ = Timestamp::never();
  bool registered_ = false;
  bool ever_registered_ = false;
  // Until then (node_ttl after registering again) a node missing from the hash is not dead yet:
  // after an empty Redis restart the others put themselves back on their own reconnect backoff.
  Timestamp grace_until_;
  bool checking_ = false;
  std::size_t in_flight_ = 0;
  std::set<std::string> alive_;
  std::vector<std::pair<std::string, Handler>> handlers_;
  std::vector<std::function<void(const std::string&)>> dead_handlers_;
  std::vector<std::function<void()>> reregistered_handlers_;
  // Completions hold a weak reference to this, so a node destroyed with calls in flight is
  // not touched by their callbacks.
  std::shared_ptr<bool> alive_flag_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::cluster
