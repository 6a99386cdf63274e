#include "sfu/router.h"

#include "sfu/router_internal.h"

#include <algorithm>
#include <variant>

#include "rtp/extension_values.h"
#include "rtp/packet.h"
#include "rtp/rtcp.h"

namespace peerkit::sfu {


Router::Router() = default;
Router::Router(const Config& config) : config_(config) {}
Router::~Router() = default;

Expected<TrackId, Router::Error> Router::add_track(TrackParams params) {
  if (tracks_.size() >= config_.max_tracks) return Unexpected(Error::kTooMany);
  if (params.rids.size() > static_cast<std::size_t>(kMaxLayers)) return Unexpected(Error::kTooMany);
  for (const auto& [id, t] : tracks_)
    if (t->params.publisher == params.publisher && t->params.mid == params.mid)
      return Unexpected(Error::kDuplicate);
  if (auto twcc = params.extensions.id_of(rtp::ExtensionKind::kTransportWideCc))
    publisher_feedback_[params.publisher].extension_id = static_cast<std::uint8_t>(*twcc);
  auto t = std::make_unique<Track>();
  t->id = TrackId{next_track_++};
  t->params = std::move(params);
  const TrackId id = t->id;
  const bool audio = t->params.codec == Codec::kOpus;
  const std::uint32_t group = t->params.group;
  tracks_.emplace(id, std::move(t));
  if (audio && config_.loudest_audio > 0) apply_loudest(group);  // it may cross the threshold
  return id;
}

Expected<SubscriptionId, Router::Error> Router::subscribe(ParticipantId subscriber, TrackId track,
                                                          SubscriberParams params,
                                                          std::optional<int> layer,
                                                          OutboundStream::Config seeds,
                                                          std::uint16_t first_rtx_sequence) {
  auto it = tracks_.find(track);
  if (it == tracks_.end()) return Unexpected(Error::kUnknownTrack);
  Track& t = *it->second;
  if (t.subscriptions.size() >= config_.max_subscriptions_per_track)
    return Unexpected(Error::kTooMany);
  if (params.ssrc == params.rtx_ssrc || used_ssrcs_.contains({subscriber, params.ssrc}) ||
      (params.rtx_ssrc != 0 && used_ssrcs_.contains({subscriber, params.rtx_ssrc})))
    return Unexpected(Error::kDuplicate);
  seeds.clock_rate = t.params.clock_rate;
  const bool audio = t.params.codec == Codec::kOpus;
  auto s = std::unique_ptr<Subscription>(new Subscription{
      SubscriptionId{next_subscription_++}, subscriber, track, std::move(params),
      OutboundStream(seeds), PacketHistory(audio ? PacketHistory::audio() : PacketHistory::video()),
      NackResponder(first_rtx_sequence), layer});
  s->stream.set_target_layer(audio && !audio_forwarded(t) ? std::nullopt : layer);
  const SubscriptionId id = s->id;
  by_subscriber_ssrc_[{subscriber, s->params.ssrc}] = id;
  used_ssrcs_.insert({subscriber, s->params.ssrc});
  if (s->params.rtx_ssrc != 0) used_ssrcs_.insert({subscriber, s->params.rtx_ssrc});
  t.subscriptions.push_back(id);
  if (layer) request_keyframe(t, *layer);  // a new subscriber needs a keyframe to start
  subscriptions_.emplace(id, std::move(s));
  return id;
}

void Router::set_layer(SubscriptionId id, std::optional<int> layer) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  Subscription& s = *it->second;
  s.preferred = layer;
  // With an estimate to go by, the allocator decides how close to `layer` it can go.
  if (auto c = connections_.find(s.subscriber);
      config_.adapt_layers && c != connections_.end() && c->second->has_feedback) {
    allocate(s.subscriber, *c->second, c->second->last_allocation);
    return;
  }
  apply_layer(s, layer);
}

void Router::apply_layer(Subscription& s, std::optional<int> layer) {
  s.stream.set_target_layer(layer);
  auto t = tracks_.find(s.track);
  if (t != tracks_.end() && s.stream.switch_pending())
    request_keyframe(*t->second, *s.stream.target_layer());
}

void Router::unsubscribe(SubscriptionId id) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return;
  by_subscriber_ssrc_.erase({it->second->subscriber, it->second->params.ssrc});
  used_ssrcs_.erase({it->second->subscriber, it->second->params.ssrc});
  used_ssrcs_.erase({it->second->subscriber, it->second->params.rtx_ssrc});
  auto t = tracks_.find(it->second->track);
  if (t != tracks_.end()) std::erase(t->second->subscriptions, id);
  subscriptions_.erase(it);
}

void Router::remove_track(TrackId id) {
  auto it = tracks_.find(id);
  if (it == tracks_.end()) return;
  for (SubscriptionId s : std::vector<SubscriptionId>(it->second->subscriptions)) unsubscribe(s);
  std::erase_if(ssrc_index_, [id](const auto& kv) { return kv.second.first == id; });
  std::erase_if(rtx_index_, [id](const auto& kv) { return kv.second.first == id; });
  const bool audio = it->second->params.codec == Codec::kOpus;
  const std::uint32_t group = it->second->params.group;
  tracks_.erase(it);
  if (audio && config_.loudest_audio > 0) apply_loudest(group);
}

void Router::remove_participant(ParticipantId p) {
  std::vector<TrackId> tracks;
  for (const auto& [id, t] : tracks_)
    if (t->params.publisher == p) tracks.push_back(id);
  for (TrackId t : tracks) remove_track(t);
  std::vector<SubscriptionId> subs;
  for (const auto& [id, s] : subscriptions_)
    if (s->subscriber == p) subs.push_back(id);
  for (SubscriptionId s : subs) unsubscribe(s);
  connections_.erase(p);
  publisher_feedback_.erase(p);
  rtt_.erase(p);
  for (auto& [group, detector] : speakers_) detector.remove(p);
}

Router::Track* Router::indexed(const SsrcIndex& index, ParticipantId from, std::uint32_t ssrc,
                               int* layer) {
  auto it = index.find({from, ssrc});
  if (it == index.end()) return nullptr;
  auto t = tracks_.find(it->second.first);
  if (t == tracks_.end()) return nullptr;
  *layer = it->second.second;
  return t->second.get();
}

Router::Track* Router::track_for(ParticipantId from, const rtp::PacketView& v, int* layer) {
  if (Track* t = indexed(ssrc_index_, from, v.header.ssrc, layer)) return t;
  // Unknown SSRC: bind it by mid (+ rid). A repaired-rid or the RTX payload type marks the
  // publisher's RTX stream, which rtx_track_for() binds instead.
  for (const auto& [id, t] : tracks_) {
    const TrackParams& tp = t->params;
    if (tp.publisher != from) continue;
    auto mid_id = tp.extensions.id_of(rtp::ExtensionKind::kMid);
    auto mid = mid_id ? v.extensions.find(*mid_id) : std::nullopt;
    if (!mid || as_string_view(*mid) != tp.mid) continue;
    if (tp.rtx_payload_type && v.header.payload_type == *tp.rtx_payload_type) return nullptr;
    auto rrid_id = tp.extensions.id_of(rtp::ExtensionKind::kRepairedRid);
    if (rrid_id && v.extensions.find(*rrid_id)) return nullptr;
    int l = 0;
    if (!tp.rids.empty()) {
      auto rid_id = tp.extensions.id_of(rtp::ExtensionKind::kRid);
      auto rid = rid_id ? v.extensions.find(*rid_id) : std::nullopt;
      if (!rid) return nullptr;
      auto r = std::find(tp.rids.begin(), tp.rids.end(), as_string_view(*rid));
      if (r == tp.rids.end()) return nullptr;
      l = static_cast<int>(r - tp.rids.begin());
    }
    if (t->layer_ssrc[l]) ssrc_index_.erase({from, *t->layer_ssrc[l]});  // the layer restarted
    t->layer_ssrc[l] = v.header.ssrc;
    t->receive[static_cast<std::size_t>(l)].emplace(tp.clock_rate);
    if (tp.nack && tp.codec == Codec::kVp8)  // retries an RTT apart (the publisher's is not measured)
      t->missing[static_cast<std::size_t>(l)].emplace(rtp::MissingPackets::Config{
          .retry = std::max(Duration::millis(20), config_.default_rtt)});
    else t->missing[static_cast<std::size_t>(l)].reset();
    ssrc_index_[{from, v.header.ssrc}] = {id, l};
    *layer = l;
    return t.get();
  }
  return nullptr;
}

void Router::handle_rtp(Timestamp now, ParticipantId from, ByteSpan packet) {
  ++stats_.ingress;
  auto v = rtp::parse_packet(packet);
  // Every numbered packet is reported, whether or not it is forwarded (RTX, padding too).
  if (auto f = publisher_feedback_.find(from); v && f != publisher_feedback_.end())
    if (auto d = v->extensions.find(f->second.extension_id))
      if (auto seq = rtp::parse_transport_cc(*d)) {
        f->second.twcc.on_packet(*seq, now);
        f->second.media_ssrc = v->header.ssrc;
      }
  if (v && rtx_index_.contains({from, v->header.ssrc})) {  // the publisher's RTX stream
    repair(now, from, *v);
    return;
  }
  int layer = 0;
  Track* t = v ? track_for(from, *v, &layer) : nullptr;
  if (!t && v && repair(now, from, *v)) return;  // the first packet of an RTX stream
  if (!t) {
    ++stats_.ingress_dropped;
    return;
  }
  auto in = make_ingress(packet, now, layer, t->params.codec);
  if (!in) {
    ++stats_.ingress_dropped;
    return;
  }
  const auto l = static_cast<std::size_t>(layer);
  if (auto& m = t->missing[l]; m && !m->on_packet(v->header.sequence, now)) {
    ++stats_.ingress_dropped;  // the late original of a packet already repaired and forwarded
    return;
  }
  if (auto& r = t->receive[l]) r->on_packet(v->header.sequence, v->header.timestamp, now);
  t->media_pt[l] = v->header.payload_type;
  if (t->params.codec == Codec::kOpus) on_audio(now, *t, *v);
  forward(now, *t, *in);
}

void Router::forward(Timestamp now, Track& t, const IngressRef& p) {
  if (p->keyframe && t.params.codec == Codec::kVp8) t.keyframes.on_keyframe(p->layer);
  t.layer_rate[static_cast<std::size_t>(p->layer)].add(now, p->bytes.size());
  for (SubscriptionId id : t.subscriptions) {
    Subscription& s = *subscriptions_.at(id);
    auto f = s.stream.forward(*p);
    if (s.stream.switch_pending()) request_keyframe(t, *s.stream.target_layer());
    if (!f) continue;
    Connection* c = nullptr;
    if (s.params.extensions.id_of(rtp::ExtensionKind::kTransportWideCc)) {
      c = &connection(s.subscriber);
      f->transport_sequence = c->transport_sequence++;
    }
    auto n = write_egress(*p, t.params.extensions, s.params, *f, egress_);
    if (!n) continue;
    s.history.store(now, p, *f);  // kept even if the pacer drops it: the NACK gets it back
    if (!send_media(s.subscriber, c, std::span(egress_).first(*n), f->transport_sequence, now)) continue;
    ++s.sent.packets;
    s.sent.octets += static_cast<std::uint32_t>(p->payload_size);
    ++stats_.forwarded;
  }
  send_keyframe_requests(now, t);
}

// A layer that has not sent yet has no SSRC to name in a PLI.
std::array<bool, kMaxLayers> Router::addressable(const Track& t) {
  std::array<bool, kMaxLayers> known{};
  for (std::size_t i = 0; i < known.size(); ++i) known[i] = t.layer_ssrc[i].has_value();
  return known;
}

void Router::request_keyframe(Track& t, int layer) {
  if (t.params.codec == Codec::kVp8) t.keyframes.request(layer);  // audio has no keyframes
}

void Router::send_keyframe_requests(Timestamp now, Track& t) {
  while (auto due = t.keyframes.poll(now, addressable(t))) {
    const std::uint32_t ssrc = *t.layer_ssrc[static_cast<std::size_t>(due->layer)];
    std::array<std::byte, 32> buf{};
    auto n =
        write_keyframe_request(t.params.use_fir, config_.rtcp_ssrc, ssrc, due->fir_sequence, buf);
    if (!n) continue;
    push(t.params.publisher, true, std::span(buf).first(*n));
    ++stats_.keyframe_requests_sent;
  }
}

void Router::handle_rtcp(Timestamp now, ParticipantId from, ByteSpan packet) {
  auto packets = rtp::parse_compound(packet);
  if (!packets) {
    ++stats_.rtcp_dropped;
    return;
  }
  struct Sink final : PacketSink {
    Router* r;
    ParticipantId to;
    Timestamp now;
    std::optional<std::uint16_t> last_sequence;
    void send(ByteSpan p) override {
      const bool sent = r->send_media(to, last_sequence ? &r->connection(to) : nullptr, p, last_sequence, now);
      last_sequence.reset();
      if (sent) ++r->stats_.rtx_sent;
    }
    std::optional<std::uint16_t> next_transport_sequence() override {
      last_sequence = r->connection(to).transport_sequence++;
      return last_sequence;
    }
  } sink;
  sink.r = this;
  sink.to = from;
  sink.now = now;
  auto subscription = [&](std::uint32_t media_ssrc) -> Subscription* {
    auto it = by_subscriber_ssrc_.find({from, media_ssrc});
    return it == by_subscriber_ssrc_.end() ? nullptr : subscriptions_.at(it->second).get();
  };
  auto want_keyframe = [&](Subscription* s) {
    if (!s) return;
    auto layer = s->stream.current_layer() ? s->stream.current_layer() : s->stream.target_layer();
    auto t = tracks_.find(s->track);
    if (!layer || t == tracks_.end()) return;
    request_keyframe(*t->second, *layer);
    send_keyframe_requests(now, *t->second);
  };
  for (const rtp::RtcpPacket& p : *packets) {
    if (const auto* nack = std::get_if<rtp::GenericNack>(&p)) {
      if (Subscription* s = subscription(nack->media_ssrc)) {
        auto t = tracks_.find(s->track);
        if (t != tracks_.end())
          s->responder.handle_nack(now, *nack, rtt(from).value_or(config_.default_rtt), s->history,
                                   t->second->params.extensions, s->params, sink);
      }
    } else if (const auto* pli = std::get_if<rtp::Pli>(&p)) {
      want_keyframe(subscription(pli->media_ssrc));
    } else if (const auto* fir = std::get_if<rtp::Fir>(&p)) {
      for (const auto& e : fir->entries) want_keyframe(subscription(e.ssrc));
    } else if (const auto* twcc = std::get_if<rtp::TransportFeedback>(&p)) {
      // Only a connection this router stamped has anything to match the feedback against.
      if (auto c = connections_.find(from); c != connections_.end()) {
        Connection& conn = *c->second;
        conn.bandwidth.on_feedback(*twcc, now);
        conn.has_feedback = conn.bandwidth.reported() > 0;
        if (config_.adapt_layers && conn.has_feedback &&
            now - conn.last_allocation >= config_.allocation_interval)
          allocate(from, conn, now);
      }
    } else if (const auto* sr = std::get_if<rtp::SenderReport>(&p)) {
      on_sender_report(now, from, *sr);
      for (const auto& b : sr->reports) on_report_block(now, from, b);
    } else if (const auto* rr = std::get_if<rtp::ReceiverReport>(&p)) {
      for (const auto& b : rr->reports) on_report_block(now, from, b);
    }
    // SDES/BYE/REMB: not consumed (BYE: leaving is signalled; REMB: TWCC is used instead).
  }
}

void Router::send_publisher_feedback(Timestamp now) {
  for (auto& [publisher, f] : publisher_feedback_)
    while (auto report = f.twcc.poll(now, config_.rtcp_ssrc, f.media_ssrc)) {
      std::array<rtp::RtcpPacket, 1> p{std::move(*report)};
      std::array<std::byte, 2048> buf{};
      auto n = rtp::build_compound(p, buf);
      if (!n) continue;
      push(publisher, true, std::span(buf).first(*n));
      ++stats_.twcc_reports_sent;
    }
}

void Router::handle_timeout(Timestamp now) {
  send_publisher_feedback(now);
  send_publisher_nacks(now);
  update_speakers(now);
  for (auto& [id, t] : tracks_) send_keyframe_requests(now, *t);
  release_paced(now);
  for (auto& [who, c] : connections_)
    if (c->blocked_bps && c->next_probe <= now && c->pacer.empty()) probe(who, *c, now);
  if (now - last_housekeeping_ >= Duration::seconds(1)) {
    for (auto& [id, s] : subscriptions_) s->history.expire(now);
    send_reports(now);
    last_housekeeping_ = now;
  }
}

Timestamp Router::next_timeout() const {
  Timestamp next = last_housekeeping_ + Duration::seconds(1);
  for (const auto& [id, t] : tracks_)
    next = std::min(next, t->keyframes.next_timeout(addressable(*t)));
  for (const auto& [who, c] : connections_) {
    // A probe waits for the pacer to empty (handle_timeout): its release wakes us, not the
    // probe's own deadline, which only probe() moves on.
    if (c->blocked_bps && c->pacer.empty()) next = std::min(next, c->next_probe);
    if (!c->pacer.empty()) next = std::min(next, c->pacer.next_release(pacing_rate(*c)));
  }
  for (const auto& [who, f] : publisher_feedback_) next = std::min(next, f.twcc.next_timeout());
  for (const auto& [group, detector] : speakers_) next = std::min(next, detector.next_timeout());
  return std::min(next, next_publisher_nack());
}

std::optional<Output> Router::poll_output() {
  if (outputs_.empty()) return std::nullopt;
  Output o = std::move(outputs_.front());
  outputs_.pop_front();
  return o;
}

void Router::sent_media(Connection& c, std::optional<std::uint16_t> sequence, std::size_t size, Timestamp now) {
  if (sequence) c.bandwidth.on_packet_sent(*sequence, size, now);
  c.sent.add(now, size);
}

bool Router::send_media(ParticipantId to, Connection* c, ByteSpan bytes, std::optional<std::uint16_t> sequence,
                        Timestamp now) {
  if (c && paced(*c) && !c->pacer.admit(bytes.size(), pacing_rate(*c), now)) {
    if (c->pacer.enqueue(Pacer::Packet{std::vector<std::byte>(bytes.begin(), bytes.end()), sequence},
                         pacing_rate(*c), now)) {
      ++stats_.paced;
      return true;
    }
    // Dropped, its transport-wide number spent: recorded as sent, so that the feedback
    // reports it lost and the loss controller sees the overflow (a congestion signal).
    ++stats_.pacer_drops;
    sent_media(*c, sequence, bytes.size(), now);
    return false;
  }
  if (c) sent_media(*c, sequence, bytes.size(), now);
  push(to, false, bytes);
  return true;
}

void Router::release_paced(Timestamp now) {
  for (auto& [who, c] : connections_)
    while (auto p = c->pacer.release(pacing_rate(*c), now)) {
      // A packet of a stream unsubscribed while it waited is not sent (its SSRC is gone).
      if (p->bytes.size() >= 12) {
        const auto at = [&](std::size_t i) { return std::to_integer<std::uint32_t>(p->bytes[i]); };
        const std::uint32_t ssrc = (at(8) << 24) | (at(9) << 16) | (at(10) << 8) | at(11);
        if (!used_ssrcs_.contains({who, ssrc})) continue;
      }
      sent_media(*c, p->transport_sequence, p->bytes.size(), now);
      outputs_.push_back(Output{who, false, std::move(p->bytes)});
    }
}

void Router::push(ParticipantId to, bool rtcp, ByteSpan bytes) {
  outputs_.push_back(Output{to, rtcp, std::vector<std::byte>(bytes.begin(), bytes.end())});
}

Router::Connection& Router::connection(ParticipantId subscriber) {
  auto& c = connections_[subscriber];
  if (!c) c = std::make_unique<Connection>(config_.bandwidth);
  return *c;
}

const BandwidthEstimator* Router::bandwidth(ParticipantId subscriber) const {
  auto it = connections_.find(subscriber);
  return it == connections_.end() ? nullptr : &it->second->bandwidth;
}

const OutboundStream* Router::stream(SubscriptionId id) const {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : &it->second->stream;
}
const SubscriberParams* Router::subscriber_params(SubscriptionId id) const {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : &it->second->params;
}
const PacketHistory* Router::history(SubscriptionId id) const {
  auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? nullptr : &it->second->history;
}

}  // namespace peerkit::sfu
