#include "turn/client.h"

#include <algorithm>

#include "stun/attributes.h"
#include "stun/constants.h"
#include "stun/integrity.h"

namespace peerkit::turn {
namespace {

constexpr Duration kPermissionRefresh = Duration::seconds(240);  // lifetime 300 s (§9)
constexpr Duration kChannelRefresh = Duration::seconds(540);     // lifetime 600 s (§11)
constexpr std::uint8_t kUdpProtocol = 17;

Duration refresh_delay(Duration lifetime) {
  // Refresh a minute early; short lifetimes at half-time.
  return lifetime > Duration::seconds(120) ? lifetime - Duration::seconds(60)
                                           : Duration::micros(lifetime.us() / 2);
}

}  // namespace

const char* to_string(Client::State state) {
  switch (state) {
    case Client::State::kIdle:
      return "idle";
    case Client::State::kAllocating:
      return "allocating";
    case Client::State::kAllocated:
      return "allocated";
    case Client::State::kFailed:
      return "failed";
    case Client::State::kClosed:
      return "closed";
  }
  return "?";
}

Client::Client(ClientConfig config, RandomSource& random)
    : config_(std::move(config)), random_(random) {}

void Client::allocate(Timestamp now) {
  if (state_ != State::kIdle) return;
  state_ = State::kAllocating;
  start_request(now, Kind::kAllocate);
}

void Client::start_request(Timestamp now, Kind kind, const IpAddress& peer_ip,
                           const SocketAddress& peer, ChannelNumber channel, bool retried_nonce) {
  static constexpr stun::Method kMethods[] = {stun::Method::kAllocate, stun::Method::kRefresh,
                                              stun::Method::kCreatePermission,
                                              stun::Method::kChannelBind};
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  std::array<std::byte, 1024> buf;
  stun::MessageBuilder b(buf, kMethods[static_cast<int>(kind)], stun::MessageClass::kRequest, tid);
  switch (kind) {
    case Kind::kAllocate:
      stun::add_requested_transport(b, kUdpProtocol);
      b.add_u32(stun::attr::kLifetime, static_cast<std::uint32_t>(config_.lifetime.s()));
      break;
    case Kind::kRefresh:
      b.add_u32(stun::attr::kLifetime,
                state_ == State::kClosed ? 0 : static_cast<std::uint32_t>(config_.lifetime.s()));
      break;
    case Kind::kPermission:
      stun::add_xor_address(b, stun::attr::kXorPeerAddress, SocketAddress(peer_ip, 0));
      break;
    case Kind::kChannelBind:
      stun::add_channel_number(b, channel.value);
      stun::add_xor_address(b, stun::attr::kXorPeerAddress, peer);
      break;
  }
  if (!key_.empty()) {  // §9.2.3: every request after the 401 carries the credentials
    b.add(stun::attr::kUsername, config_.username);
    b.add(stun::attr::kRealm, realm_);
    b.add(stun::attr::kNonce, nonce_);
    b.add_message_integrity(key_);
  }
  b.add_fingerprint();
  pending_.push_back(
      Pending{kind, stun::ClientTransaction(now, b.finish(), config_.reliable, config_.transaction),
              peer_ip, peer, channel, retried_nonce});
  ++counters_.requests;
  if (auto bytes = pending_.back().transaction.poll_transmit())
    out_.push({}, config_.server, *bytes);
}

std::optional<Client::PeerData> Client::handle_packet(Timestamp now, ByteSpan packet) {
  if (!packet.empty() && is_channel_data(std::to_integer<std::uint8_t>(packet[0])))
    return handle_channel_data(packet);
  auto parsed = stun::MessageView::parse(packet);
  if (!parsed) {
    ++counters_.dropped;
    return std::nullopt;
  }
  const auto& m = *parsed;
  if (m.message_class() == stun::MessageClass::kIndication && m.method() == stun::Method::kData) {
    const auto peer_attr = m.find(stun::attr::kXorPeerAddress);
    const auto data = m.find(stun::attr::kData);
    const auto peer =
        peer_attr ? stun::decode_xor_address(*peer_attr, m.transaction_id()) : std::nullopt;
    if (!peer || !data || !permitted(peer->ip())) {
      ++counters_.dropped;
      return std::nullopt;
    }
    ++counters_.received_data;
    return PeerData{*peer, *data};
  }
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    if (pending_[i].transaction.handle_response(now, m)) {
      Pending p = std::move(pending_[i]);
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
      ++counters_.responses;
      on_response(now, p, m);
      return std::nullopt;
    }
  }
  ++counters_.dropped;
  return std::nullopt;
}

std::optional<Client::PeerData> Client::handle_channel_data(ByteSpan packet) {
  // §12.4 (padding on streams is the framer's concern). Shorter than a header: not counted.
  if (packet.size() < kChannelDataHeaderSize) return std::nullopt;
  const auto frame = parse_channel_data(packet);
  if (!frame) {
    ++counters_.dropped;
    return std::nullopt;
  }
  for (const auto& [peer, channel] : channels_) {
    if (channel.number == frame->channel && channel.bound) {
      ++counters_.received_data;
      return PeerData{peer, frame->payload};
    }
  }
  ++counters_.dropped;
  return std::nullopt;
}

void Client::on_response(Timestamp now, Pending& p, const stun::MessageView& m) {
  const bool success = m.message_class() == stun::MessageClass::kSuccess;
  // A success must prove it knows the key (§9.2.5); errors before the 401 cannot.
  if (success && !key_.empty() &&
      (!m.integrity_offset() || !stun::verify_message_integrity(m, key_))) {
    ++counters_.dropped;
    return;
  }
  if (success) return on_success(now, p, m);
  const auto error = stun::find_error_code(m);
  const int code = error ? error->code : 0;
  const auto realm = m.find(stun::attr::kRealm);
  std::string new_nonce;
  if (const auto nonce = m.find(stun::attr::kNonce))
    if (const auto text = stun::decode_text(*nonce, stun::kMaxNonceBytes)) new_nonce = *text;
  if (code == 401 && key_.empty() && realm && !new_nonce.empty()) {
    const auto realm_text = stun::decode_text(*realm, stun::kMaxRealmBytes);
    if (!realm_text) return fail("401 without a usable REALM");
    realm_ = *realm_text;
    nonce_ = new_nonce;
    key_ = stun::long_term_key(config_.username, realm_, config_.password);
    return start_request(now, p.kind, p.peer_ip, p.peer, p.channel);
  }
  if (code == 438 && !new_nonce.empty() && !p.retried_nonce) {  // RFC 8489 §9.2.5: stale nonce
    nonce_ = new_nonce;
    return start_request(now, p.kind, p.peer_ip, p.peer, p.channel, true);
  }
  switch (p.kind) {
    case Kind::kAllocate:
      return fail(code == 401 ? "401: the server refused the credentials"
                              : "Allocate failed with " + std::to_string(code));
    case Kind::kRefresh:
      if (state_ != State::kClosed) fail("Refresh failed with " + std::to_string(code));
      return;
    case Kind::kPermission: {
      auto it = peers_.find(p.peer_ip);
      if (it != peers_.end() && !it->second.installed) {
        for (const auto& w : it->second.waiting) waiting_bytes_ -= w.second.size();
        counters_.dropped += it->second.waiting.size();
        peers_.erase(it);  // a later send asks again
      }
      return;
    }
    case Kind::kChannelBind:
      channels_.erase(p.peer);  // keep using Send indications
      return;
  }
}

void Client::on_success(Timestamp now, Pending& p, const stun::MessageView& m) {
  switch (p.kind) {
    case Kind::kAllocate: {
      const auto relayed = m.find(stun::attr::kXorRelayedAddress);
      const auto mapped = m.find(stun::attr::kXorMappedAddress);
      if (relayed) relayed_ = stun::decode_xor_address(*relayed, m.transaction_id());
      if (mapped) mapped_ = stun::decode_xor_address(*mapped, m.transaction_id());
      if (!relayed_) return fail("Allocate success without XOR-RELAYED-ADDRESS");
      const auto lifetime = m.find(stun::attr::kLifetime);
      const auto seconds = lifetime ? stun::decode_u32(*lifetime) : std::nullopt;
      refresh_at_ = now + refresh_delay(seconds ? Duration::seconds(*seconds) : config_.lifetime);
      state_ = State::kAllocated;
      for (auto& [ip, peer] : peers_)
        if (peer.requested && !peer.installed) start_request(now, Kind::kPermission, ip);
      return;
    }
    case Kind::kRefresh: {
      const auto lifetime = m.find(stun::attr::kLifetime);
      const auto seconds = lifetime ? stun::decode_u32(*lifetime) : std::nullopt;
      refresh_at_ = now + refresh_delay(seconds ? Duration::seconds(*seconds) : config_.lifetime);
      return;
    }
    case Kind::kPermission: {
      auto it = peers_.find(p.peer_ip);
      if (it == peers_.end()) return;
      it->second.installed = true;
      it->second.refresh_at = now + kPermissionRefresh;
      flush_waiting(now, p.peer_ip);
      return;
    }
    case Kind::kChannelBind: {
      auto it = channels_.find(p.peer);
      if (it == channels_.end()) return;
      it->second.bound = true;
      it->second.refresh_at = now + kChannelRefresh;
      return;
    }
  }
}

void Client::fail(std::string why) {
  state_ = State::kFailed;
  failure_ = std::move(why);
  pending_.clear();
  peers_.clear();
  channels_.clear();
  waiting_bytes_ = 0;
}

void Client::create_permission(Timestamp now, const IpAddress& ip) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  auto it = peers_.find(ip);
  if (it != peers_.end()) return;
  if (peers_.size() >= config_.max_peers) return;
  peers_[ip].requested = true;
  if (state_ == State::kAllocated) start_request(now, Kind::kPermission, ip);
}

bool Client::permitted(const IpAddress& ip) const {
  auto it = peers_.find(ip);
  return it != peers_.end() && it->second.installed;
}

bool Client::send(Timestamp now, const SocketAddress& peer, ByteSpan data) {
  if (state_ != State::kAllocated && state_ != State::kAllocating) return false;
  create_permission(now, peer.ip());
  auto it = peers_.find(peer.ip());
  if (it == peers_.end()) {
    ++counters_.dropped;
    return false;
  }
  if (!it->second.installed) {
    if (waiting_bytes_ + data.size() > config_.max_pending_bytes) {
      ++counters_.dropped;
      return false;
    }
    waiting_bytes_ += data.size();
    it->second.waiting.emplace_back(peer, std::vector<std::byte>(data.begin(), data.end()));
    return true;
  }
  if (config_.use_channels && !channels_.contains(peer) && is_valid_channel(next_channel_)) {
    const ChannelNumber number = next_channel_;
    ++next_channel_.value;
    channels_[peer].number = number;
    start_request(now, Kind::kChannelBind, {}, peer, number);
  }
  send_now(peer, data);
  return true;
}

void Client::send_now(const SocketAddress& peer, ByteSpan data) {
  auto channel = channels_.find(peer);
  if (channel != channels_.end() && channel->second.bound &&
      data.size() <= kMaxChannelDataPayload) {
    // §12.4 ChannelData; over streams padded to a multiple of 4 (§12.5).
    // Built in place in the queue's arena (payload size checked above, so it always fits).
    const std::size_t size = channel_data_size(data.size(), config_.reliable);
    const std::size_t used =
        encode_channel_data(out_.reserve(size), channel->second.number, data, config_.reliable);
    out_.commit({}, config_.server, used);
    ++counters_.sent_channel_data;
    return;
  }
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  indication_.resize(data.size() + 64);
  stun::MessageBuilder b(indication_, stun::Method::kSend, stun::MessageClass::kIndication, tid);
  stun::add_xor_address(b, stun::attr::kXorPeerAddress, peer);
  b.add(stun::attr::kData, data);
  const auto msg = b.finish();
  if (msg.empty()) {
    ++counters_.dropped;
    return;
  }
  out_.push({}, config_.server, msg);
  ++counters_.sent_indications;
}

void Client::flush_waiting(Timestamp now, const IpAddress& ip) {
  auto it = peers_.find(ip);
  if (it == peers_.end()) return;
  auto waiting = std::move(it->second.waiting);
  it->second.waiting.clear();
  for (auto& [peer, data] : waiting) {
    waiting_bytes_ -= data.size();
    send(now, peer, data);
  }
}

Timestamp Client::next_timeout() const {
  Timestamp t = Timestamp::never();
  for (const auto& p : pending_) t = std::min(t, p.transaction.next_timeout());
  if (state_ != State::kAllocated) return t;
  t = std::min(t, refresh_at_);
  for (const auto& [ip, peer] : peers_) t = std::min(t, peer.refresh_at);
  for (const auto& [addr, channel] : channels_) t = std::min(t, channel.refresh_at);
  return t;
}

void Client::handle_timeout(Timestamp now) {
  for (std::size_t i = 0; i < pending_.size();) {
    auto& tx = pending_[i].transaction;
    tx.handle_timeout(now);
    if (auto bytes = tx.poll_transmit()) out_.push({}, config_.server, *bytes);
    if (!tx.done()) {
      ++i;
      continue;
    }
    const Kind kind = pending_[i].kind;
    const IpAddress ip = pending_[i].peer_ip;
    const SocketAddress peer = pending_[i].peer;
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    if (kind == Kind::kAllocate) return fail("no answer from the TURN server");
    if (kind == Kind::kRefresh && state_ != State::kClosed)
      return fail("no answer to Refresh: the allocation is probably gone");
    if (kind == Kind::kPermission) peers_.erase(ip);
    if (kind == Kind::kChannelBind) channels_.erase(peer);
  }
  if (state_ != State::kAllocated) return;
  if (now >= refresh_at_) {
    refresh_at_ = Timestamp::never();  // set again by the answer
    start_request(now, Kind::kRefresh);
  }
  for (auto& [ip, peer] : peers_) {
    if (peer.installed && now >= peer.refresh_at) {
      peer.refresh_at = Timestamp::never();
      start_request(now, Kind::kPermission, ip);
    }
  }
  for (auto& [addr, channel] : channels_) {
    if (channel.bound && now >= channel.refresh_at) {
      channel.refresh_at = Timestamp::never();
      start_request(now, Kind::kChannelBind, {}, addr, channel.number);
    }
  }
}

void Client::close(Timestamp now) {
  if (state_ == State::kAllocated) {
    state_ = State::kClosed;
    pending_.clear();
    start_request(now, Kind::kRefresh);  // LIFETIME 0
    pending_.clear();                    // nobody waits for the answer
  }
  state_ = State::kClosed;
}

}  // namespace peerkit::turn
