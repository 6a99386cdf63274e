// Permissions (RFC 8656 §9), channels (§11-§12), Send/Data indications (§10) and the relay data
// path in both directions. Every peer address is checked against the relay policy when a
// permission or channel is created, on every Send indication, and again on the data path
// whenever the policy has been replaced since the permission was checked.
#include "stun/attributes.h"
#include "turn/channel_data.h"
#include "turn/server.h"
#include "turn/server_request.h"

namespace peerkit::turn {

using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;
namespace attr = stun::attr;
namespace error = stun::error;

namespace {
// Peers are stored and addressed in the form the kernel sends to: ::ffff:a.b.c.d becomes
// a.b.c.d, so answers arriving from a.b.c.d match the permission and go out of the IPv4 relay.
SocketAddress canonical(const SocketAddress& a) {
  return SocketAddress(kernel_destination(a.ip()), a.port());
}
}  // namespace

Permission* Allocation::find_permission(const IpAddress& peer) {
  for (auto& p : permissions)
    if (p.peer == peer) return &p;
  return nullptr;
}

const Permission* Allocation::live_permission(const IpAddress& peer, Timestamp now) const {
  for (const auto& p : permissions)
    if (p.peer == peer) return p.expires > now ? &p : nullptr;
  return nullptr;
}

ChannelBinding* Allocation::channel_by_number(ChannelNumber number) {
  for (auto& c : channels)
    if (c.number == number) return &c;
  return nullptr;
}

ChannelBinding* Allocation::channel_by_peer(const SocketAddress& peer) {
  for (auto& c : channels)
    if (c.peer == peer) return &c;
  return nullptr;
}

const ChannelBinding* Allocation::live_channel_for(const SocketAddress& peer, Timestamp now) const {
  for (const auto& c : channels)
    if (c.peer == peer && c.expires > now) return &c;
  return nullptr;
}

void Server::set_policy(PeerPolicy policy) {
  policy_ = std::move(policy);
  ++policy_epoch_;
  // Permissions already installed are checked again right now: anything the new policy denies
  // loses its permission and channel immediately.
  for (auto& [route, a] : allocations_) {
    std::erase_if(a->permissions, [&](Permission& p) {
      const auto d = policy_.check(p.peer);
      p.own_relays_only = d.own_relays_only;
      p.policy_epoch = policy_epoch_;
      return !d.allowed;
    });
    std::erase_if(a->channels,
                  [&](const ChannelBinding& c) { return !policy_.check(c.peer.ip()).allowed; });
  }
}

bool Server::policy_allows(const IpAddress& peer, std::string* rule) {
  auto d = policy_.check(peer);
  if (!d.allowed && rule) *rule = std::move(d.rule);
  return d.allowed;
}

// Shared by CreatePermission and ChannelBind: family must match a relay (443), policy must
// allow (403) — and when it allows the IP only for this server's own relays (loopback in
// `peerkit serve`), the port must be one of them. A permission is per IP and §9.1 lets its
// port be anything: port 0 (what turn::Client sends) installs it, any other port must be a
// relay; the data path checks every datagram's port either way. `own_relays_only` says so.
bool Server::check_peer(Request& req, const SocketAddress& peer, Allocation& a, TransmitQueue& out,
                        bool for_channel, bool& own_relays_only) {
  if (!a.relay_for(kernel_destination(peer.ip()).family()) && !a.relay_for(peer.family())) {
    send_error(req, error::kPeerAddressFamilyMismatch, out);
    return false;
  }
  auto d = policy_.check(peer.ip());
  if (d.allowed && d.own_relays_only && (for_channel || peer.port() != 0) &&
      !relay_addresses_.contains(canonical(peer))) {
    d.allowed = false;
    d.rule += ": " + canonical(peer).to_string() + " is not a relay of this server";
  }
  if (!d.allowed) {
    ++counters_.denied_peers;
    emit(ServerEvent::Kind::kPeerDenied, req.route, req.username,
         peer.ip().to_string() + " by " + d.rule);
    send_error(req, error::kForbidden, out);
    return false;
  }
  own_relays_only = d.own_relays_only;
  return true;
}

void Server::handle_create_permission(Timestamp now, Request& req, TransmitQueue& out) {
  auto it = allocations_.find(req.route);
  if (it == allocations_.end()) return send_error(req, error::kAllocationMismatch, out);
  Allocation& a = *it->second;
  if (a.username != req.username) return send_error(req, error::kWrongCredentials, out);

  // §9.2: every XOR-PEER-ADDRESS must pass before any permission is installed.
  std::vector<std::pair<IpAddress, bool>> peers;  // and own_relays_only
  for (const auto& ref : req.msg.attributes()) {
    if (ref.type != attr::kXorPeerAddress) continue;
    auto peer = stun::decode_xor_address(req.msg.raw().subspan(ref.offset, ref.length),
                                         req.msg.transaction_id());
    if (!peer) return send_error(req, error::kBadRequest, out);
    bool own_relays_only = false;
    if (!check_peer(req, *peer, a, out, /*for_channel=*/false, own_relays_only)) return;
    peers.emplace_back(kernel_destination(peer->ip()), own_relays_only);
  }
  if (peers.empty()) return send_error(req, error::kBadRequest, out);
  std::size_t new_ones = 0;
  for (const auto& [p, relays_only] : peers)
    if (!a.find_permission(p)) ++new_ones;
  if (a.permissions.size() + new_ones > options_.max_permissions_per_allocation) {
    ++counters_.quota_rejections;
    emit(ServerEvent::Kind::kQuotaRejected, req.route, req.username, "permissions per allocation");
    return send_error(req, error::kInsufficientCapacity, out);
  }
  for (const auto& [p, relays_only] : peers) {
    if (auto* existing = a.find_permission(p)) {
      existing->expires = now + options_.permission_lifetime;
      existing->policy_epoch = policy_epoch_;
      existing->own_relays_only = relays_only;
    } else {
      a.permissions.push_back({p, now + options_.permission_lifetime, policy_epoch_, relays_only});
    }
  }
  auto buf = out.reserve(128);
  MessageBuilder b(buf, Method::kCreatePermission, MessageClass::kSuccess,
                   req.msg.transaction_id());
  finish_response(req, b, out);
}

void Server::handle_channel_bind(Timestamp now, Request& req, TransmitQueue& out) {
  auto it = allocations_.find(req.route);
  if (it == allocations_.end()) return send_error(req, error::kAllocationMismatch, out);
  Allocation& a = *it->second;
  if (a.username != req.username) return send_error(req, error::kWrongCredentials, out);

  const auto number_attr = req.msg.find(attr::kChannelNumber);
  const auto peer_attr = req.msg.find(attr::kXorPeerAddress);
  if (!number_attr || !peer_attr) return send_error(req, error::kBadRequest, out);
  const auto decoded = stun::decode_channel_number(*number_attr);
  const auto given = stun::decode_xor_address(*peer_attr, req.msg.transaction_id());
  // §11.2 / §12: 0x4000-0x4FFF, or RFC 5766's 0x4000-0x7FFE for older clients when configured.
  if (!decoded || !given ||
      !is_valid_channel(ChannelNumber{*decoded}, options_.rfc5766_channel_numbers))
    return send_error(req, error::kBadRequest, out);
  const ChannelNumber number{*decoded};
  bool own_relays_only = false;
  if (!check_peer(req, *given, a, out, /*for_channel=*/true, own_relays_only)) return;
  const std::optional<SocketAddress> peer = canonical(*given);

  // §11.2: a number is bound to one peer and a peer to one number, including during the
  // five-minute cooldown after a binding expires.
  ChannelBinding* by_number = a.channel_by_number(number);
  ChannelBinding* by_peer = a.channel_by_peer(*peer);
  if ((by_number && by_number->peer != *peer) || (by_peer && by_peer->number != number))
    return send_error(req, error::kBadRequest, out);
  if (!by_number && a.channels.size() >= options_.max_channels_per_allocation) {
    ++counters_.quota_rejections;
    emit(ServerEvent::Kind::kQuotaRejected, req.route, req.username, "channels per allocation");
    return send_error(req, error::kInsufficientCapacity, out);
  }
  Permission* perm = a.find_permission(peer->ip());
  if (!perm && a.permissions.size() >= options_.max_permissions_per_allocation) {
    ++counters_.quota_rejections;
    return send_error(req, error::kInsufficientCapacity, out);
  }
  if (by_number)
    by_number->expires = now + options_.channel_lifetime;
  else
    a.channels.push_back({number, *peer, now + options_.channel_lifetime});
  // §11.2: binding a channel installs or refreshes the permission for the peer's IP.
  if (perm) {
    perm->expires = now + options_.permission_lifetime;
    perm->policy_epoch = policy_epoch_;
    perm->own_relays_only = own_relays_only;
  } else {
    a.permissions.push_back(
        {peer->ip(), now + options_.permission_lifetime, policy_epoch_, own_relays_only});
  }

  auto buf = out.reserve(128);
  MessageBuilder b(buf, Method::kChannelBind, MessageClass::kSuccess, req.msg.transaction_id());
  finish_response(req, b, out);
}

void Server::handle_send(Timestamp now, const ClientRoute& route, const stun::MessageView& m,
                         TransmitQueue& out) {
  auto it = allocations_.find(route);
  if (it == allocations_.end()) return;
  const auto peer_attr = m.find(attr::kXorPeerAddress);
  const auto data = m.find(attr::kData);
  if (!peer_attr || !data) {
    ++counters_.malformed;
    return;
  }
  const auto peer = stun::decode_xor_address(*peer_attr, m.transaction_id());
  if (!peer) {
    ++counters_.malformed;
    return;
  }
  relay_to_peer(now, *it->second, canonical(*peer), *data, out);
}

void Server::handle_channel_data(Timestamp now, const ClientRoute& route, ByteSpan data,
                                 TransmitQueue& out) {
  // RFC 8656 §12.4 (padding after the payload, over streams and optionally over UDP, is ignored).
  const auto frame = parse_channel_data(data);
  if (!frame) {
    ++counters_.malformed;
    return;
  }
  auto it = allocations_.find(route);
  if (it == allocations_.end()) return;
  Allocation& a = *it->second;
  const ChannelBinding* c = a.channel_by_number(frame->channel);
  if (!c || c->expires <= now) {
    ++counters_.no_permission_drops;
    return;
  }
  relay_to_peer(now, a, c->peer, frame->payload, out);
}

void Server::relay_to_peer(Timestamp now, Allocation& a, const SocketAddress& peer,
                           ByteSpan payload, TransmitQueue& out) {
  Permission* p = a.find_permission(peer.ip());
  if (!p || p->expires <= now) {
    // A Send indication may name any address: a denied one counts as denied, not as unpermitted.
    if (!policy_allows(peer.ip(), nullptr))
      ++counters_.denied_peers;
    else
      ++counters_.no_permission_drops;
    return;
  }
  // Checked again at relay time whenever the policy changed since the permission was checked
  // (set_policy prunes at once; this is the backstop), at no cost otherwise.
  if (p->policy_epoch != policy_epoch_) {
    const auto d = policy_.check(peer.ip());
    if (!d.allowed) {
      ++counters_.denied_peers;
      return;
    }
    p->policy_epoch = policy_epoch_;
    p->own_relays_only = d.own_relays_only;
  }
  // The permission is per IP (§9); where the policy opens the IP only to this server's relays,
  // the port is checked too, every time: the relay may be gone, and its port taken by anyone.
  if (p->own_relays_only && !relay_addresses_.contains(peer)) {
    ++counters_.denied_peers;
    return;
  }
  const RelayEndpoint* relay = a.relay_for(peer.family());
  if (!relay) return;
  if (!a.to_peer.take(now, payload.size())) {
    ++counters_.bandwidth_drops;
    return;
  }
  ++counters_.packets_to_peer;
  counters_.bytes_to_peer += payload.size();
  out.push_external(Transmit{.via = Transmit::Via::kRelay, .relay = relay->handle, .to = peer},
                    payload);
}

void Server::handle_peer_packet(Timestamp now, RelayHandle relay, const SocketAddress& peer,
                                MutableByteSpan data, std::size_t headroom, TransmitQueue& out) {
  auto it = by_relay_.find(relay);
  if (it == by_relay_.end()) return;
  Allocation& a = *it->second;
  // §10.3: only peers with a live permission get through (and, where the policy says so, only
  // from this server's own relays).
  const Permission* p = a.live_permission(peer.ip(), now);
  if (!p) {
    ++counters_.no_permission_drops;
    return;
  }
  if (p->own_relays_only && !relay_addresses_.contains(peer)) {
    ++counters_.denied_peers;
    return;
  }
  if (data.size() > kMaxChannelDataPayload - kChannelDataHeaderSize ||
      !a.to_client.take(now, data.size())) {
    ++counters_.bandwidth_drops;
    return;
  }
  ++counters_.packets_to_client;
  counters_.bytes_to_client += data.size();
  Transmit t{.via = Transmit::Via::kClient, .client = a.route};
  if (const ChannelBinding* c = a.live_channel_for(peer, now)) {
    const bool stream = a.route.transport != Transport::kUdp;  // §12.5: pad on streams
    const std::size_t size = channel_data_size(data.size(), stream);
    if (headroom >= kChannelDataHeaderSize && size == kChannelDataHeaderSize + data.size()) {
      // Zero copy: write the ChannelData header into the bytes just before the payload.
      MutableByteSpan frame(data.data() - kChannelDataHeaderSize, size);
      encode_channel_data_header(frame, c->number, data.size());
      out.push_external(t, frame);
      return;
    }
    auto buf = out.reserve(size);
    out.commit(t, encode_channel_data(buf, c->number, data, stream));
    return;
  }
  // No channel: a Data indication (§10.3) with a fresh random transaction id.
  auto buf = out.reserve(data.size() + 64);
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  MessageBuilder b(buf, Method::kData, MessageClass::kIndication, tid);
  stun::add_xor_address(b, attr::kXorPeerAddress, peer);
  b.add(attr::kData, ByteSpan(data));
  if (!b.ok()) return;
  out.commit(t, b.finish().size());
}

}  // namespace peerkit::turn
