// Packet dispatch, the data path's inputs (DATA, SACK, FORWARD TSN), stream reset, shutdown,
// abort and timers. Set-up is in association_handshake.cpp, output in association_output.cpp.
#include "sctp/association.h"

#include <algorithm>
#include <array>

#include "sctp/tsn.h"

namespace peerkit::sctp {
namespace {

bool is(const ChunkView& c, ChunkType t) {
  return c.type == static_cast<std::uint8_t>(t);
}

bool can_receive_data(AssociationState s) {
  return s == AssociationState::kEstablished || s == AssociationState::kShutdownPending ||
         s == AssociationState::kShutdownSent;
}

}  // namespace

void Association::handle_packet(Timestamp now, ByteSpan packet) {
  now_ = now;
  if (ended_) return;
  const auto header = read_common_header(packet);
  if (!header || header->destination_port != config_.local_port) return;
  if (!checksum_ok(packet, config_.zero_checksum)) {
    ++stats_.bad_checksums;
    return;
  }
  ++stats_.packets_received;
  ChunkReader chunks(packet.subspan(kCommonHeaderSize));
  auto first = chunks.next();
  if (!first) return;
  // RFC 9260 §8.5.1: which verification tag each kind of packet must carry.
  if (is(*first, ChunkType::kInit)) {
    if (header->verification_tag == 0 && !chunks.next()) handle_init(now, *first);
    return;  // an INIT is alone in its packet (§6.10)
  }
  const bool reflected = first->flags & 1;  // the T bit of ABORT and SHUTDOWN COMPLETE
  if (is(*first, ChunkType::kAbort) || is(*first, ChunkType::kShutdownComplete)) {
    const bool ok = header->verification_tag == local_tag_ ||
                    (reflected && peer_tag_ != 0 && header->verification_tag == peer_tag_);
    if (!ok) return;
  } else if (!is(*first, ChunkType::kCookieEcho) && header->verification_tag != local_tag_) {
    return;
  }
  const std::uint64_t data_before = stats_.duplicates_received + stats_.dropped_chunks;
  bool data_seen = false, immediate = false, stop = false;
  for (auto c = first; c && !stop; c = chunks.next()) {
    if (is(*c, ChunkType::kData) || is(*c, ChunkType::kIData)) {
      data_seen = true;
      immediate = immediate || (c->flags & kFlagImmediate);
    }
    if (is(*c, ChunkType::kCookieEcho) && header->verification_tag != local_tag_) return;
    handle_chunk(now, *c, stop);
    if (ended_) return;
  }
  if (data_seen && receive_) {
    // RFC 9260 §6.2: SACK every second packet with data, at once on gaps, duplicates or
    // drops, otherwise within the delayed-ack time.
    ++data_packets_since_sack_;
    const bool trouble = stats_.duplicates_received + stats_.dropped_chunks != data_before;
    if (data_packets_since_sack_ >= 2 || receive_->has_gaps() || trouble || immediate) {
      sack_due_ = true;
    } else if (!delayed_ack_) {
      delayed_ack_ = now + config_.delayed_ack;
    }
  }
}

void Association::handle_chunk(Timestamp now, const ChunkView& c, bool& stop) {
  switch (static_cast<ChunkType>(c.type)) {
    case ChunkType::kData:
    case ChunkType::kIData: handle_data(now, c); return;
    case ChunkType::kSack: handle_sack(now, c); return;
    case ChunkType::kInitAck: handle_init_ack(now, c); stop = true; return;
    case ChunkType::kCookieEcho: handle_cookie_echo(now, c); return;
    case ChunkType::kCookieAck: handle_cookie_ack(now); return;
    case ChunkType::kHeartbeat:
      if (state_ == AssociationState::kClosed) return;
      heartbeat_ack_info_.assign(c.value.begin(), c.value.end());  // echoed as it came
      heartbeat_ack_due_ = true;
      return;
    case ChunkType::kHeartbeatAck: {
      ByteReader r(c.value);
      r.skip(4);  // Heartbeat Info TLV header
      const auto sent = Timestamp::from_micros(static_cast<std::int64_t>(r.u64()));
      if (r.ok() && heartbeat_sent_ && sent == *heartbeat_sent_) {
        rto_.measured(now - sent);
        heartbeat_sent_.reset();
        error_count_ = 0;
      }
      return;
    }
    case ChunkType::kAbort: handle_abort(c); stop = true; return;
    case ChunkType::kShutdown: handle_shutdown(now, c); return;
    case ChunkType::kShutdownAck:
      if (state_ == AssociationState::kShutdownSent || state_ == AssociationState::kShutdownAckSent) {
        send_now(peer_tag_, true, [](PacketWriter& w) { w.add_raw(ChunkType::kShutdownComplete, 0, {}); });
        close_with("shut down", false);
        stop = true;
      }
      return;
    case ChunkType::kShutdownComplete:
      if (state_ == AssociationState::kShutdownAckSent) {
        close_with("shut down", false);
        stop = true;
      }
      return;
    case ChunkType::kError: return;  // causes are informational for the subset we speak
    case ChunkType::kForwardTsn:
    case ChunkType::kIForwardTsn: handle_forward_tsn(now, c); return;
    case ChunkType::kReconfig: handle_reconfig(now, c); return;
    case ChunkType::kInit: stop = true; return;  // INIT bundled with others: not allowed
  }
  // RFC 9260 §3.2: the two high bits of an unknown type say skip or stop, report or not.
  if (c.type & 0x40) {
    const std::byte chunk[4]{std::byte{c.type}, std::byte{c.flags}, std::byte{0}, std::byte{4}};
    if (peer_tag_ != 0)
      send_now(peer_tag_, true, [&](PacketWriter& w) {
        w.add_error_cause(ChunkType::kError, kCauseUnrecognizedChunk, chunk);
      });
  }
  if (!(c.type & 0x80)) stop = true;
}

void Association::handle_data(Timestamp now, const ChunkView& c) {
  (void)now;
  if (!receive_ || !can_receive_data(state_)) return;
  const auto d = read_data(c);
  if (!d) {
    // RFC 9260 §6.2: a DATA chunk without user data aborts the association.
    abort(now, "protocol violation: DATA chunk without user data");
    return;
  }
  if (d->idata != idata_) {
    abort(now, "protocol violation: DATA and I-DATA mixed");  // RFC 8260 §2.1
    return;
  }
  if (d->stream >= config_.streams) {
    ++stats_.dropped_chunks;
    return;
  }
  switch (receive_->add(*d)) {
    case ReceiveQueue::Result::kNew: break;
    case ReceiveQueue::Result::kDuplicate: ++stats_.duplicates_received; break;
    case ReceiveQueue::Result::kDropped: ++stats_.dropped_chunks; break;
  }
  while (receive_->has_message()) events_.emplace_back(receive_->pop_message());
}

void Association::handle_sack(Timestamp now, const ChunkView& c) {
  if (!receive_) return;
  const auto sack = read_sack(c);
  if (!sack) return;
  const std::size_t flight_before = send_.flight_bytes();
  const auto o = send_.on_sack(now, *sack);
  if (o.rtt) rto_.measured(*o.rtt);
  const std::size_t acked = o.cumulative_bytes + o.gap_bytes;
  const std::size_t mtu = config_.mtu;
  if (fast_recovery_exit_ && !tsn_before(send_.cumulative_ack(), *fast_recovery_exit_))
    fast_recovery_exit_.reset();
  if (o.cumulative_advanced) {
    error_count_ = 0;
    const bool utilized = flight_before + mtu >= cwnd_;
    if (!fast_recovery_exit_ && utilized) {
      if (cwnd_ <= ssthresh_) {
        cwnd_ += std::min(acked, mtu);  // slow start, RFC 9260 §7.2.1
      } else {
        partial_bytes_acked_ += acked;  // congestion avoidance, §7.2.2
        if (partial_bytes_acked_ >= cwnd_) {
          partial_bytes_acked_ -= cwnd_;
          cwnd_ += mtu;
        }
      }
    }
  }
  if (o.fast_retransmit) {
    ++stats_.fast_retransmits;
    if (!fast_recovery_exit_) {  // §7.2.4: one reduction per window
      ssthresh_ = std::max(cwnd_ / 2, 4 * mtu);
      cwnd_ = ssthresh_;
      partial_bytes_acked_ = 0;
      fast_recovery_exit_ = send_.last_assigned_tsn();
    }
  }
  peer_rwnd_ = sack->a_rwnd > send_.flight_bytes() ? sack->a_rwnd - send_.flight_bytes() : 0;
  if (!send_.has_outstanding()) {
    t3_.reset();
  } else if (o.cumulative_advanced) {
    t3_ = now + rto_.rto();  // §6.3.2 R3
  }
  if (forward_tsn_ && (send_.abandon_expired(now) || send_.forward_tsn())) forward_due_ = true;
  maybe_send_shutdown(now);
}

void Association::handle_forward_tsn(Timestamp now, const ChunkView& c) {
  (void)now;
  if (!receive_ || !can_receive_data(state_)) return;
  const auto f = read_forward_tsn(c);
  if (!f || f->idata != idata_) return;
  receive_->forward(*f);
  while (receive_->has_message()) events_.emplace_back(receive_->pop_message());
  sack_due_ = true;  // RFC 3758 §3.6: answer a FORWARD TSN with a SACK at once
}

void Association::handle_reconfig(Timestamp now, const ChunkView& c) {
  if (!receive_) return;
  const auto r = read_reconfig(c);
  if (!r) return;
  if (r->reset) {
    const auto& q = *r->reset;
    std::vector<std::uint16_t> streams(q.stream_count());
    for (std::size_t i = 0; i < streams.size(); ++i) streams[i] = q.stream(i);
    ReconfigResponse answer{q.request_seq, kReconfigSuccess};
    if (q.request_seq == peer_reconfig_seq_) {
      // RFC 6525 §5.2.2: reset once every TSN up to the sender's last one has arrived;
      // until then "in progress", and the peer asks again.
      if (receive_->reset_streams(q.last_tsn, streams)) {
        ++peer_reconfig_seq_;
        events_.emplace_back(StreamsResetEvent{std::move(streams)});
      } else {
        answer.result = kReconfigInProgress;
      }
    } else if (q.request_seq + 1 != peer_reconfig_seq_) {
      answer.result = 5;  // Error - Bad Sequence Number (RFC 6525 §4.4)
    }
    reconfig_response_due_ = answer;
  }
  if (r->response && reset_in_flight_ && r->response->response_seq == reset_in_flight_->request_seq) {
    if (r->response->result == kReconfigInProgress) {
      reconfig_timer_ = now + rto_.rto();
      return;
    }
    // Success (or a refusal we cannot do better than accept): the streams start over.
    send_.reset_stream_numbers(reset_in_flight_streams_);
    events_.emplace_back(OutgoingResetDoneEvent{std::move(reset_in_flight_streams_)});
    reset_in_flight_streams_.clear();
    reset_in_flight_.reset();
    reconfig_timer_.reset();
  }
}

void Association::handle_abort(const ChunkView& c) {
  if (state_ == AssociationState::kClosed) return;  // nothing to abort yet
  ByteReader r(c.value);
  const std::uint16_t cause = r.u16();
  close_with(r.ok() ? "aborted by the peer (cause " + std::to_string(cause) + ")"
                    : "aborted by the peer",
             true);
}

void Association::handle_shutdown(Timestamp now, const ChunkView& c) {
  if (!receive_ || state_ == AssociationState::kClosed) return;
  ByteReader r(c.value);
  SackChunk as_sack;
  as_sack.cumulative_tsn_ack = r.u32();
  as_sack.a_rwnd = static_cast<std::uint32_t>(peer_rwnd_ + send_.flight_bytes());
  if (!r.ok()) return;
  (void)send_.on_sack(now, as_sack);
  if (state_ == AssociationState::kShutdownSent) {
    // Both sides shut down at once (§9.2): answer with SHUTDOWN ACK.
    state_ = AssociationState::kShutdownAckSent;
    send_shutdown_ack_ = true;
    t2_shutdown_ = now + rto_.rto();
    return;
  }
  if (state_ != AssociationState::kShutdownAckSent) state_ = AssociationState::kShutdownReceived;
  maybe_send_shutdown(now);
}

void Association::maybe_send_shutdown(Timestamp now) {
  const bool drained = send_.all_acked() && !send_.has_unsent();
  if (!drained) return;
  if (state_ == AssociationState::kShutdownPending) {
    state_ = AssociationState::kShutdownSent;
    send_shutdown_ = true;
    t2_count_ = 0;
    t2_shutdown_ = now + rto_.rto();
  } else if (state_ == AssociationState::kShutdownReceived) {
    state_ = AssociationState::kShutdownAckSent;
    send_shutdown_ack_ = true;
    t2_count_ = 0;
    t2_shutdown_ = now + rto_.rto();
  }
}

void Association::shutdown(Timestamp now) {
  now_ = now;
  if (state_ == AssociationState::kEstablished) {
    state_ = AssociationState::kShutdownPending;
    maybe_send_shutdown(now);
  } else if (state_ == AssociationState::kCookieWait || state_ == AssociationState::kCookieEchoed) {
    close_with("closed before it was established", false);
  }
}

void Association::abort(Timestamp now, std::string_view reason) {
  now_ = now;
  if (ended_ || state_ == AssociationState::kClosed) return;
  const auto text = reason.substr(0, 64);
  const std::uint32_t tag = peer_tag_;
  if (tag != 0)
    send_now(tag, true, [&](PacketWriter& w) {
      w.add_error_cause(ChunkType::kAbort, kCauseUserInitiatedAbort, as_bytes(text));
    });
  close_with(std::string(reason), true);
}

void Association::close_with(std::string reason, bool aborted) {
  if (ended_) return;
  ended_ = true;
  state_ = AssociationState::kClosed;
  t1_.reset();
  t3_.reset();
  delayed_ack_.reset();
  t2_shutdown_.reset();
  heartbeat_.reset();
  reconfig_timer_.reset();
  sack_due_ = forward_due_ = heartbeat_due_ = heartbeat_ack_due_ = false;
  send_shutdown_ = send_shutdown_ack_ = send_cookie_ack_ = false;
  reset_request_due_ = false;
  reconfig_response_due_.reset();
  events_.emplace_back(ClosedEvent{std::move(reason), aborted});
}

void Association::on_t3(Timestamp now) {
  ++stats_.t3_expiries;
  if (++error_count_ > config_.max_retransmits) {
    abort(now, "peer unreachable: too many retransmissions");
    return;
  }
  // RFC 9260 §7.2.3: back to one MTU, then slow start again towards half the old window.
  ssthresh_ = std::max(cwnd_ / 2, 4 * config_.mtu);
  cwnd_ = config_.mtu;
  partial_bytes_acked_ = 0;
  fast_recovery_exit_.reset();
  rto_.backoff();
  send_.on_timeout();
  if (forward_tsn_ && (send_.abandon_expired(now) || send_.forward_tsn())) forward_due_ = true;
  t3_.reset();  // restarted when the retransmission leaves (association_output.cpp)
}

void Association::handle_timeout(Timestamp now) {
  now_ = now;
  if (t1_ && now >= *t1_) {
    if (++t1_count_ > config_.max_init_retransmits) {
      close_with("SCTP handshake timed out", true);
      return;
    }
    rto_.backoff();
    if (state_ == AssociationState::kCookieWait) {
      send_init(now);
    } else if (state_ == AssociationState::kCookieEchoed) {
      send_now(peer_tag_, false,
               [&](PacketWriter& w) { w.add_raw(ChunkType::kCookieEcho, 0, cookie_echo_); });
      t1_ = now + rto_.rto();
    } else {
      t1_.reset();
    }
  }
  if (t3_ && now >= *t3_) on_t3(now);
  if (state_ == AssociationState::kClosed) return;
  if (delayed_ack_ && now >= *delayed_ack_) {
    delayed_ack_.reset();
    sack_due_ = true;
  }
  if (t2_shutdown_ && now >= *t2_shutdown_) {
    if (++t2_count_ > config_.max_retransmits) {
      abort(now, "shutdown timed out");
      return;
    }
    rto_.backoff();
    if (state_ == AssociationState::kShutdownSent) send_shutdown_ = true;
    if (state_ == AssociationState::kShutdownAckSent) send_shutdown_ack_ = true;
    t2_shutdown_ = now + rto_.rto();
  }
  if (heartbeat_ && now >= *heartbeat_) {
    if (heartbeat_sent_ && ++error_count_ > config_.max_retransmits) {
      abort(now, "peer unreachable: heartbeats unanswered");
      return;
    }
    heartbeat_due_ = true;
    heartbeat_ = now + config_.heartbeat_interval + rto_.rto();
  }
  if (reconfig_timer_ && now >= *reconfig_timer_) {
    reset_request_due_ = reset_in_flight_.has_value();
    reconfig_timer_.reset();
  }
}

std::optional<Timestamp> Association::next_timeout() const {
  std::optional<Timestamp> t;
  for (const auto& x : {t1_, t3_, delayed_ack_, t2_shutdown_, heartbeat_, reconfig_timer_})
    if (x && (!t || *x < *t)) t = x;
  return t;
}

std::optional<Association::SendError> Association::send(Timestamp now, std::uint16_t stream,
                                                        std::uint32_t ppid, ByteSpan payload,
                                                        const SendOptions& options) {
  now_ = now;
  if (state_ != AssociationState::kEstablished) return SendError::kNotConnected;
  if (payload.empty()) return SendError::kEmpty;
  if (stream >= config_.streams) return SendError::kTooLarge;
  if (std::find(resets_wanted_.begin(), resets_wanted_.end(), stream) != resets_wanted_.end() ||
      std::find(reset_in_flight_streams_.begin(), reset_in_flight_streams_.end(), stream) !=
          reset_in_flight_streams_.end())
    return SendError::kStreamResetting;
  if (!send_.enqueue(now, stream, ppid, payload, options)) return SendError::kBufferFull;
  return std::nullopt;
}

void Association::reset_streams(std::span<const std::uint16_t> streams) {
  for (const auto s : streams)
    if (std::find(resets_wanted_.begin(), resets_wanted_.end(), s) == resets_wanted_.end())
      resets_wanted_.push_back(s);
}

std::optional<AssociationEvent> Association::poll_event() {
  if (events_.empty()) return std::nullopt;
  AssociationEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::size_t Association::max_message_payload() const {
  return config_.mtu - kCommonHeaderSize - (idata_ ? 20 : 16);
}

AssociationStats Association::stats() const {
  AssociationStats s = stats_;
  s.retransmitted_chunks = send_.retransmitted_chunks();
  s.cwnd = cwnd_;
  s.ssthresh = ssthresh_;
  s.peer_rwnd = peer_rwnd_;
  s.flight_bytes = send_.flight_bytes();
  s.srtt = rto_.srtt();
  s.rto = rto_.rto();
  return s;
}

}  // namespace peerkit::sctp
