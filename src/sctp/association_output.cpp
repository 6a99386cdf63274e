// What an association writes when the caller drains it: control chunks first (SACK, FORWARD
// TSN, RE-CONFIG, HEARTBEAT, SHUTDOWN…), then retransmissions, then new data within the
// congestion window and the peer's receive window (RFC 9260 §6.1), bundled to the MTU.
#include <array>

#include "sctp/association.h"

namespace peerkit::sctp {

std::size_t Association::payload_room(const PacketWriter& w) const {
  const std::size_t header = idata_ ? 16 : 12;
  const std::size_t room = w.room_for_value();
  return room > header ? room - header : 0;
}

TransmitBatch Association::transmits() {
  produce(now_);
  return out_.drain();
}

bool Association::start_reset_request(Timestamp now) {
  if (reset_in_flight_ || resets_wanted_.empty()) return false;
  if (!reconfig_) {
    // The peer cannot reset streams: numbering restarts on our side only.
    send_.reset_stream_numbers(resets_wanted_);
    events_.emplace_back(OutgoingResetDoneEvent{std::move(resets_wanted_)});
    resets_wanted_.clear();
    return false;
  }
  // RFC 6525 §5.1.2: a stream is reset after what was queued on it has been sent.
  std::vector<std::uint16_t> ready;
  for (auto it = resets_wanted_.begin(); it != resets_wanted_.end();) {
    if (send_.has_unsent_on(*it)) {
      ++it;
    } else {
      ready.push_back(*it);
      it = resets_wanted_.erase(it);
    }
  }
  if (ready.empty()) return false;
  OutgoingResetRequest q;
  q.request_seq = next_reconfig_seq_++;
  q.response_seq = peer_reconfig_seq_ - 1;
  q.last_tsn = send_.last_assigned_tsn();
  reset_in_flight_ = q;
  reset_in_flight_streams_ = std::move(ready);
  reconfig_timer_ = now + rto_.rto();
  return true;
}

void Association::write_control(PacketWriter& w, Timestamp now) {
  if (send_cookie_ack_ && w.add_raw(ChunkType::kCookieAck, 0, {})) send_cookie_ack_ = false;
  if (sack_due_ && receive_) {
    std::array<GapBlock, 32> gaps;
    const std::size_t n = receive_->gap_blocks(gaps);
    if (w.add_sack(receive_->cumulative_tsn(), receive_->a_rwnd(), std::span(gaps.data(), n),
                   receive_->take_duplicates())) {
      sack_due_ = false;
      delayed_ack_.reset();
      data_packets_since_sack_ = 0;
      ++stats_.sacks_sent;
    }
  }
  if (forward_due_) {
    if (const auto f = send_.forward_tsn()) {
      if (w.add_forward_tsn(idata_, f->new_cumulative_tsn, f->entries)) forward_due_ = false;
    } else {
      forward_due_ = false;
    }
  }
  if (reconfig_response_due_ && w.add_reconfig_response(*reconfig_response_due_))
    reconfig_response_due_.reset();
  if (start_reset_request(now)) reset_request_due_ = true;
  if (reset_request_due_ && reset_in_flight_ &&
      w.add_outgoing_reset(*reset_in_flight_, reset_in_flight_streams_)) {
    reset_request_due_ = false;
    reconfig_timer_ = now + rto_.rto();
  }
  if (heartbeat_ack_due_ && w.add_raw(ChunkType::kHeartbeatAck, 0, heartbeat_ack_info_)) {
    heartbeat_ack_due_ = false;
    heartbeat_ack_info_.clear();
  }
  if (heartbeat_due_) {
    std::array<std::byte, 8> info;
    ByteWriter(info).u64(static_cast<std::uint64_t>(now.us()));
    if (w.add_heartbeat(ChunkType::kHeartbeat, info)) {
      heartbeat_due_ = false;
      heartbeat_sent_ = now;
    }
  }
  if (send_shutdown_ && w.add_shutdown(receive_ ? receive_->cumulative_tsn() : 0))
    send_shutdown_ = false;
  if (send_shutdown_ack_ && w.add_raw(ChunkType::kShutdownAck, 0, {})) send_shutdown_ack_ = false;
}

void Association::produce(Timestamp now) {
  if (ended_ || state_ == AssociationState::kClosed || state_ == AssociationState::kCookieWait ||
      state_ == AssociationState::kCookieEchoed)
    return;
  const bool may_send_new = state_ == AssociationState::kEstablished ||
                            state_ == AssociationState::kShutdownPending ||
                            state_ == AssociationState::kShutdownReceived;
  bool first_packet = true;
  for (int guard = 0; guard < 4096; ++guard) {
    auto buffer = out_.reserve(config_.mtu);
    PacketWriter w(buffer, config_.local_port, config_.remote_port, peer_tag_);
    write_control(w, now);
    bool data_added = false;
    // Retransmissions: the first always goes (fast retransmit, RFC 9260 §7.2.4 step 3; one
    // packet after T3), the rest within the congestion window.
    while (send_.has_retransmissions() &&
           (first_packet || send_.flight_bytes() < cwnd_)) {
      const auto d = send_.next_retransmission(now, payload_room(w));
      if (!d || !w.add_data(*d)) break;
      data_added = true;
      ++stats_.data_chunks_sent;
    }
    // New data: within cwnd and the peer's window; with the window closed, one chunk may
    // probe it when nothing is in flight (§6.1 rule A).
    while (may_send_new && send_.has_unsent() && !send_.has_retransmissions() &&
           send_.flight_bytes() < cwnd_ &&
           (peer_rwnd_ > 0 || send_.flight_bytes() == 0)) {
      const std::size_t room = payload_room(w);
      if (room < 64 && w.has_chunks()) break;  // not worth a sliver: next packet
      const std::size_t limit = peer_rwnd_ > 0 ? std::min(room, std::max<std::size_t>(peer_rwnd_, 1)) : room;
      const auto d = send_.next_new(now, limit);
      if (!d || !w.add_data(*d)) break;
      peer_rwnd_ = peer_rwnd_ > d->payload.size() ? peer_rwnd_ - d->payload.size() : 0;
      data_added = true;
      ++stats_.data_chunks_sent;
      heartbeat_ = now + config_.heartbeat_interval + rto_.rto();  // the path is in use
    }
    if (!w.has_chunks()) {
      out_.unreserve();
      break;
    }
    out_.commit(SocketId{}, SocketAddress{}, w.finish(zero_checksum_));
    ++stats_.packets_sent;
    first_packet = false;
    if (!data_added) break;
  }
  // §6.3.2 R1: T3 runs whenever data is outstanding.
  if (send_.has_outstanding() && !t3_) t3_ = now + rto_.rto();
  if (state_ == AssociationState::kShutdownPending || state_ == AssociationState::kShutdownReceived)
    maybe_send_shutdown(now);
}

}  // namespace peerkit::sctp
