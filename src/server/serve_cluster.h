// `peerkit serve --cluster`: the cluster core (src/cluster) on the real Redis (RedisStore), run
// on the serve loop beside the two signaling cores. ServeNode owns one when --cluster is given and
// hands it the PeerJS opens and closes, the 300 ms tick, /healthz and /metrics; without
// --cluster nothing of this exists. docs/cluster.md says what is shared and how failures look.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cluster/node.h"
#include "cluster/peerjs_cluster.h"
#include "cluster/rooms_cluster.h"
#include "net/loop.h"
#include "net/metrics.h"
#include "server/cluster_options.h"
#include "server/redis_store.h"
#include "signaling/peerjs_server.h"
#include "signaling/rooms_server.h"

namespace peerkit::server {

class ServeCluster {
 public:
  // `advertise` is --advertise or, without it, this node's own http(s)://host:port.
  ServeCluster(const ClusterConfig& config, std::string advertise, net::Loop& loop, signaling::PeerJsServer& peerjs, signaling::RoomsServer& rooms,
               signaling::Transport& transport);
  ~ServeCluster();

  // Empty, or what is wrong with the options (checked before anything connects).
  std::string check() const;
  // On the loop thread: connects to Redis, subscribes to this node's channel, registers.
  void start(Timestamp now);
  // Redis' first verdict: empty while connected or still retrying an unreachable Redis (the
  // node serves locally meanwhile), else why this node must not run (a refused password).
  std::string fatal_error() const;
  // Called once, on the loop thread, when Redis first answers (connected or refused) or fails
  // to answer a connection attempt.
  void on_first_verdict(std::function<void()> listener) { verdict_listener_ = std::move(listener); }

  void on_peerjs_open(signaling::SessionId session, const signaling::PeerJsConnectRequest& request,
                      Timestamp now) {
    peerjs_cluster_->on_open(session, request, now);
  }
  void on_peerjs_close(signaling::SessionId session) { peerjs_cluster_->on_close(session); }
  void on_timer(Timestamp now);

  // GET /<key>/peers: the cluster's ids as of the last refresh (at most a second old).
  std::vector<std::string> peer_ids() const { return peers_; }
  // The /healthz lines after "ok": the cluster state, and why it is degraded.
  std::string health_text() const;
  void collect_metrics(net::MetricFamilies& out) const;

 private:
  void on_redis_event(const redis::ConnectionEvent& event);

  const ClusterConfig& config_;
  cluster::ClusterOptions options_;
  RedisStore store_;
  cluster::Node node_;
  const signaling::PeerJsServer& peerjs_;
  std::unique_ptr<cluster::PeerJsCluster> peerjs_cluster_;
  std::unique_ptr<cluster::RoomsCluster> rooms_cluster_;
  bool discovery_;
  std::vector<std::string> peers_;
  Timestamp next_peers_;
  bool peers_pending_ = false;
  std::function<void()> verdict_listener_;
  bool was_healthy_ = false;
  bool logged_down_ = false;
};

}  // namespace peerkit::server
