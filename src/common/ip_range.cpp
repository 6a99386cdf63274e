// Ranges in the three spellings operators use, and the IPv4 addresses embedded in IPv6 ones
// (RFC 4291, RFC 6052, RFC 8215, RFC 3056, RFC 4380), for relay and host-candidate filters.
#include "common/ip_range.h"

#include <charconv>

namespace peerkit {
namespace {

bool less_or_equal(const IpAddress& a, const IpAddress& b) {
  const std::size_t n = a.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) {
    if (a.bytes()[i] != b.bytes()[i]) return a.bytes()[i] < b.bytes()[i];
  }
  return true;
}

std::optional<IpRange> cidr(const IpAddress& base, unsigned prefix, std::string text) {
  const unsigned bits = base.is_v4() ? 32 : 128;
  if (prefix > bits) return std::nullopt;
  auto first = base.bytes();
  auto last = base.bytes();
  for (unsigned i = 0; i < bits / 8; ++i) {
    const unsigned lo = i * 8;
    std::uint8_t mask;  // bits of this byte inside the prefix
    if (prefix >= lo + 8)
      mask = 0xFF;
    else if (prefix <= lo)
      mask = 0;
    else
      mask = static_cast<std::uint8_t>(0xFF << (8 - (prefix - lo)));
    first[i] &= mask;
    last[i] |= static_cast<std::uint8_t>(~mask);
  }
  auto make = [&](const std::array<std::uint8_t, 16>& b) {
    return base.is_v4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  };
  return IpRange{make(first), make(last), std::move(text)};
}

}  // namespace

bool IpRange::contains(const IpAddress& a) const {
  return a.family() == first.family() && less_or_equal(first, a) && less_or_equal(a, last);
}

std::optional<IpRange> parse_ip_range(std::string_view text) {
  const std::string original(text);
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto base = IpAddress::parse(text.substr(0, slash));
    unsigned prefix = 0;
    auto digits = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (!base || ec != std::errc() || p != digits.data() + digits.size() || digits.empty())
      return std::nullopt;
    return cidr(*base, prefix, original);
  }
  // "a-b"; IPv6 text never contains '-'.
  if (auto dash = text.find('-'); dash != std::string_view::npos) {
    auto a = IpAddress::parse(text.substr(0, dash));
    auto b = IpAddress::parse(text.substr(dash + 1));
    if (!a || !b || a->family() != b->family() || !less_or_equal(*a, *b)) return std::nullopt;
    return IpRange{*a, *b, original};
  }
  auto a = IpAddress::parse(text);
  if (!a) return std::nullopt;
  return IpRange{*a, *a, original};
}

std::optional<IpAddress> embedded_ipv4(const IpAddress& a) {
  if (!a.is_v6()) return std::nullopt;
  const auto& b = a.bytes();
  auto all_zero = [&](int from, int to) {
    for (int i = from; i < to; ++i)
      if (b[i] != 0) return false;
    return true;
  };
  auto v4_at = [&](int i) { return IpAddress::v4({b[i], b[i + 1], b[i + 2], b[i + 3]}); };
  if (all_zero(0, 10) && b[10] == 0xFF && b[11] == 0xFF) return v4_at(12);  // ::ffff:0:0/96
  if (all_zero(0, 12)) return v4_at(12);                                    // ::/96
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) {
    if (all_zero(4, 12)) return v4_at(12);               // 64:ff9b::/96
    if (b[4] == 0x00 && b[5] == 0x01) return v4_at(12);  // 64:ff9b:1::/48
  }
  if (b[0] == 0x20 && b[1] == 0x02) return v4_at(2);                   // 2002::/16
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) {  // 2001::/32
    return IpAddress::v4({static_cast<std::uint8_t>(~b[12]), static_cast<std::uint8_t>(~b[13]),
                          static_cast<std::uint8_t>(~b[14]), static_cast<std::uint8_t>(~b[15])});
  }
  return std::nullopt;
}

IpAddress kernel_destination(const IpAddress& a) {
  if (a.is_v6()) {
    const auto& b = a.bytes();
    bool mapped = b[10] == 0xFF && b[11] == 0xFF;
    for (int i = 0; i < 10 && mapped; ++i) mapped = b[i] == 0;
    if (mapped) return IpAddress::v4({b[12], b[13], b[14], b[15]});
  }
  return a;
}

}  // namespace peerkit
