#include "signaling/peerjs_server.h"

#include <algorithm>
#include <array>
#include <set>

#include "common/client_key.h"
#include "signaling/json_frame.h"
#include "signaling/peerjs_frame.h"

namespace peerkit::signaling {

namespace json = boost::json;

std::string peerjs_error(std::string_view msg) {
  std::string out = R"({"type":"ERROR","payload":{"msg":)";
  append_json_string(out, msg);
  out += "}}";
  return out;
}

PeerJsServer::PeerJsServer(PeerJsOptions options, Transport& transport)
    : options_(std::move(options)), transport_(transport) {}

void PeerJsServer::reject(SessionId session, std::string text) {
  ++stats_.rejected;
  transport_.send(session, text);
  transport_.close(session, kCloseNormal, "rejected");
}

bool PeerJsServer::on_open(SessionId session, const PeerJsConnectRequest& request, Timestamp now) {
  now_ = now;
  // Spec §2.2, in PeerServer's order.
  if (request.id.empty() || request.token.empty() || request.key.empty()) {
    reject(session, peerjs_error(peerjs_text::kNoIdTokenOrKey));
    return false;
  }
  if (request.key != options_.key) {
    reject(session, peerjs_error(peerjs_text::kInvalidKey));
    return false;
  }
  if (request.id.size() > options_.max_id_bytes || request.token.size() > options_.max_id_bytes) {
    reject(session, peerjs_error("id and token must be at most " +
                                 std::to_string(options_.max_id_bytes) + " bytes"));
    return false;
  }
  const Session fresh{request.id, client_key(request.address, options_.ipv6_limit_prefix),
                      FrameGate(TokenBucket(options_.messages_per_second, options_.message_burst,
                                            now))};
  if (auto it = clients_.find(request.id); it != clients_.end()) {
    Client& client = it->second;
    if (client.token != request.token) {
      reject(session, std::string(peerjs_text::kIdTaken));
      return false;
    }
    // Same-token takeover (spec §2.8): the new socket becomes the client's; the replaced one
    // is closed so that it neither lingers nor keeps speaking for the id.
    const SessionId replaced = client.session;
    client.session = session;
    sessions_.insert_or_assign(session, fresh);
    if (auto old = sessions_.find(replaced); old != sessions_.end() && !old->second.gate.closing) {
      old->second.gate.closing = true;
      transport_.close(replaced, kCloseNormal, "replaced by a newer connection with this id");
    }
    if (options_.open_on_takeover) {
      ++stats_.opened;
      transport_.send(session, peerjs_text::kOpen);
    }
    deliver_queue(request.id, session);
    return true;
  }
  if (clients_.size() >= options_.concurrent_limit) {
    reject(session, peerjs_error(peerjs_text::kConcurrentLimit));
    return false;
  }
  clients_.emplace(request.id, Client{request.token, session, now});
  sessions_.insert_or_assign(session, fresh);
  ++stats_.opened;
  transport_.send(session, peerjs_text::kOpen);
  if (hook_) hook_->registered(request.id, request.token);
  deliver_queue(request.id, session);
  return true;
}

void PeerJsServer::deliver_queue(const std::string& id, SessionId session) {
  auto it = queues_.find(id);
  if (it == queues_.end()) return;
  auto messages = std::move(it->second.messages);
  drop_queue(id);
  for (auto& m : messages) {
    release(m);
    transport_.send(session, m.text);
  }
}  // `messages` and their texts are freed here

void PeerJsServer::release(const Queued& message) {
  const std::size_t cost = message.cost();
  total_bytes_ -= cost;
  released_bytes_ += cost;
  if (auto s = sender_bytes_.find(message.src); s != sender_bytes_.end() && (s->second -= cost) == 0)
    sender_bytes_.erase(s);
  if (auto a = address_bytes_.find(message.key);
      a != address_bytes_.end() && (a->second -= cost) == 0)
    address_bytes_.erase(a);
}

void PeerJsServer::drop_queue(const std::string& dst) {
  auto it = queues_.find(dst);
  if (it == queues_.end()) return;
  for (const auto& m : it->second.messages) release(m);
  queues_.erase(it);
  // A flood leaves large bucket arrays behind; with nothing queued, give them back.
  if (queues_.empty() && queues_.bucket_count() > 64) ById<OfflineQueue>().swap(queues_);
  if (sender_bytes_.empty() && sender_bytes_.bucket_count() > 64)
    ById<std::size_t>().swap(sender_bytes_);
  if (address_bytes_.empty() && address_bytes_.bucket_count() > 64)
    decltype(address_bytes_)().swap(address_bytes_);
}

void PeerJsServer::on_close(SessionId session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  // Only the client's current socket unregisters it (spec §2.7); a replaced one does not.
  if (auto c = clients_.find(it->second.id); c != clients_.end() && c->second.session == session) {
    tell_unregistered(c->first);
    clients_.erase(c);
  }
  sessions_.erase(it);
}

void PeerJsServer::on_message(SessionId session, std::string_view text, Timestamp now) {
  now_ = now;
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  // Over the rate, PeerServer's protocol has no error to answer with: the frame is dropped.
  if (admit_frame(s.gate, now, options_.message_burst, stats_.rate_limited, transport_, session) !=
      Admission::kAccepted)
    return;
  // A socket speaks for its id only while it is that id's current socket. After a LEAVE without
  // dst (or a takeover) the id may belong to someone else: nothing from here is relayed as them.
  const auto self = clients_.find(s.id);
  if (self == clients_.end() || self->second.session != session) {
    ++stats_.ignored;
    return;
  }

  PeerJsFrame& frame = frame_;
  if (!reader_.read(text, frame) || !frame.object) {
    ++stats_.malformed;  // PeerServer emits 'error' and ignores the frame; so do we
    return;
  }
  if (frame.type != PeerJsFrame::Field::kString) {
    ++stats_.ignored;
    return;
  }
  const std::string_view kind = frame.type_text;
  if (kind == "HEARTBEAT") {
    ++stats_.heartbeats;
    self->second.last_ping = now;
    return;
  }
  if (kind != "OFFER" && kind != "ANSWER" && kind != "CANDIDATE" && kind != "LEAVE" &&
      kind != "EXPIRE") {
    ++stats_.ignored;
    return;
  }
  if (frame.dst == PeerJsFrame::Field::kOther) {
    ++stats_.malformed;
    return;
  }
  std::optional<std::string_view> dst;
  if (frame.dst == PeerJsFrame::Field::kString) dst = frame.dst_text;
  // The payload leaves as the sender's bytes (already validated by the reader). Only when they
  // could not be located (a key spelled with escapes) is it parsed and serialized again.
  std::string_view payload;
  if (frame.has_payload) {
    if (frame.payload) {
      payload = *frame.payload;
    } else {
      JsonFrame dom;
      const json::object* message = dom.parse(text);
      payload_scratch_.clear();
      if (const auto* p = message ? message->if_contains("payload") : nullptr)
        append_json(payload_scratch_, *p);
      payload = payload_scratch_;
    }
  }
  // `src` is always the socket's own id, whatever the client wrote (spec §2.4 step 2).
  transmit(kind, s.id, dst, payload, s.key);
}

void PeerJsServer::count_relayed(std::string_view type) {
  if (type == "OFFER")
    ++stats_.relayed_offer;
  else if (type == "ANSWER")
    ++stats_.relayed_answer;
  else if (type == "CANDIDATE")
    ++stats_.relayed_candidate;
  else if (type == "LEAVE")
    ++stats_.relayed_leave;
  else
    ++stats_.relayed_expire;
}

void PeerJsServer::transmit(std::string_view type, std::string_view src,
                            std::optional<std::string_view> dst, std::string_view payload,
                            const IpAddress& sender_key) {
  // Exactly {type, src, dst, payload}, absent fields omitted, as PeerServer re-serializes. Built
  // in one reused buffer: the transport copies it.
  std::string& text = out_;
  text.clear();
  text += R"({"type":)";
  append_json_text(text, type);
  text += R"(,"src":)";
  append_json_text(text, src);
  if (dst) {
    text += R"(,"dst":)";
    append_json_text(text, *dst);
  }
  if (!payload.empty()) {
    text += R"(,"payload":)";
    text += payload;
  }
  text += '}';

  if (dst) {
    if (auto c = clients_.find(*dst); c != clients_.end()) {
      const SessionId target = c->second.session;
      if (transport_.send(target, text)) {
        count_relayed(type);
        return;
      }
      // The destination's socket is gone or hopelessly behind: forget it and tell the sender,
      // as PeerServer does when a send throws (spec §2.4).
      const std::string gone(*dst), sender(src);
      tell_unregistered(c->first);
      clients_.erase(c);
      if (auto s = sessions_.find(target); s != sessions_.end()) s->second.gate.closing = true;
      transmit("LEAVE", gone, sender, "");
      return;
    }
  }
  // Cluster mode: a destination that is not here may be on another node.
  if (hook_ && dst && !dst->empty() && hook_->route(type, src, *dst, text)) {
    count_relayed(type);
    return;
  }
  const bool leave_or_expire = type == "LEAVE" || type == "EXPIRE";
  if (dst && !dst->empty() && !leave_or_expire) {
    if (!enqueue(*dst, src, sender_key, text, now_)) {
      // Refused (a queue budget is spent): the message is lost, so the sender hears now what it
      // would hear after expire_timeout. The client reports `peer-unavailable`; not fatal.
      ++stats_.expired;
      const std::string unreachable(*dst), sender(src);
      transmit("EXPIRE", unreachable, sender, "");
    }
  } else if (type == "LEAVE" && !dst) {
    // A LEAVE without dst unregisters the sender. Its socket stays open (as in PeerServer) but
    // speaks for no one from now on: on_message ignores a socket that is not its id's current one.
    if (auto c = clients_.find(src); c != clients_.end()) {
      tell_unregistered(c->first);
      clients_.erase(c);
    }
  }
}

bool PeerJsServer::enqueue(std::string_view dst, std::string_view src, const IpAddress& key,
                           std::string_view text, Timestamp now) {
  const std::size_t cost = src.size() + text.size() + kQueuedMessageOverhead;
  auto it = queues_.find(dst);
  const std::size_t dst_bytes = it == queues_.end() ? 0 : it->second.bytes;
  const auto sender = sender_bytes_.find(src);
  const std::size_t src_bytes = sender == sender_bytes_.end() ? 0 : sender->second;
  const auto address = address_bytes_.find(key);
  const std::size_t key_bytes = address == address_bytes_.end() ? 0 : address->second;
  const bool refused =
      (it == queues_.end() ? queues_.size() >= options_.max_offline_ids
                           : it->second.messages.size() >= options_.max_queued_per_id) ||
      dst_bytes + cost > options_.max_queued_bytes_per_id ||
      src_bytes + cost > options_.max_queued_bytes_per_sender ||
      key_bytes + cost > options_.max_queued_bytes_per_address ||
      total_bytes_ + cost > options_.max_queued_bytes_total;
  if (refused) {
    ++stats_.queue_drops;
    return false;
  }
  if (it == queues_.end()) it = queues_.emplace(std::string(dst), OfflineQueue{now, {}, 0}).first;
  ++stats_.queued;
  it->second.messages.push_back({std::string(src), std::string(text), key});
  it->second.bytes += cost;
  if (sender == sender_bytes_.end())
    sender_bytes_.emplace(std::string(src), cost);
  else
    sender->second += cost;
  address_bytes_[key] += cost;
  total_bytes_ += cost;
  return true;
}

void PeerJsServer::on_timer(Timestamp now) {
  now_ = now;
  // Alive timeout (spec §2.6): only HEARTBEAT refreshes last_ping.
  std::vector<std::string> dead;
  for (const auto& [id, client] : clients_)
    if (now - client.last_ping >= options_.alive_timeout) dead.push_back(id);
  for (const auto& id : dead) {
    auto c = clients_.find(id);
    if (auto s = sessions_.find(c->second.session);
        s != sessions_.end() && !s->second.gate.closing) {
      s->second.gate.closing = true;
      transport_.close(c->second.session, kCloseNormal, "alive timeout: no HEARTBEAT received");
    }
    tell_unregistered(c->first);
    clients_.erase(c);
    drop_queue(id);
    ++stats_.reaped;
  }
  // Offline queues live expire_timeout from creation; then every distinct sender learns the
  // destination is unreachable (spec §2.5).
  std::vector<std::string> expired;
  for (const auto& [dst, queue] : queues_)
    if (now - queue.created >= options_.expire_timeout) expired.push_back(dst);
  for (const auto& dst : expired) {
    std::set<std::string> senders;
    for (const auto& m : queues_.at(dst).messages) senders.insert(m.src);
    drop_queue(dst);  // the queued texts are freed here, before anything is sent
    for (const auto& src : senders) {
      ++stats_.expired;
      transmit("EXPIRE", dst, src, "");
    }
  }
}

bool PeerJsServer::deliver_local(std::string_view id, std::string_view text) {
  auto c = clients_.find(id);
  if (c == clients_.end()) return false;
  const SessionId target = c->second.session;
  if (transport_.send(target, text)) return true;
  // As a failed local relay: the socket is gone or hopelessly behind, the id is forgotten.
  tell_unregistered(c->first);
  clients_.erase(c);
  if (auto s = sessions_.find(target); s != sessions_.end()) s->second.gate.closing = true;
  return false;
}

std::optional<std::string> PeerJsServer::local_token(std::string_view id) const {
  auto c = clients_.find(id);
  if (c == clients_.end()) return std::nullopt;
  return c->second.token;
}

void PeerJsServer::drop_local(std::string_view id, std::string_view reason) {
  auto c = clients_.find(id);
  if (c == clients_.end()) return;
  if (auto s = sessions_.find(c->second.session); s != sessions_.end() && !s->second.gate.closing) {
    s->second.gate.closing = true;
    transport_.close(c->second.session, kCloseNormal, reason);
  }
  clients_.erase(c);
}

std::string PeerJsServer::generate_id(RandomSource& random) const {
  static constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    std::array<std::byte, 16> b;
    random.fill(b);
    b[6] = (b[6] & std::byte{0x0f}) | std::byte{0x40};  // RFC 9562 §5.4: version 4
    b[8] = (b[8] & std::byte{0x3f}) | std::byte{0x80};  // variant 10
    std::string id;
    for (std::size_t i = 0; i < b.size(); ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
      const auto v = std::to_integer<unsigned>(b[i]);
      id += kHex[v >> 4];
      id += kHex[v & 15];
    }
    if (!clients_.contains(id)) return id;
  }
}

std::vector<std::string> PeerJsServer::peer_ids() const {
  std::vector<std::string> ids;
  ids.reserve(clients_.size());
  for (const auto& [id, client] : clients_) ids.push_back(id);
  return ids;
}

std::size_t PeerJsServer::offline_messages() const {
  std::size_t n = 0;
  for (const auto& [dst, q] : queues_) n += q.messages.size();
  return n;
}

}  // namespace peerkit::signaling
