#include "cluster/peerjs_cluster.h"

#include "signaling/json_frame.h"

namespace peerkit::cluster {

namespace json = boost::json;
using signaling::SessionId;

namespace {

// How long a looked-up owner is trusted. A stale one costs a hop, never a lost frame; the TTL
// bounds how long frames to a departed id take that detour.
constexpr Duration kOwnerCacheTtl = Duration::seconds(2);
constexpr std::size_t kOwnerCacheEntries = 65536;

bool expects_answer(std::string_view type) {
  return type != "LEAVE" && type != "EXPIRE";
}

// A claim's value is "<node>\n<token>": the owner node and the token that may take it over.
std::string_view owner_of(std::string_view claim) {
  return claim.substr(0, claim.find('\n'));
}
std::string_view token_of(std::string_view claim) {
  const auto nl = claim.find('\n');
  return nl == std::string_view::npos ? std::string_view() : claim.substr(nl + 1);
}

std::string field(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  auto* s = v ? v->if_string() : nullptr;
  return s ? std::string(*s) : std::string();
}

}  // namespace

PeerJsCluster::PeerJsCluster(Node& node, signaling::PeerJsServer& server,
                             signaling::Transport& transport)
    : node_(node), server_(server), transport_(transport) {
  server_.set_cluster_hook(this);
  std::weak_ptr<bool> alive = alive_;
  node_.on_message("pj", [this, alive](const json::object& m, std::string_view text) {
    if (!alive.expired()) receive(m, text);
  });
  node_.on_message("pj-takeover", [this, alive](const json::object& m, std::string_view) {
    if (!alive.expired()) receive_takeover(m);
  });
  node_.on_node_dead([this, alive](const std::string& n) {
    if (!alive.expired()) node_died(n);
  });
  node_.on_reregistered([this, alive] {
    if (alive.expired()) return;
    // Redis may have restarted empty: put the ids back, claiming the ones that expired.
    for (const auto& [id, token] : local_) reclaim(id, token);
  });
}

PeerJsCluster::~PeerJsCluster() {
  server_.set_cluster_hook(nullptr);
}

std::string PeerJsCluster::claim_key(std::string_view id) const {
  return node_.key("peerjs:id:" + std::string(id));
}
std::string PeerJsCluster::queue_key(std::string_view id) const {
  return node_.key("peerjs:queue:" + std::string(id));
}
std::string PeerJsCluster::ids_key(std::string_view node) const {
  return node_.key("peerjs:ids:" + std::string(node));
}
std::string PeerJsCluster::claim_value(std::string_view token) const {
  return node_.id() + "\n" + std::string(token);
}

void PeerJsCluster::on_open(SessionId session, const signaling::PeerJsConnectRequest& request,
                            Timestamp now) {
  now_ = now;
  const auto& o = server_.options();
  const bool well_formed = !request.id.empty() && !request.token.empty() && request.key == o.key &&
                           request.id.size() <= o.max_id_bytes &&
                           request.token.size() <= o.max_id_bytes;
  // Refusals the server makes itself, ids already here (takeover or ID-TAKEN by token) and
  // Redis being away all take the single-node path at once.
  if (!well_formed || server_.local_token(request.id)) {
    server_.on_open(session, request, now);
    return;
  }
  if (!node_.store().connected()) {
    ++stats_.unclaimed_opens;
    server_.on_open(session, request, now);  // claimed by refresh_claims once Redis is back
    return;
  }
  pending_[session] = Pending{request};
  std::weak_ptr<bool> alive = alive_;
  const std::string key = claim_key(request.id), value = claim_value(request.token);
  node_.store().set_if_absent(
      key, value, node_.options().node_ttl, [this, alive, session, key, value](Result<bool> r) {
        if (alive.expired()) return;
        if (!pending_.contains(session)) {  // closed meanwhile
          if (r.ok() && r.value) node_.store().delete_if_equal(key, value, [](Result<bool>) {});
          return;
        }
        if (!r.ok() || r.value) {
          if (r.ok())
            ++stats_.claims;
          else
            ++stats_.unclaimed_opens;
          open_locally(session);
          return;
        }
        node_.store().get(key, [this, alive, session, key,
                                value](Result<std::optional<std::string>> g) {
          if (alive.expired() || !pending_.contains(session)) return;
          if (!g.ok() || !g.value || *g.value == value) {  // unknown, just expired, or already ours
            open_locally(session);
            return;
          }
          const auto& request = pending_.at(session).request;
          const std::string_view owner = owner_of(*g.value);
          if (token_of(*g.value) == request.token && owner != node_.id()) {
            // The same client reconnected here (spec §2.8 takeover, across nodes): its old node
            // closes the old socket, and the claim moves here.
            ++stats_.takeovers;
            json::object m{{"k", "pj-takeover"}, {"id", request.id}};
            node_.send_to(owner, std::move(m));
            node_.store().set(key, value, node_.options().node_ttl, [](Result<bool>) {});
            open_locally(session);
            return;
          }
          ++stats_.id_taken;
          pending_.erase(session);
          transport_.send(session, signaling::peerjs_text::kIdTaken);
          transport_.close(session, signaling::kCloseNormal, "rejected");
        });
      });
}

void PeerJsCluster::open_locally(SessionId session) {
  auto it = pending_.find(session);
  if (it == pending_.end()) return;
  const signaling::PeerJsConnectRequest request = std::move(it->second.request);
  pending_.erase(it);
  if (!server_.on_open(session, request, now_) && !server_.local_token(request.id))
    node_.store().delete_if_equal(claim_key(request.id), claim_value(request.token),
                                  [](Result<bool>) {});
}

void PeerJsCluster::on_close(SessionId session) {
  if (pending_.erase(session) > 0) return;  // its claim is given back when it completes
  server_.on_close(session);
}

void PeerJsCluster::registered(std::string_view id, std::string_view token) {
  local_[std::string(id)] = std::string(token);
  node_.store().hash_set(ids_key(node_.id()), id, token, [](Result<bool>) {});
  drain(std::string(id));
}

void PeerJsCluster::unregistered(std::string_view id) {
  auto it = local_.find(std::string(id));
  if (it == local_.end()) return;
  node_.store().delete_if_equal(claim_key(id), claim_value(it->second), [](Result<bool>) {});
  node_.store().hash_del(ids_key(node_.id()), id, [](Result<bool>) {});
  local_.erase(it);
}

bool PeerJsCluster::route(std::string_view type, std::string_view src, std::string_view dst,
                          std::string_view text) {
  // Without Redis, or for a frame no node channel could carry, the node acts alone: the frame
  // waits in the local offline queue (bounded there) and expires as on one node.
  if (!node_.store().connected() ||
      text.size() + dst.size() + src.size() + 128 > node_.options().max_message_bytes)
    return false;
  send(type, src, dst, text);
  return true;
}

void PeerJsCluster::send(std::string_view type_view, std::string_view src_view,
                         std::string_view dst_view, std::string_view text_view, int hop) {
  if (hop == 0) {
    if (auto it = owners_.find(dst_view); it != owners_.end()) {
      if (now_ < it->second.until && it->second.node != node_.id()) {
        ++stats_.owner_cache_hits;
        publish_to(it->second.node, type_view, src_view, dst_view, text_view, hop);
        return;
      }
      owners_.erase(it);
    }
  }
  std::weak_ptr<bool> alive = alive_;
  node_.store().get(claim_key(dst_view), [this, alive, type = std::string(type_view),
                                          src = std::string(src_view),
                                          dst = std::string(dst_view),
                                          text = std::string(text_view),
                                          hop](Result<std::optional<std::string>> r) {
    if (alive.expired()) return;
    if (!r.ok()) {
      if (expects_answer(type)) expire_to(src, dst);
      return;
    }
    if (!r.value) {  // no one holds dst: an offline queue in Redis, as on one node
      queue(type, src, dst, text);
      return;
    }
    const std::string owner(owner_of(*r.value));
    if (owner == node_.id()) {  // it registered here meanwhile
      if (server_.deliver_local(dst, text)) return;
      queue(type, src, dst, text);
      return;
    }
    if (owners_.size() >= kOwnerCacheEntries) owners_.clear();  // rare: start afresh
    owners_[dst] = CachedOwner{owner, now_ + kOwnerCacheTtl};
    publish_to(owner, type, src, dst, text, hop);
  });
}

void PeerJsCluster::publish_to(const std::string& owner, std::string_view type,
                               std::string_view src, std::string_view dst, std::string_view text,
                               int hop) {
  std::weak_ptr<bool> alive = alive_;
  json::object m{{"k", "pj"}, {"type", type}, {"src", src}, {"dst", dst}};
  if (hop > 0) m["hop"] = hop;
  auto undelivered = [this, alive, type = std::string(type), src = std::string(src),
                      dst = std::string(dst)](bool ok) {
    if (alive.expired() || ok) return;
    owners_.erase(dst);
    if (expects_answer(type)) expire_to(src, dst);  // the owner's node is not listening
  };
  const bool sent = node_.send_to(owner, std::move(m), text, std::move(undelivered));
  if (sent)
    ++stats_.routed;
  else if (expects_answer(type))
    expire_to(std::string(src), std::string(dst));
}

void PeerJsCluster::queue(const std::string& type, const std::string& src, const std::string& dst,
                          const std::string& text) {
  if (!expects_answer(type)) return;  // LEAVE/EXPIRE for an absent id are dropped, as on one node
  const auto& o = server_.options();
  const bool known = expiries_.contains(dst);
  if (!known && expiries_.size() >= o.max_offline_ids) {
    expire_to(src, dst);
    return;
  }
  json::object entry{{"src", src}, {"text", text}};
  std::weak_ptr<bool> alive = alive_;
  // The list lives twice the expire timeout, so that the node whose deadline comes first finds
  // it and sends the EXPIREs, not Redis dropping it silently.
  node_.store().list_push_capped(
      queue_key(dst), json::serialize(entry), o.max_queued_per_id, o.expire_timeout * 2,
      [this, alive, src, dst](Result<std::int64_t> r) {
        if (alive.expired()) return;
        if (!r.ok() || r.value < 0) {
          expire_to(src, dst);  // refused (full) or failed: the sender hears it now
          return;
        }
        ++stats_.queued;
        expiries_.try_emplace(dst, Expiry{now_ + server_.options().expire_timeout});
      });
}

void PeerJsCluster::expire_to(const std::string& sender, const std::string& unreachable) {
  ++stats_.expired;
  std::string text = R"({"type":"EXPIRE","src":)";
  signaling::append_json_string(text, unreachable);
  text += R"(,"dst":)";
  signaling::append_json_string(text, sender);
  text += '}';
  if (server_.deliver_local(sender, text)) return;
  if (node_.store().connected()) send("EXPIRE", unreachable, sender, std::move(text));
}

void PeerJsCluster::drain(const std::string& id) {
  std::weak_ptr<bool> alive = alive_;
  node_.store().list_take_all(queue_key(id), [this, alive, id](Result<StringList> r) {
    if (alive.expired() || !r.ok()) return;
    for (const auto& entry : r.value) {
      boost::system::error_code ec;
      json::value v = json::parse(entry, ec);
      const json::object* o = ec ? nullptr : v.if_object();
      if (!o) continue;
      if (server_.deliver_local(id, field(*o, "text"))) ++stats_.delivered_in;
    }
  });
}

void PeerJsCluster::on_timer(Timestamp now) {
  now_ = now;
  server_.on_timer(now);
  if (now >= next_refresh_) {
    next_refresh_ = now + node_.options().heartbeat;
    refresh_claims();
  }
  // Offline queues this node pushed to: at the deadline whatever is still queued was not
  // delivered, and every sender in it hears EXPIRE (spec §2.5), wherever it is.
  for (auto it = expiries_.begin(); it != expiries_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    const std::string dst = it->first;
    it = expiries_.erase(it);
    std::weak_ptr<bool> alive = alive_;
    node_.store().list_take_all(queue_key(dst), [this, alive, dst](Result<StringList> r) {
      if (alive.expired() || !r.ok()) return;
      std::set<std::string> senders;
      for (const auto& entry : r.value) {
        boost::system::error_code ec;
        json::value v = json::parse(entry, ec);
        if (const json::object* o = ec ? nullptr : v.if_object()) senders.insert(field(*o, "src"));
      }
      for (const auto& s : senders)
        if (!s.empty()) expire_to(s, dst);
    });
  }
}

void PeerJsCluster::refresh_claims() {
  if (!node_.store().connected()) return;
  std::weak_ptr<bool> alive = alive_;
  for (const auto& [id, token] : local_)
    node_.store().refresh_if_equal(claim_key(id), claim_value(token), node_.options().node_ttl,
                                   [this, alive, id = id, token = token](Result<bool> r) {
                                     if (alive.expired() || !r.ok() || r.value) return;
                                     reclaim(id, token);  // expired (Redis was away) or lost
                                   });
}

void PeerJsCluster::reclaim(const std::string& id, const std::string& token) {
  std::weak_ptr<bool> alive = alive_;
  const std::string key = claim_key(id), value = claim_value(token);
  node_.store().hash_set(ids_key(node_.id()), id, token, [](Result<bool>) {});
  node_.store().set_if_absent(
      key, value, node_.options().node_ttl, [this, alive, id, token, key, value](Result<bool> r) {
        if (alive.expired() || !r.ok()) return;
        if (r.value) {
          ++stats_.claims;
          return;
        }
        node_.store().get(key, [this, alive, id, token,
                                value](Result<std::optional<std::string>> g) {
          if (alive.expired() || !g.ok()) return;
          if (!g.value) {
            reclaim(id, token);  // expired in between: try again
            return;
          }
          if (*g.value == value) return;
          // Another node gave the id to someone else while this node was cut off: the first claim
          // in Redis wins, the local client is closed and may reconnect.
          auto it = local_.find(id);
          if (it == local_.end() || it->second != token) return;
          ++stats_.lost_claims;
          local_.erase(it);
          node_.store().hash_del(ids_key(node_.id()), id, [](Result<bool>) {});
          server_.drop_local(id, "id taken on another node while this node was cut off from Redis");
        });
      });
}

void PeerJsCluster::node_died(const std::string& dead) {
  std::erase_if(owners_, [&](const auto& entry) { return entry.second.node == dead; });
  std::weak_ptr<bool> alive = alive_;
  node_.store().hash_get_all(ids_key(dead), [this, alive, dead](Result<FieldList> r) {
    if (alive.expired() || !r.ok()) return;
    for (const auto& [id, token] : r.value)
      node_.store().delete_if_equal(claim_key(id), dead + "\n" + token,
                                    [this, alive](Result<bool> d) {
                                      if (!alive.expired() && d.ok() && d.value) ++stats_.freed;
                                    });
    node_.store().del(ids_key(dead), [](Result<bool>) {});
  });
}

void PeerJsCluster::receive(const json::object& m, std::string_view frame) {
  const std::string dst = field(m, "dst");
  if (dst.empty() || frame.empty()) return;
  if (server_.deliver_local(dst, frame)) {
    ++stats_.delivered_in;
    return;
  }
  owners_.erase(dst);
  // It left this node in between. Sent on a cached owner, it may be on another node now: look
  // it up once (hop 1); a frame that was already passed on waits in the queue, as the sender's
  // node would have queued it, so two stale nodes cannot bounce it back and forth.
  const auto hop = m.if_contains("hop");
  if (!hop && node_.store().connected()) {
    ++stats_.forwarded;
    send(field(m, "type"), field(m, "src"), dst, frame, 1);
    return;
  }
  queue(field(m, "type"), field(m, "src"), dst, std::string(frame));
}

void PeerJsCluster::receive_takeover(const json::object& m) {
  const std::string id = field(m, "id");
  auto it = local_.find(id);
  if (it == local_.end()) return;
  local_.erase(it);
  node_.store().hash_del(ids_key(node_.id()), id, [](Result<bool>) {});
  server_.drop_local(id, "replaced by a newer connection on another node");
}

void PeerJsCluster::peer_ids(std::function<void(std::vector<std::string>)> done) {
  if (!node_.store().connected()) {
    done(server_.peer_ids());
    return;
  }
  struct Round {
    std::size_t pending = 0;
    std::set<std::string> ids;
    std::function<void(std::vector<std::string>)> done;
  };
  auto round = std::make_shared<Round>();
  round->done = std::move(done);
  for (const auto& id : server_.peer_ids()) round->ids.insert(id);
  std::vector<std::string> nodes(node_.peers().begin(), node_.peers().end());
  round->pending = nodes.size();
  if (nodes.empty()) {
    round->done({round->ids.begin(), round->ids.end()});
    return;
  }
  for (const auto& n : nodes)
    node_.store().hash_get_all(ids_key(n), [round](Result<FieldList> r) {
      if (r.ok())
        for (const auto& [id, token] : r.value) round->ids.insert(id);
      if (--round->pending == 0) round->done({round->ids.begin(), round->ids.end()});
    });
}

}  // namespace peerkit::cluster
