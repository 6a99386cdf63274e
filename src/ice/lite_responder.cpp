#include "ice/lite_responder.h"

#include "ice/stun_check.h"
#include "stun/attributes.h"
#include "stun/constants.h"
#include "stun/integrity.h"
#include "stun/message.h"

namespace peerkit::ice {

bool LiteResponder::add_session(SessionId id, std::string local_ufrag, std::string local_pwd) {
  if (sessions_.size() >= config_.max_sessions || sessions_.contains(id) ||
      by_ufrag_.contains(local_ufrag) || local_ufrag.empty() || local_pwd.empty())
    return false;
  by_ufrag_.emplace(local_ufrag, id);
  sessions_.emplace(id, Session{std::move(local_ufrag), std::move(local_pwd), std::nullopt, 0});
  return true;
}

void LiteResponder::remove_session(SessionId id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  by_ufrag_.erase(it->second.ufrag);
  std::erase_if(addresses_, [id](const auto& kv) { return kv.second.session == id; });
  sessions_.erase(it);
}

std::optional<LiteResponder::Routed> LiteResponder::handle(Timestamp now, SocketId socket,
                                                           const SocketAddress& from,
                                                           ByteSpan data) {
  const PacketClass kind = classify(data);
  if (kind == PacketClass::kStun) return handle_stun(now, socket, from, data);
  auto it = addresses_.find(from);
  if (it == addresses_.end()) {
    ++stats_.dropped_unbound;
    return std::nullopt;
  }
  return Routed{it->second.session, kind};
}

std::optional<LiteResponder::Routed> LiteResponder::handle_stun(Timestamp now, SocketId socket,
                                                                const SocketAddress& from,
                                                                ByteSpan data) {
  auto m = stun::MessageView::parse(data);
  if (!m || m->message_class() != stun::MessageClass::kRequest ||
      m->method() != stun::Method::kBinding) {
    ++stats_.dropped_stun;  // a lite agent sends no requests, so it expects no responses
    return std::nullopt;
  }
  // Which session: the first half of USERNAME is our ufrag (RFC 8445 §7.2.2).
  const auto username_attr = m->find(stun::attr::kUsername);
  const auto username =
      username_attr ? stun::decode_text(*username_attr, stun::kMaxUsernameBytes) : std::nullopt;
  const auto colon = username ? username->find(':') : std::string_view::npos;
  auto session = colon == std::string_view::npos
                     ? by_ufrag_.end()
                     : by_ufrag_.find(std::string(username->substr(0, colon)));
  if (session == by_ufrag_.end() || !stun::verify_fingerprint(*m)) {
    ++stats_.dropped_stun;  // not for anyone here: no answer to a possibly spoofed source
    return std::nullopt;
  }
  const SessionId id = session->second;
  Session& s = sessions_.at(id);
  auto check = verify_check_request(*m, s.ufrag, s.pwd);
  if (!check) {
    if (check.error().code == 0) {
      ++stats_.dropped_stun;
      return std::nullopt;
    }
    ++stats_.checks_refused;
    auto buf = out_.reserve(kMaxCheckMessage);
    const auto reply = build_check_error(buf, m->transaction_id(), check.error().code, s.pwd);
    if (reply.empty()) {
      out_.unreserve();
    } else {
      out_.commit(socket, from, reply.size());
    }
    return Routed{id, PacketClass::kStun};
  }
  ++stats_.checks_answered;
  auto buf = out_.reserve(kMaxCheckMessage);
  const auto reply = build_check_success(buf, m->transaction_id(), from, s.pwd);
  if (reply.empty()) {
    out_.unreserve();
  } else {
    out_.commit(socket, from, reply.size());
  }
  bind(now, id, s, from);
  // §7.3.1.5: a lite agent takes the pair a check nominates as the one to send on.
  if (check->use_candidate && s.selected != from) {
    s.selected = from;
    events_.push_back({Event::Kind::kSelected, id, from});
  }
  return Routed{id, PacketClass::kStun};
}

void LiteResponder::bind(Timestamp now, SessionId id, Session& s, const SocketAddress& from) {
  auto it = addresses_.find(from);
  if (it != addresses_.end() && it->second.session == id) {
    it->second.last_check = now;
    return;
  }
  // The address changed hands (a browser reconnected from the same port with a new session).
  if (it != addresses_.end()) forget(from);
  if (s.addresses >= config_.max_addresses_per_session) {
    // Make room: the least recently checked address of this session that is not selected.
    auto oldest = addresses_.end();
    for (auto a = addresses_.begin(); a != addresses_.end(); ++a)
      if (a->second.session == id && a->first != s.selected &&
          (oldest == addresses_.end() || a->second.last_check < oldest->second.last_check))
        oldest = a;
    if (oldest == addresses_.end()) return;
    forget(SocketAddress(oldest->first));
  }
  addresses_.emplace(from, Binding{id, now});
  ++s.addresses;
}

void LiteResponder::forget(const SocketAddress& address) {
  auto it = addresses_.find(address);
  if (it == addresses_.end()) return;
  const SessionId id = it->second.session;
  addresses_.erase(it);
  auto s = sessions_.find(id);
  if (s == sessions_.end()) return;
  --s->second.addresses;
  if (s->second.selected == address) {
    s->second.selected.reset();
    events_.push_back({Event::Kind::kDisconnected, id, address});
  }
}

void LiteResponder::handle_timeout(Timestamp now) {
  if (now < next_sweep_) return;
  next_sweep_ = now + kSweepInterval;
  std::vector<SocketAddress> expired;
  for (const auto& [address, b] : addresses_)
    if (now - b.last_check >= config_.consent_timeout) expired.push_back(address);
  for (const auto& a : expired) forget(a);
}

Timestamp LiteResponder::next_timeout() const {
  return addresses_.empty() ? Timestamp::never() : next_sweep_;
}

std::optional<LiteResponder::Event> LiteResponder::poll_event() {
  if (events_.empty()) return std::nullopt;
  Event e = events_.front();
  events_.pop_front();
  return e;
}

std::optional<SocketAddress> LiteResponder::selected(SessionId id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? std::nullopt : it->second.selected;
}

}  // namespace peerkit::ice
