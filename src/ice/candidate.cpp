#include "ice/candidate.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace peerkit::ice {

namespace {

// RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/"
bool ice_chars(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

template <class T>
bool number(std::string_view s, T& out) {
  if (s.empty() || s.size() > 10) return false;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > std::numeric_limits<T>::max())
    return false;
  out = static_cast<T>(v);
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Visible ASCII only (VCHAR), at most 253 bytes: addresses, host names and extension tokens
// (RFC 8839 §5.1).
bool plausible_address(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return false;
  return true;
}

}  // namespace

std::optional<std::string_view> Candidate::extension(std::string_view name) const {
  for (const auto& [k, v] : extensions)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

Expected<Candidate, std::string> parse_candidate(std::string_view line) {
  using Error = Unexpected<std::string>;
  if (line.starts_with("a=")) line.remove_prefix(2);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (!line.starts_with("candidate:"))
    return Error("not a candidate attribute (expected 'candidate:')");
  line.remove_prefix(10);
  const auto f = split(line);
  if (f.size() < 8)
    return Error("a candidate needs at least 8 fields, got " + std::to_string(f.size()));
  Candidate c;
  if (f[0].empty() || f[0].size() > 32 || !ice_chars(f[0])) return Error("bad foundation");
  c.foundation = std::string(f[0]);
  if (!number(f[1], c.component) || c.component < 1 || c.component > 256)
    return Error("component must be 1-256");
  if (iequals(f[2], "udp"))
    c.transport = Transport::kUdp;
  else if (iequals(f[2], "tcp"))
    c.transport = Transport::kTcp;
  else
    return Error("unsupported transport '" + std::string(f[2]) + "'");
  if (!number(f[3], c.priority) || c.priority == 0) return Error("priority must be 1-4294967295");
  if (!plausible_address(f[4])) return Error("bad connection address");
  c.address = std::string(f[4]);
  if (!number(f[5], c.port)) return Error("port must be 0-65535");
  if (f[6] != "typ") return Error("expected 'typ' after the port");
  if (f[7] == "host")
    c.type = CandidateType::kHost;
  else if (f[7] == "srflx")
    c.type = CandidateType::kServerReflexive;
  else if (f[7] == "prflx")
    c.type = CandidateType::kPeerReflexive;
  else if (f[7] == "relay")
    c.type = CandidateType::kRelay;
  else
    return Error("unknown candidate type '" + std::string(f[7]) + "'");
  // The rest are name/value pairs: raddr, rport, tcptype, then any extension (RFC 8839 §5.1).
  for (std::size_t i = 8; i < f.size(); i += 2) {
    if (i + 1 >= f.size()) return Error("attribute '" + std::string(f[i]) + "' has no value");
    const auto name = f[i], value = f[i + 1];
    if (name == "raddr") {
      if (!plausible_address(value)) return Error("bad raddr");
      c.related_address = std::string(value);
    } else if (name == "rport") {
      std::uint16_t p;
      if (!number(value, p)) return Error("rport must be 0-65535");
      c.related_port = p;
    } else if (name == "tcptype") {
      if (value == "active")
        c.tcp_type = TcpType::kActive;
      else if (value == "passive")
        c.tcp_type = TcpType::kPassive;
      else if (value == "so")
        c.tcp_type = TcpType::kSimultaneousOpen;
      else
        return Error("unknown tcptype '" + std::string(value) + "'");
    } else {
      // RFC 8839 §5.1: extension names are tokens and values are VCHARs.
      if (!plausible_address(name) || !plausible_address(value))
        return Error("extension attributes must be visible ASCII");
      if (c.extensions.size() >= 16) return Error("too many extension attributes");
      c.extensions.emplace_back(std::string(name), std::string(value));
    }
  }
  if (c.transport == Transport::kTcp && c.tcp_type == TcpType::kNone)
    return Error("a TCP candidate needs a tcptype (RFC 6544 §4.5)");
  return c;
}

std::string_view to_string(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return "host";
    case CandidateType::kServerReflexive:
      return "srflx";
    case CandidateType::kPeerReflexive:
      return "prflx";
    case CandidateType::kRelay:
      return "relay";
  }
  return "host";
}

std::string print_candidate(const Candidate& c) {
  std::string out = "candidate:" + c.foundation + " " + std::to_string(c.component) + " " +
                    (c.transport == Transport::kUdp ? "udp" : "tcp") + " " +
                    std::to_string(c.priority) + " " + c.address + " " + std::to_string(c.port) +
                    " typ " + std::string(to_string(c.type));
  if (c.related_address) out += " raddr " + *c.related_address;
  if (c.related_port) out += " rport " + std::to_string(*c.related_port);
  if (c.tcp_type != TcpType::kNone)
    out += std::string(" tcptype ") + (c.tcp_type == TcpType::kActive    ? "active"
                                       : c.tcp_type == TcpType::kPassive ? "passive"
                                                                         : "so");
  for (const auto& [k, v] : c.extensions) out += " " + k + " " + v;
  return out;
}

std::uint32_t type_preference(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return 126;
    case CandidateType::kPeerReflexive:
      return 110;
    case CandidateType::kServerReflexive:
      return 100;
    case CandidateType::kRelay:
      return 0;
  }
  return 0;
}

std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference,
                                 std::uint16_t component) {
  return (type_preference(type) << 24) + (std::uint32_t{local_preference} << 8) +
         (256 - std::min<std::uint32_t>(component, 256));
}

}  // namespace peerkit::ice
