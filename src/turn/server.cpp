// Server core: packet dispatch, authentication (RFC 8489 §9.2.4), Binding (RFC 8489 §6.3,
// RFC 5780 §6), error responses. Allocate/Refresh live in allocate.cpp; permissions, channels and
// the data path in relay.cpp.
#include "turn/server.h"

#include "stun/attributes.h"
#include "stun/integrity.h"
#include "turn/channel_data.h"
#include "turn/server_request.h"

namespace peerkit::turn {

using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
namespace attr = stun::attr;
namespace error = stun::error;

const char* to_string(Transport t) {
  switch (t) {
    case Transport::kUdp:
      return "udp";
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
  }
  return "?";
}

Server::Server(ServerOptions options, CredentialStore credentials, PeerPolicy policy,
               RelayAllocator& relays, QuotaLedger& quotas, NonceIssuer nonces,
               RandomSource& random, SharedState shared)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      policy_(std::move(policy)),
      relays_(relays),
      quotas_(quotas),
      nonces_(std::move(nonces)),
      random_(random),
      own_unauth_(options_.unauthorized_rate, options_.unauthorized_burst,
                  (std::uint64_t{random.next_u32()} << 32) | random.next_u32()),
      unauth_(shared.unauth ? *shared.unauth : static_cast<UnauthBudget&>(own_unauth_)),
      relay_addresses_(shared.relay_addresses ? *shared.relay_addresses : own_relay_addresses_) {}

Server::~Server() {
  for (auto& [route, a] : allocations_) {
    for (const auto* relay :
         {a->relay_for(AddressFamily::kIpv4), a->relay_for(AddressFamily::kIpv6)}) {
      if (!relay) continue;
      relay_addresses_.remove(relay->local);
      relays_.release(relay->handle);
    }
    quotas_.release(a->username, a->client_key);
  }
}

void Server::handle_client_packet(Timestamp now, const ClientRoute& route, ByteSpan data,
                                  TransmitQueue& out) {
  if (data.empty()) return;
  // RFC 8656 §12 / RFC 7983: 0x00-0x03 starts STUN, 0x40-0x7F ChannelData. The whole of
  // 0x40-0x7F, not RFC 9443's 64-79, because rfc5766_channel_numbers mode binds numbers up to
  // 0x7FFE; which numbers are bound is checked in handle_channel_data.
  if (is_channel_data(std::to_integer<std::uint8_t>(data[0]))) {
    handle_channel_data(now, route, data, out);
    return;
  }
  auto m = MessageView::parse(data);
  if (!m) {
    ++counters_.malformed;
    return;
  }
  handle_stun(now, route, *m, out);
}

void Server::handle_stun(Timestamp now, const ClientRoute& route, const MessageView& m,
                         TransmitQueue& out) {
  if (m.fingerprint_offset() && !stun::verify_fingerprint(m)) {
    ++counters_.malformed;  // RFC 8489 §7.3: a wrong FINGERPRINT means "not STUN"
    return;
  }
  if (m.message_class() == MessageClass::kIndication) {
    if (m.method() == Method::kSend && !options_.stun_only) handle_send(now, route, m, out);
    return;  // other indications are ignored (§6.3.2)
  }
  if (m.message_class() != MessageClass::kRequest) return;  // a server ignores responses

  Request req{route, m, now};
  req.fingerprint = m.fingerprint_offset().has_value() || options_.fingerprint;

  const bool is_turn = m.method() == Method::kAllocate || m.method() == Method::kRefresh ||
                       m.method() == Method::kCreatePermission ||
                       m.method() == Method::kChannelBind;
  if ((is_turn && options_.stun_only) || (m.method() == Method::kBinding && options_.no_stun)) {
    return;  // that service is off: stay silent rather than answer
  }
  if (!is_turn && m.method() != Method::kBinding) {
    send_error(req, error::kBadRequest,
               out);  // rate limited inside, like every unauthenticated answer
    return;
  }

  std::uint16_t unknown[16];
  std::size_t n = m.unknown_required(unknown);
  if (!options_.rfc5780_other_address) {
    // RFC 5780 attributes are understood only when the server can act on them.
    for (auto t : {attr::kChangeRequest, attr::kResponsePort})
      if (m.has(t) && n < 16) unknown[n++] = t;
  }
  if (n > 0) {
    if (!unauth_allowed(now, route)) {
      ++counters_.rate_limited;
      return;
    }
    auto buf = out.reserve(256);
    MessageBuilder b(buf, m.raw_method(), MessageClass::kError, m.transaction_id());
    b.add_error(error::kUnknownAttribute, options_.include_reason_phrase
                                              ? error::reason_phrase(error::kUnknownAttribute)
                                              : "");
    stun::add_unknown_attributes(b, std::span<const std::uint16_t>(unknown, n));
    if (req.fingerprint) b.add_fingerprint();
    if (b.ok())
      out.commit(Transmit{.via = Transmit::Via::kClient, .client = route}, b.finish().size());
    return;
  }

  if (m.method() == Method::kBinding) {
    if (options_.secure_stun && !authenticate(now, req, out)) return;
    handle_binding(now, req, out);
    return;
  }
  if (!authenticate(now, req, out)) return;
  switch (m.method()) {
    case Method::kAllocate:
      handle_allocate(now, req, out);
      break;
    case Method::kRefresh:
      handle_refresh(now, req, out);
      break;
    case Method::kCreatePermission:
      handle_create_permission(now, req, out);
      break;
    case Method::kChannelBind:
      handle_channel_bind(now, req, out);
      break;
    default:
      break;
  }
}

// RFC 8489 §9.2.4, in its order: integrity present, attributes present, security features,
// username known, integrity correct, nonce fresh.
bool Server::authenticate(Timestamp now, Request& req, TransmitQueue& out) {
  if (options_.no_auth) return true;
  const MessageView& m = req.msg;
  const bool sha256 = m.integrity_sha256_offset().has_value();
  if (!m.integrity_offset() && !sha256) {
    ++counters_.auth_challenges;
    send_error(req, error::kUnauthorized, out, /*with_nonce=*/true);
    return false;
  }
  const auto username_attr = m.find(attr::kUsername);
  const auto userhash_attr = m.find(attr::kUserhash);
  const auto realm = m.find(attr::kRealm);
  const auto nonce = m.find(attr::kNonce);
  if ((!username_attr && !userhash_attr) || !realm || !nonce ||
      nonce->size() > stun::kMaxNonceBytes || realm->size() > stun::kMaxRealmBytes ||
      (username_attr && username_attr->size() > stun::kMaxUsernameBytes)) {
    ++counters_.auth_failures;
    send_error(req, error::kBadRequest, out);
    return false;
  }

  // §9.2.4 security features: a client that picked an algorithm must echo the list we offered,
  // or an attacker may have stripped the stronger one.
  auto algorithm = stun::PasswordAlgorithm::kMd5;
  const auto alg_attr = m.find(attr::kPasswordAlgorithm);
  const auto algs_attr = m.find(attr::kPasswordAlgorithms);
  if (alg_attr || algs_attr) {
    // 0 is no algorithm: a missing or malformed PASSWORD-ALGORITHM is rejected below.
    const auto alg = alg_attr ? stun::decode_password_algorithm(*alg_attr).value_or(
                                    static_cast<stun::PasswordAlgorithm>(0))
                              : static_cast<stun::PasswordAlgorithm>(0);
    const auto offered = algs_attr ? stun::decode_password_algorithms(*algs_attr)
                                   : std::vector<stun::PasswordAlgorithm>{};
    const bool echo_ok =
        offered == std::vector<stun::PasswordAlgorithm>{stun::PasswordAlgorithm::kSha256,
                                                        stun::PasswordAlgorithm::kMd5};
    if (!echo_ok || !options_.advertise_security_features ||
        (alg != stun::PasswordAlgorithm::kMd5 && alg != stun::PasswordAlgorithm::kSha256)) {
      ++counters_.auth_failures;
      send_error(req, error::kBadRequest, out);
      return false;
    }
    algorithm = alg;
  }

  std::string username;
  if (username_attr) {
    username.assign(as_string_view(*username_attr));
  } else if (auto u = credentials_.username_for_hash(*userhash_attr)) {
    username = *u;
  }
  const auto unix_now = options_.unix_time_offset + now.us() / 1'000'000;
  const auto keys = as_string_view(*realm) == credentials_.realm() && !username.empty()
                        ? credentials_.keys_for(username, unix_now, algorithm)
                        : std::vector<Key>{};
  const Key* match = nullptr;
  for (const auto& key : keys) {
    const bool ok = sha256 ? stun::verify_message_integrity_sha256(m, key)
                           : stun::verify_message_integrity(m, key);
    if (ok) {
      match = &key;
      break;
    }
  }
  if (!match) {
    ++counters_.auth_failures;
    emit(ServerEvent::Kind::kAuthFailed, req.route, username,
         keys.empty() ? "unknown or expired user" : "wrong credentials");
    send_error(req, error::kUnauthorized, out, /*with_nonce=*/true);
    return false;
  }
  if (nonces_.check(as_string_view(*nonce), now, req.route.remote.ip()) !=
      NonceIssuer::Check::kValid) {
    ++counters_.stale_nonces;
    send_error(req, error::kStaleNonce, out, /*with_nonce=*/true);
    return false;
  }
  req.authenticated = true;
  req.sha256 = sha256;
  req.key = *match;
  req.username = std::move(username);
  return true;
}

// What every per-address limit counts: IPv6 clients per ipv6_limit_prefix, IPv4-mapped as IPv4.
IpAddress Server::client_key_of(const ClientRoute& route) const {
  return client_key(route.remote.ip(), options_.ipv6_limit_prefix);
}

bool Server::unauth_allowed(Timestamp now, const ClientRoute& route) {
  return unauth_.allow(now, client_key_of(route));
}

void Server::send_error(Request& req, int code, TransmitQueue& out, bool with_nonce) {
  // Answers that anyone can provoke without credentials are rate limited per source address.
  if (!req.authenticated && !unauth_allowed(req.now, req.route)) {
    ++counters_.rate_limited;
    return;
  }
  auto buf = out.reserve(1200);
  MessageBuilder b(buf, req.msg.raw_method(), MessageClass::kError, req.msg.transaction_id());
  b.add_error(code, options_.include_reason_phrase ? error::reason_phrase(code) : "");
  if (with_nonce) {
    b.add(attr::kRealm, credentials_.realm());
    b.add(attr::kNonce, nonces_.issue(req.now, req.route.remote.ip()));
    if (options_.advertise_security_features) {
      const stun::PasswordAlgorithm algs[] = {stun::PasswordAlgorithm::kSha256,
                                              stun::PasswordAlgorithm::kMd5};
      stun::add_password_algorithms(b, algs);
    }
  }
  finish_response(req, b, out);
}

void Server::finish_response(Request& req, MessageBuilder& b, TransmitQueue& out) {
  if (!options_.software.empty()) b.add(attr::kSoftware, options_.software);
  if (req.authenticated) {
    if (req.sha256)
      b.add_message_integrity_sha256(req.key);
    else
      b.add_message_integrity(req.key);
  }
  if (req.fingerprint) b.add_fingerprint();
  if (!b.ok()) return;
  Transmit t{.via = Transmit::Via::kClient, .client = req.route};
  if (req.response_local) t.client.local = *req.response_local;
  if (req.response_remote) t.client.remote = *req.response_remote;
  out.commit(t, b.finish().size());
}

void Server::handle_binding(Timestamp, Request& req, TransmitQueue& out) {
  ++counters_.binding_requests;
  const MessageView& m = req.msg;
  auto buf = out.reserve(256);
  MessageBuilder b(buf, Method::kBinding, MessageClass::kSuccess, m.transaction_id());
  stun::add_xor_address(b, attr::kXorMappedAddress, req.route.remote);
  if (options_.rfc5780_other_address && req.route.transport == Transport::kUdp) {
    // RFC 5780 §6.1: answer from the address CHANGE-REQUEST names, to RESPONSE-PORT if given.
    const SocketAddress other = *options_.rfc5780_other_address;
    SocketAddress origin = req.route.local;
    if (auto v = m.find(attr::kChangeRequest)) {
      auto change = stun::decode_change_request(*v);
      if (!change) {
        send_error(req, error::kBadRequest, out);
        return;
      }
      // The alternate IP is the other listening address; the alternate port is the other port.
      if (change->change_ip) origin = SocketAddress(other.ip(), origin.port());
      if (change->change_port) origin = SocketAddress(origin.ip(), other.port());
    }
    if (auto v = m.find(attr::kResponsePort)) {
      if (v->size() != 4) {
        send_error(req, error::kBadRequest, out);
        return;
      }
      req.response_remote = SocketAddress(req.route.remote.ip(), ByteReader(*v).u16());
    }
    req.response_local = origin;
    stun::add_address(b, attr::kOtherAddress, other);
    stun::add_address(b, attr::kResponseOrigin, origin);
  }
  finish_response(req, b, out);
}

void Server::emit(ServerEvent::Kind kind, const ClientRoute& route, std::string username,
                  std::string detail) {
  // Bounded: if nobody drains events, the oldest are dropped rather than growing without end.
  if (events_.size() >= 1024) events_.pop_front();
  events_.push_back(ServerEvent{kind, route, std::move(username), std::move(detail)});
}

bool Server::poll_event(ServerEvent& event) {
  if (events_.empty()) return false;
  event = std::move(events_.front());
  events_.pop_front();
  return true;
}

const Allocation* Server::find_allocation(const ClientRoute& route) const {
  auto it = allocations_.find(route);
  return it == allocations_.end() ? nullptr : it->second.get();
}

std::size_t Server::permission_count() const {
  std::size_t n = 0;
  for (const auto& [r, a] : allocations_) n += a->permissions.size();
  return n;
}

std::size_t Server::channel_count() const {
  std::size_t n = 0;
  for (const auto& [r, a] : allocations_) n += a->channels.size();
  return n;
}

}  // namespace peerkit::turn
