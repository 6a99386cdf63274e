// A browser's DTLS 1.3-capable ClientHello, fragmented across datagrams (Firefox with a
// post-quantum key share sends one that does not fit a datagram), is answered with DTLS 1.2.
// The hello is built from a real OpenSSL ClientHello: supported_versions {DTLS 1.3, DTLS 1.2}
// and a 1 216-byte X25519MLKEM768 key share are added, and the message is cut into three
// handshake fragments, each in its own record and datagram (RFC 6347 §4.2.3, RFC 9147 §5.5).
#include <gtest/gtest.h>

#include <cstdint>

#include "dtls_pair.h"

namespace peerkit::dtls {
namespace {

using test::Datagram;
using test::Pair;
using test::take;

using Bytes = std::vector<std::uint8_t>;

std::uint32_t get24(const Bytes& b, std::size_t at) {
  return std::uint32_t{b[at]} << 16 | std::uint32_t{b[at + 1]} << 8 | b[at + 2];
}
void put16(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put24(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 16));
  put16(b, v & 0xffff);
}

// The ClientHello body with extensions added (the extensions block is last, RFC 5246 §7.4.1.2).
Bytes with_extensions(Bytes body, const Bytes& extra) {
  std::size_t at = 2 + 32;  // client_version, random
  at += 1 + body[at];       // session_id
  at += 1 + body[at];       // cookie (DTLS)
  at += 2 + (std::size_t{body[at]} << 8 | body[at + 1]);  // cipher_suites
  at += 1 + body[at];                                     // compression_methods
  const std::size_t ext_len = std::size_t{body[at]} << 8 | body[at + 1];
  EXPECT_EQ(at + 2 + ext_len, body.size());
  const std::size_t total = ext_len + extra.size();
  body[at] = static_cast<std::uint8_t>(total >> 8);
  body[at + 1] = static_cast<std::uint8_t>(total);
  body.insert(body.end(), extra.begin(), extra.end());
  return body;
}

Bytes tls13_extensions() {
  Bytes e;
  put16(e, 0x002b);  // supported_versions (RFC 8446 §4.2.1): DTLS 1.3, DTLS 1.2
  put16(e, 5);
  e.push_back(4);
  put16(e, 0xfefc);
  put16(e, 0xfefd);
  put16(e, 0x0033);  // key_share: one X25519MLKEM768 share of 1 216 bytes
  const std::uint32_t share = 1216;
  put16(e, 2 + 2 + 2 + share);
  put16(e, 2 + 2 + share);
  put16(e, 0x11ec);
  put16(e, share);
  for (std::uint32_t i = 0; i < share; ++i) e.push_back(static_cast<std::uint8_t>(i * 13));
  return e;
}

// One DTLS record holding one fragment of handshake message 0 (RFC 6347 §4.1, §4.2.2).
Datagram record(std::uint64_t sequence, const Bytes& body, std::size_t offset, std::size_t length) {
  Bytes r{22, 0xfe, 0xfd, 0, 0};  // handshake, DTLS 1.0 record version is also fine; use 1.2
  for (int i = 5; i >= 0; --i) r.push_back(static_cast<std::uint8_t>(sequence >> (8 * i)));
  put16(r, static_cast<std::uint32_t>(12 + length));
  r.push_back(1);  // client_hello
  put24(r, static_cast<std::uint32_t>(body.size()));
  put16(r, 0);  // message_seq
  put24(r, static_cast<std::uint32_t>(offset));
  put24(r, static_cast<std::uint32_t>(length));
  r.insert(r.end(), body.begin() + static_cast<std::ptrdiff_t>(offset),
           body.begin() + static_cast<std::ptrdiff_t>(offset + length));
  Datagram d;
  for (auto b : r) d.push_back(std::byte{b});
  return d;
}

TEST(DtlsClientHello, FragmentedDtls13CapableHelloIsAnsweredWithDtls12) {
  Pair p;
  p.client->start(p.clock.now());
  const auto flight = take(*p.client);
  ASSERT_EQ(flight.size(), 1u);
  Bytes original;
  for (auto b : flight[0]) original.push_back(std::to_integer<std::uint8_t>(b));
  ASSERT_EQ(original[13], 1);  // client_hello
  const std::size_t body_len = get24(original, 14);
  ASSERT_EQ(get24(original, 22), body_len);  // one unfragmented fragment
  const Bytes body = with_extensions(
      Bytes(original.begin() + 25, original.begin() + 25 + static_cast<std::ptrdiff_t>(body_len)),
      tls13_extensions());
  ASSERT_GT(body.size(), 1200u);

  // Three fragments, delivered last-first to make reassembly do its work.
  const std::size_t third = body.size() / 3;
  const Datagram parts[] = {record(0, body, 0, third), record(1, body, third, third),
                            record(2, body, 2 * third, body.size() - 2 * third)};
  for (const auto* d : {&parts[2], &parts[0], &parts[1]}) {
    EXPECT_LE(d->size(), 1200u);
    EXPECT_TRUE(take(*p.server).empty()) << "answered before the hello was whole";
    p.server->handle_datagram(p.clock.now(), *d);
  }
  const auto answer = take(*p.server);
  ASSERT_FALSE(answer.empty()) << p.server->failure();
  const auto& first = answer.front();
  ASSERT_GT(first.size(), 27u);
  EXPECT_EQ(std::to_integer<int>(first[0]), 22);  // handshake
  EXPECT_EQ(std::to_integer<int>(first[13]), 2);  // server_hello, not a HelloVerifyRequest
  EXPECT_EQ(std::to_integer<int>(first[25]), 0xfe);
  EXPECT_EQ(std::to_integer<int>(first[26]), 0xfd);  // DTLS 1.2
  EXPECT_NE(p.server->state(), State::kFailed) << p.server->failure();
}

}  // namespace
}  // namespace peerkit::dtls
