// The optional hook through which a cluster layer (src/cluster) extends the PeerJS core across
// nodes. With no hook set (the default) the core behaves exactly as a single node. The hook is
// called from inside the core and must not call back into it synchronously: whatever it does
// with the cluster completes later and comes back through PeerJsServer::deliver_local().
#pragma once

#include <string_view>

namespace peerkit::signaling {

class PeerJsClusterHook {
 public:
  virtual ~PeerJsClusterHook() = default;
  // A relayed frame for `dst`, which is not a client of this node. True: the hook takes it (it
  // routes it to the node holding `dst`, or queues it cluster-wide, and answers the sender with
  // EXPIRE itself if that fails); false: the core handles it as a single node would (queue it
  // locally, or drop a LEAVE/EXPIRE). `text` is only valid during the call.
  virtual bool route(std::string_view type, std::string_view src, std::string_view dst,
                     std::string_view text) = 0;
  // `id` became a client of this node (a new registration, not a takeover).
  virtual void registered(std::string_view id, std::string_view token) = 0;
  // `id` is no longer a client of this node (closed, LEAVE without dst, reaped, failed send).
  virtual void unregistered(std::string_view id) = 0;
};

}  // namespace peerkit::signaling

#include <string>
#include <utility>
#include <vector>

#include "signaling/transport.h"

namespace peerkit::signaling {

// What a join learned from the cluster: whether the room is full cluster-wide, and the members
// on other nodes ({id, name}).
struct ClusterJoin {
  bool full = false;
  std::vector<std::pair<std::string, std::string>> remote_members;
};

// The optional hook through which a cluster layer extends the rooms core across nodes; the same
// rules as PeerJsClusterHook (no synchronous calls back into the core).
class RoomsClusterHook {
 public:
  virtual ~RoomsClusterHook() = default;
  // A join that passed the local checks. True: the hook completes it later with
  // RoomsServer::complete_join(); false: the core joins locally as a single node would.
  virtual bool join(SessionId session, std::string_view member_id, std::string_view room,
                    std::string_view name) = 0;
  // A local member left `room` (reason "left" or "disconnected").
  virtual void left(std::string_view member_id, std::string_view room, std::string_view reason) = 0;
  // A signal for `to`, not a local member of `room`. True: the hook carries `data` (serialized
  // JSON) to it; false: the sender gets unknown-member.
  virtual bool signal(std::string_view from, std::string_view room, std::string_view to,
                      std::string_view data) = 0;
};

}  // namespace peerkit::signaling
