// Gathering (RFC 8445 §5.1): host candidates from the driver's sockets, server-reflexive ones
// from STUN Binding, relay ones from a TURN client per server. Every server runs on its own
// transaction with a short give-up time, so a dead server delays nothing but itself.
#include <algorithm>

#include "ice/agent.h"
#include "stun/attributes.h"
#include "stun/constants.h"

namespace peerkit::ice {
namespace {

// Local preference (RFC 8445 §5.1.2.1): IPv6 before IPv4 (RFC 8421), earlier sockets first;
// for relays UDP before TCP before TLS, as browsers order them.
std::uint16_t host_preference(const SocketAddress& a, SocketId id) {
  const std::uint16_t base = a.ip().is_v6() ? 60000 : 50000;
  return static_cast<std::uint16_t>(base - std::min<std::uint32_t>(id.value, 5000));
}

std::uint16_t relay_preference(ServerTransport t, std::size_t server) {
  const std::uint16_t base = t == ServerTransport::kUdp   ? 30000
                             : t == ServerTransport::kTcp ? 20000
                                                          : 10000;
  return static_cast<std::uint16_t>(base - std::min<std::size_t>(server, 5000));
}

bool same_family(const SocketAddress& a, const SocketAddress& b) {
  return a.family() == b.family();
}

}  // namespace

bool Agent::usable(const LocalCandidate& c) const {
  return config_.policy == TransportPolicy::kAll || c.candidate.type == CandidateType::kRelay;
}

std::string Agent::foundation_for(CandidateType type, const IpAddress& base,
                                  const std::string& server) {
  // §5.1.1.3: same type, base IP, server and transport → same foundation.
  const std::string key = std::string(to_string(type)) + "|" + base.to_string() + "|" + server;
  auto [it, added] = foundations_.try_emplace(key, std::to_string(foundations_.size() + 1));
  return it->second;
}

std::optional<LocalCandidateId> Agent::add_local_candidate(Timestamp now, LocalCandidate c) {
  for (std::size_t i = 0; i < locals_.size(); ++i) {
    // §5.1.3: a candidate with the same address and base as one we have is redundant.
    if (locals_[i].address == c.address && locals_[i].base == c.base && locals_[i].relay == c.relay)
      return std::nullopt;
  }
  if (locals_.size() >= config_.limits.max_local_candidates) return std::nullopt;
  c.candidate.address = c.address.ip().to_string();
  c.candidate.port = c.address.port();
  c.signaled = usable(c) && c.candidate.type != CandidateType::kPeerReflexive;
  locals_.push_back(std::move(c));
  const LocalCandidateId id{locals_.size() - 1};
  if (local(id).signaled) emit(Event{Event::Kind::kLocalCandidate, local(id).candidate});
  form_pairs_for_local(now, id);
  return id;
}

void Agent::gather(Timestamp now) {
  if (closed_ || gathering_ != GatheringState::kNew) return;
  gathering_ = GatheringState::kGathering;
  for (std::uint32_t i = 0; i < sockets_.size(); ++i) {
    const SocketId id{i};
    const auto& s = sockets_[i];
    if (s.server) continue;
    LocalCandidate c;
    c.candidate.type = CandidateType::kHost;
    c.candidate.priority =
        candidate_priority(CandidateType::kHost, host_preference(s.local, id), 1);
    c.candidate.foundation = foundation_for(CandidateType::kHost, s.local.ip(), "");
    c.address = c.base = s.local;
    c.socket = id;
    add_local_candidate(now, std::move(c));
  }
  for (std::size_t server = 0; server < config_.servers.size(); ++server) {
    const auto& srv = config_.servers[server];
    if (srv.kind == IceServer::Kind::kTurn && srv.transport != ServerTransport::kUdp) {
      Event e{Event::Kind::kConnectServer, {}};
      e.server = server;
      e.transport = srv.transport;
      e.detail = srv.address.to_string();
      e.host_name = srv.host_name;
      emit(std::move(e));
      ++streams_pending_;
      continue;
    }
    if (srv.kind != IceServer::Kind::kTurn) continue;
    for (std::uint32_t i = 0; i < sockets_.size(); ++i) {
      if (sockets_[i].server || !same_family(sockets_[i].local, srv.address)) continue;
      start_server(now, server, SocketId{i});  // one base per family is enough for a relay
      break;
    }
  }
  start_stun_gathering(now);
  update_gathering_state();
}

void Agent::start_stun_gathering(Timestamp now) {
  if (config_.policy == TransportPolicy::kRelay) return;  // srflx would never be used
  for (std::size_t server = 0; server < config_.servers.size(); ++server) {
    const auto& srv = config_.servers[server];
    if (srv.kind != IceServer::Kind::kStun) continue;
    for (std::uint32_t i = 0; i < sockets_.size(); ++i)
      if (!sockets_[i].server && same_family(sockets_[i].local, srv.address))
        start_server(now, server, SocketId{i});
  }
}

SocketId Agent::add_server_stream(Timestamp now, std::size_t server, const SocketAddress& local) {
  sockets_.push_back(Socket{local, server, false});
  const SocketId id{static_cast<std::uint32_t>(sockets_.size() - 1)};
  if (streams_pending_ > 0) --streams_pending_;
  if (server < config_.servers.size() && !closed_) start_server(now, server, id);
  update_gathering_state();
  return id;
}

void Agent::server_connect_failed(Timestamp now, std::size_t server, std::string_view why) {
  (void)now;
  if (streams_pending_ > 0) --streams_pending_;
  server_failed(server, std::string(why));
  update_gathering_state();
}

void Agent::server_stream_closed(Timestamp now, SocketId socket, std::string_view why) {
  if (socket.value >= sockets_.size()) return;
  auto& s = sockets_[socket.value];
  if (!s.server || s.failed) return;
  s.failed = true;
  server_failed(*s.server, std::string(why));
  for (auto& r : relays_) {
    if (r.socket != socket) continue;
    r.client->close(now);
    r.failure_reported = true;
  }
  update_gathering_state();
}

void Agent::start_server(Timestamp now, std::size_t server, SocketId socket) {
  const auto& srv = config_.servers[server];
  if (srv.kind == IceServer::Kind::kStun) {
    stun::TransactionId tid;
    random_.fill(tid.bytes);
    std::array<std::byte, 64> buf;
    stun::MessageBuilder b(buf, stun::Method::kBinding, stun::MessageClass::kRequest, tid);
    b.add_fingerprint();
    gathering_tx_.push_back(
        Gathering{server, socket,
                  stun::ClientTransaction(now, b.finish(), false, config_.gather_transaction)});
    if (auto bytes = gathering_tx_.back().transaction.poll_transmit())
      send_raw(socket, srv.address, *bytes);
    return;
  }
  for (const auto& r : relays_)
    if (r.server == server && r.socket == socket) return;
  turn::ClientConfig c;
  c.server = srv.address;
  c.username = srv.username;
  c.password = srv.password;
  c.reliable = srv.transport != ServerTransport::kUdp;
  c.transaction = config_.gather_transaction;
  c.transaction.max_transmissions = 4;
  relays_.push_back(Relay{server, socket, std::make_unique<turn::Client>(c, random_)});
  relays_.back().client->allocate(now);
  drive_relays(now);
}

void Agent::on_gather_response(Timestamp now, Gathering& g, const stun::MessageView& m) {
  const std::size_t server = g.server;
  const SocketId socket = g.socket;
  std::optional<SocketAddress> mapped;
  if (m.message_class() == stun::MessageClass::kSuccess)
    if (auto x = m.find(stun::attr::kXorMappedAddress))
      mapped = stun::decode_xor_address(*x, m.transaction_id());
  std::erase_if(gathering_tx_, [&](const Gathering& x) { return &x == &g; });
  if (!mapped) {
    server_failed(server, "STUN server " + config_.servers[server].address.to_string() +
                              " answered without a mapped address");
  } else {
    LocalCandidate c;
    const auto& base = sockets_[socket.value].local;
    c.candidate.type = CandidateType::kServerReflexive;
    c.candidate.priority =
        candidate_priority(CandidateType::kServerReflexive, host_preference(base, socket), 1);
    c.candidate.foundation = foundation_for(CandidateType::kServerReflexive, base.ip(),
                                            config_.servers[server].address.ip().to_string());
    c.candidate.related_address = base.ip().to_string();
    c.candidate.related_port = base.port();
    c.address = *mapped;
    c.base = base;
    c.socket = socket;
    add_local_candidate(now, std::move(c));
  }
  update_gathering_state();
}

void Agent::drive_relays(Timestamp now) {
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    auto& r = relays_[i];
    for (const Transmit& t : r.client->transmits())
      if (!sockets_[r.socket.value].failed) send_raw(r.socket, t.to, t.data);
    const auto state = r.client->state();
    if (state == turn::Client::State::kAllocated && !r.candidate_added) {
      r.candidate_added = true;
      const auto& srv = config_.servers[r.server];
      LocalCandidate c;
      c.candidate.type = CandidateType::kRelay;
      c.candidate.priority =
          candidate_priority(CandidateType::kRelay, relay_preference(srv.transport, r.server), 1);
      c.candidate.foundation = foundation_for(
          CandidateType::kRelay, r.client->relayed_address()->ip(),
          srv.address.to_string() + "/" + std::to_string(static_cast<int>(srv.transport)));
      if (const auto mapped = r.client->mapped_address()) {
        c.candidate.related_address = mapped->ip().to_string();
        c.candidate.related_port = mapped->port();
      }
      c.address = c.base = *r.client->relayed_address();
      c.socket = r.socket;
      c.relay = i;
      for (const auto& remote : remotes_)
        if (remote.address) r.client->create_permission(now, remote.address->ip());
      add_local_candidate(now, std::move(c));
      for (const Transmit& t : r.client->transmits()) send_raw(r.socket, t.to, t.data);
      update_gathering_state();
    } else if (state == turn::Client::State::kFailed && !r.failure_reported) {
      r.failure_reported = true;
      server_failed(r.server, "TURN server " + config_.servers[r.server].address.to_string() +
                                  ": " + r.client->failure());
      update_gathering_state();
    }
  }
}

void Agent::send_raw(SocketId socket, const SocketAddress& to, ByteSpan data) {
  out_.push(socket, to, data);  // a copy: `data` may be the caller's or a core's buffer
}

void Agent::send_from(Timestamp now, const LocalCandidate& local, const SocketAddress& to,
                      ByteSpan data) {
  if (!local.relay) return send_raw(local.socket, to, data);
  auto& r = relays_[*local.relay];
  r.client->send(now, to, data);
  for (const Transmit& t : r.client->transmits())
    if (!sockets_[r.socket.value].failed) send_raw(r.socket, t.to, t.data);
}

}  // namespace peerkit::ice
