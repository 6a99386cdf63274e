// Association set-up (RFC 9260 §5.1, §5.2): INIT, INIT ACK with a signed cookie, COOKIE ECHO,
// COOKIE ACK, and the collision of two INITs that WebRTC produces by having both ends connect.
#include <algorithm>

#include "sctp/association.h"

namespace peerkit::sctp {

Association::Association(const AssociationConfig& config, RandomSource& random)
    : config_(config),
      random_(random),
      local_tag_(0),
      local_initial_tsn_(0),
      send_(0, config.max_send_buffer),
      rto_(config.rto),
      next_reconfig_seq_(0) {
  random_.fill(std::as_writable_bytes(std::span(cookie_key_)));
  do local_tag_ = random_.next_u32();
  while (local_tag_ == 0);  // RFC 9260 §3.3.2: the Initiate Tag is never 0
  local_initial_tsn_ = random_.next_u32();
  send_ = SendBuffer(local_initial_tsn_, config.max_send_buffer);
  // RFC 6525 §5.1.1: the request sequence number starts at the initial TSN.
  next_reconfig_seq_ = local_initial_tsn_;
}

void Association::send_now(std::uint32_t verification_tag, bool allow_zero_checksum,
                           const std::function<void(PacketWriter&)>& build) {
  auto buffer = out_.reserve(std::max<std::size_t>(config_.mtu, 512));
  PacketWriter w(buffer, config_.local_port, config_.remote_port, verification_tag);
  build(w);
  if (!w.has_chunks()) {
    out_.unreserve();
    return;
  }
  out_.commit(SocketId{}, SocketAddress{}, w.finish(allow_zero_checksum && zero_checksum_));
  ++stats_.packets_sent;
}

// Our INIT and INIT ACK carry the same tag, TSN and capabilities (§5.2.1 relies on it).
InitFields Association::local_init_fields() const {
  InitFields f;
  f.initiate_tag = local_tag_;
  f.a_rwnd = static_cast<std::uint32_t>(config_.max_receive_buffer);
  f.outbound_streams = config_.streams;
  f.inbound_streams = config_.streams;
  f.initial_tsn = local_initial_tsn_;
  f.idata = config_.idata;
  f.zero_checksum_dtls = config_.zero_checksum;
  return f;
}

void Association::connect(Timestamp now) {
  now_ = now;
  if (ended_ || state_ != AssociationState::kClosed) return;
  state_ = AssociationState::kCookieWait;
  send_init(now);
}

void Association::send_init(Timestamp now) {
  const InitFields f = local_init_fields();
  // INIT goes with tag 0 and always a real CRC (RFC 9653 §5.2: not before both agreed).
  send_now(0, false, [&](PacketWriter& w) { w.add_init(ChunkType::kInit, f); });
  t1_ = now + rto_.rto();
}

void Association::handle_init(Timestamp now, const ChunkView& c) {
  const auto init = read_init(c);
  if (!init) return;  // malformed: no state, no answer (an INIT flood costs nothing)
  if (state_ != AssociationState::kClosed && state_ != AssociationState::kCookieWait &&
      state_ != AssociationState::kCookieEchoed)
    return;  // no restarts: a WebRTC association lives as long as its DTLS transport
  // §5.2.1: in COOKIE-WAIT/ECHOED the INIT ACK repeats our own INIT's tag and TSN, so both
  // crossing handshakes describe the same association.
  CookieContents cookie;
  cookie.local_tag = local_tag_;
  cookie.peer_tag = init->initiate_tag;
  cookie.local_initial_tsn = local_initial_tsn_;
  cookie.peer_initial_tsn = init->initial_tsn;
  cookie.peer_a_rwnd = init->a_rwnd;
  cookie.peer_outbound_streams = init->outbound_streams;
  cookie.peer_inbound_streams = init->inbound_streams;
  cookie.idata = config_.idata && init->idata;
  cookie.forward_tsn = init->forward_tsn;
  cookie.reconfig = init->reconfig;
  cookie.zero_checksum = config_.zero_checksum && init->zero_checksum_dtls;
  cookie.created = now;
  const auto bytes = make_cookie(cookie, cookie_key_);
  const InitFields f = local_init_fields();
  send_now(init->initiate_tag, false,
           [&](PacketWriter& w) { w.add_init(ChunkType::kInitAck, f, bytes); });
}

void Association::handle_init_ack(Timestamp now, const ChunkView& c) {
  if (state_ != AssociationState::kCookieWait) return;  // §5.2.3: a stray INIT ACK is dropped
  const auto ack = read_init(c);
  if (!ack || ack->state_cookie.empty()) return;
  peer_init_ = PeerInit{ack->initiate_tag,
                        ack->initial_tsn,
                        ack->a_rwnd,
                        config_.idata && ack->idata,
                        ack->forward_tsn,
                        ack->reconfig,
                        config_.zero_checksum && ack->zero_checksum_dtls};
  peer_tag_ = ack->initiate_tag;
  cookie_echo_.assign(ack->state_cookie.begin(), ack->state_cookie.end());
  state_ = AssociationState::kCookieEchoed;
  t1_count_ = 0;
  send_now(peer_tag_, false,
           [&](PacketWriter& w) { w.add_raw(ChunkType::kCookieEcho, 0, cookie_echo_); });
  t1_ = now + rto_.rto();
}

void Association::handle_cookie_echo(Timestamp now, const ChunkView& c) {
  const auto cookie = open_cookie(c.value, cookie_key_);
  if (!cookie || cookie->local_tag != local_tag_) return;  // forged, or not for us
  if (now - cookie->created > config_.cookie_lifetime) {
    // §5.1.5: a stale cookie gets an ERROR with how late it was (here: just the cause).
    const std::byte staleness[4]{};
    send_now(cookie->peer_tag, false, [&](PacketWriter& w) {
      w.add_error_cause(ChunkType::kError, kCauseStaleCookie, staleness);
    });
    return;
  }
  if (state_ == AssociationState::kEstablished) {
    if (cookie->peer_tag == peer_tag_) send_cookie_ack_ = true;  // §5.2.4 case D: a duplicate
    return;
  }
  if (state_ != AssociationState::kClosed && state_ != AssociationState::kCookieWait &&
      state_ != AssociationState::kCookieEchoed)
    return;
  established(now, cookie->peer_tag, cookie->peer_initial_tsn, cookie->peer_a_rwnd, cookie->idata,
              cookie->forward_tsn, cookie->reconfig, cookie->zero_checksum);
  send_cookie_ack_ = true;
}

void Association::handle_cookie_ack(Timestamp now) {
  if (state_ != AssociationState::kCookieEchoed || !peer_init_) return;
  const PeerInit p = *peer_init_;
  established(now, p.tag, p.initial_tsn, p.a_rwnd, p.idata, p.forward_tsn, p.reconfig,
              p.zero_checksum);
}

void Association::established(Timestamp now, std::uint32_t peer_tag, std::uint32_t peer_initial_tsn,
                              std::uint32_t peer_rwnd, bool idata, bool forward_tsn,
                              bool reconfig, bool zero_checksum) {
  state_ = AssociationState::kEstablished;
  peer_tag_ = peer_tag;
  idata_ = idata;
  forward_tsn_ = forward_tsn;
  reconfig_ = reconfig;
  zero_checksum_ = zero_checksum;
  receive_.emplace(peer_initial_tsn, config_.max_receive_buffer);
  send_.set_idata(idata);
  peer_reconfig_seq_ = peer_initial_tsn;
  // RFC 9260 §7.2.1: initial cwnd = min(4 MTU, max(2 MTU, 4380 bytes)).
  cwnd_ = std::min(4 * config_.mtu, std::max<std::size_t>(2 * config_.mtu, 4380));
  ssthresh_ = peer_rwnd;
  peer_rwnd_ = peer_rwnd;
  t1_.reset();
  cookie_echo_.clear();
  cookie_echo_.shrink_to_fit();
  peer_init_.reset();
  heartbeat_ = now + config_.heartbeat_interval;
  events_.emplace_back(ConnectedEvent{});
}

}  // namespace peerkit::sctp
