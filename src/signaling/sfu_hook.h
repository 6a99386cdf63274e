// The optional hook through which `peerkit serve` gives the rooms core an SFU (issue 11,
// docs/protocol-rooms.md "SFU mode"). With no hook set every room is a mesh, as before. The
// core decides a room's mode and checks every sfu-* request's shape; the hook carries the
// requests to the room's SFU worker, which answers later through RoomsServer::deliver().
// The same rules as the cluster hooks: no synchronous calls back into the core.
#pragma once

#include <string_view>

namespace peerkit::signaling {

class RoomsSfuHook {
 public:
  virtual ~RoomsSfuHook() = default;
  // `member` is now in SFU room `room`: it joined one, or its room switched from mesh.
  virtual void enter(std::string_view room, std::string_view member) = 0;
  // It left (or lost its connection): its connections and tracks go.
  virtual void exit(std::string_view room, std::string_view member) = 0;
  // A well-formed sfu-publish, sfu-subscribe-answer, sfu-constraints or sfu-stats request of a
  // member of SFU room `room`: `text` is the whole frame, only valid during the call.
  virtual void request(std::string_view room, std::string_view member, std::string_view type,
                       std::string_view text) = 0;
};

}  // namespace peerkit::signaling
