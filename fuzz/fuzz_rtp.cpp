// The RTP/RTCP wire module (src/rtp/): arbitrary bytes are read as an RTP packet, as an RTCP
// compound and as a VP8 payload. Nothing may crash or read out of bounds, and whatever parses
// must build again and the built bytes must parse to an equal value (parse ∘ build ∘ parse).
// RTP packets also go through the SFU paths: extension remapping, in-place rewriting and an
// RTX wrap/unwrap round trip.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/rtx.h"
#include "rtp/vp8.h"

namespace {
using namespace peerkit;
using namespace peerkit::rtp;

void check(bool ok) {
  if (!ok) std::abort();
}

bool same_bytes(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

bool same_extensions(const ExtensionList& a, const ExtensionList& b) {
  if (a.count != b.count) return false;
  for (std::size_t i = 0; i < a.count; ++i)
    if (a.items[i].id != b.items[i].id || !same_bytes(a.items[i].data, b.items[i].data))
      return false;
  return true;
}

bool same_header(const Header& a, const Header& b) {
  if (a.marker != b.marker || a.payload_type != b.payload_type || a.sequence != b.sequence ||
      a.timestamp != b.timestamp || a.ssrc != b.ssrc || a.csrc_count != b.csrc_count)
    return false;
  for (std::size_t i = 0; i < a.csrc_count; ++i)
    if (a.csrcs[i] != b.csrcs[i]) return false;
  return true;
}

void fuzz_rtp(ByteSpan in) {
  auto v = parse_packet(in);
  if (!v) return;
  std::vector<std::byte> out(in.size() + 64);
  PacketBuild b{v->header, v->extensions.view(), v->payload, v->padding};
  auto n = build_packet(b, out);
  check(n.has_value() && *n == packet_size(b));
  auto w = parse_packet(ByteSpan(out).first(*n));
  check(w.has_value());
  check(same_header(v->header, w->header));
  check(same_extensions(v->extensions, w->extensions));
  check(same_bytes(v->payload, w->payload) && v->padding == w->padding);

  // Remap ids 1..14 to 15 - id (a subscriber with a different extmap); every known kind kept.
  ExtensionMap from, to;
  for (int k = 1; k <= static_cast<int>(ExtensionKind::kAbsCaptureTime); ++k) {
    (void)from.add(k, static_cast<ExtensionKind>(k));
    (void)to.add(15 - k, static_cast<ExtensionKind>(k));
  }
  auto m = rewrite_packet(in, from, to, {100, 1, 2, 3}, out);
  check(m.has_value());
  auto r = parse_packet(ByteSpan(out).first(*m));
  check(r.has_value() && r->header.payload_type == 100 && r->header.ssrc == 3);
  check(same_bytes(r->payload, v->payload));

  // In place, on a copy.
  std::vector<std::byte> copy(in.begin(), in.end());
  check(rewrite_in_place(copy, {5, 6, 7, 8}));
  auto c = parse_packet(copy);
  check(c.has_value() && c->header.sequence == 6 && same_bytes(c->payload, v->payload));

  // RTX round trip gives the original without padding.
  std::vector<std::byte> rtx(in.size() + 2), back(in.size() + 2);
  auto wrapped = wrap_rtx(in, {0x1234, 97, 9}, rtx);
  check(wrapped.has_value() && *wrapped == rtx_size(in));
  auto unwrapped =
      unwrap_rtx(ByteSpan(rtx).first(*wrapped), {v->header.ssrc, v->header.payload_type}, back);
  check(unwrapped.has_value());
  auto u = parse_packet(ByteSpan(back).first(*unwrapped));
  check(u.has_value() && same_header(u->header, v->header));
  check(same_extensions(u->extensions, v->extensions) && same_bytes(u->payload, v->payload));

  (void)vp8_is_keyframe(v->payload);
}

void fuzz_rtcp(ByteSpan in) {
  (void)is_rtcp(in);
  auto ps = parse_compound(in);
  if (!ps) return;
  // Our chunking of TWCC feedback may differ from the sender's; allow generous room.
  std::vector<std::byte> out(4 * in.size() + 1024);
  auto n = build_compound(*ps, out);
  check(n.has_value());
  if (ps->empty()) return;  // only skipped types: nothing to build, and empty is not RTCP
  auto again = parse_compound(ByteSpan(out).first(*n));
  check(again.has_value() && *again == *ps);
  for (const auto& p : *ps)
    if (const auto* nack = std::get_if<GenericNack>(&p)) {
      const auto seqs = nack_sequences(*nack);
      GenericNack packed{1, 2, nack_items(seqs)};
      // Packing may merge items, but never loses or invents a sequence number.
      auto expanded = nack_sequences(packed);
      for (auto s : seqs) check(std::find(expanded.begin(), expanded.end(), s) != expanded.end());
      for (auto s : expanded) check(std::find(seqs.begin(), seqs.end(), s) != seqs.end());
    }
}

void fuzz_vp8(ByteSpan in) {
  auto d = parse_vp8(in);
  if (!d) return;
  std::vector<std::byte> out(in.begin(), in.end());
  auto n = write_vp8_descriptor(*d, out);
  check(n.has_value() && *n == d->size);
  auto e = parse_vp8(out);
  check(e.has_value() && *e == *d);
  if (d->has_picture_id) {
    check(vp8_set_picture_id(out, 0x1234));
    check(parse_vp8(out)->picture_id == (d->picture_id_15bit ? 0x1234 : 0x34));
  }
  if (d->has_tl0picidx) check(vp8_set_tl0picidx(out, 0x77) && parse_vp8(out)->tl0picidx == 0x77);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan in(reinterpret_cast<const std::byte*>(data), size);
  fuzz_rtp(in);
  fuzz_rtcp(in);
  fuzz_vp8(in);
  return 0;
}
