// RFC 8285 §4.2/§4.3 element parsing and building, §5 extmap bookkeeping.
#include "rtp/extensions.h"

#include <array>

namespace peerkit::rtp {

std::optional<ByteSpan> ExtensionList::find(std::uint8_t id) const {
  for (const auto& e : view())
    if (e.id == id) return e.data;
  return std::nullopt;
}

bool ExtensionList::push(Extension e) {
  if (count == items.size()) return false;
  items[count++] = e;
  return true;
}

Expected<ExtensionList, Error> parse_extensions(std::uint16_t profile, ByteSpan data) {
  ExtensionList list;
  const bool one_byte = profile == kOneByteProfile;
  const bool two_byte = (profile & 0xfff0) == kTwoByteProfile;
  if (!one_byte && !two_byte) return list;
  std::size_t i = 0;
  while (i < data.size()) {
    const auto b = std::to_integer<std::uint8_t>(data[i]);
    if (b == 0) {  // padding byte, either form
      ++i;
      continue;
    }
    std::uint8_t id;
    std::size_t len;
    if (one_byte) {
      id = b >> 4;
      // §4.2: id 15 is reserved; processing of the block stops there. Id 0 is only padding
      // (a whole 0x00 byte); id 0 with a length is malformed.
      if (id == 15) break;
      if (id == 0) return Unexpected(Error::kBadExtension);
      len = (b & 0x0f) + 1u;
      i += 1;
    } else {
      if (i + 1 >= data.size()) return Unexpected(Error::kBadExtension);
      id = b;
      len = std::to_integer<std::uint8_t>(data[i + 1]);
      i += 2;
    }
    if (len > data.size() - i) return Unexpected(Error::kBadExtension);
    if (!list.push({id, data.subspan(i, len)})) return Unexpected(Error::kTooMany);
    i += len;
  }
  return list;
}

namespace {
bool fits_one_byte(std::span<const Extension> items) {
  for (const auto& e : items)
    if (e.id < 1 || e.id > 14 || e.data.empty() || e.data.size() > 16) return false;
  return true;
}
}  // namespace

Expected<std::size_t, Error> extensions_size(std::span<const Extension> items) {
  if (items.empty()) return std::size_t{0};
  std::size_t body = 0;
  const bool one = fits_one_byte(items);
  for (const auto& e : items) {
    if (e.id == 0 || e.data.size() > 255) return Unexpected(Error::kBadExtension);
    body += (one ? 1 : 2) + e.data.size();
  }
  return 4 + (body + 3) / 4 * 4;
}

Expected<std::size_t, Error> write_extensions(std::span<const Extension> items, ByteWriter& out) {
  auto size = extensions_size(items);
  if (!size) return size;
  if (*size == 0) return size;
  const bool one = fits_one_byte(items);
  const std::size_t start = out.size();
  out.u16(one ? kOneByteProfile : kTwoByteProfile);
  out.u16(static_cast<std::uint16_t>((*size - 4) / 4));
  for (const auto& e : items) {
    if (one) {
      out.u8(static_cast<std::uint8_t>(e.id << 4 | (e.data.size() - 1)));
    } else {
      out.u8(e.id);
      out.u8(static_cast<std::uint8_t>(e.data.size()));
    }
    out.bytes(e.data);
  }
  out.zeros(start + *size - out.size());
  if (!out.ok()) return Unexpected(Error::kBufferTooSmall);
  return size;
}

namespace {
struct KindUri {
  ExtensionKind kind;
  std::string_view uri;
};
constexpr std::array<KindUri, 11> kUris{{
    {ExtensionKind::kMid, uri::kMid},
    {ExtensionKind::kRid, uri::kRid},
    {ExtensionKind::kRepairedRid, uri::kRepairedRid},
    {ExtensionKind::kAbsSendTime, uri::kAbsSendTime},
    {ExtensionKind::kTransportWideCc, uri::kTransportWideCc},
    {ExtensionKind::kAudioLevel, uri::kAudioLevel},
    {ExtensionKind::kDependencyDescriptor, uri::kDependencyDescriptor},
    {ExtensionKind::kTimeOffset, uri::kTimeOffset},
    {ExtensionKind::kVideoOrientation, uri::kVideoOrientation},
    {ExtensionKind::kPlayoutDelay, uri::kPlayoutDelay},
    {ExtensionKind::kAbsCaptureTime, uri::kAbsCaptureTime},
}};
}  // namespace

ExtensionKind kind_from_uri(std::string_view uri) {
  for (const auto& k : kUris)
    if (k.uri == uri) return k.kind;
  return ExtensionKind::kUnknown;
}

std::string_view uri_of(ExtensionKind kind) {
  for (const auto& k : kUris)
    if (k.kind == kind) return k.uri;
  return {};
}

Expected<bool, Error> ExtensionMap::add(int id, std::string_view uri) {
  return add(id, kind_from_uri(uri));
}

Expected<bool, Error> ExtensionMap::add(int id, ExtensionKind kind) {
  if (id < 1 || id > 255) return Unexpected(Error::kBadValue);
  const auto k = static_cast<std::size_t>(kind);
  if (used_[id]) {
    if (kinds_[id] == kind) return true;
    return Unexpected(Error::kTooMany);
  }
  if (kind != ExtensionKind::kUnknown && ids_[k] != 0) return Unexpected(Error::kTooMany);
  used_[id] = true;
  kinds_[id] = kind;
  if (kind != ExtensionKind::kUnknown) ids_[k] = static_cast<std::uint8_t>(id);
  ++count_;
  return true;
}

std::optional<std::uint8_t> ExtensionMap::id_of(ExtensionKind kind) const {
  if (kind == ExtensionKind::kUnknown) return std::nullopt;
  const std::uint8_t id = ids_[static_cast<std::size_t>(kind)];
  if (id == 0) return std::nullopt;
  return id;
}

Expected<ExtensionList, Error> remap_extensions(const ExtensionList& in, const ExtensionMap& from,
                                                const ExtensionMap& to) {
  ExtensionList out;
  for (const auto& e : in.view()) {
    const auto id = to.id_of(from.kind_of(e.id));
    if (!id) continue;
    out.push({*id, e.data});
  }
  return out;
}

}  // namespace peerkit::rtp
