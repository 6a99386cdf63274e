#include "ice/host_filter.h"

#include <algorithm>

namespace peerkit::ice {
namespace {

bool is_link_local(const IpAddress& a) {
  const auto& b = a.bytes();
  if (a.is_v4()) return b[0] == 169 && b[1] == 254;  // 169.254.0.0/16
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;      // fe80::/10
}

bool in_any(const std::vector<IpRange>& ranges, const IpAddress& a) {
  return std::any_of(ranges.begin(), ranges.end(), [&](const IpRange& r) { return r.contains(a); });
}

}  // namespace

Expected<HostFilter, std::string> parse_host_filter(std::string_view rules, HostFilter f) {
  while (!rules.empty()) {
    const auto comma = rules.find(',');
    std::string_view item = rules.substr(0, comma);
    rules = comma == std::string_view::npos ? std::string_view{} : rules.substr(comma + 1);
    if (item.empty()) continue;
    const bool exclude = item.front() == '!';
    if (exclude) item.remove_prefix(1);
    if (item.empty()) return Unexpected(std::string("empty rule after '!'"));
    const bool looks_like_address = item.find_first_of(".:/") != std::string_view::npos;
    if (looks_like_address) {
      auto range = parse_ip_range(item);
      if (!range) return Unexpected("not an address, range or CIDR: " + std::string(item));
      (exclude ? f.exclude_addresses : f.include_addresses).push_back(*range);
      if (!exclude && range->first.is_loopback()) f.allow_loopback = true;  // asked for by name
    } else {
      (exclude ? f.exclude_interfaces : f.include_interfaces).emplace_back(item);
      if (!exclude && item == "lo") f.allow_loopback = true;
    }
  }
  return f;
}

std::vector<IpAddress> select_host_addresses(const std::vector<LocalInterface>& interfaces,
                                             const HostFilter& f) {
  std::vector<IpAddress> out;
  for (const auto& i : interfaces) {
    const auto& a = i.address;
    if (!i.up || a.is_unspecified()) continue;
    if (a.is_loopback() && !f.allow_loopback) continue;
    if (is_link_local(a) && !f.allow_link_local) continue;
    if (a.is_v6() && !f.ipv6) continue;
    if (!f.include_interfaces.empty() &&
        std::find(f.include_interfaces.begin(), f.include_interfaces.end(), i.name) ==
            f.include_interfaces.end())
      continue;
    if (std::find(f.exclude_interfaces.begin(), f.exclude_interfaces.end(), i.name) !=
        f.exclude_interfaces.end())
      continue;
    if (!f.include_addresses.empty() && !in_any(f.include_addresses, a)) continue;
    if (in_any(f.exclude_addresses, a)) continue;
    if (std::find(out.begin(), out.end(), a) != out.end()) continue;
    if (out.size() >= f.max_addresses) break;
    out.push_back(a);
  }
  return out;
}

}  // namespace peerkit::ice
