// The rooms core's SFU mode (docs/protocol-rooms.md "SFU mode"): which rooms are SFU rooms,
// how many members they hold, and the shape of every sfu-* request before the hook carries it
// to the room's SFU worker.
#include <string>

#include "signaling/json_frame.h"
#include "signaling/rooms_server.h"

namespace peerkit::signaling {

namespace json = boost::json;

namespace {

// Heights a client may ask for or announce: the largest video any browser sends is 4320p.
constexpr std::int64_t kMaxHeight = 8192;

bool is_height(const json::value& v) {
  return v.is_int64() ? v.as_int64() >= 1 && v.as_int64() <= kMaxHeight
                      : v.is_uint64() && v.as_uint64() <= kMaxHeight && v.as_uint64() >= 1;
}

}  // namespace

std::size_t RoomsServer::capacity(const std::string& room, Policy policy) const {
  if (!sfu_enabled()) return options_.room_capacity;
  bool sfu = false;
  if (auto it = modes_.find(room); it != modes_.end()) {
    policy = it->second.policy;
    sfu = it->second.sfu;
  }
  if (sfu || policy == Policy::kSfu) return options_.sfu_room_capacity;
  if (policy == Policy::kMesh) return options_.room_capacity;
  // An auto room that fills up before it would switch stays a mesh of room_capacity.
  return options_.room_capacity <= options_.sfu_threshold ? options_.room_capacity
                                                          : options_.sfu_room_capacity;
}

bool RoomsServer::sfu_mode_after_join(const std::string& room, std::size_t size, Policy policy,
                                      bool* switched) {
  *switched = false;
  if (!sfu_enabled()) return false;
  auto [it, created] = modes_.try_emplace(room);
  RoomMode& mode = it->second;
  if (created) mode.policy = policy;  // the first member's link decides the room's policy
  if (mode.sfu) return true;
  if (mode.policy == Policy::kSfu || (mode.policy == Policy::kAuto && size > options_.sfu_threshold)) {
    mode.sfu = true;
    *switched = !created;  // members already there move over (a new room has only the joiner)
  }
  return mode.sfu;
}

std::string_view RoomsServer::room_mode(std::string_view room) const {
  if (!rooms_.contains(std::string(room))) return "";
  auto it = modes_.find(std::string(room));
  return it != modes_.end() && it->second.sfu ? "sfu" : "mesh";
}

bool RoomsServer::deliver(std::string_view room, std::string_view member_id, std::string text) {
  auto target = by_member_id_.find(std::string(member_id));
  if (target == by_member_id_.end() || sessions_.at(target->second).room != room) return false;
  return transport_.send(target->second, std::move(text));
}

void RoomsServer::sfu_request(SessionId session, Member& member, std::string_view kind,
                              const json::object& message, std::string_view text) {
  const bool known = kind == "sfu-publish" || kind == "sfu-subscribe-answer" ||
                     kind == "sfu-constraints" || kind == "sfu-stats";
  if (!known) {
    error(session, "unknown-type", "unknown message type \"" + echo_value(kind) + "\"", kind);
    return;
  }
  if (member.room.empty()) {
    error(session, "not-in-room", "join a room before " + std::string(kind), kind);
    return;
  }
  auto mode = modes_.find(member.room);
  if (!sfu_enabled() || mode == modes_.end() || !mode->second.sfu) {
    error(session, "not-sfu", "room " + member.room + " is not in SFU mode", kind);
    return;
  }
  if (kind == "sfu-publish" || kind == "sfu-subscribe-answer") {
    if (!string_field(message, "sdp")) {
      error(session, "bad-message", std::string(kind) + " needs an \"sdp\" string", kind);
      return;
    }
  }
  if (kind == "sfu-publish") {
    if (const auto* h = message.if_contains("height"); h && !is_height(*h)) {
      error(session, "bad-message", "sfu-publish's \"height\" is 1.." + std::to_string(kMaxHeight),
            kind);
      return;
    }
    bool has_screen = false;
    const json::string* screen = string_field(message, "screen", &has_screen);
    // A mid (RFC 8843 §5: a token; browsers use short numbers).
    if (has_screen && (!screen || screen->empty() || screen->size() > 32)) {
      error(session, "bad-message", "sfu-publish's \"screen\" is the mid of the screen section",
            kind);
      return;
    }
  } else if (kind == "sfu-subscribe-answer") {
    const auto* c = message.if_contains("connection");
    if (!c || !(c->is_int64() || c->is_uint64())) {
      error(session, "bad-message", "sfu-subscribe-answer needs the offer's \"connection\" number",
            kind);
      return;
    }
  } else if (kind == "sfu-constraints") {
    const auto* h = message.if_contains("maxHeight");
    bool ok = !h || h->is_null() || is_height(*h);
    if (const auto* s = message.if_contains("sources"); s) {
      ok = ok && s->is_object() && s->as_object().size() <= options_.sfu_room_capacity;
      if (ok)
        for (const auto& [id, v] : s->as_object()) ok = ok && is_height(v);
    }
    if (!ok) {
      error(session, "bad-message",
            "sfu-constraints has \"maxHeight\" (1.." + std::to_string(kMaxHeight) +
                " or null) and \"sources\" ({member id: max height})",
            kind);
      return;
    }
  }
  sfu_->request(member.room, member.id, kind, text);
}

}  // namespace peerkit::signaling
