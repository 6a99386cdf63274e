#include "sfu/worker.h"

#include <algorithm>
#include <cstring>

#include "rtp/packet.h"

namespace peerkit::sfu {

struct Worker::Participant {
  ParticipantId id;
  std::unique_ptr<dtls::Transport> dtls;
  std::unique_ptr<srtp::Session> srtp;
  SocketId socket;
  std::optional<SocketAddress> last_from;  // where its DTLS came from, until a nomination
};

Worker::Worker(std::shared_ptr<const dtls::Context> dtls, Config config)
    : dtls_(std::move(dtls)), config_(config), ice_(config.ice), router_(config.router) {}

Worker::~Worker() = default;

bool Worker::add_participant(ParticipantId id, ParticipantParams params) {
  if (participants_.size() >= config_.max_participants || participants_.contains(id)) return false;
  if (!ice_.add_session(id.value, params.ice_ufrag, params.ice_pwd)) return false;
  auto p = std::make_unique<Participant>();
  p->id = id;
  dtls::TransportOptions o;
  o.role = params.role;
  o.remote_fingerprints = std::move(params.remote_fingerprints);
  p->dtls = std::make_unique<dtls::Transport>(dtls_, std::move(o));
  participants_.emplace(id, std::move(p));
  return true;
}

void Worker::remove_participant(ParticipantId id) {
  router_.remove_participant(id);
  ice_.remove_session(id.value);
  participants_.erase(id);
}

Worker::Participant* Worker::find(ParticipantId id) {
  auto it = participants_.find(id);
  return it == participants_.end() ? nullptr : it->second.get();
}

bool Worker::connected(ParticipantId id) const {
  auto it = participants_.find(id);
  return it != participants_.end() && it->second->srtp != nullptr;
}

std::optional<SocketAddress> Worker::destination(const Participant& p) const {
  // The nominated address; before a nomination, where its DTLS came from (a browser may
  // start DTLS as soon as a check succeeded).
  if (auto s = ice_.selected(p.id.value)) return s;
  return p.last_from;
}

void Worker::handle_datagram(Timestamp now, SocketId socket, const SocketAddress& from,
                             ByteSpan data) {
  auto routed = ice_.handle(now, socket, from, data);
  if (routed)
    if (Participant* p = find(ParticipantId{static_cast<std::uint32_t>(routed->session)}))
      p->socket = socket;
  flush_ice(now);
  if (!routed) return;
  const ParticipantId id{static_cast<std::uint32_t>(routed->session)};
  Participant* p = find(id);
  if (!p) return;
  switch (routed->kind) {
    case ice::PacketClass::kDtls:
      p->last_from = from;
      handle_dtls(now, id, *p, data);
      break;
    case ice::PacketClass::kRtp:
      handle_srtp(now, id, *p, data);
      break;
    default:
      break;
  }
  flush_router();
}

void Worker::handle_dtls(Timestamp now, ParticipantId id, Participant& p, ByteSpan data) {
  p.dtls->handle_datagram(now, data);
  flush_dtls(id, p);
}

void Worker::flush_dtls(ParticipantId id, Participant& p) {
  const auto to = destination(p);
  for (const Transmit& t : p.dtls->transmits())
    if (to) out_.push(p.socket, *to, t.data);
  for (const Transmit& t : p.dtls->received()) (void)t;  // no data channel on this path yet
  while (auto change = p.dtls->poll_state_change()) {
    if (*change == dtls::State::kConnected && !p.srtp) {
      auto keying = p.dtls->srtp_keying();
      if (!keying) {
        events_.push_back({Event::Kind::kFailed, id, "DTLS without use_srtp"});
        continue;
      }
      srtp::Keys keys{keying->profile, keying->local_key, keying->local_salt, keying->remote_key,
                      keying->remote_salt};
      // Retransmissions without RTX resend an index: allowed on the way out.
      auto session = srtp::Session::create(keys, {.allow_repeat_tx = true});
      if (!session) {
        events_.push_back({Event::Kind::kFailed, id, std::string(srtp::to_string(session.error()))});
        continue;
      }
      p.srtp = std::move(*session);
      events_.push_back({Event::Kind::kConnected, id, {}});
    } else if (*change == dtls::State::kFailed) {
      events_.push_back({Event::Kind::kFailed, id, p.dtls->failure()});
    } else if (*change == dtls::State::kClosed) {
      events_.push_back({Event::Kind::kDisconnected, id, "DTLS closed"});
    }
  }
}

void Worker::handle_srtp(Timestamp now, ParticipantId id, Participant& p, ByteSpan data) {
  if (!p.srtp || data.size() > scratch_.size()) {
    ++stats_.unprotect_failures;
    return;
  }
  std::memcpy(scratch_.data(), data.data(), data.size());
  const bool rtcp = rtp::is_rtcp(data);
  auto n = rtcp ? p.srtp->unprotect_rtcp(scratch_, data.size())
                : p.srtp->unprotect_rtp(scratch_, data.size());
  if (!n) {
    ++stats_.unprotect_failures;
    return;
  }
  ++stats_.srtp_in;
  const ByteSpan plain(scratch_.data(), *n);
  if (rtcp) {
    router_.handle_rtcp(now, id, plain);
  } else {
    router_.handle_rtp(now, id, plain);
  }
}

void Worker::flush_router() {
  while (auto o = router_.poll_output()) {
    Participant* p = find(o->to);
    const auto to = p ? destination(*p) : std::nullopt;
    if (!p || !p->srtp || !to || o->bytes.size() > srtp::kMaxPacket) {
      ++stats_.undeliverable;
      continue;
    }
    auto buf = out_.reserve(o->bytes.size() + srtp::kMaxOverhead);
    std::memcpy(buf.data(), o->bytes.data(), o->bytes.size());
    auto n = o->rtcp ? p->srtp->protect_rtcp(buf, o->bytes.size())
                     : p->srtp->protect_rtp(buf, o->bytes.size());
    if (!n) {
      out_.unreserve();
      ++stats_.undeliverable;
      continue;
    }
    out_.commit(p->socket, *to, *n);
    ++stats_.srtp_out;
  }
}

void Worker::flush_ice(Timestamp now) {
  for (const Transmit& t : ice_.transmits()) out_.push(t.socket, t.to, t.data);
  while (auto e = ice_.poll_event()) {
    const ParticipantId id{static_cast<std::uint32_t>(e->session)};
    if (e->kind == ice::LiteResponder::Event::Kind::kDisconnected) {
      events_.push_back({Event::Kind::kDisconnected, id, "ICE consent lapsed"});
      continue;
    }
    // Selected: as the DTLS client, this is when the handshake can begin (RFC 8842 §4: after
    // ICE has a working pair).
    Participant* p = find(id);
    if (p && p->dtls->role() == dtls::Role::kClient && p->dtls->state() == dtls::State::kNew) {
      p->dtls->start(now);
      flush_dtls(id, *p);
    }
  }
}

void Worker::handle_timeout(Timestamp now) {
  if (ice_.next_timeout() <= now) ice_.handle_timeout(now);
  flush_ice(now);
  for (auto& [id, p] : participants_) {
    const auto t = p->dtls->next_timeout();
    if (t && *t <= now) {
      p->dtls->handle_timeout(now);
      flush_dtls(id, *p);
    }
  }
  if (router_.next_timeout() <= now) router_.handle_timeout(now);
  flush_router();
}

Timestamp Worker::next_timeout() const {
  Timestamp next = std::min(ice_.next_timeout(), router_.next_timeout());
  for (const auto& [id, p] : participants_)
    if (auto t = p->dtls->next_timeout()) next = std::min(next, *t);
  return next;
}

std::optional<Worker::Event> Worker::poll_event() {
  if (events_.empty()) return std::nullopt;
  Event e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace peerkit::sfu
