// TURN messages as a test client writes them by hand (RFC 8656): requests with long-term
// credentials (RFC 8489 §9.2), Send indications and ChannelData. For tests and fuzzers that
// need exact bytes; a test that only needs a working client drives turn::Client instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "stun/attributes.h"
#include "stun/integrity.h"
#include "stun/message.h"

namespace peerkit::testing {

struct LongTermCredentials {
  std::string_view username, realm, password, nonce;
};

// USERNAME, REALM, NONCE, then MESSAGE-INTEGRITY: the last attributes before finish().
inline void add_credentials(stun::MessageBuilder& b, const LongTermCredentials& c) {
  b.add(stun::attr::kUsername, c.username);
  b.add(stun::attr::kRealm, c.realm);
  b.add(stun::attr::kNonce, c.nonce);
  b.add_message_integrity(stun::long_term_key(c.username, c.realm, c.password));
}

// A request of `method`; `add(builder)` adds the method's attributes. Signed when `credentials`
// are given.
template <class F>
std::vector<std::byte> turn_request(stun::Method method, const stun::TransactionId& tid, F add,
                                    const std::optional<LongTermCredentials>& credentials = {}) {
  std::byte buf[1500];
  stun::MessageBuilder b(buf, method, stun::MessageClass::kRequest, tid);
  add(b);
  if (credentials) add_credentials(b, *credentials);
  const auto s = b.finish();
  return {s.begin(), s.end()};
}

// A Send indication carrying `payload` to `peer` (§11.1).
inline std::vector<std::byte> send_indication(const stun::TransactionId& tid,
                                              const SocketAddress& peer, std::string_view payload) {
  std::byte buf[1500];
  stun::MessageBuilder b(buf, stun::Method::kSend, stun::MessageClass::kIndication, tid);
  stun::add_xor_address(b, stun::attr::kXorPeerAddress, peer);
  b.add(stun::attr::kData, payload);
  const auto s = b.finish();
  return {s.begin(), s.end()};
}

// A ChannelData message (§12.4), unpadded.
inline std::vector<std::byte> channel_data(std::uint16_t channel, std::string_view payload) {
  std::vector<std::byte> d(4 + payload.size());
  ByteWriter w(d);
  w.u16(channel);
  w.u16(static_cast<std::uint16_t>(payload.size()));
  w.bytes(as_bytes(payload));
  return d;
}

}  // namespace peerkit::testing
