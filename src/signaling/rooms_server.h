// The rooms protocol on /ws (docs/protocol-rooms.md), as a sans-IO core: a connection gets a
// server-assigned member id, joins one room with a display name, sees the member list and
// joins/leaves, and relays signaling payloads to one other member of its room. Every request
// that cannot be honoured is answered with {"type":"error","code":...}; nothing a client sends
// affects another client except through the documented messages.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/time.h"
#include "signaling/cluster_hook.h"
#include "signaling/rate_limiter.h"
#include "signaling/sfu_hook.h"
#include "signaling/stats.h"
#include "signaling/transport.h"

namespace peerkit::signaling {

struct RoomsOptions {
  std::size_t room_capacity = 6;  // members per room (the web app's mesh tops out at 6)
  std::size_t max_rooms = 10000;
  std::size_t max_room_name_bytes = 64;
  std::size_t max_display_name_bytes = 64;
  std::uint32_t messages_per_second = 200;  // per connection; 0 = unlimited
  std::uint32_t message_burst = 400;
  std::size_t max_message_bytes = 64 * 1024;  // told to clients in `welcome`; the driver enforces
  // SFU mode (with an SFU hook set): a room whose policy is auto switches from mesh to SFU
  // when it would hold more than `sfu_threshold` members; an SFU room holds up to
  // `sfu_room_capacity`. A forced mesh room holds room_capacity, and so does an auto room when
  // room_capacity ≤ sfu_threshold (it is full before it would switch).
  std::size_t sfu_threshold = 4;
  std::size_t sfu_room_capacity = 50;
};

class RoomsServer {
 public:
  RoomsServer(RoomsOptions options, Transport& transport);

  // A WebSocket on /ws opened; `member_id` is unique for the process (chosen by the driver) and
  // `ice_servers` is the JSON array for RTCConfiguration.iceServers sent in `welcome`.
  void on_open(SessionId session, std::string member_id, std::string_view ice_servers,
               Timestamp now);
  void on_message(SessionId session, std::string_view text, Timestamp now);
  void on_close(SessionId session);

  const RoomsOptions& options() const { return options_; }
  const RoomsStats& stats() const { return stats_; }
  std::size_t rooms() const { return rooms_.size(); }
  std::size_t members() const;  // connections that are in a room
  std::size_t connections() const { return sessions_.size(); }

  // SFU mode: null (the default) keeps every room a mesh. Not with a cluster hook (an SFU room
  // lives on one node).
  void set_sfu_hook(RoomsSfuHook* hook) { sfu_ = hook; }
  // A server message for a local member (the SFU's answers and offers); false if it is gone or
  // no longer in `room`.
  bool deliver(std::string_view room, std::string_view member_id, std::string text);
  // "sfu" or "mesh" ("" for no such room).
  std::string_view room_mode(std::string_view room) const;

  // Cluster mode (src/cluster): null (the default) is a single node.
  void set_cluster_hook(RoomsClusterHook* hook) { hook_ = hook; }
  // Completes a join the hook took. False when the session is gone or no longer joining, or the
  // room is full (then it was told room-full); the hook then gives the place back.
  bool complete_join(SessionId session, const ClusterJoin& result);
  // Events from members on other nodes, told to this node's members of `room`.
  void remote_joined(std::string_view room, std::string_view member_id, std::string_view name);
  void remote_left(std::string_view room, std::string_view member_id, std::string_view reason);
  // A signal from a member on another node to local member `to` of `room`; false if not here.
  bool deliver_signal(std::string_view room, std::string_view to, std::string_view from,
                      std::string_view data);

 private:
  struct Member {
    std::string id;
    std::string name;
    std::string room;  // empty: in no room
    FrameGate gate;
    std::string joining = {};  // cluster mode: the room of a join the hook is completing
  };

  void error(SessionId session, std::string_view code, std::string_view message,
             std::string_view request);
  enum class Policy : std::uint8_t { kAuto, kMesh, kSfu };
  void join(SessionId session, Member& member, std::string_view room, std::string_view name,
            std::string_view request, Policy policy);
  void leave(SessionId session, Member& member, std::string_view reason);
  // The join after every check: into the room's member list, joined to it, member-joined to
  // the others (local ones, and remote ones listed in `remote`).
  void finish_join(SessionId session, Member& member, const std::string& room,
                   const ClusterJoin* remote, Policy policy = Policy::kAuto);
  void broadcast(const std::string& room, SessionId except, const std::string& text);

  // SFU mode (rooms_sfu.cpp).
  struct RoomMode {
    Policy policy = Policy::kAuto;
    bool sfu = false;
  };
  bool sfu_enabled() const { return sfu_ != nullptr && hook_ == nullptr; }
  // How many members `room` may hold for a join asking for `policy`.
  std::size_t capacity(const std::string& room, Policy policy) const;
  // For a member about to be added to `room` (`size` members with it): its mode, switching it
  // to SFU when it crossed the threshold. Sets *switched when it did.
  bool sfu_mode_after_join(const std::string& room, std::size_t size, Policy policy,
                           bool* switched);
  void sfu_request(SessionId session, Member& member, std::string_view kind,
                   const boost::json::object& message, std::string_view text);

  RoomsOptions options_;
  Transport& transport_;
  RoomsClusterHook* hook_ = nullptr;
  RoomsSfuHook* sfu_ = nullptr;
  std::unordered_map<std::string, RoomMode> modes_;  // rooms with members
  RoomsStats stats_;
  std::unordered_map<SessionId, Member> sessions_;
  std::unordered_map<std::string, SessionId> by_member_id_;
  std::unordered_map<std::string, std::vector<SessionId>> rooms_;  // members in join order
};

// Room and display names: 1..limit bytes of UTF-8 text without control characters (C0, DEL, C1).
bool valid_name(std::string_view text, std::size_t max_bytes);

// A client's value quoted back in an error (`request`, an unknown type, an unknown member) is cut
// to this many bytes, at a UTF-8 character boundary, and marked with "...": a 60 KB value must
// not come back as a 60 KB error.
inline constexpr std::size_t kEchoMaxBytes = 64;
std::string echo_value(std::string_view value);

}  // namespace peerkit::signaling
