// libFuzzer: the STUN parser and every attribute decoder on arbitrary bytes; integrity and
// fingerprint checks on whatever parses. Nothing may read outside the input.
#include <cstdint>

#include "stun/attributes.h"
#include "stun/integrity.h"
#include "stun/message.h"

using namespace peerkit;
using namespace peerkit::stun;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in(reinterpret_cast<const std::byte*>(data), size);
  auto m = MessageView::parse(in);
  if (!m) return 0;
  std::uint16_t unknown[16];
  (void)m->unknown_required(unknown);
  for (const auto& a : m->attributes()) {
    const ByteSpan v = in.subspan(a.offset, a.length);
    (void)decode_address(v);
    (void)decode_xor_address(v, m->transaction_id());
    (void)decode_error_code(v);
    (void)decode_unknown_attributes(v);
    (void)decode_channel_number(v);
    (void)decode_requested_transport(v);
    (void)decode_address_family(v);
    (void)decode_even_port(v);
    (void)decode_password_algorithms(v);
    (void)decode_password_algorithm(v);
    (void)decode_change_request(v);
    (void)decode_u32(v);
    (void)decode_u64(v);
  }
  const std::byte key[16] = {};
  (void)verify_message_integrity(*m, key);
  (void)verify_message_integrity_sha256(*m, key);
  (void)verify_fingerprint(*m);
  return 0;
}
