#include "signaling/rooms_server.h"

#include <algorithm>
#include <array>

#include "signaling/json_frame.h"

namespace peerkit::signaling {

namespace json = boost::json;

bool valid_name(std::string_view text, std::size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes) return false;
  // Boost.JSON has already validated UTF-8; refuse C0 controls, DEL and C1 controls
  // (U+0080-U+009F, UTF-8 C2 80..C2 9F, NEL U+0085 among them), which have no place in a name
  // shown to other people.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7f) return false;
    if (u == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return false;
    }
  }
  return true;
}

std::string echo_value(std::string_view value) {
  if (value.size() <= kEchoMaxBytes) return std::string(value);
  std::size_t n = kEchoMaxBytes;
  // Never split a UTF-8 character: back up while the first byte left out continues one.
  while (n > 0 && (static_cast<unsigned char>(value[n]) & 0xc0) == 0x80) --n;
  return std::string(value.substr(0, n)) + "...";
}

RoomsServer::RoomsServer(RoomsOptions options, Transport& transport)
    : options_(std::move(options)), transport_(transport) {}

std::size_t RoomsServer::members() const {
  std::size_t n = 0;
  for (const auto& [name, list] : rooms_) n += list.size();
  return n;
}

void RoomsServer::on_open(SessionId session, std::string member_id, std::string_view ice_servers,
                          Timestamp now) {
  Member member{member_id,
                {},
                {},
                FrameGate(TokenBucket(options_.messages_per_second, options_.message_burst, now))};
  std::string text = R"({"type":"welcome","id":)";
  append_json_string(text, member_id);
  text += R"(,"iceServers":)";
  text += ice_servers.empty() ? std::string_view("[]") : ice_servers;
  text += R"(,"limits":{"roomCapacity":)" + std::to_string(options_.room_capacity) +
          R"(,"maxMessageBytes":)" + std::to_string(options_.max_message_bytes) +
          R"(,"messagesPerSecond":)" + std::to_string(options_.messages_per_second);
  if (sfu_enabled())
    text += R"(,"sfuThreshold":)" + std::to_string(options_.sfu_threshold) +
            R"(,"sfuRoomCapacity":)" + std::to_string(options_.sfu_room_capacity);
  text += "}}";
  by_member_id_[member_id] = session;
  sessions_.emplace(session, std::move(member));
  transport_.send(session, std::move(text));
}

void RoomsServer::on_close(SessionId session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (!it->second.room.empty()) leave(session, it->second, "disconnected");
  by_member_id_.erase(it->second.id);
  sessions_.erase(it);
}

void RoomsServer::error(SessionId session, std::string_view code, std::string_view message,
                        std::string_view request) {
  ++stats_.errors_sent;
  std::string text = R"({"type":"error","code":)";
  append_json_string(text, code);
  text += R"(,"message":)";
  append_json_string(text, message);
  if (!request.empty()) {
    text += R"(,"request":)";
    append_json_string(text, echo_value(request));
  }
  text += '}';
  transport_.send(session, std::move(text));
}

void RoomsServer::on_message(SessionId session, std::string_view text, Timestamp now) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  Member& member = it->second;
  const Admission admission = admit_frame(member.gate, now, options_.message_burst,
                                          stats_.rate_limited, transport_, session);
  if (admission == Admission::kFirstDrop)  // the rooms protocol says so, once per run of drops
    error(session, "rate-limited",
          "more than " + std::to_string(options_.messages_per_second) +
              " messages per second; messages are being dropped",
          "");
  if (admission != Admission::kAccepted) return;

  JsonFrame frame;
  const json::object* message = frame.parse(text);
  if (!message) {
    error(session, "bad-json", "the message is not a JSON object", "");
    return;
  }
  bool has_type = false;
  const json::string* type = string_field(*message, "type", &has_type);
  if (!type) {
    error(session, "bad-message",
          has_type ? "\"type\" must be a string" : "the message has no \"type\"", "");
    return;
  }
  const std::string_view kind(type->data(), type->size());
  if (kind == "join") {
    const json::string* room = string_field(*message, "room");
    const json::string* name = string_field(*message, "name");
    if (!room || !name) {
      error(session, "bad-message", "join needs \"room\" and \"name\" strings", kind);
      return;
    }
    Policy policy = Policy::kAuto;
    bool has_mode = false;
    const json::string* mode = string_field(*message, "mode", &has_mode);
    if (has_mode) {
      if (mode && *mode == "mesh") {
        policy = Policy::kMesh;
      } else if (mode && *mode == "sfu") {
        policy = Policy::kSfu;
      } else if (!mode || *mode != "auto") {
        error(session, "bad-message", "join's \"mode\" is \"auto\", \"mesh\" or \"sfu\"", kind);
        return;
      }
    }
    join(session, member, std::string_view(room->data(), room->size()),
         std::string_view(name->data(), name->size()), kind, policy);
  } else if (kind == "leave") {
    if (member.room.empty() && !member.joining.empty()) {
      // Cluster mode: a join still waiting for the cluster is cancelled; complete_join() then
      // refuses it and the hook gives the place back.
      std::string reply = R"({"type":"left","room":)";
      append_json_string(reply, member.joining);
      reply += '}';
      member.joining.clear();
      transport_.send(session, std::move(reply));
      return;
    }
    if (member.room.empty()) {
      error(session, "not-in-room", "leave before join", kind);
      return;
    }
    std::string room = member.room;
    leave(session, member, "left");
    std::string reply = R"({"type":"left","room":)";
    append_json_string(reply, room);
    reply += '}';
    transport_.send(session, std::move(reply));
  } else if (kind == "signal") {
    if (member.room.empty()) {
      error(session, "not-in-room", "join a room before sending signals", kind);
      return;
    }
    const json::string* to = string_field(*message, "to");
    const json::value* data = message->if_contains("data");
    if (!to || !data) {
      error(session, "bad-message", "signal needs a \"to\" string and \"data\"", kind);
      return;
    }
    auto target = by_member_id_.find(std::string(to->data(), to->size()));
    if (hook_ && target == by_member_id_.end()) {
      std::string serialized;
      append_json(serialized, *data);
      if (hook_->signal(member.id, member.room, std::string_view(to->data(), to->size()),
                        serialized)) {
        ++stats_.signals_relayed;
        return;
      }
    }
    if (target == by_member_id_.end() || target->second == session ||
        sessions_.at(target->second).room != member.room) {
      error(session, "unknown-member",
            "no member " + echo_value(std::string_view(to->data(), to->size())) + " in room " +
                member.room,
            kind);
      return;
    }
    std::string out = R"({"type":"signal","from":)";
    append_json_string(out, member.id);
    out += R"(,"data":)";
    append_json(out, *data);
    out += '}';
    if (transport_.send(target->second, std::move(out))) ++stats_.signals_relayed;
  } else if (kind == "ping") {
    transport_.send(session, R"({"type":"pong"})");
  } else if (kind.starts_with("sfu-")) {
    sfu_request(session, member, kind, *message, text);
  } else {
    error(session, "unknown-type", "unknown message type \"" + echo_value(kind) + "\"", kind);
  }
}

void RoomsServer::join(SessionId session, Member& member, std::string_view room,
                       std::string_view name, std::string_view request, Policy policy) {
  if (!member.room.empty() || !member.joining.empty()) {
    error(
        session, "already-in-room",
        "already in room " + (member.room.empty() ? member.joining : member.room) + "; leave first",
        request);
    return;
  }
  if (!valid_name(room, options_.max_room_name_bytes)) {
    error(session, "bad-room",
          "room names are 1.." + std::to_string(options_.max_room_name_bytes) +
              " bytes without control characters",
          request);
    return;
  }
  if (!valid_name(name, options_.max_display_name_bytes)) {
    error(session, "bad-name",
          "display names are 1.." + std::to_string(options_.max_display_name_bytes) +
              " bytes without control characters",
          request);
    return;
  }
  auto it = rooms_.find(std::string(room));
  // Cluster mode: room-full is decided cluster-wide by the hook, which completes the join.
  if (hook_ && (it != rooms_.end() || rooms_.size() < options_.max_rooms) &&
      hook_->join(session, member.id, room, name)) {
    member.joining = std::string(room);
    member.name = std::string(name);
    return;
  }
  if (it == rooms_.end()) {
    if (rooms_.size() >= options_.max_rooms) {
      error(session, "too-many-rooms", "the server holds its maximum number of rooms", request);
      return;
    }
    it = rooms_.emplace(std::string(room), std::vector<SessionId>{}).first;
  } else if (const std::size_t limit = capacity(it->first, policy); it->second.size() >= limit) {
    error(session, "room-full",
          "room " + std::string(room) + " is full (" + std::to_string(limit) + " members)",
          request);
    return;
  }
  member.name = std::string(name);
  finish_join(session, member, std::string(room), nullptr, policy);
}

bool RoomsServer::complete_join(SessionId session, const ClusterJoin& result) {
  auto s = sessions_.find(session);
  if (s == sessions_.end() || s->second.joining.empty()) return false;
  Member& member = s->second;
  const std::string room = std::move(member.joining);
  member.joining.clear();
  auto it = rooms_.find(room);
  const std::size_t local = it == rooms_.end() ? 0 : it->second.size();
  if (result.full || local + result.remote_members.size() >= options_.room_capacity) {
    error(session, "room-full",
          "room " + room + " is full (" + std::to_string(options_.room_capacity) + " members)",
          "join");
    return false;
  }
  if (it == rooms_.end() && rooms_.size() >= options_.max_rooms) {
    error(session, "too-many-rooms", "the server holds its maximum number of rooms", "join");
    return false;
  }
  finish_join(session, member, room, &result);
  return true;
}

void RoomsServer::finish_join(SessionId session, Member& member, const std::string& room,
                              const ClusterJoin* remote, Policy policy) {
  auto it = rooms_.try_emplace(room).first;
  member.room = room;
  ++stats_.joins;
  bool switched = false;
  const bool sfu = sfu_mode_after_join(room, it->second.size() + 1, policy, &switched);

  std::string self = R"({"id":)";
  append_json_string(self, member.id);
  self += R"(,"name":)";
  append_json_string(self, member.name);
  self += '}';

  std::string joined = R"({"type":"joined","room":)";
  append_json_string(joined, member.room);
  joined += R"(,"self":)" + self + R"(,"members":[)";
  bool first = true;
  for (SessionId other : it->second) {
    const Member& m = sessions_.at(other);
    joined += first ? "" : ",";
    first = false;
    joined += R"({"id":)";
    append_json_string(joined, m.id);
    joined += R"(,"name":)";
    append_json_string(joined, m.name);
    joined += '}';
  }
  // Cluster mode: then the members on other nodes (they were told by the hook).
  if (remote)
    for (const auto& [id, name] : remote->remote_members) {
      joined += first ? "" : ",";
      first = false;
      joined += R"({"id":)";
      append_json_string(joined, id);
      joined += R"(,"name":)";
      append_json_string(joined, name);
      joined += '}';
    }
  joined += sfu ? R"(],"mode":"sfu"})" : R"(],"mode":"mesh"})";
  broadcast(member.room, session, R"({"type":"member-joined","member":)" + self + "}");
  it->second.push_back(session);
  transport_.send(session, std::move(joined));
  if (switched) {
    // The others learn it after the member who tipped it over; each then moves to the SFU.
    broadcast(room, session, R"({"type":"room-mode","mode":"sfu"})");
    for (SessionId s : it->second) sfu_->enter(room, sessions_.at(s).id);
  } else if (sfu) {
    sfu_->enter(room, member.id);
  }
}

void RoomsServer::leave(SessionId session, Member& member, std::string_view reason) {
  auto it = rooms_.find(member.room);
  if (auto mode = modes_.find(member.room); mode != modes_.end()) {
    if (mode->second.sfu) sfu_->exit(member.room, member.id);
    if (it == rooms_.end() || it->second.size() <= 1) modes_.erase(mode);
  }
  if (it != rooms_.end()) {
    std::erase(it->second, session);
    if (it->second.empty()) rooms_.erase(it);
  }
  ++stats_.leaves;
  std::string text = R"({"type":"member-left","id":)";
  append_json_string(text, member.id);
  text += R"(,"reason":)";
  append_json_string(text, reason);
  text += '}';
  const std::string room = std::move(member.room);
  member.room.clear();
  broadcast(room, session, text);
  if (hook_) hook_->left(member.id, room, reason);
}

void RoomsServer::remote_joined(std::string_view room, std::string_view member_id,
                                std::string_view name) {
  std::string text = R"({"type":"member-joined","member":{"id":)";
  append_json_string(text, member_id);
  text += R"(,"name":)";
  append_json_string(text, name);
  text += "}}";
  broadcast(std::string(room), SessionId(), text);
}

void RoomsServer::remote_left(std::string_view room, std::string_view member_id,
                              std::string_view reason) {
  std::string text = R"({"type":"member-left","id":)";
  append_json_string(text, member_id);
  text += R"(,"reason":)";
  append_json_string(text, reason);
  text += '}';
  broadcast(std::string(room), SessionId(), text);
}

bool RoomsServer::deliver_signal(std::string_view room, std::string_view to, std::string_view from,
                                 std::string_view data) {
  auto target = by_member_id_.find(std::string(to));
  if (target == by_member_id_.end() || sessions_.at(target->second).room != room) return false;
  std::string out = R"({"type":"signal","from":)";
  append_json_string(out, from);
  out += R"(,"data":)";
  out += data;
  out += '}';
  return transport_.send(target->second, std::move(out));
}

void RoomsServer::broadcast(const std::string& room, SessionId except, const std::string& text) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  for (SessionId other : it->second)
    if (other != except) transport_.send(other, text);
}

}  // namespace peerkit::signaling
