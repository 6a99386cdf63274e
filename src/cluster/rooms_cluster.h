// The rooms protocol across nodes: as RoomsServer's cluster hook, it keeps each room's
// membership in Redis (capacity checked there, so room-full is cluster-wide), tells the nodes
// holding members of a room (only those) about joins and leaves, carries signals to the node of
// the target member, and announces a dead node's members left with reason "disconnected". The
// driver keeps calling RoomsServer itself; member ids must be unique across the cluster (the
// serve draws them at random, 80 bits). README.md has the details.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "cluster/node.h"
#include "signaling/rooms_server.h"

namespace peerkit::cluster {

struct RoomsClusterStats {
  std::uint64_t joins = 0;         // joins completed with the cluster's view
  std::uint64_t full = 0;          // refused: room full cluster-wide
  std::uint64_t local_joins = 0;   // joined locally only, Redis unreachable
  std::uint64_t signals_out = 0;   // signals sent to another node
  std::uint64_t signals_in = 0;    // signals from another node given to a local member
  std::uint64_t dead_members = 0;  // members of dead nodes announced left
};

class RoomsCluster final : public signaling::RoomsClusterHook {
 public:
  RoomsCluster(Node& node, signaling::RoomsServer& server);
  ~RoomsCluster() override;

  // Refreshes this node's memberships in Redis. Call with Node::on_timer.
  void on_timer(Timestamp now);
  const RoomsClusterStats& stats() const { return stats_; }
  // Members on other nodes this node knows of, in rooms it has members in.
  std::size_t remote_members() const;

  // RoomsClusterHook
  bool join(signaling::SessionId session, std::string_view member_id, std::string_view room,
            std::string_view name) override;
  void left(std::string_view member_id, std::string_view room, std::string_view reason) override;
  bool signal(std::string_view from, std::string_view room, std::string_view to,
              std::string_view data) override;

 private:
  struct Remote {
    std::string node;
    std::string name;
  };
  struct Local {
    std::string room;
    std::string name;
  };
  struct Room {
    std::map<std::string, Remote> remote;  // member id -> where it is
    std::size_t local = 0;                 // this node's members in it
  };

  std::string room_key(std::string_view room) const;
  std::string members_key(std::string_view node) const;
  std::string entry(std::string_view name) const;
  // The other nodes with members in `room`: the only ones told about its changes.
  void tell_room(const std::string& room, boost::json::object message);
  void refresh();
  // final=false (at once on re-registering): learn who appeared, keep who is missing — after an
  // empty Redis restart the other nodes may not have put their members back yet. final=true (a
  // node_ttl later, from on_timer): whoever is still missing is announced left.
  void resync(bool final);
  void node_died(const std::string& node);
  void receive_joined(const boost::json::object& m);
  void receive_left(const boost::json::object& m);
  void receive_signal(const boost::json::object& m, std::string_view data);

  Node& node_;
  signaling::RoomsServer& server_;
  RoomsClusterStats stats_;
  Timestamp next_refresh_;
  Timestamp now_;                 // of the last on_timer
  bool final_resync_due_ = false;  // at final_resync_at_
  Timestamp final_resync_at_;
  std::map<std::string, Room> rooms_;
  std::map<std::string, Local> local_;  // this node's members in a room, by id
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::cluster
