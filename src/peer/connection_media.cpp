// ConnectionImpl's media half (peer/connection.h): tracks added and negotiated, the media
// session keyed from DTLS-SRTP, RTP in and out, keyframe requests and receiver reports on the
// connection's one timer.
#include <algorithm>

#include "peer/connection.h"

namespace peerkit::peer {

std::variant<std::shared_ptr<TrackImpl>, std::string> ConnectionImpl::add_track(const TrackInit& init) {
  if (closed) return std::string("InvalidStateError: the connection is closed");
  if (auto e = track_init_error(init.kind, init.stream_id, init.track_id, init.rids)) return *e;
  auto t = std::make_shared<TrackImpl>();
  t->connection = weak_from_this();
  t->kind = init.kind;
  t->stream_id = init.stream_id;
  t->track_id = init.track_id;
  t->local = true;
  // One SSRC per layer (RFC 8853 §3: each simulcast stream is its own RTP stream), unique in
  // the connection.
  auto fresh_ssrc = [&] {
    std::uint32_t s = 0;
    auto taken = [&](std::uint32_t x) {
      for (const auto& o : local_tracks_) {
        if (o->ssrc == x) return true;
        for (const auto& l : o->layers) if (l.ssrc == x) return true;
      }
      for (const auto& l : t->layers) if (l.ssrc == x) return true;
      return false;
    };
    do s = random_.next_u32();
    while (s == 0 || taken(s));
    return s;
  };
  for (const auto& rid : init.rids) t->layers.push_back(SendingLayer{rid, fresh_ssrc()});
  t->ssrc = t->layers.empty() ? fresh_ssrc() : t->layers.front().ssrc;
  if (negotiation_) {
    auto added = negotiation_->add_track(t->kind, t->ssrc, t->stream_id, t->track_id, t->layers);
    if (!added) return added.error();
    t->mid = added->mid;
    t->stream_id = added->stream_id;
    t->track_id = added->track_id;
  } else if (local_tracks_.size() >= 16) {
    return std::string("OperationError: at most 16 tracks per connection");
  }
  local_tracks_.push_back(t);
  return t;
}

void ConnectionImpl::register_tracks() {
  for (auto& t : local_tracks_) {
    if (!t->mid.empty()) continue;
    auto added = negotiation_->add_track(t->kind, t->ssrc, t->stream_id, t->track_id, t->layers);
    if (!added) continue;  // add_track checked kind and count already
    t->mid = added->mid;
    t->stream_id = added->stream_id;
    t->track_id = added->track_id;
  }
}

void ConnectionImpl::apply_media(const RemoteParameters& p, bool offer) {
  media_.set_reduced_size_rtcp(p.rtcp_rsize);
  if (!offer) {
    media_.set_sending(p.sending);
    for (auto& t : local_tracks_) {
      t->sent_rids.clear();
      for (const auto& st : p.sending) {
        if (st.mid != t->mid) continue;
        for (const auto& l : st.layers) t->sent_rids.push_back(l.rid);
        if (!st.plain_rid.empty()) t->sent_rids.push_back(st.plain_rid);
      }
    }
    return;
  }
  std::vector<ReceivingTrack> receiving;
  std::map<std::string, std::shared_ptr<TrackImpl>> kept;
  for (const auto& r : p.receiving) {
    receiving.push_back(r.receiving);
    // The same section carrying the same source stays the same track; a section an SFU reuses
    // for another source is a new one (a new on_track).
    if (auto it = remote_tracks_.find(r.mid);
        it != remote_tracks_.end() && it->second->kind == r.kind && it->second->stream_id == r.stream_id &&
        it->second->track_id == r.track_id && it->second->remote_ssrcs == r.receiving.ssrcs) {
      kept[r.mid] = it->second;
      continue;
    }
    auto t = std::make_shared<TrackImpl>();
    t->connection = weak_from_this();
    t->kind = r.kind;
    t->mid = r.mid;
    t->stream_id = r.stream_id;
    t->track_id = r.track_id;
    t->remote_ssrcs = r.receiving.ssrcs;
    kept[r.mid] = t;
    queue([this, t] {
      std::function<void(std::shared_ptr<MediaTrack>)> f;
      { std::lock_guard l(callbacks); f = on_track; }
      if (f) f(std::shared_ptr<MediaTrack>(new MediaTrack(t)));
    });
  }
  // A track no longer received delivers nothing more, and lets go of its callbacks (which may
  // hold the application's MediaTrack), as close() does.
  for (auto& [mid, t] : remote_tracks_) {
    if (auto k = kept.find(mid); k != kept.end() && k->second == t) continue;
    std::function<void(std::span<const std::byte>)> rtp;
    std::function<void()> keyframe;
    std::function<void(const std::string&)> layer_keyframe;
    {
      std::lock_guard l(t->callbacks);
      rtp.swap(t->on_rtp);
      keyframe.swap(t->on_keyframe_request);
      layer_keyframe.swap(t->on_layer_keyframe_request);
    }  // what they captured goes here, outside the lock (its destructor may call the track)
  }
  remote_tracks_ = std::move(kept);
  media_.set_receiving(std::move(receiving));
}

void ConnectionImpl::start_media() {
  if (media_.started() || !transport_) return;
  const auto keying = transport_->dtls().srtp_keying();
  if (!keying) return;  // the peer negotiated no use_srtp: a data-only connection
  srtp::Keys k;
  k.profile = keying->profile;
  k.local_key = keying->local_key;
  k.local_salt = keying->local_salt;
  k.remote_key = keying->remote_key;
  k.remote_salt = keying->remote_salt;
  std::uint32_t receiver_ssrc;
  do receiver_ssrc = random_.next_u32();
  while (receiver_ssrc == 0);
  // The CNAME our offers write (RFC 7022: the connection's random ufrag), in our reports too.
  if (auto started = media_.start(k, receiver_ssrc, agent_ ? agent_->local_ufrag() : std::string());
      !started) {
    report_error("OperationError: " + started.error());
    return;
  }
  // The wall clock of our sender reports (RFC 3550 §6.4.1), read once: from here on it moves
  // with the loop's monotonic clock, so a step of the system clock does not jump our reports.
  media_.set_wallclock(loop_->now(), ntp_time_now());
}

// One timer for DTLS/SCTP and the media session's reports: the earlier of the two.
void ConnectionImpl::rearm_timer() {
  // Closed: nothing is due any more. (A report deadline left armed would fire at once, again
  // and again, since send_media_reports does nothing after close and never moves it on.)
  if (closed) {
    timer_.cancel();
    return;
  }
  Timestamp next = Timestamp::never();
  if (transport_) next = transport_->next_timeout().value_or(Timestamp::never());
  if (const auto report = media_.next_timeout()) next = std::min(next, *report);
  timer_.rearm(next);
}

void ConnectionImpl::send_media_reports(Timestamp now) {
  if (closed || !agent_) return;
  while (auto d = media_.poll_report(now)) send_datagram(*d);
  while (auto d = media_.poll_feedback(now)) send_datagram(*d);  // NACKs for what went missing
}

void ConnectionImpl::handle_media_events() {
  while (auto e = media_.poll_event()) {
    if (auto* rtp = std::get_if<RtpReceived>(&*e)) {
      const auto it = remote_tracks_.find(rtp->mid);
      if (it == remote_tracks_.end()) continue;
      queue([t = it->second, packet = std::move(rtp->packet)] {
        std::function<void(std::span<const std::byte>)> f;
        { std::lock_guard l(t->callbacks); f = t->on_rtp; }
        if (f) f(packet);
      });
    } else if (const auto* k = std::get_if<KeyframeRequested>(&*e)) {
      for (const auto& t : local_tracks_) {
        if (t->mid != k->mid) continue;
        queue([t, rid = k->rid] {
          std::function<void()> f;
          std::function<void(const std::string&)> layer;
          {
            std::lock_guard l(t->callbacks);
            f = t->on_keyframe_request;
            layer = t->on_layer_keyframe_request;
          }
          if (f) f();
          if (layer) layer(rid);
        });
      }
    }
  }
}

void ConnectionImpl::send_datagram(const std::vector<std::byte>& d) {
  (void)agent_->send(loop_->now(), d);
  driver_->pump();
}

Error ConnectionImpl::send_rtp(TrackImpl& t, ByteSpan packet, std::string_view rid) {
  if (closed) return "InvalidStateError: the connection is closed";
  if (!t.local) return "InvalidAccessError: a remote track is not sent";
  if (t.mid.empty() || !agent_) return "InvalidStateError: the track is not negotiated";
  if (!t.layers.empty() && rid.empty())
    return "TypeError: track " + t.mid + " sends simulcast: name the layer (send_rtp(packet, rid))";
  const bool report_due = media_.next_timeout().has_value();
  auto d = media_.send_rtp(t.mid, packet, loop_->now(), rid);
  if (!d) return d.error();
  send_datagram(*d);
  if (!report_due) rearm_timer();  // the first packet sent schedules the next sender report
  return std::nullopt;
}

Error ConnectionImpl::request_keyframe(TrackImpl& t) {
  if (closed) return "InvalidStateError: the connection is closed";
  if (t.local) return "InvalidAccessError: keyframes are requested of remote tracks";
  if (!agent_) return "InvalidStateError: the track is not negotiated";
  auto d = media_.keyframe_request(t.mid);
  if (!d) return d.error();
  send_datagram(*d);
  return std::nullopt;
}

}  // namespace peerkit::peer
