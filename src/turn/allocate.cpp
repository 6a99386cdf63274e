// Allocate and Refresh, RFC 8656 §7.
#include "stun/attributes.h"
#include "turn/server.h"
#include "turn/server_request.h"

namespace peerkit::turn {

using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;
namespace attr = stun::attr;
namespace error = stun::error;

namespace {

constexpr std::uint8_t kUdpProtocol = 17;

SocketAddress advertised(const SocketAddress& local, const std::vector<ExternalMapping>& map) {
  for (const auto& m : map) {
    if (m.public_ip.family() != local.family()) continue;
    if (!m.private_ip || *m.private_ip == local.ip())
      return SocketAddress(m.public_ip, local.port());
  }
  return local;
}

Duration granted_lifetime(const stun::MessageView& m, const ServerOptions& o) {
  Duration want = o.default_lifetime;
  if (auto v = m.find(attr::kLifetime)) {
    if (auto s = stun::decode_u32(*v)) want = Duration::seconds(*s);
  }
  // §7.2: lifetimes shorter than the default are raised to it; longer ones capped at the max.
  if (want < o.default_lifetime) want = o.default_lifetime;
  if (want > o.max_lifetime) want = o.max_lifetime;
  return want;
}

}  // namespace

void Server::handle_allocate(Timestamp now, Request& req, TransmitQueue& out) {
  const auto& m = req.msg;
  if (auto it = allocations_.find(req.route); it != allocations_.end()) {
    Allocation& a = *it->second;
    // §7.2 step 2: a retransmission of the request that created it gets the same success.
    if (a.allocate_tid == m.transaction_id() && a.username == req.username) {
      send_allocate_success(now, req, a, std::nullopt, std::nullopt, out);
    } else {
      send_error(req, error::kAllocationMismatch, out);
    }
    return;
  }

  const auto transport = m.find(attr::kRequestedTransport);
  if (!transport) return send_error(req, error::kBadRequest, out);
  const auto protocol = stun::decode_requested_transport(*transport);
  if (!protocol) return send_error(req, error::kBadRequest, out);
  if (*protocol != kUdpProtocol) return send_error(req, error::kUnsupportedTransportProtocol, out);

  const auto even_port_attr = m.find(attr::kEvenPort);
  const auto token_attr = m.find(attr::kReservationToken);
  const auto family_attr = m.find(attr::kRequestedAddressFamily);
  const auto additional_attr = m.find(attr::kAdditionalAddressFamily);
  std::optional<bool> even_port;
  if (even_port_attr && !(even_port = stun::decode_even_port(*even_port_attr)))
    return send_error(req, error::kBadRequest, out);
  // §7.2 steps 4-6: combinations that make no sense are bad requests.
  if (token_attr && (even_port_attr || family_attr || additional_attr))
    return send_error(req, error::kBadRequest, out);
  if (family_attr && additional_attr) return send_error(req, error::kBadRequest, out);

  AddressFamily family = options_.default_family;
  bool dual = false;
  if (family_attr) {
    auto f = stun::decode_address_family(*family_attr);
    if (!f) return send_error(req, error::kAddressFamilyNotSupported, out);
    family = *f;
  }
  if (additional_attr) {
    auto f = stun::decode_address_family(*additional_attr);
    // ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6 (the first relay is IPv4).
    if (!f || *f != AddressFamily::kIpv6) return send_error(req, error::kBadRequest, out);
    family = AddressFamily::kIpv4;
    dual = true;
  }

  if (!token_attr && !relays_.supports(family))
    return send_error(req, error::kAddressFamilyNotSupported, out);

  std::optional<RelayGrant> reserved;
  if (token_attr) {
    auto token = stun::decode_u64(*token_attr);
    if (token) reserved = relays_.claim_reservation(*token);
    if (!reserved) return send_error(req, error::kInsufficientCapacity, out);
  }

  const IpAddress client = client_key_of(req.route);
  const QuotaResult quota = quotas_.acquire(req.username, client);
  switch (quota) {
    case QuotaResult::kOk:
      break;
    case QuotaResult::kUserQuota:
    case QuotaResult::kAddressQuota: {
      // RFC 8656 §7.2: 486 (Allocation Quota Reached), as coturn answers for user-quota.
      const bool user = quota == QuotaResult::kUserQuota;
      ++counters_.quota_rejections;
      emit(ServerEvent::Kind::kQuotaRejected, req.route, req.username,
           user ? "user-quota" : "address-quota");
      if (reserved) relays_.release(reserved->handle);
      return send_error(req, error::kAllocationQuotaReached, out);
    }
    case QuotaResult::kTotalQuota:
      ++counters_.quota_rejections;
      emit(ServerEvent::Kind::kQuotaRejected, req.route, req.username, "total-quota");
      if (reserved) relays_.release(reserved->handle);
      return send_error(req, error::kInsufficientCapacity, out);
  }

  auto a = std::make_unique<Allocation>();
  a->route = req.route;
  a->username = req.username;
  a->client_key = client;
  a->key = req.key;
  a->sha256_integrity = req.sha256;
  a->allocate_tid = m.transaction_id();
  // max-bps: bytes per second each way with one second of burst, starting full.
  a->to_peer = a->to_client = TokenBucket(options_.max_bps, options_.max_bps, now);

  const bool dont_fragment = m.has(attr::kDontFragment);
  std::optional<std::uint64_t> new_token;
  std::optional<AddressFamily> failed_family;
  if (reserved) {
    RelayEndpoint ep{reserved->handle, reserved->address,
                     advertised(reserved->address, options_.external_ips)};
    (reserved->address.family() == AddressFamily::kIpv4 ? a->relay_v4 : a->relay_v6) = ep;
  } else {
    if (even_port.value_or(false) && !options_.port_reservations) {
      quotas_.release(req.username, client);
      return send_error(req, error::kInsufficientCapacity, out);
    }
    RelayRequest rr{family, even_port.has_value(), even_port.value_or(false), dont_fragment};
    auto grant = relays_.allocate(rr);
    if (!grant) {
      quotas_.release(req.username, client);
      return send_error(req, error::kInsufficientCapacity, out);
    }
    RelayEndpoint ep{grant->handle, grant->address,
                     advertised(grant->address, options_.external_ips)};
    (family == AddressFamily::kIpv4 ? a->relay_v4 : a->relay_v6) = ep;
    new_token = grant->reservation_token;
    if (dual) {
      auto second = relays_.supports(AddressFamily::kIpv6)
                        ? relays_.allocate({AddressFamily::kIpv6, false, false, dont_fragment})
                        : std::nullopt;
      if (second) {
        a->relay_v6 = RelayEndpoint{second->handle, second->address,
                                    advertised(second->address, options_.external_ips)};
      } else {
        failed_family = AddressFamily::kIpv6;  // §7.2: success with ADDRESS-ERROR-CODE (440/508)
      }
    }
  }

  a->expires = now + granted_lifetime(m, options_);
  Allocation& ref = *a;
  for (const auto* relay :
       {ref.relay_for(AddressFamily::kIpv4), ref.relay_for(AddressFamily::kIpv6)}) {
    if (!relay) continue;
    by_relay_[relay->handle] = &ref;
    relay_addresses_.add(relay->local);
  }
  allocations_.emplace(req.route, std::move(a));
  ++counters_.allocations_created;
  const auto& shown = ref.relay_v4 ? ref.relay_v4->advertised : ref.relay_v6->advertised;
  emit(ServerEvent::Kind::kAllocationCreated, req.route, req.username, shown.to_string());
  send_allocate_success(now, req, ref, new_token, failed_family, out);
}

void Server::send_allocate_success(Timestamp now, Request& req, Allocation& a,
                                   std::optional<std::uint64_t> token,
                                   std::optional<AddressFamily> failed_family, TransmitQueue& out) {
  auto buf = out.reserve(512);
  MessageBuilder b(buf, Method::kAllocate, MessageClass::kSuccess, req.msg.transaction_id());
  if (a.relay_v4) stun::add_xor_address(b, attr::kXorRelayedAddress, a.relay_v4->advertised);
  if (a.relay_v6) stun::add_xor_address(b, attr::kXorRelayedAddress, a.relay_v6->advertised);
  if (failed_family) stun::add_address_error_code(b, *failed_family, error::kInsufficientCapacity);
  const auto remaining = a.expires - now;
  b.add_u32(attr::kLifetime, static_cast<std::uint32_t>(std::max<std::int64_t>(0, remaining.s())));
  if (token) b.add_u64(attr::kReservationToken, *token);
  stun::add_xor_address(b, attr::kXorMappedAddress, req.route.remote);
  finish_response(req, b, out);
}

void Server::handle_refresh(Timestamp now, Request& req, TransmitQueue& out) {
  auto it = allocations_.find(req.route);
  if (it == allocations_.end()) return send_error(req, error::kAllocationMismatch, out);
  Allocation& a = *it->second;
  if (a.username != req.username) return send_error(req, error::kWrongCredentials, out);
  if (auto f = req.msg.find(attr::kRequestedAddressFamily)) {
    auto family = stun::decode_address_family(*f);
    if (!family || !a.relay_for(*family))
      return send_error(req, error::kPeerAddressFamilyMismatch, out);
  }
  std::uint32_t requested = static_cast<std::uint32_t>(options_.default_lifetime.s());
  if (auto v = req.msg.find(attr::kLifetime)) {
    auto s = stun::decode_u32(*v);
    if (!s) return send_error(req, error::kBadRequest, out);
    requested = *s;
  }
  auto buf = out.reserve(256);
  MessageBuilder b(buf, Method::kRefresh, MessageClass::kSuccess, req.msg.transaction_id());
  if (requested == 0) {
    b.add_u32(attr::kLifetime, 0);
    delete_allocation(now, req.route, ServerEvent::Kind::kAllocationDeleted);
  } else {
    Duration granted = Duration::seconds(requested);
    if (granted > options_.max_lifetime) granted = options_.max_lifetime;
    a.expires = now + granted;
    b.add_u32(attr::kLifetime, static_cast<std::uint32_t>(granted.s()));
  }
  finish_response(req, b, out);
}

void Server::delete_allocation(Timestamp, const ClientRoute& route, ServerEvent::Kind why) {
  auto it = allocations_.find(route);
  if (it == allocations_.end()) return;
  Allocation& a = *it->second;
  for (const auto* relay : {a.relay_for(AddressFamily::kIpv4), a.relay_for(AddressFamily::kIpv6)}) {
    if (!relay) continue;
    by_relay_.erase(relay->handle);
    relay_addresses_.remove(relay->local);
    relays_.release(relay->handle);
  }
  quotas_.release(a.username, a.client_key);
  if (why == ServerEvent::Kind::kAllocationExpired)
    ++counters_.allocations_expired;
  else
    ++counters_.allocations_deleted;
  emit(why, route, a.username, "");
  allocations_.erase(it);
}

void Server::handle_connection_closed(Timestamp now, std::uint64_t connection) {
  std::vector<ClientRoute> gone;
  for (const auto& [route, a] : allocations_)
    if (route.connection == connection && connection != 0) gone.push_back(route);
  for (const auto& r : gone) delete_allocation(now, r, ServerEvent::Kind::kAllocationDeleted);
}

void Server::handle_timeout(Timestamp now) {
  if (now < next_sweep_) return;
  sweep(now);
  next_sweep_ = now + Duration::seconds(1);
}

void Server::sweep(Timestamp now) {
  std::vector<ClientRoute> expired;
  for (auto& [route, a] : allocations_) {
    if (a->expires <= now) {
      expired.push_back(route);
      continue;
    }
    std::erase_if(a->permissions, [&](const Permission& p) { return p.expires <= now; });
    std::erase_if(a->channels, [&](const ChannelBinding& c) {
      return c.expires + options_.channel_cooldown <= now;
    });
  }
  for (const auto& r : expired) delete_allocation(now, r, ServerEvent::Kind::kAllocationExpired);
}

}  // namespace peerkit::turn
