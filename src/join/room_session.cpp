#include "join/room_session.h"

#include <boost/json.hpp>

#include "join/text.h"

namespace peerkit::join {

namespace json = boost::json;

namespace {

std::optional<json::value> parse(std::string_view text) {
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 32;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec) return std::nullopt;
  return v;
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<Signal> signal_of(const json::value& data) {
  const auto* o = data.if_object();
  if (!o) return std::nullopt;
  Signal s;
  if (const auto* sdp = o->if_contains("sdp"); sdp && sdp->is_object()) {
    s.kind = Signal::Kind::kDescription;
    s.type = str(sdp->get_object(), "type");
    s.sdp = str(sdp->get_object(), "sdp");
    if (s.type.empty()) return std::nullopt;
    return s;
  }
  const auto* c = o->if_contains("candidate");
  if (!c) return std::nullopt;
  if (c->is_null()) {
    s.kind = Signal::Kind::kEndOfCandidates;
    return s;
  }
  if (!c->is_object()) return std::nullopt;
  const auto& co = c->get_object();
  s.kind = Signal::Kind::kCandidate;
  s.candidate = str(co, "candidate");
  s.sdp_mid = str(co, "sdpMid");
  if (const auto* i = co.if_contains("sdpMLineIndex"); i && i->is_number()) {
    json::error_code ec;
    const auto n = i->to_number<unsigned>(ec);
    if (!ec) s.sdp_mline_index = n;
  }
  // An RTCIceCandidate with an empty candidate is the end of one section's candidates.
  if (s.candidate.empty()) s.kind = Signal::Kind::kEndOfCandidates;
  return s;
}

json::value signal_value(const Signal& s) {
  json::object o;
  switch (s.kind) {
    case Signal::Kind::kDescription:
      o["sdp"] = json::object{{"type", s.type}, {"sdp", s.sdp}};
      break;
    case Signal::Kind::kCandidate: {
      json::object c{{"candidate", s.candidate}, {"sdpMid", s.sdp_mid}};
      if (s.sdp_mline_index) c["sdpMLineIndex"] = *s.sdp_mline_index;
      o["candidate"] = std::move(c);
      break;
    }
    case Signal::Kind::kEndOfCandidates:
      o["candidate"] = nullptr;
      break;
  }
  return o;
}

Member member_of(const json::value* v) {
  if (!v || !v->is_object()) return {};
  return {str(v->get_object(), "id"), str(v->get_object(), "name")};
}

// The errors after which `join` cannot succeed (protocol-rooms.md, "Errors").
bool fatal(std::string_view code, bool joined) {
  if (joined) return false;
  return code == "room-full" || code == "too-many-rooms" || code == "bad-room" ||
         code == "bad-name" || code == "already-in-room" || code == "bad-message";
}

}  // namespace

std::string signal_data(const Signal& s) {
  return json::serialize(signal_value(s));
}

std::optional<Signal> parse_signal_data(std::string_view json_text) {
  const auto v = parse(json_text);
  return v ? signal_of(*v) : std::nullopt;
}

std::string chat_frame(std::string_view text) {
  return json::serialize(json::object{{"text", json::string_view(text.data(), text.size())}});
}

std::optional<std::string> parse_chat_frame(std::string_view frame) {
  const auto v = parse(frame);
  if (!v || !v->is_object()) return std::nullopt;
  const auto* t = v->get_object().if_contains("text");
  if (!t || !t->is_string()) return std::nullopt;
  // app.js keeps m.text.slice(0, 2000): 2000 UTF-16 code units.
  const std::string_view all(t->get_string().data(), t->get_string().size());
  std::size_t units = 0, end = 0;
  while (end < all.size()) {
    const auto b = static_cast<unsigned char>(all[end]);
    const std::size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    const std::size_t u = n == 4 ? 2 : 1;
    if (units + u > 2000) break;
    units += u;
    end += n;
  }
  return std::string(all.substr(0, std::min(end, all.size())));
}

std::optional<unsigned> mline_index(std::string_view sdp, std::string_view mid) {
  int index = -1;
  for (std::size_t at = 0; at < sdp.size();) {
    auto end = sdp.find('\n', at);
    if (end == std::string_view::npos) end = sdp.size();
    auto line = sdp.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("m=")) ++index;
    if (index >= 0 && line.starts_with("a=mid:") && line.substr(6) == mid)
      return static_cast<unsigned>(index);
    at = end + 1;
  }
  return std::nullopt;
}

std::string RoomSession::name_of(const std::string& id) const {
  const auto it = names_.find(id);
  return it == names_.end() ? "…" : it->second;
}

void RoomSession::send_signal(const std::string& to, const Signal& s) {
  send(json::serialize(json::object{{"type", "signal"}, {"to", to}, {"data", signal_value(s)}}));
}

void RoomSession::leave() {
  if (joined_) send(R"({"type":"leave"})");
}

void RoomSession::on_server_frame(std::string_view text) {
  const auto v = parse(text);
  if (!v || !v->is_object()) return;
  const auto& o = v->get_object();
  const std::string type = str(o, "type");
  using K = RoomEvent::Kind;
  if (type == "welcome") {
    RoomEvent e{K::kWelcome};
    self_id_ = str(o, "id");
    // An RTCIceServer's urls is a string or an array of strings.
    if (const auto* list = o.if_contains("iceServers"); list && list->is_array()) {
      for (const auto& server : list->get_array()) {
        if (!server.is_object()) continue;
        const auto& so = server.get_object();
        const auto* urls = so.if_contains("urls");
        if (!urls) urls = so.if_contains("url");
        std::vector<std::string> all;
        if (urls && urls->is_string()) all.emplace_back(urls->get_string());
        if (urls && urls->is_array())
          for (const auto& u : urls->get_array())
            if (u.is_string()) all.emplace_back(u.get_string());
        for (auto& u : all)
          e.ice_servers.push_back({u, str(so, "username"), str(so, "credential")});
      }
    }
    events_.push_back(std::move(e));
    send(json::serialize(json::object{{"type", "join"}, {"room", room_}, {"name", name_}}));
  } else if (type == "joined") {
    joined_ = true;
    RoomEvent e{K::kJoined};
    if (const auto* self = o.if_contains("self")) self_id_ = member_of(self).id;
    if (const auto* list = o.if_contains("members"); list && list->is_array())
      for (const auto& m : list->get_array()) {
        auto member = member_of(&m);
        if (member.id.empty() || member.id == self_id_) continue;
        names_[member.id] = member.name;
        e.members.push_back(std::move(member));
      }
    const auto members = e.members;
    events_.push_back(std::move(e));
    sfu_ = str(o, "mode") == "sfu";
    if (sfu_) {
      events_.push_back({K::kSfu});
      return;
    }
    for (const auto& m : members) events_.push_back({K::kOpenPeer, {}, {}, {}, m, true});
  } else if (type == "room-mode") {
    if (str(o, "mode") != "sfu" || sfu_) return;
    sfu_ = true;
    events_.push_back({K::kSfu});
  } else if (type == "member-joined") {
    auto m = member_of(o.if_contains("member"));
    if (m.id.empty() || m.id == self_id_) return;
    names_[m.id] = m.name;
    events_.push_back({sfu_ ? K::kMemberJoined : K::kOpenPeer, {}, {}, {}, m, false});
  } else if (type == "member-left") {
    const std::string id = str(o, "id");
    RoomEvent e{K::kMemberLeft};
    e.member = {id, name_of(id)};
    e.reason = str(o, "reason");
    names_.erase(id);
    events_.push_back(std::move(e));
  } else if (type == "signal") {
    const std::string from = str(o, "from");
    const auto* data = o.if_contains("data");
    if (data && data->is_object()) {
      if (const auto* chat = data->get_object().if_contains("chat"); chat && chat->is_string()) {
        RoomEvent e{K::kChat};
        e.member = {from, name_of(from)};
        // The app's cut (2000 UTF-16 units), as on the data channel.
        const std::string_view text(chat->get_string().data(), chat->get_string().size());
        e.text = parse_chat_frame(chat_frame(text)).value_or("");
        events_.push_back(std::move(e));
        return;
      }
    }
    auto s = data ? signal_of(*data) : std::nullopt;
    if (from.empty() || !s) return;
    RoomEvent e{K::kSignal};
    e.member = {from, name_of(from)};
    e.signal = std::move(*s);
    events_.push_back(std::move(e));
  } else if (type == "error") {
    RoomEvent e{fatal(str(o, "code"), joined_) ? K::kFatal : K::kNotice};
    e.code = str(o, "code");
    e.text = without_controls(cut_utf8(str(o, "message"), 300), "?");
    events_.push_back(std::move(e));
  } else if (type == "left") {
    joined_ = false;
    names_.clear();
    events_.push_back({K::kLeft});
  }
}

void RoomSession::send_chat(const std::string& to, std::string_view text) {
  send(json::serialize(json::object{
      {"type", "signal"}, {"to", to}, {"data", json::object{{"chat", json::string(text)}}}}));
}

bool RoomSession::send_chat_all(std::string_view text) {
  for (const auto& [id, name] : names_) send_chat(id, text);
  return !names_.empty();
}

}  // namespace peerkit::join
