#include "peer/media_session.h"

#include <algorithm>
#include <array>
#include <set>

#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/rtcp_feedback.h"

namespace peerkit::peer {

namespace {

// Whether `ssrc` is one of the track's (its own, or a layer's: then `rid` names the layer).
bool owns(const SendingTrack& t, std::uint32_t ssrc, std::string* rid) {
  if (t.layers.empty()) {
    if (t.ssrc == ssrc && rid) *rid = t.plain_rid;  // the one layer a simulcast fallback sends
    return t.ssrc == ssrc;
  }
  for (const auto& l : t.layers)
    if (l.ssrc == ssrc) {
      if (rid) *rid = l.rid;
      return true;
    }
  return false;
}

}  // namespace


void MediaSession::set_sending(std::vector<SendingTrack> tracks) {
  sending_ = std::move(tracks);
  // An SSRC we no longer send reports no more; one whose track keeps no history now lets go
  // of its ring.
  std::erase_if(local_sources_, [&](const auto& kv) {
    return std::none_of(sending_.begin(), sending_.end(),
                        [&](const SendingTrack& t) { return owns(t, kv.first, nullptr); });
  });
  for (auto& [ssrc, source] : local_sources_)
    for (const auto& t : sending_)
      if (owns(t, ssrc, nullptr) && t.history == 0) source.history = {};
}

void MediaSession::set_receiving(std::vector<ReceivingTrack> tracks) {
  std::set<std::uint32_t> before, after;
  auto announced = [](const ReceivingTrack& t, std::set<std::uint32_t>& out) {
    out.insert(t.ssrcs.begin(), t.ssrcs.end());
    for (const auto& [rtx, primary] : t.rtx_ssrcs) out.insert(rtx);
  };
  for (const auto& t : receiving_) announced(t, before);
  for (const auto& [ssrc, mid] : remote_ssrc_mid_) before.insert(ssrc);
  receiving_ = std::move(tracks);
  twcc_extension_.reset();
  for (const auto& t : receiving_)
    if (t.twcc_extension && !twcc_extension_) twcc_extension_ = t.twcc_extension;
  // A binding learned for a section that is gone is forgotten.
  std::erase_if(remote_ssrc_mid_, [&](const auto& kv) {
    return std::none_of(receiving_.begin(), receiving_.end(),
                        [&](const ReceivingTrack& t) { return t.mid == kv.second; });
  });
  for (const auto& t : receiving_) announced(t, after);
  for (const auto& [ssrc, mid] : remote_ssrc_mid_) after.insert(ssrc);
  for (const auto ssrc : after)
    if (retired_.erase(ssrc)) std::erase(retired_order_, ssrc);  // announced again: live
  for (const auto ssrc : before) {
    if (after.contains(ssrc)) continue;
    if (srtp_) srtp_->remove_inbound_ssrc(ssrc);  // inbound only: ours keep their index
    receive_stats_.erase(ssrc);                   // no longer reported
    if (retired_.insert(ssrc).second) retired_order_.push_back(ssrc);
    if (retired_order_.size() > kMaxRetired) {
      retired_.erase(retired_order_.front());
      retired_order_.pop_front();
    }
  }
}

Expected<bool, std::string> MediaSession::start(const srtp::Keys& keys, std::uint32_t receiver_ssrc,
                                                std::string cname) {
  auto s = srtp::Session::create(keys);
  if (!s) return Unexpected("SRTP: " + std::string(srtp::to_string(s.error())));
  srtp_ = std::move(*s);
  receiver_ssrc_ = receiver_ssrc;
  cname_ = cname.empty() ? "peerkit" : std::move(cname);
  if (cname_.size() > kMaxCname) cname_.resize(kMaxCname);  // so that a report's SDES fits
  buffer_.resize(srtp::kMaxPacket + srtp::kMaxOverhead);
  return true;
}

const SendingTrack* MediaSession::sending(const std::string& mid) const {
  for (const auto& t : sending_)
    if (t.mid == mid) return &t;
  return nullptr;
}

Expected<std::vector<std::byte>, std::string> MediaSession::send_rtp(const std::string& mid,
                                                                     ByteSpan packet, Timestamp now,
                                                                     std::string_view rid) {
  if (!srtp_) return Unexpected(std::string("InvalidStateError: the transport is not connected"));
  const SendingTrack* t = sending(mid);
  if (t == nullptr)
    return Unexpected("InvalidStateError: track " + mid + " is not negotiated for sending");
  std::uint32_t ssrc = t->ssrc;
  const SendingLayer* layer = nullptr;
  if (!t->layers.empty()) {
    for (const auto& l : t->layers)
      if (l.rid == rid) layer = &l;
    if (layer == nullptr)
      return Unexpected("InvalidStateError: track " + mid + " sends no layer \"" + std::string(rid) +
                        "\" (the answer did not take it)");
    ssrc = layer->ssrc;
  } else if (!rid.empty() && rid != t->plain_rid) {
    return Unexpected("InvalidStateError: track " + mid + " sends no simulcast layer \"" +
                      std::string(rid) + "\"");
  }
  auto v = rtp::parse_packet(packet);
  if (!v || rtp::is_rtcp(packet)) return Unexpected(std::string("TypeError: not an RTP packet"));
  rtp::PacketBuild b;
  b.header = v->header;
  b.header.ssrc = ssrc;
  b.header.payload_type = t->payload_type;
  // RFC 8843 §15 (mid) and RFC 8852 §3.1 (rid: how a receiver binds a layer it has no a=ssrc
  // for). Sent on every packet: the receiver may join, or lose its binding, at any time.
  std::array<rtp::Extension, 2> ext;
  std::size_t n_ext = 0;
  if (t->mid_extension) ext[n_ext++] = rtp::Extension{*t->mid_extension, as_bytes(std::string_view(t->mid))};
  if (layer != nullptr && t->rid_extension)
    ext[n_ext++] = rtp::Extension{*t->rid_extension, as_bytes(std::string_view(layer->rid))};
  b.extensions = std::span<const rtp::Extension>(ext.data(), n_ext);
  b.payload = v->payload;
  const std::size_t size = rtp::packet_size(b);
  if (size == 0 || size > srtp::kMaxPacket)
    return Unexpected("TypeError: the packet is over " + std::to_string(srtp::kMaxPacket) + " bytes");
  auto built = rtp::build_packet(b, MutableByteSpan(buffer_.data(), buffer_.size()));
  if (!built) return Unexpected(std::string("TypeError: the packet cannot be written"));
  auto protected_size = srtp_->protect_rtp(MutableByteSpan(buffer_.data(), buffer_.size()), *built);
  if (!protected_size) return Unexpected("OperationError: SRTP: " + std::string(srtp::to_string(protected_size.error())));
  auto& c = counters_[mid];
  ++c.packets_sent;
  c.bytes_sent += v->payload.size();
  const auto datagram = ByteSpan(buffer_.data(), *protected_size);
  auto& source = local_sources_[ssrc];
  if (t->history > 0) {
    if (source.history.size() != t->history) source.history.assign(t->history, {});
    auto& slot = source.history[v->header.sequence % source.history.size()];
    slot.seq = v->header.sequence;
    slot.sent = now;
    slot.resent.reset();
    slot.datagram.assign(datagram.begin(), datagram.end());
  }
  source.mid = mid;
  source.clock_rate = t->clock_rate;
  ++source.packets;
  source.octets += static_cast<std::uint32_t>(v->payload.size());
  source.last_timestamp = v->header.timestamp;
  source.last_sent = now;
  if (wallclock_) schedule_report(now);
  return std::vector<std::byte>(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(*protected_size));
}

Expected<std::vector<std::byte>, std::string> MediaSession::keyframe_request(const std::string& mid) {
  if (!srtp_) return Unexpected(std::string("InvalidStateError: the transport is not connected"));
  std::optional<std::uint32_t> source;
  for (const auto& t : receiving_)
    if (t.mid == mid && !t.ssrcs.empty()) source = t.ssrcs.front();
  for (const auto& [ssrc, m] : remote_ssrc_mid_)
    if (!source && m == mid) source = ssrc;
  if (!source) return Unexpected("InvalidStateError: nothing has been received on track " + mid);
  // RFC 3550 §6.1 / RFC 4585 §3.1: a compound packet starts with a report, unless reduced-size
  // RTCP (RFC 5506) was negotiated.
  std::vector<rtp::RtcpPacket> packets;
  if (!reduced_size_) packets.emplace_back(rtp::ReceiverReport{receiver_ssrc_, {}});
  packets.emplace_back(rtp::Pli{receiver_ssrc_, *source});
  auto n = rtp::build_compound(packets, MutableByteSpan(buffer_.data(), srtp::kMaxPacket));
  if (!n) return Unexpected(std::string("OperationError: cannot write the PLI"));
  auto p = srtp_->protect_rtcp(MutableByteSpan(buffer_.data(), buffer_.size()), *n);
  if (!p) return Unexpected("OperationError: SRTCP: " + std::string(srtp::to_string(p.error())));
  ++counters_[mid].keyframe_requests_sent;
  return std::vector<std::byte>(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(*p));
}

const ReceivingTrack* MediaSession::receiving_for(std::uint32_t ssrc, std::uint8_t payload_type,
                                                  ByteSpan packet) {
  for (const auto& t : receiving_)
    if (std::find(t.ssrcs.begin(), t.ssrcs.end(), ssrc) != t.ssrcs.end()) return &t;
  if (const auto it = remote_ssrc_mid_.find(ssrc); it != remote_ssrc_mid_.end())
    for (const auto& t : receiving_)
      if (t.mid == it->second) return &t;
  // Not announced: the mid extension binds it (RFC 8843 §9.2).
  auto v = rtp::parse_packet(packet);
  if (!v) return nullptr;
  if (retired_.contains(ssrc)) return nullptr;
  for (const auto& t : receiving_) {
    // Only the answered codec binds: an RTX or FEC stream naming the mid takes no slot.
    if (!t.mid_extension || (t.payload_type && payload_type != *t.payload_type)) continue;
    const auto mid = v->extensions.find(*t.mid_extension);
    if (!mid || as_string_view(*mid) != t.mid) continue;
    if (remote_ssrc_mid_.size() >= kMaxRemoteSsrcs) return nullptr;
    remote_ssrc_mid_[ssrc] = t.mid;
    return &t;
  }
  return nullptr;
}

void MediaSession::handle_datagram(ByteSpan datagram, Timestamp now) {
  if (!srtp_ || datagram.size() > buffer_.size() || !rtp::looks_like_rtp_or_rtcp(datagram)) {
    ++dropped_;
    return;
  }
  std::copy(datagram.begin(), datagram.end(), buffer_.begin());
  const MutableByteSpan buffer(buffer_.data(), buffer_.size());
  if (rtp::is_rtcp(datagram)) {
    auto n = srtp_->unprotect_rtcp(buffer, datagram.size());
    if (!n) {
      ++dropped_;
      return;
    }
    handle_rtcp(ByteSpan(buffer_.data(), *n), now);
    return;
  }
  // The SSRC is in the clear (RFC 3711 §3.1): a retired stream is not decrypted at all.
  if (datagram.size() >= 12) {
    const auto at = [&](std::size_t i) { return std::to_integer<std::uint32_t>(datagram[i]); };
    if (retired_.contains((at(8) << 24) | (at(9) << 16) | (at(10) << 8) | at(11))) {
      ++dropped_;
      return;
    }
  }
  auto n = srtp_->unprotect_rtp(buffer, datagram.size());
  if (!n) {
    ++dropped_;
    return;
  }
  ByteSpan plain(buffer_.data(), *n);
  auto v = rtp::parse_packet(plain);
  if (!v) {
    ++dropped_;
    return;
  }
  note_arrival(*v, now);
  bool restored = false;
  if (const auto original = restore_rtx(*v, plain)) {
    if (original->empty()) return;  // a probe (counted)
    plain = *original;
    v = rtp::parse_packet(plain);
    restored = true;
  }
  const ReceivingTrack* t = v ? receiving_for(v->header.ssrc, v->header.payload_type, plain) : nullptr;
  if (t == nullptr || (t->payload_type && v->header.payload_type != *t->payload_type)) {
    ++dropped_;
    return;
  }
  auto& c = counters_[t->mid];
  auto source = receive_stats_.find(v->header.ssrc);
  if (source == receive_stats_.end() && receive_stats_.size() < kMaxRemoteSsrcs)
    source = receive_stats_.emplace(v->header.ssrc, RemoteSource{rtp::ReceiveStatistics(t->clock_rate)}).first;
  if (source != receive_stats_.end()) {
    if (t->nack && !source->second.missing) source->second.missing.emplace();
    if (!t->nack) source->second.missing.reset();  // a new description took NACK away
    if (auto& missing = source->second.missing) {
      // Only what is still missing is delivered again: an RTX packet nobody asked for (a
      // sender's redundant probe, a repeat after the original came late) and the late original
      // of a number already repaired are repeats the application has had.
      if (restored && !missing->is_missing(v->header.sequence)) {
        ++c.repeats_dropped;
        return;
      }
      if (restored) {
        missing->repaired(v->header.sequence);  // closes the gap; its late original is refused
      } else if (!missing->on_packet(v->header.sequence, now)) {
        ++c.repeats_dropped;
        return;
      }
    }
    source->second.stats.on_packet(v->header.sequence, v->header.timestamp, now);
    source->second.mid = t->mid;
    source->second.heard = true;
    schedule_report(now);
  }
  if (restored) ++c.retransmitted_packets_received;
  // Padding only (RFC 3550 §5.1: P set, nothing else; a sender probing without RTX): it takes
  // its place in the numbering above, and the application gets nothing.
  if (v->payload.empty() && v->padding > 0) {
    ++c.padding_packets_received;
    return;
  }
  ++c.packets_received;
  c.bytes_received += v->payload.size();
  events_.emplace_back(RtpReceived{t->mid, std::vector<std::byte>(plain.begin(), plain.end())});
}

void MediaSession::handle_rtcp(ByteSpan plain, Timestamp now) {
  auto packets = rtp::parse_compound(plain);
  if (!packets) {
    ++dropped_;
    return;
  }
  auto request = [&](std::uint32_t media_ssrc) {
    for (const auto& t : sending_) {
      std::string rid;
      if (!owns(t, media_ssrc, &rid)) continue;
      ++counters_[t.mid].keyframe_requests_received;
      events_.emplace_back(KeyframeRequested{t.mid, std::move(rid)});
    }
  };
  for (const auto& p : *packets) {
    if (const auto* sr = std::get_if<rtp::SenderReport>(&p)) {
      if (auto it = receive_stats_.find(sr->ssrc); it != receive_stats_.end())
        it->second.stats.on_sender_report(sr->ntp_time, sr->rtp_time, now);  // LSR/DLSR of our next RR
      for (const auto& b : sr->reports) on_report_block(b, now);
    } else if (const auto* rr = std::get_if<rtp::ReceiverReport>(&p)) {
      for (const auto& b : rr->reports) on_report_block(b, now);
    } else if (const auto* nack = std::get_if<rtp::GenericNack>(&p)) {
      on_nack(*nack, now);
    } else if (const auto* pli = std::get_if<rtp::Pli>(&p)) request(pli->media_ssrc);
    else if (const auto* fir = std::get_if<rtp::Fir>(&p))
      for (const auto& e : fir->entries) {
        if (std::none_of(sending_.begin(), sending_.end(), [&](const SendingTrack& t) { return owns(t, e.ssrc, nullptr); }))
          continue;  // not ours: nothing to remember (the map stays bounded by our tracks × senders)
        const auto key = std::pair(fir->sender_ssrc, e.ssrc);
        const auto seen = fir_sequence_.find(key);
        if (seen != fir_sequence_.end() && seen->second == e.sequence) continue;  // a repeat
        if (seen == fir_sequence_.end() && fir_sequence_.size() >= kMaxRemoteSsrcs) fir_sequence_.erase(fir_sequence_.begin());
        fir_sequence_[key] = e.sequence;
        request(e.ssrc);
      }
  }
}

// RFC 4585 §6.2.1: each lost packet the NACK names that we still have (and that is not older
// than the receiver could use) goes again, as first sent.
void MediaSession::on_nack(const rtp::GenericNack& nack, Timestamp now) {
  const auto source = local_sources_.find(nack.media_ssrc);
  if (source == local_sources_.end()) return;  // not ours (or never sent)
  auto& c = counters_[source->second.mid];
  ++c.nacks_received;
  auto& history = source->second.history;
  if (history.empty()) return;
  const Duration spacing = std::max(kMinResendInterval, c.round_trip.value_or(Duration()));
  for (const auto seq : rtp::nack_sequences(nack)) {
    auto& slot = history[seq % history.size()];
    if (slot.seq != seq || now - slot.sent > kMaxRetransmitAge) continue;
    if (slot.resent && now - *slot.resent < spacing) continue;
    if (retransmits_.size() >= kMaxQueuedRetransmits) return;
    // A budget per second (a peer NACKing all it can would otherwise have us resend our
    // whole history every 20 ms): beyond it, a NACK waits for the next window.
    if (now - retransmit_window_ >= Duration::seconds(1)) {
      retransmit_window_ = now;
      retransmits_in_window_ = 0;
    }
    if (retransmits_in_window_ >= kMaxRetransmitsPerSecond) return;
    ++retransmits_in_window_;
    slot.resent = now;
    retransmits_.push_back(slot.datagram);
    ++c.retransmitted_packets;
    c.retransmitted_bytes += slot.datagram.size();
  }
}

std::optional<std::vector<std::byte>> MediaSession::poll_retransmit() {
  if (retransmits_.empty()) return std::nullopt;
  auto d = std::move(retransmits_.front());
  retransmits_.pop_front();
  return d;
}

std::optional<MediaEvent> MediaSession::poll_event() {
  if (next_event_ == events_.size()) {
    events_.clear();
    next_event_ = 0;
    return std::nullopt;
  }
  return std::move(events_[next_event_++]);
}

}  // namespace peerkit::peer
