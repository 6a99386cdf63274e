#include "peer/connection.h"

#include <algorithm>

#include "net/interfaces.h"
#include "ice/host_filter.h"
#include "rtp/packet.h"

namespace peerkit::peer {
namespace {

SignalingState to_public(sdp::SignalingState s) {
  return static_cast<SignalingState>(static_cast<int>(s));
}

}  // namespace

ConnectionImpl::ConnectionImpl(std::shared_ptr<net::Loop> loop, Configuration config,
                               Expected<DtlsCredential, std::string> credential,
                               ResolvedHosts resolved)
    : loop_(std::move(loop)), config_(std::move(config)), resolved_(std::move(resolved)), timer_(*loop_, [this](Timestamp now) {
        if (transport_) transport_->handle_timeout(now);
        send_media_reports(now);
        pump();
      }) {
  if (credential) {
    certificate_ = credential->certificate;
    dtls_context_ = credential->context;
  } else {
    setup_error_ = credential.error();
  }
}

ConnectionImpl::~ConnectionImpl() {
  timer_.cancel();
  if (driver_) driver_->stop();
}

Error ConnectionImpl::ensure_agent(ice::Role role) {
  if (agent_) return std::nullopt;
  if (!setup_error_.empty()) return "OperationError: " + setup_error_;
  ice::AgentConfig ac;
  ac.role = role;
  ac.policy = config_.relay_only ? ice::TransportPolicy::kRelay : ice::TransportPolicy::kAll;
  for (const auto& s : config_.ice_servers) {
    auto parsed = parse_ice_server(s, resolved_);
    if (auto* e = std::get_if<std::string>(&parsed)) return *e;
    ac.servers.push_back(std::get<ice::IceServer>(parsed));
  }
  agent_ = std::make_unique<ice::Agent>(ac, random_);
  driver_ = std::make_unique<ice::AgentDriver>(*loop_, *agent_);
  driver_->on_event = [this](const ice::Event& e) { on_ice_event(e); };
  driver_->on_data = [this](const ice::Received& r) { on_ice_data(r); };
  driver_->on_receive_batch_end = [this] { pump(); };
  LocalIdentity id;
  id.ice_ufrag = agent_->local_ufrag();
  id.ice_pwd = agent_->local_pwd();
  id.fingerprint = certificate_->fingerprint();
  id.session_id = random_.next_u32() & 0x7fffffff;
  id.receive_media = config_.receive_media;
  negotiation_ = std::make_unique<Negotiation>(id);
  register_tracks();
  // Host candidates: the library's filter, loopback only when asked (the default of browsers).
  ice::HostFilter base;
  base.allow_loopback = config_.allow_loopback;
  auto filter = ice::parse_host_filter(config_.host_filter, base);
  if (!filter) return "SyntaxError: " + filter.error();
  std::vector<ice::LocalInterface> interfaces;
  for (const auto& i : net::list_interface_addresses()) interfaces.push_back({i.name, i.address, i.up});
  for (const auto& a : ice::select_host_addresses(interfaces, *filter)) (void)driver_->add_host(a);
  return std::nullopt;
}

std::variant<SessionDescription, std::string> ConnectionImpl::create_offer() {
  if (closed) return std::string("InvalidStateError: the connection is closed");
  if (auto e = ensure_agent(ice::Role::kControlling)) return *e;
  if (!pending_channels_.empty() || !channels_.empty()) negotiation_->want_data();
  auto o = negotiation_->create_offer();
  if (!o) return o.error();
  return SessionDescription{"offer", *o};
}

std::variant<SessionDescription, std::string> ConnectionImpl::create_answer() {
  if (closed) return std::string("InvalidStateError: the connection is closed");
  if (!negotiation_) return std::string("InvalidStateError: no remote offer");
  auto a = negotiation_->create_answer();
  if (!a) return a.error();
  return SessionDescription{"answer", *a};
}

Error ConnectionImpl::set_local(const SessionDescription& d) {
  if (closed) return "InvalidStateError: the connection is closed";
  auto type = sdp::parse_sdp_type(d.type);
  if (!type) return "TypeError: " + type.error();
  if (auto e = ensure_agent(*type == sdp::SdpType::kOffer ? ice::Role::kControlling : ice::Role::kControlled)) return e;
  auto t = negotiation_->set_local(*type, d.sdp);
  if (!t) return t.error();
  signaling = to_public(negotiation_->signaling_state());
  local_description = d;
  if (!gathering_started_) {  // W3C: gathering begins with setLocalDescription
    gathering_started_ = true;
    driver_->start();
  }
  make_transport();
  pump();
  return std::nullopt;
}

Error ConnectionImpl::set_remote(const SessionDescription& d) {
  if (closed) return "InvalidStateError: the connection is closed";
  auto type = sdp::parse_sdp_type(d.type);
  if (!type) return "TypeError: " + type.error();
  if (auto e = ensure_agent(*type == sdp::SdpType::kOffer ? ice::Role::kControlled : ice::Role::kControlling)) return e;
  auto r = negotiation_->set_remote(*type, d.sdp);
  if (!r) return r.error();
  signaling = to_public(negotiation_->signaling_state());
  const auto now = loop_->now();
  agent_->set_remote_lite(r->ice_lite);
  agent_->set_remote_credentials(now, r->ice_ufrag, r->ice_pwd);
  for (const auto& c : r->candidates) (void)agent_->add_remote_candidate(now, c);
  if (r->end_of_candidates) agent_->remote_end_of_candidates(now);
  if (transport_) transport_->set_remote_fingerprints(now, r->fingerprints);
  if (*type != sdp::SdpType::kRollback) apply_media(*r, *type == sdp::SdpType::kOffer);
  make_transport();
  driver_->pump();
  pump();
  return std::nullopt;
}

Error ConnectionImpl::add_candidate(const IceCandidate& c) {
  if (closed) return "InvalidStateError: the connection is closed";
  if (!negotiation_ || !negotiation_->parameters())
    return "InvalidStateError: add_ice_candidate before the remote description";
  const auto now = loop_->now();
  if (c.candidate.empty()) {
    agent_->remote_end_of_candidates(now);
  } else {
    auto parsed = ice::parse_candidate(c.candidate);
    if (!parsed) return "OperationError: " + parsed.error();
    if (auto e = agent_->add_remote_candidate(now, *parsed); !e.empty()) return "OperationError: " + e;
  }
  driver_->pump();
  return std::nullopt;
}

void ConnectionImpl::make_transport() {
  if (transport_ || !negotiation_ || !negotiation_->parameters() ||
      !negotiation_->parameters()->dtls_role || !dtls_context_)
    return;
  const auto& p = *negotiation_->parameters();
  DataTransportConfig c;
  c.role = *p.dtls_role;
  c.remote_fingerprints = p.fingerprints;
  c.max_message_size = p.send_max_message_size;
  c.data = p.data;
  transport_ = std::make_unique<DataTransport>(dtls_context_, c, random_);
  const auto now = loop_->now();
  for (auto& ch : pending_channels_) {
    auto id = transport_->channels().create(now, ch->init);
    if (!id) {
      ch->state = 3;
      queue([ch] {
        std::function<void()> f;
        { std::lock_guard l(ch->callbacks); f = ch->on_close; }
        if (f) f();
      });
      continue;
    }
    ch->id = *id;
    channels_[*id] = ch;
  }
  pending_channels_.clear();
  if (ice_connected_ && !transport_started_) {
    transport_started_ = true;
    transport_->start(now);
  }
}

void ConnectionImpl::on_ice_event(const ice::Event& e) {
  switch (e.kind) {
    case ice::Event::Kind::kLocalCandidate: {
      IceCandidate c{ice::print_candidate(e.candidate), negotiation_ ? negotiation_->mid() : "0"};
      local_candidates_.push_back(c.candidate);
      queue([this, c] {
        std::function<void(const IceCandidate&)> f;
        { std::lock_guard l(callbacks); f = on_candidate; }
        if (f) f(c);
      });
      break;
    }
    case ice::Event::Kind::kGatheringComplete:
      gathering_complete_ = true;
      queue([this] {
        std::function<void()> f;
        { std::lock_guard l(callbacks); f = on_gathering_complete; }
        if (f) f();
      });
      break;
    case ice::Event::Kind::kStateChanged:
      ice_connected_ = e.state == ice::ConnectionState::kConnected || e.state == ice::ConnectionState::kCompleted;
      ice_failed_ = e.state == ice::ConnectionState::kFailed;
      ice_disconnected_ = e.state == ice::ConnectionState::kDisconnected;
      if (ice_connected_ && transport_ && !transport_started_) {
        transport_started_ = true;
        transport_->start(loop_->now());
      }
      update_state();
      pump();
      break;
    default:
      break;
  }
  deliver();
}

void ConnectionImpl::on_ice_data(const ice::Received& r) {
  if (rtp::looks_like_rtp_or_rtcp(r.payload)) {  // RFC 7983: SRTP and SRTCP share the pair
    media_.handle_datagram(r.payload, loop_->now());
    while (auto d = media_.poll_retransmit()) send_datagram(*d);  // what a NACK asked for
    handle_media_events();
    rearm_timer();  // the first packet received schedules the first receiver report
    return;
  }
  if (!transport_ || !dtls::looks_like_dtls(r.payload)) return;
  ++counters_.transport.packets_received;
  counters_.transport.bytes_received += r.payload.size();
  // The output (SACKs, replies) is produced once per read batch: on_receive_batch_end.
  transport_->handle_datagram(loop_->now(), r.payload);
}

void ConnectionImpl::pump() {
  if (!transport_ || !agent_) {
    deliver();
    return;
  }
  const auto now = loop_->now();
  while (auto e = transport_->poll_event()) handle_transport_event(std::move(*e));
  bool sent = false;
  for (const Transmit& t : transport_->transmits()) {
    sent = true;
    ++counters_.transport.packets_sent;
    counters_.transport.bytes_sent += t.data.size();
    (void)agent_->send(now, t.data);
  }
  while (auto e = transport_->poll_event()) handle_transport_event(std::move(*e));
  if (sent) driver_->pump();
  rearm_timer();
  mirror_buffered();
  deliver();
}

void ConnectionImpl::handle_transport_event(DataTransportEvent e) {
  if (const auto* s = std::get_if<TransportStateEvent>(&e)) {
    if (s->layer == TransportStateEvent::Layer::kDtls) {
      dtls_connected_ = s->up;
      dtls_failed_ = !s->up && s->reason != "closed";
      dtls_closed_ = !s->up && s->reason == "closed";
      if (s->up) start_media();
      update_state();
    }
    return;
  }
  auto& ce = std::get<sctp::DataChannelEvent>(e);
  if (const auto* open = std::get_if<sctp::ChannelOpenEvent>(&ce)) {
    const auto it = channels_.find(open->id);
    if (it == channels_.end()) return;
    auto ch = it->second;
    ch->state = 1;
    ++counters_.data_channels_opened;
    queue([ch] {
      std::function<void()> f;
      {
        std::lock_guard l(ch->callbacks);
        f = ch->on_open;
        // An application thread may still be between create_data_channel() and on_open().
        if (!f) ch->open_missed = ch->state == 1;
      }
      if (f && ch->state == 1) f();
    });
  } else if (const auto* in = std::get_if<sctp::IncomingChannelEvent>(&ce)) {
    const auto* info = transport_->channels().channel(in->id);
    if (!info) return;
    auto ch = std::make_shared<ChannelImpl>();
    remember(ch);
    ch->connection = weak_from_this();
    ch->label = info->label;
    ch->protocol = info->protocol;
    ch->init.ordered = info->ordered;
    ch->init.max_retransmits = info->max_retransmits;
    ch->init.max_packet_life_time = info->max_packet_life_time;
    ch->id = in->id;
    ch->state = 1;
    channels_[in->id] = ch;
    ++counters_.data_channels_opened;
    queue([this, ch] {
      std::function<void(std::shared_ptr<DataChannel>)> f;
      { std::lock_guard l(callbacks); f = on_channel; }
      if (f) f(std::shared_ptr<DataChannel>(new DataChannel(ch)));
    });
  } else if (auto* m = std::get_if<sctp::ChannelMessageEvent>(&ce)) {
    const auto it = channels_.find(m->id);
    if (it == channels_.end()) return;
    auto ch = it->second;
    ++counters_.messages_received;
    counters_.bytes_received += m->data.size();
    ++ch->messages_received;
    ch->bytes_received += m->data.size();
    auto msg = std::make_shared<Message>(Message{m->binary, std::move(m->data)});
    queue([this, ch, msg] {
      std::function<void(const Message&)> f;
      {
        std::lock_guard l(ch->callbacks);
        if (ch->state.load() > 2) return;
        // No handler yet, or earlier messages still wait for it: keep the order.
        if (!ch->on_message || !ch->early.empty()) {
          (void)hold_early(*ch, msg);
          return;
        }
        f = ch->on_message;
      }
      f(*msg);
    });
  } else if (const auto* low = std::get_if<sctp::BufferedAmountLowEvent>(&ce)) {
    const auto it = channels_.find(low->id);
    if (it == channels_.end()) return;
    auto ch = it->second;
    queue([ch] {
      std::function<void()> f;
      { std::lock_guard l(ch->callbacks); f = ch->on_low; }
      if (f) f();
    });
  } else if (const auto* closed_event = std::get_if<sctp::ChannelClosedEvent>(&ce)) {
    const auto it = channels_.find(closed_event->id);
    if (it == channels_.end()) return;
    auto ch = it->second;
    channels_.erase(it);
    ch->state = 3;
    ++counters_.data_channels_closed;
    queue([this, ch] {
      std::function<void()> f;
      {
        std::lock_guard l(ch->callbacks);
        f = std::move(ch->on_close);
        ch->on_open = ch->on_close = ch->on_low = nullptr;  // closed: nothing more will come
        ch->on_message = nullptr;
        drop_early(*ch);
      }
      if (f) f();
    });
  }
}

void ConnectionImpl::update_state() {
  // W3C webrtc-pc §4.3.3 (RTCPeerConnectionState): a DTLS transport the remote end closed
  // (close_notify) still counts as connected; what follows depends on ICE (consent).
  PeerConnectionState s = PeerConnectionState::kConnecting;
  if (ice_failed_ || dtls_failed_) s = PeerConnectionState::kFailed;
  else if (ice_disconnected_) s = PeerConnectionState::kDisconnected;
  else if (ice_connected_ && (dtls_connected_ || dtls_closed_)) s = PeerConnectionState::kConnected;
  if (s == state.load() || closed) return;
  state = s;
  queue([this, s] {
    std::function<void(PeerConnectionState)> f;
    { std::lock_guard l(callbacks); f = on_state; }
    if (f) f(s);
  });
}

// Callbacks run from a posted task, never inside the call or event that produced them; each
// checks `closed` so that none runs after close() returned.
void ConnectionImpl::remember(const std::shared_ptr<ChannelImpl>& ch) {
  if (every_channel_.size() >= 64 && every_channel_.size() == every_channel_.capacity())
    std::erase_if(every_channel_, [](const auto& w) { return w.expired(); });
  every_channel_.push_back(ch);
}

void ConnectionImpl::queue(std::function<void()> f) {
  callbacks_.push_back(std::move(f));
}

void ConnectionImpl::deliver() {
  if (callbacks_.empty() || delivering_scheduled_) return;
  delivering_scheduled_ = true;
  loop_->post([weak = weak_from_this()] {
    auto self = weak.lock();  // keeps the connection alive while user code runs
    if (!self) return;
    self->delivering_scheduled_ = false;
    auto batch = std::move(self->callbacks_);
    self->callbacks_.clear();
    for (auto& f : batch) {
      if (self->closed || self->closed_requested) return;
      f();
    }
    self->deliver();  // what the callbacks themselves caused
  });
}

void ConnectionImpl::report_error(std::string error) {
  queue([this, error = std::move(error)] {
    std::function<void(const std::string&)> f;
    { std::lock_guard l(callbacks); f = on_error; }
    if (f) f(error);
  });
  deliver();
}

void ConnectionImpl::mirror_buffered() {
  if (!transport_) return;
  for (auto& [id, ch] : channels_) ch->buffered = transport_->channels().buffered_amount(id);
}

std::variant<std::shared_ptr<ChannelImpl>, std::string> ConnectionImpl::create_channel(
    std::string label, const DataChannelInit& init) {
  if (closed) return std::string("InvalidStateError: the connection is closed");
  if (init.max_retransmits && init.max_packet_life_time)
    return std::string("TypeError: maxRetransmits and maxPacketLifeTime are exclusive");
  if (init.negotiated != init.id.has_value())
    return std::string("TypeError: a negotiated channel needs an id, and only it");
  auto ch = std::make_shared<ChannelImpl>();
  remember(ch);
  ch->connection = weak_from_this();
  ch->label = label;
  ch->protocol = init.protocol;
  ch->init.label = std::move(label);
  ch->init.protocol = init.protocol;
  ch->init.ordered = init.ordered;
  ch->init.max_retransmits = init.max_retransmits;
  ch->init.max_packet_life_time = init.max_packet_life_time;
  if (init.negotiated) ch->init.negotiated_id = init.id;
  if (!transport_) {
    pending_channels_.push_back(ch);
    return ch;
  }
  auto id = transport_->channels().create(loop_->now(), ch->init);
  if (!id) return id.error();
  ch->id = *id;
  channels_[*id] = ch;
  pump();
  return ch;
}

Error ConnectionImpl::send(ChannelImpl& c, ByteSpan data, bool binary) {
  if (!transport_ || !c.id) return "InvalidStateError: the channel is not open";
  auto e = transport_->channels().send(loop_->now(), *c.id, data, binary);
  if (!e) {
    ++counters_.messages_sent;
    counters_.bytes_sent += data.size();
    ++c.messages_sent;
    c.bytes_sent += data.size();
    c.buffered = transport_->channels().buffered_amount(*c.id);
  }
  pump();
  return e;
}

void ConnectionImpl::close_channel(ChannelImpl& c) {
  if (c.state >= 2) return;
  c.state = 2;
  if (transport_ && c.id) transport_->channels().close(*c.id);
  pump();
}

void ConnectionImpl::set_low_threshold(ChannelImpl& c, std::size_t bytes) {
  c.low_threshold = bytes;
  if (transport_ && c.id) transport_->channels().set_buffered_amount_low_threshold(*c.id, bytes);
}

void ConnectionImpl::close() {
  if (closed.exchange(true)) return;
  state = PeerConnectionState::kClosed;
  signaling = SignalingState::kClosed;
  callbacks_.clear();
  if (transport_) {
    transport_->close(loop_->now());
    for (const Transmit& t : transport_->transmits()) (void)agent_->send(loop_->now(), t.data);
  }
  if (driver_) {
    driver_->pump();
    driver_->stop();
  }
  timer_.cancel();
  // No callback runs after close: dropping them also breaks the cycles an application makes by
  // capturing a channel in its own callback.
  auto drop = [this](ChannelImpl& ch) {
    ch.state = 3;
    std::lock_guard l(ch.callbacks);
    ch.on_open = ch.on_close = ch.on_low = nullptr;
    ch.on_message = nullptr;
    drop_early(ch);
  };
  for (const auto& weak : every_channel_)  // open, pending and peer-closed ones alike
    if (auto ch = weak.lock()) drop(*ch);
  every_channel_.clear();
  auto drop_track = [](TrackImpl& t) {
    std::lock_guard l(t.callbacks);
    t.on_rtp = nullptr;
    t.on_keyframe_request = nullptr;
    t.on_layer_keyframe_request = nullptr;
  };
  for (auto& t : local_tracks_) drop_track(*t);
  for (auto& [mid, t] : remote_tracks_) drop_track(*t);
  {
    std::lock_guard l(callbacks);
    on_candidate = nullptr;
    on_gathering_complete = nullptr;
    on_state = nullptr;
    on_channel = nullptr;
    on_track = nullptr;
    on_error = nullptr;
  }
  if (negotiation_) negotiation_->close();
}

Stats ConnectionImpl::stats() const {
  Stats s = counters_;
  if (agent_) {
    for (const auto& p : agent_->stats()) {
      Stats::CandidatePair c;
      c.local_candidate = ice::print_candidate(p.local);
      c.remote_candidate = ice::print_candidate(p.remote);
      c.state = ice::to_string(p.state);
      c.nominated = p.nominated;
      c.requests_sent = p.counters.requests_sent;
      c.responses_received = p.counters.responses_received;
      if (p.counters.current_rtt) c.current_round_trip_time = static_cast<double>(p.counters.current_rtt->us()) / 1e6;
      s.candidate_pairs.push_back(std::move(c));
    }
    if (const auto sel = agent_->selected_pair()) {
      s.selected_candidate_pair_local = ice::print_candidate(sel->local);
      s.selected_candidate_pair_remote = ice::print_candidate(sel->remote);
    }
  }
  s.dtls_state = transport_ ? std::string(dtls::to_string(transport_->dtls().state())) : "new";
  s.transport.dtls_state = s.dtls_state;
  if (agent_) {
    s.transport.ice_role = agent_->role() == ice::Role::kControlling ? "controlling" : "controlled";
    s.transport.ice_state = ice::to_string(agent_->state());
  }
  s.transport.dtls_role = "unknown";
  if (transport_) {
    const auto& dtls = transport_->dtls();
    s.transport.dtls_role = dtls.role() == dtls::Role::kClient ? "client" : "server";
    s.transport.dtls_cipher = dtls.cipher_name();
    s.transport.tls_version = dtls.version_hex();
  }
  auto channel_stats = [&](const ChannelImpl& ch) {
    static constexpr const char* kStates[] = {"connecting", "open", "closing", "closed"};
    Stats::DataChannel d;
    d.label = ch.label;
    d.protocol = ch.protocol;
    d.data_channel_identifier = ch.id;
    d.state = kStates[std::clamp(ch.state.load(), 0, 3)];
    d.messages_sent = ch.messages_sent;
    d.bytes_sent = ch.bytes_sent;
    d.messages_received = ch.messages_received;
    d.bytes_received = ch.bytes_received;
    s.data_channels.push_back(std::move(d));
  };
  for (const auto& ch : pending_channels_) channel_stats(*ch);
  for (const auto& [id, ch] : channels_) channel_stats(*ch);
  auto rtp_stats = [&](const TrackImpl& t) {
    Stats::RtpStream r;
    r.kind = t.kind;
    r.mid = t.mid;
    r.local = t.local;
    r.ssrc = t.ssrc;
    if (const auto it = media_.counters().find(t.mid); it != media_.counters().end() && !t.mid.empty()) {
      r.packets = t.local ? it->second.packets_sent : it->second.packets_received;
      r.payload_bytes = t.local ? it->second.bytes_sent : it->second.bytes_received;
      r.pli_count = t.local ? it->second.keyframe_requests_received : it->second.keyframe_requests_sent;
      if (t.local) {
        r.remote_packets_lost = it->second.remote_packets_lost;
        r.remote_fraction_lost = it->second.remote_fraction_lost / 256.0;
        if (it->second.round_trip) r.round_trip_time = static_cast<double>(it->second.round_trip->us()) / 1e6;
        r.sender_reports_sent = it->second.sender_reports_sent;
        r.nack_count = it->second.nacks_received;
        r.retransmitted_packets_sent = it->second.retransmitted_packets;
      } else {
        r.nack_count = it->second.nacks_sent;
        r.retransmitted_packets_received = it->second.retransmitted_packets_received;
      }
    }
    s.rtp_streams.push_back(std::move(r));
  };
  for (const auto& t : local_tracks_) rtp_stats(*t);
  for (const auto& [mid, t] : remote_tracks_) rtp_stats(*t);
  s.srtp_dropped = media_.dropped();
  s.transport_feedback_sent = media_.transport_feedback_sent();
  return s;
}

std::optional<SessionDescription> ConnectionImpl::current_local_description() const {
  if (!local_description || !negotiation_) return local_description;
  SessionDescription d = *local_description;
  d.sdp = with_local_candidates(d.sdp, negotiation_->mid(), local_candidates_, gathering_complete_);
  return d;
}

bool ConnectionImpl::hold_early(ChannelImpl& ch, std::shared_ptr<Message> m) {
  const std::size_t cost = m->data.size() + ChannelImpl::kEarlyOverhead;
  if ((ch.message_handler_set && ch.early.empty()) || ch.early_bytes + cost > ChannelImpl::kMaxEarlyBytes ||
      early_bytes_total_ + cost > kMaxEarlyBytesTotal) {
    ++ch.early_dropped;
    return false;
  }
  ch.early_bytes += cost;
  early_bytes_total_ += cost;
  ch.early.push_back(std::move(m));
  return true;
}

std::shared_ptr<Message> ConnectionImpl::take_early(ChannelImpl& ch) {
  if (ch.early.empty()) return nullptr;
  auto m = std::move(ch.early.front());
  ch.early.pop_front();
  const std::size_t cost = m->data.size() + ChannelImpl::kEarlyOverhead;
  ch.early_bytes -= cost;
  early_bytes_total_ -= cost;
  return m;
}

void ConnectionImpl::drop_early(ChannelImpl& ch) {
  early_bytes_total_ -= ch.early_bytes;
  ch.early.clear();
  ch.early_bytes = 0;
}

void ConnectionImpl::deliver_early(ChannelImpl& ch) {
  while (true) {
    std::shared_ptr<Message> m;
    std::function<void(const Message&)> handler;
    {
      std::lock_guard l(ch.callbacks);
      if (!ch.on_message) return;
      m = take_early(ch);
      if (!m) return;
      handler = ch.on_message;
    }
    if (ch.state > 2 || closed || closed_requested) return;
    handler(*m);
  }
}

}  // namespace peerkit::peer
