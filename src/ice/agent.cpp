// Agent: construction, credentials, the public API, packet entry, timers and states.
// Gathering is in agent_gather.cpp, pairing and checks in agent_checks.cpp over the check list
// (check_list.h), consent (consent.h) and the path during restart in agent_consent.cpp.
#include "ice/agent.h"

#include <algorithm>

#include "stun/constants.h"

namespace peerkit::ice {
namespace {

// RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag ≥ 4 chars, pwd ≥ 22 chars.
std::string random_ice_chars(RandomSource& random, std::size_t n) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s(n, 'A');
  for (auto& c : s) c = kChars[random.uniform(64)];
  return s;
}

}  // namespace

const char* to_string(ConnectionState s) {
  switch (s) {
    case ConnectionState::kNew:
      return "new";
    case ConnectionState::kChecking:
      return "checking";
    case ConnectionState::kConnected:
      return "connected";
    case ConnectionState::kCompleted:
      return "completed";
    case ConnectionState::kDisconnected:
      return "disconnected";
    case ConnectionState::kFailed:
      return "failed";
    case ConnectionState::kClosed:
      return "closed";
  }
  return "?";
}

const char* to_string(GatheringState s) {
  switch (s) {
    case GatheringState::kNew:
      return "new";
    case GatheringState::kGathering:
      return "gathering";
    case GatheringState::kComplete:
      return "complete";
  }
  return "?";
}

const char* to_string(PacketClass c) {
  switch (c) {
    case PacketClass::kUnknown:
      return "unknown";
    case PacketClass::kStun:
      return "stun";
    case PacketClass::kZrtp:
      return "zrtp";
    case PacketClass::kDtls:
      return "dtls";
    case PacketClass::kChannelData:
      return "channeldata";
    case PacketClass::kRtp:
      return "rtp";
  }
  return "?";
}

Agent::Agent(AgentConfig config, RandomSource& random)
    : config_(std::move(config)),
      random_(random),
      role_(config_.role),
      check_list_(CheckListConfig::from(config_), *this),
      consent_({config_.consent_interval, config_.disconnected_timeout, config_.failed_timeout,
                config_.check_transaction},
               *this, random_) {
  if (config_.servers.size() > config_.limits.max_servers)
    config_.servers.resize(config_.limits.max_servers);
  std::byte tb[8];
  random_.fill(tb);
  for (auto b : tb) tie_breaker_ = tie_breaker_ << 8 | std::to_integer<std::uint64_t>(b);
  new_credentials();
}

Agent::~Agent() = default;

void Agent::new_credentials() {
  local_ufrag_ = random_ice_chars(random_, 8);
  local_pwd_ = random_ice_chars(random_, 24);
}

SocketId Agent::add_host_socket(const SocketAddress& local) {
  sockets_.push_back(Socket{local, std::nullopt, false});
  return SocketId{static_cast<std::uint32_t>(sockets_.size() - 1)};
}

void Agent::set_state(ConnectionState s) {
  if (state_ == s) return;
  state_ = s;
  emit(Event{Event::Kind::kStateChanged, {}, s});
}

void Agent::set_remote_credentials(Timestamp now, std::string ufrag, std::string pwd) {
  if (closed_) return;
  remote_ufrag_ = std::move(ufrag);
  remote_pwd_ = std::move(pwd);
  if (!check_list_.empty() && state_ == ConnectionState::kNew)
    set_state(ConnectionState::kChecking);
  if (started_checking_ == Timestamp::never() && !check_list_.empty()) started_checking_ = now;
  arm_checks(now);
}

void Agent::set_remote_lite(bool lite) {
  remote_lite_ = lite;
  // RFC 8445 §6.1.1: a full agent facing a lite agent takes the controlling role.
  if (lite && role_ != Role::kControlling) {
    role_ = Role::kControlling;
    recompute_priorities();
  }
}

std::string Agent::add_remote_candidate(Timestamp now, const Candidate& c) {
  if (closed_) return "the agent is closed";
  if (c.component != 1) return "only component 1 is used (rtcp-mux, BUNDLE)";
  if (c.transport != Transport::kUdp) return "TCP candidates are not used";
  std::optional<SocketAddress> address;
  if (const auto ip = IpAddress::parse(c.address)) {
    address = SocketAddress(*ip, c.port);
    if (c.port == 0) return "port 0";
  } else if (!c.address.ends_with(".local")) {
    return "host names other than mDNS .local names are not resolved";
  }
  if (address) {
    if (const auto known = remote_by_address(*address)) {
      auto& r = remote(*known);
      // §7.3.1.3: a signaled candidate replaces the peer-reflexive one found earlier.
      if (r.candidate.type == CandidateType::kPeerReflexive) r.candidate = c;
      return "";
    }
  }
  if (remotes_.size() >= config_.limits.max_remote_candidates)
    return "too many remote candidates (limit " +
           std::to_string(config_.limits.max_remote_candidates) + ")";
  remotes_.push_back(RemoteCandidate{c, address});
  if (address) {
    for (auto& relay : relays_)
      if (relay.client->state() == turn::Client::State::kAllocated)
        relay.client->create_permission(now, address->ip());
    drive_relays(now);
    form_pairs_for_remote(now, RemoteCandidateId{remotes_.size() - 1});
  }
  return "";
}

void Agent::resolve_remote_host(Timestamp now, std::string_view host, const IpAddress& ip) {
  for (std::size_t i = 0; i < remotes_.size(); ++i) {
    auto& r = remotes_[i];
    if (r.address || r.candidate.address != host) continue;
    const SocketAddress a(ip, r.candidate.port);
    if (remote_by_address(a)) continue;  // already found as peer-reflexive
    r.address = a;
    form_pairs_for_remote(now, RemoteCandidateId{i});
  }
}

void Agent::remote_end_of_candidates(Timestamp now) {
  remote_done_ = true;
  update_failed(now);
}

void Agent::restart(Timestamp now) {
  if (closed_) return;
  // The working path keeps carrying data and consent with the credentials it was checked with;
  // a restart during a restart keeps the path that still works.
  if (const auto selected = check_list_.selected()) {
    const auto& p = check_list_[*selected];
    previous_ = PreviousSession{local_ufrag_,
                                local_pwd_,
                                remote_ufrag_,
                                remote_pwd_,
                                local(p.local),
                                *remote(p.remote).address,
                                remote(p.remote).candidate};
  }
  new_credentials();
  remote_ufrag_.clear();
  remote_pwd_.clear();
  remote_done_ = false;
  remotes_.clear();
  check_list_.clear();
  started_checking_ = Timestamp::never();
  // Host and relay candidates stay (their sockets and allocations do); reflexive ones are
  // learned again, because a restart often follows a network change.
  std::erase_if(locals_, [](const LocalCandidate& c) {
    return c.candidate.type == CandidateType::kServerReflexive ||
           c.candidate.type == CandidateType::kPeerReflexive;
  });
  if (!previous_) set_state(ConnectionState::kNew);
  gathering_ = GatheringState::kGathering;
  for (auto& c : locals_) {
    c.signaled = usable(c);
    if (c.signaled) emit(Event{Event::Kind::kLocalCandidate, c.candidate});
  }
  start_stun_gathering(now);
  update_gathering_state();
}

void Agent::close(Timestamp now) {
  if (closed_) return;
  for (auto& relay : relays_) relay.client->close(now);
  drive_relays(now);
  closed_ = true;
  check_list_.clear();
  gathering_tx_.clear();
  previous_.reset();
  consent_.stop();
  set_state(ConnectionState::kClosed);
}

Received Agent::handle_packet(Timestamp now, SocketId socket, const SocketAddress& from,
                              ByteSpan data) {
  Received out;
  if (closed_ || socket.value >= sockets_.size() || data.empty()) return out;
  // A STUN server may share its address with a TURN server: its Binding answers are ours.
  if (!gathering_tx_.empty() && classify(data) == PacketClass::kStun) {
    if (auto m = stun::MessageView::parse(data)) {
      for (const auto& g : gathering_tx_)
        if (g.socket == socket && g.transaction.id() == m->transaction_id()) {
          on_stun(now, socket, std::nullopt, from, *m);
          out.kind = PacketClass::kStun;
          return out;
        }
    }
  }
  // Packets from a TURN server (or on a stream to one) belong to that server's client.
  for (std::size_t i = 0; i < relays_.size(); ++i) {
    auto& relay = relays_[i];
    if (relay.socket != socket ||
        (!sockets_[socket.value].server && from != relay.client->config().server))
      continue;
    auto peer_data = relay.client->handle_packet(now, data);
    if (peer_data) process(now, socket, i, peer_data->peer, peer_data->payload, out);
    drive_relays(now);
    if (out.kind == PacketClass::kUnknown) out.kind = PacketClass::kChannelData;
    return out;
  }
  process(now, socket, std::nullopt, from, data, out);
  return out;
}

void Agent::process(Timestamp now, SocketId socket, std::optional<std::size_t> via_relay,
                    const SocketAddress& from, ByteSpan data, Received& out) {
  out.kind = classify(data);
  out.from = from;
  if (out.kind == PacketClass::kStun) {
    if (auto m = stun::MessageView::parse(data)) on_stun(now, socket, via_relay, from, *m);
    return;
  }
  if (out.kind == PacketClass::kUnknown || out.kind == PacketClass::kChannelData) return;
  // Application data only from an address ICE knows: a remote candidate or the old path.
  const bool known =
      remote_by_address(from).has_value() || (previous_ && previous_->remote == from);
  if (!known) {
    out.kind = PacketClass::kUnknown;
    return;
  }
  out.payload = data;
  if (const auto selected = check_list_.selected();
      selected && remote(check_list_[*selected].remote).address == from)
    check_list_[*selected].counters.bytes_received += data.size();
}

bool Agent::send(Timestamp now, ByteSpan data) {
  const auto path = active_path();
  if (!path || state_ == ConnectionState::kFailed || closed_) return false;
  send_from(now, *path->local, path->remote, data);
  if (const auto selected = check_list_.selected())
    check_list_[*selected].counters.bytes_sent += data.size();
  return true;
}

std::optional<Event> Agent::poll_event() {
  if (events_.empty()) return std::nullopt;
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

Timestamp Agent::next_timeout() const {
  if (closed_) return Timestamp::never();
  Timestamp t = check_list_.next_timeout();
  for (const auto& g : gathering_tx_) t = std::min(t, g.transaction.next_timeout());
  for (const auto& r : relays_) t = std::min(t, r.client->next_timeout());
  if (consent_running()) t = std::min(t, consent_.next_timeout());
  if (!active_path() && state_ == ConnectionState::kChecking)
    t = std::min(t, started_checking_ + config_.connect_timeout);
  return t;
}

void Agent::handle_timeout(Timestamp now) {
  if (closed_) return;
  for (std::size_t i = 0; i < gathering_tx_.size();) {
    auto& g = gathering_tx_[i];
    g.transaction.handle_timeout(now);
    if (auto bytes = g.transaction.poll_transmit())
      send_raw(g.socket, config_.servers[g.server].address, *bytes);
    if (g.transaction.done()) {
      server_failed(g.server, "no answer to STUN Binding from " +
                                  config_.servers[g.server].address.to_string());
      gathering_tx_.erase(gathering_tx_.begin() + static_cast<std::ptrdiff_t>(i));
      update_gathering_state();
      continue;
    }
    ++i;
  }
  for (auto& r : relays_) r.client->handle_timeout(now);
  drive_relays(now);
  check_list_.tick(now);
  if (check_list_.check_due(now)) {  // one ordinary or triggered check per Ta (§6.1.4.2)
    std::optional<PairId> next;
    if (!remote_ufrag_.empty()) next = check_list_.next_check();
    if (next) start_check(now, *next, false);
    check_list_.paced(now, next.has_value());
  }
  if (const auto nominee = check_list_.nominate(now)) start_check(now, *nominee, true);
  if (consent_running()) consent_.handle_timeout(now);
  update_failed(now);
}

void Agent::update_gathering_state() {
  if (gathering_ != GatheringState::kGathering) return;
  if (!gathering_tx_.empty() || streams_pending_ > 0) return;
  for (const auto& r : relays_) {
    const auto s = r.client->state();
    if (s == turn::Client::State::kAllocating || s == turn::Client::State::kIdle) return;
  }
  gathering_ = GatheringState::kComplete;
  emit(Event{Event::Kind::kGatheringComplete, {}});
}

void Agent::update_failed(Timestamp now) {
  if (state_ != ConnectionState::kChecking || active_path()) return;
  const bool exhausted =
      remote_done_ && gathering_ == GatheringState::kComplete && check_list_.exhausted();
  if (exhausted || now >= started_checking_ + config_.connect_timeout)
    set_state(ConnectionState::kFailed);
}

void Agent::server_failed(std::size_t server, std::string why) {
  Event e{Event::Kind::kServerFailed, {}};
  e.server = server;
  e.detail = std::move(why);
  emit(std::move(e));
}

std::optional<Agent::SelectedPair> Agent::selected_pair() const {
  const auto selected = check_list_.selected();
  if (!selected) return std::nullopt;
  const auto& p = check_list_[*selected];
  return SelectedPair{local(p.local).candidate, remote(p.remote).candidate};
}

std::vector<PairStats> Agent::stats() const {
  std::vector<PairStats> out;
  const auto& pairs = check_list_.pairs();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    out.push_back(PairStats{local(p.local).candidate, remote(p.remote).candidate, p.state,
                            p.nominated, check_list_.selected() == PairId{i}, p.priority,
                            p.counters});
  }
  return out;
}

std::vector<Candidate> Agent::local_candidates() const {
  std::vector<Candidate> out;
  for (const auto& c : locals_)
    if (c.signaled) out.push_back(c.candidate);
  return out;
}

}  // namespace peerkit::ice
