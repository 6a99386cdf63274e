#include "cluster/rooms_cluster.h"

#include <set>

namespace peerkit::cluster {

namespace json = boost::json;
using signaling::SessionId;

namespace {

std::string field(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  auto* s = v ? v->if_string() : nullptr;
  return s ? std::string(*s) : std::string();
}

// A room hash entry: {"node":..., "name":...}.
bool parse_entry(std::string_view text, std::string& node, std::string& name) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (!o) return false;
  node = field(*o, "node");
  name = field(*o, "name");
  return !node.empty();
}

}  // namespace

RoomsCluster::RoomsCluster(Node& node, signaling::RoomsServer& server)
    : node_(node), server_(server) {
  server_.set_cluster_hook(this);
  std::weak_ptr<bool> alive = alive_;
  node_.on_message("room-joined", [this, alive](const json::object& m, std::string_view) {
    if (!alive.expired()) receive_joined(m);
  });
  node_.on_message("room-left", [this, alive](const json::object& m, std::string_view) {
    if (!alive.expired()) receive_left(m);
  });
  node_.on_message("room-signal", [this, alive](const json::object& m, std::string_view data) {
    if (!alive.expired()) receive_signal(m, data);
  });
  node_.on_node_dead([this, alive](const std::string& n) {
    if (!alive.expired()) node_died(n);
  });
  node_.on_reregistered([this, alive] {
    if (alive.expired()) return;
    refresh();
    resync(false);
    final_resync_due_ = true;
    final_resync_at_ = now_ + node_.options().node_ttl;
  });
}

RoomsCluster::~RoomsCluster() {
  server_.set_cluster_hook(nullptr);
}

std::string RoomsCluster::room_key(std::string_view room) const {
  return node_.key("room:" + std::string(room));
}
std::string RoomsCluster::members_key(std::string_view node) const {
  return node_.key("room-members:" + std::string(node));
}
std::string RoomsCluster::entry(std::string_view name) const {
  return json::serialize(json::object{{"node", node_.id()}, {"name", name}});
}

std::size_t RoomsCluster::remote_members() const {
  std::size_t n = 0;
  for (const auto& [name, room] : rooms_) n += room.remote.size();
  return n;
}

bool RoomsCluster::join(SessionId session, std::string_view member_id, std::string_view room_name,
                        std::string_view name) {
  std::weak_ptr<bool> alive = alive_;
  const std::string id(member_id), room(room_name), display(name);
  const std::size_t capacity = server_.options().room_capacity;
  // Redis counts the room's members on every node: the add is refused once it holds capacity.
  node_.store().hash_add_capped(
      room_key(room), id, entry(display), capacity, node_.options().node_ttl,
      [this, alive, session, id, room, display](Result<bool> added) {
        if (alive.expired()) return;
        auto joined = [this, session, id, room, display](signaling::ClusterJoin result,
                                                         bool announce) {
          if (!server_.complete_join(session, result)) {
            node_.store().hash_del(room_key(room), id, [](Result<bool>) {});
            if (auto r = rooms_.find(room); r != rooms_.end() && r->second.local == 0)
              rooms_.erase(r);
            return;
          }
          local_[id] = Local{room, display};
          ++rooms_[room].local;
          if (!announce) return;
          ++stats_.joins;
          node_.store().hash_set(members_key(node_.id()), id, room, [](Result<bool>) {});
          tell_room(room, {{"k", "room-joined"}, {"room", room}, {"id", id}, {"name", display}});
        };
        auto cached = [this, room] {
          signaling::ClusterJoin result;
          if (auto r = rooms_.find(room); r != rooms_.end())
            for (const auto& [mid, m] : r->second.remote)
              result.remote_members.emplace_back(mid, m.name);
          return result;
        };
        if (!added.ok()) {  // Redis unreachable: this node alone decides, with what it knew
          ++stats_.local_joins;
          joined(cached(), false);
          return;
        }
        if (!added.value) {
          ++stats_.full;
          signaling::ClusterJoin full;
          full.full = true;
          server_.complete_join(session, full);
          return;
        }
        node_.store().hash_get_all(room_key(room),
                                   [this, alive, room, joined, cached](Result<FieldList> all) {
                                     if (alive.expired()) return;
                                     if (!all.ok()) {
                                       joined(cached(), true);
                                       return;
                                     }
                                     Room& r = rooms_[room];
                                     r.remote.clear();
                                     signaling::ClusterJoin result;
                                     for (const auto& [mid, text] : all.value) {
                                       std::string node, name;
                                       if (!parse_entry(text, node, name) || node == node_.id())
                                         continue;
                                       r.remote[mid] = Remote{node, name};
                                       result.remote_members.emplace_back(mid, name);
                                     }
                                     joined(std::move(result), true);
                                   });
      });
  return true;
}

void RoomsCluster::left(std::string_view member_id, std::string_view room_name,
                        std::string_view reason) {
  auto it = local_.find(std::string(member_id));
  if (it == local_.end()) return;
  const std::string id(member_id), room(room_name);
  local_.erase(it);
  node_.store().hash_del(room_key(room), id, [](Result<bool>) {});
  node_.store().hash_del(members_key(node_.id()), id, [](Result<bool>) {});
  tell_room(room, {{"k", "room-left"}, {"room", room}, {"id", id}, {"reason", reason}});
  if (auto r = rooms_.find(room); r != rooms_.end() && --r->second.local == 0) rooms_.erase(r);
}

bool RoomsCluster::signal(std::string_view from, std::string_view room, std::string_view to,
                          std::string_view data) {
  auto r = rooms_.find(std::string(room));
  if (r == rooms_.end()) return false;
  auto m = r->second.remote.find(std::string(to));
  if (m == r->second.remote.end()) return false;
  json::object message{{"k", "room-signal"}, {"room", room}, {"src", from}, {"to", to}};
  if (!node_.send_to(m->second.node, std::move(message), data)) return false;
  ++stats_.signals_out;
  return true;
}

void RoomsCluster::tell_room(const std::string& room, json::object message) {
  auto r = rooms_.find(room);
  if (r == rooms_.end()) return;
  std::set<std::string> nodes;
  for (const auto& [id, m] : r->second.remote) nodes.insert(m.node);
  for (const auto& n : nodes) node_.send_to(n, message);
}

void RoomsCluster::on_timer(Timestamp now) {
  now_ = now;
  if (final_resync_due_ && now >= final_resync_at_ && node_.store().connected()) {
    final_resync_due_ = false;
    resync(true);
  }
  if (now < next_refresh_) return;
  next_refresh_ = now + node_.options().heartbeat;
  refresh();
}

void RoomsCluster::refresh() {
  if (!node_.store().connected()) return;
  const std::size_t capacity = server_.options().room_capacity;
  // Re-adding an entry refreshes the room's TTL; after Redis lost its data it puts the member
  // back (refused only if others filled the room meanwhile: the member then stays, known here).
  for (const auto& [id, m] : local_) {
    node_.store().hash_add_capped(room_key(m.room), id, entry(m.name), capacity,
                                  node_.options().node_ttl, [](Result<bool>) {});
    node_.store().hash_set(members_key(node_.id()), id, m.room, [](Result<bool>) {});
  }
}

void RoomsCluster::resync(bool final) {
  // After an outage, compare each room with Redis: members that vanished are announced left
  // (final pass only), members that appeared joined, and this node's own members that joined
  // while Redis was away are announced to the other nodes of the room.
  std::weak_ptr<bool> alive = alive_;
  for (const auto& [room_name, unused] : rooms_) {
    node_.store().hash_get_all(
        room_key(room_name), [this, alive, final, room = room_name](Result<FieldList> all) {
          if (alive.expired() || !all.ok()) return;
          auto r = rooms_.find(room);
          if (r == rooms_.end()) return;
          std::map<std::string, Remote> now;
          for (const auto& [mid, text] : all.value) {
            std::string node, name;
            if (parse_entry(text, node, name) && node != node_.id()) now[mid] = Remote{node, name};
          }
          for (const auto& [mid, m] : r->second.remote)
            if (!now.contains(mid)) {
              if (final)
                server_.remote_left(room, mid, "disconnected");
              else
                now.emplace(mid, m);  // not back yet: asked again at the final pass
            }
          for (const auto& [mid, m] : now)
            if (!r->second.remote.contains(mid)) server_.remote_joined(room, mid, m.name);
          r->second.remote = std::move(now);
          if (final) return;
          for (const auto& [id, m] : local_)
            if (m.room == room)
              tell_room(room, {{"k", "room-joined"}, {"room", room}, {"id", id}, {"name", m.name}});
        });
  }
}

void RoomsCluster::node_died(const std::string& dead) {
  for (auto& [room, r] : rooms_)
    for (auto it = r.remote.begin(); it != r.remote.end();) {
      if (it->second.node != dead) {
        ++it;
        continue;
      }
      ++stats_.dead_members;
      server_.remote_left(room, it->first, "disconnected");
      it = r.remote.erase(it);
    }
  // Every survivor cleans Redis (the first one does the work, the rest find nothing).
  std::weak_ptr<bool> alive = alive_;
  node_.store().hash_get_all(members_key(dead), [this, alive, dead](Result<FieldList> all) {
    if (alive.expired() || !all.ok()) return;
    for (const auto& [id, room] : all.value)
      node_.store().hash_del(room_key(room), id, [](Result<bool>) {});
    node_.store().del(members_key(dead), [](Result<bool>) {});
  });
}

void RoomsCluster::receive_joined(const json::object& m) {
  const std::string room = field(m, "room"), id = field(m, "id"), from = field(m, "from");
  auto r = rooms_.find(room);
  if (r == rooms_.end() || id.empty() || local_.contains(id)) return;
  if (r->second.remote.size() >= server_.options().room_capacity) return;  // bounded
  auto [it, fresh] = r->second.remote.try_emplace(id, Remote{from, field(m, "name")});
  if (!fresh) return;  // already known (told twice after a resync)
  server_.remote_joined(room, id, it->second.name);
}

void RoomsCluster::receive_left(const json::object& m) {
  const std::string room = field(m, "room"), id = field(m, "id");
  auto r = rooms_.find(room);
  if (r == rooms_.end() || r->second.remote.erase(id) == 0) return;
  std::string reason = field(m, "reason");
  server_.remote_left(room, id, reason == "left" ? "left" : "disconnected");
}

void RoomsCluster::receive_signal(const json::object& m, std::string_view data) {
  if (server_.deliver_signal(field(m, "room"), field(m, "to"), field(m, "src"), data))
    ++stats_.signals_in;
}

}  // namespace peerkit::cluster
