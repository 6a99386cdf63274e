#include "cluster/node.h"

#include <memory>

namespace peerkit::cluster {

namespace json = boost::json;

std::string validate(const ClusterOptions& o) {
  if (o.node_id.empty() || o.node_id.size() > 64) return "node id must be 1..64 bytes";
  for (char c : o.node_id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return "node id may only hold letters, digits, '.', '_' and '-'";
  if (o.prefix.empty() || o.prefix.size() > 64) return "key prefix must be 1..64 bytes";
  if (o.heartbeat <= Duration() || o.check_interval <= Duration())
    return "heartbeat and check interval must be positive";
  // Two heartbeats fit in a TTL, so one lost or slow refresh does not kill a node.
  if (o.node_ttl < o.heartbeat * 2) return "node TTL must be at least twice the heartbeat";
  if (o.max_message_bytes < 1024) return "max message bytes must be at least 1024";
  if (o.max_in_flight == 0 || o.max_nodes == 0) return "backlog and node limits must be positive";
  return {};
}

Node::Node(ClusterOptions options, Store& store) : options_(std::move(options)), store_(store) {}

std::string Node::key(std::string_view suffix) const {
  std::string k = options_.prefix;
  k += ':';
  k += suffix;
  return k;
}

std::string Node::channel_of(std::string_view node) const {
  return key("node:" + std::string(node) + ":inbox");
}

void Node::start(Timestamp now) {
  now_ = now;
  store_.subscribe(channel_of(options_.node_id), [this](std::string_view text) { receive(text); });
  store_.on_connection_change([this, alive = std::weak_ptr<bool>(alive_flag_)](bool up) {
    if (alive.expired()) return;
    if (!up) {
      registered_ = false;
      return;
    }
    register_self();  // at once: the TTL may have run out while Redis was away
  });
  register_self();
  next_check_ = now + options_.check_interval;
}

void Node::on_timer(Timestamp now) {
  now_ = now;
  if (now >= next_heartbeat_) register_self();
  if (now >= next_check_) {
    next_check_ = now + options_.check_interval;
    check_nodes();
  }
}

void Node::register_self() {
  next_heartbeat_ = now_ + options_.heartbeat;
  auto alive = std::weak_ptr<bool>(alive_flag_);
  store_.set(key("node:" + options_.node_id), options_.advertise, options_.node_ttl,
             [this, alive](Result<bool> r) {
               if (alive.expired()) return;
               const bool was = registered_;
               registered_ = r.ok();
               if (!r.ok()) return;
               ++stats_.registrations;
               const bool again = ever_registered_ && !was;
               ever_registered_ = true;
               if (again) grace_until_ = now_ + options_.node_ttl;
               if (again)
                 for (auto& h : reregistered_handlers_) h();
             });
  // The hash of node ids lets survivors find nodes to check; each node only adds itself, and a
  // survivor removes a dead one.
  store_.hash_set(key("nodes"), options_.node_id, options_.advertise, [](Result<bool>) {});
}

void Node::check_nodes() {
  if (checking_ || !store_.connected()) return;
  checking_ = true;
  auto alive = std::weak_ptr<bool>(alive_flag_);
  store_.hash_get_all(key("nodes"), [this, alive](Result<FieldList> nodes) {
    if (alive.expired()) return;
    if (!nodes.ok() || nodes.value.size() > options_.max_nodes * 4) {
      checking_ = false;
      return;
    }
    struct Round {
      std::size_t pending = 0;
      bool failed = false;
      std::set<std::string> alive, dead;
    };
    auto round = std::make_shared<Round>();
    for (const auto& [node, url] : nodes.value)
      if (node != options_.node_id) ++round->pending;
    auto finish = [this, round] {
      checking_ = false;
      if (round->failed) return;  // a partial view must not declare anyone dead
      std::set<std::string> dead = round->dead;
      for (const auto& n : alive_)
        if (!round->alive.contains(n) && !round->dead.contains(n)) {
          if (now_ < grace_until_)
            round->alive.insert(n);  // not back in a fresh Redis yet: see grace_until_
          else
            dead.insert(n);  // gone from the hash: removed by another survivor
        }
      alive_ = round->alive;
      for (const auto& n : dead) {
        ++stats_.nodes_died;
        store_.hash_del(key("nodes"), n, [](Result<bool>) {});
        for (auto& h : dead_handlers_) h(n);
      }
    };
    if (round->pending == 0) {
      finish();
      return;
    }
    for (const auto& [node, url] : nodes.value) {
      if (node == options_.node_id) continue;
      store_.get(key("node:" + node),
                 [alive, round, finish, n = node](Result<std::optional<std::string>> r) {
                   if (alive.expired()) return;
                   if (!r.ok())
                     round->failed = true;
                   else if (r.value)
                     round->alive.insert(n);
                   else
                     round->dead.insert(n);
                   if (--round->pending == 0) finish();
                 });
    }
  });
}

bool Node::send_to(std::string_view node, json::object message, std::function<void(bool)> done) {
  message["from"] = options_.node_id;
  return publish(node, json::serialize(message), std::move(done));
}

bool Node::send_to(std::string_view node, json::object message, std::string_view body,
                   std::function<void(bool)> done) {
  message["from"] = options_.node_id;
  std::string text = json::serialize(message);
  text.reserve(text.size() + 1 + body.size());
  text += '\n';
  text += body;
  return publish(node, std::move(text), std::move(done));
}

bool Node::publish(std::string_view node, std::string text, std::function<void(bool)> done) {
  if (!store_.connected() || text.size() > options_.max_message_bytes ||
      in_flight_ >= options_.max_in_flight) {
    ++stats_.send_failures;
    return false;
  }
  ++in_flight_;
  ++stats_.messages_out;
  auto alive = std::weak_ptr<bool>(alive_flag_);
  store_.publish(channel_of(node), text,
                 [this, alive, done = std::move(done)](Result<std::int64_t> r) {
                   if (alive.expired()) return;
                   --in_flight_;
                   const bool delivered = r.ok() && r.value > 0;
                   if (!delivered) ++stats_.send_failures;
                   if (done) done(delivered);
                 });
  return true;
}

void Node::on_message(std::string kind, Handler handler) {
  handlers_.emplace_back(std::move(kind), std::move(handler));
}

void Node::on_node_dead(std::function<void(const std::string&)> handler) {
  dead_handlers_.push_back(std::move(handler));
}

void Node::on_reregistered(std::function<void()> handler) {
  reregistered_handlers_.push_back(std::move(handler));
}

void Node::receive(std::string_view text) {
  ++stats_.messages_in;
  if (text.size() > options_.max_message_bytes) {
    ++stats_.malformed_in;
    return;
  }
  std::string_view header = text, body;
  if (const auto newline = text.find('\n'); newline != std::string_view::npos) {
    header = text.substr(0, newline);
    body = text.substr(newline + 1);
  }
  boost::system::error_code ec;
  json::value v = json::parse(header, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::string* kind = o ? (o->contains("k") ? o->at("k").if_string() : nullptr) : nullptr;
  if (!kind) {
    ++stats_.malformed_in;
    return;
  }
  for (auto& [k, h] : handlers_)
    if (k == std::string_view(*kind)) {
      h(*o, body);
      return;
    }
  ++stats_.malformed_in;  // a kind this node does not know (a newer node?): ignored
}

}  // namespace peerkit::cluster
