#include "server/serve_cluster.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace peerkit::server {

namespace {

redis::Options redis_options(const RedisEndpoint& endpoint) {
  redis::Options o;
  o.host = endpoint.host;
  o.port = endpoint.port;
  o.db = static_cast<int>(endpoint.db);
  o.username = endpoint.username;
  o.password = endpoint.password;
  return o;
}

cluster::ClusterOptions cluster_options(const ClusterConfig& config, std::string advertise) {
  cluster::ClusterOptions o;
  o.node_id = config.node_id;
  o.advertise = config.advertise.empty() ? std::move(advertise) : config.advertise;
  return o;
}

constexpr Duration kPeersRefresh = Duration::seconds(1);

}  // namespace

ServeCluster::ServeCluster(const ClusterConfig& config, std::string advertise, net::Loop& loop,
                           signaling::PeerJsServer& peerjs, signaling::RoomsServer& rooms,
                           signaling::Transport& transport)
    : config_(config),
      options_(cluster_options(config, std::move(advertise))),
      store_(loop, redis_options(config.redis)),
      node_(options_, store_),
      peerjs_(peerjs),
      discovery_(peerjs.options().allow_discovery) {
  peerjs_cluster_ = std::make_unique<cluster::PeerJsCluster>(node_, peerjs, transport);
  rooms_cluster_ = std::make_unique<cluster::RoomsCluster>(node_, rooms);
  store_.on_event([this](const redis::ConnectionEvent& e) { on_redis_event(e); });
}

ServeCluster::~ServeCluster() = default;

std::string ServeCluster::check() const { return cluster::validate(options_); }

void ServeCluster::start(Timestamp now) {
  spdlog::info("cluster: node {} ({}) joining through {}", options_.node_id, options_.advertise,
               config_.redis.log_text());
  store_.start();
  node_.start(now);
  next_peers_ = now;
}

std::string ServeCluster::fatal_error() const {
  if (!store_.health().gave_up) return {};
  return "redis " + config_.redis.log_text() + ": " + store_.health().last_error;
}

void ServeCluster::on_redis_event(const redis::ConnectionEvent& event) {
  if (verdict_listener_) std::exchange(verdict_listener_, nullptr)();
  if (event.connected) {
    if (logged_down_ && store_.connected())
      spdlog::info("cluster: redis {} reachable again; re-registering node {}",
                   config_.redis.log_text(), options_.node_id);
    if (store_.connected()) logged_down_ = false;
    return;
  }
  if (!event.retrying) {
    spdlog::error("cluster: redis {}: {} — giving up (fix the password and restart)",
                  config_.redis.log_text(), store_.health().last_error);
    return;
  }
  // The client reports every failed attempt: log the change, not each retry.
  if (!logged_down_) {
    logged_down_ = true;
    spdlog::warn(
        "cluster: redis {} unreachable ({}); serving local clients only until it is back",
        config_.redis.log_text(), store_.health().last_error);
  }
}

void ServeCluster::on_timer(Timestamp now) {
  node_.on_timer(now);
  peerjs_cluster_->on_timer(now);
  rooms_cluster_->on_timer(now);
  const bool healthy = node_.healthy();
  if (healthy != was_healthy_) {
    was_healthy_ = healthy;
    if (healthy) spdlog::info("cluster: node {} registered; {} other node(s) alive",
                              options_.node_id, node_.peers().size());
  }
  if (discovery_ && !peers_pending_ && now >= next_peers_) {
    peers_pending_ = true;
    next_peers_ = now + kPeersRefresh;
    peerjs_cluster_->peer_ids([this](std::vector<std::string> ids) {
      peers_ = std::move(ids);
      peers_pending_ = false;
    });
  }
}

std::string ServeCluster::health_text() const {
  std::string out = "cluster: node " + options_.node_id;
  if (node_.healthy()) {
    out += " registered, " + std::to_string(node_.peers().size()) + " other node(s) alive\n";
  } else if (store_.health().gave_up) {
    out += " degraded: redis refused us (" + store_.health().last_error + ")\n";
  } else if (!store_.connected()) {
    out += " degraded: redis unreachable (" + store_.health().last_error +
           "); serving local clients only\n";
  } else {
    out += " registering\n";
  }
  return out;
}

void ServeCluster::collect_metrics(net::MetricFamilies& out) const {
  using prometheus::MetricType;
  const auto one = [&](std::string name, MetricType type, std::string help, double value,
                       std::vector<std::pair<std::string, std::string>> labels = {}) {
    net::add_family(out, "peerkit_cluster_" + name, std::move(help), type,
                    {net::Sample{std::move(labels), value}});
  };
  const auto& n = node_.stats();
  const auto& p = peerjs_cluster_->stats();
  const auto& r = rooms_cluster_->stats();
  const auto& c = store_.client_stats();
  const auto counter = MetricType::Counter, gauge = MetricType::Gauge;
  one("healthy", gauge, "1 when registered in Redis and connected; local traffic works either way.",
      node_.healthy() ? 1 : 0);
  one("nodes_alive", gauge, "Nodes alive at the last check, this one included.",
      static_cast<double>(node_.peers().size() + 1));
  one("messages_out_total", counter, "Messages sent to other nodes' channels.",
      static_cast<double>(n.messages_out));
  one("messages_in_total", counter, "Messages received on this node's channel.",
      static_cast<double>(n.messages_in));
  one("send_failures_total", counter, "Messages to other nodes refused or undelivered.",
      static_cast<double>(n.send_failures));
  one("nodes_died_total", counter, "Other nodes seen dying.", static_cast<double>(n.nodes_died));
  one("publishes_total", counter,
      "PUBLISH commands to other nodes' channels (one carries every message of a loop round).",
      static_cast<double>(store_.publishes()));
  one("malformed_batches_total", counter, "Batches from other nodes that did not split (dropped).",
      static_cast<double>(store_.malformed_batches()));
  one("redis_commands_total", counter, "Redis commands written.", static_cast<double>(c.sent));
  one("redis_failures_total", counter, "Redis commands that got no reply (down, timeout).",
      static_cast<double>(c.failed));
  one("redis_rtt_seconds", gauge, "Redis round trip: moving average of command to reply.",
      static_cast<double>(c.avg_rtt.us()) / 1e6);
  one("redis_rtt_max_seconds", gauge, "Redis round trip: the largest seen.",
      static_cast<double>(c.max_rtt.us()) / 1e6);
  one("peerjs_routed_total", counter, "PeerJS frames relayed to another node.",
      static_cast<double>(p.routed));
  one("peerjs_delivered_in_total", counter, "PeerJS frames from other nodes delivered here.",
      static_cast<double>(p.delivered_in));
  one("peerjs_queued_total", counter, "PeerJS frames put in a Redis offline queue.",
      static_cast<double>(p.queued));
  one("peerjs_id_taken_total", counter, "Ids refused because another node holds them.",
      static_cast<double>(p.id_taken));
  one("peerjs_peers", gauge, "PeerJS ids registered on this node, by node (sum them across nodes).",
      static_cast<double>(peerjs_.registered()), {{"node", options_.node_id}});
  one("rooms_signals_out_total", counter, "Room signals sent to another node.",
      static_cast<double>(r.signals_out));
  one("rooms_signals_in_total", counter, "Room signals from another node delivered here.",
      static_cast<double>(r.signals_in));
  one("rooms_dead_members_total", counter, "Members of dead nodes announced left.",
      static_cast<double>(r.dead_members));
}

}  // namespace peerkit::server
