#include "turn/service/relay_ports.h"

#include <bit>

namespace peerkit::turn {
namespace {

bool test(const std::vector<std::uint64_t>& bits, std::uint32_t i) {
  return (bits[i / 64] >> (i % 64)) & 1u;
}
void set(std::vector<std::uint64_t>& bits, std::uint32_t i, bool on) {
  const std::uint64_t mask = std::uint64_t{1} << (i % 64);
  bits[i / 64] = on ? bits[i / 64] | mask : bits[i / 64] & ~mask;
}

}  // namespace

RelayPorts::RelayPorts(std::uint16_t min_port, std::uint16_t max_port)
    : min_port_(min_port), max_port_(max_port) {}

RelayPorts::Range& RelayPorts::range_for(const IpAddress& ip) {
  for (auto& r : ranges_)
    if (r.ip == ip) return r;
  const std::size_t words = (max_port_ - min_port_ + 1u + 63) / 64;
  ranges_.push_back({ip, std::vector<std::uint64_t>(words), std::vector<std::uint64_t>(words)});
  return ranges_.back();
}

bool RelayPorts::usable(const Range& r, std::uint32_t offset, Want want) const {
  const std::uint32_t span = max_port_ - min_port_ + 1u;
  const auto free = [&](std::uint32_t o) { return !test(r.held, o) && !test(r.foreign, o); };
  if (!free(offset)) return false;
  if ((want.even || want.pair) && (min_port_ + offset) % 2 != 0) return false;
  if (want.pair && (offset + 1 >= span || !free(offset + 1))) return false;
  return true;
}

std::optional<std::uint32_t> RelayPorts::find(const Range& r, std::uint32_t from,
                                              Want want) const {
  const std::uint32_t span = max_port_ - min_port_ + 1u;
  for (std::uint32_t seen = 0; seen < span;) {
    const std::uint32_t o = (from + seen) % span;
    // A word with every port held or foreign is skipped whole (the usual case near the limit).
    if (o % 64 == 0 && o + 64 <= span && (r.held[o / 64] | r.foreign[o / 64]) == ~std::uint64_t{0}) {
      seen += 64;
      continue;
    }
    if (usable(r, o, want)) return o;
    ++seen;
  }
  return std::nullopt;
}

std::optional<std::uint16_t> RelayPorts::acquire(const IpAddress& ip, Want want,
                                                 RandomSource& random,
                                                 const std::function<Bind(std::uint16_t)>& bind) {
  std::lock_guard lock(mutex_);
  Range& r = range_for(ip);
  const std::uint32_t span = max_port_ - min_port_ + 1u;
  if (r.held_count >= span) return std::nullopt;  // every port is ours: no syscall at all
  // A random port (unpredictable relay addresses, RFC 8656 §7.2); after a port taken elsewhere
  // (other programs' ephemeral ports are scattered over the range) the usable ports following
  // it, and for the last quarter of the attempts fresh random starts, in case they are a block.
  std::optional<std::uint32_t> last;
  for (unsigned attempt = 0; attempt < kMaxBindAttempts; ++attempt) {
    const bool follow = last && attempt < kMaxBindAttempts * 3 / 4;
    std::optional<std::uint32_t> o = find(r, follow ? (*last + 1) % span : random.uniform(span), want);
    if (!o && r.foreign_count > 0) {
      // Only ports once taken elsewhere are left: they may have been freed since.
      std::fill(r.foreign.begin(), r.foreign.end(), 0);
      r.foreign_count = 0;
      o = find(r, random.uniform(span), want);
    }
    if (!o) return std::nullopt;  // nothing usable (e.g. no even pair left)
    const auto port = static_cast<std::uint16_t>(min_port_ + *o);
    switch (bind(port)) {
      case Bind::kBound:
        set(r.held, *o, true);
        ++r.held_count;
        if (want.pair) {
          set(r.held, *o + 1, true);
          ++r.held_count;
        }
        return port;
      case Bind::kInUse:
        set(r.foreign, *o, true);
        ++r.foreign_count;
        last = o;
        break;
      case Bind::kError:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

void RelayPorts::release(const SocketAddress& at) {
  std::lock_guard lock(mutex_);
  if (at.port() < min_port_ || at.port() > max_port_) return;
  Range& r = range_for(at.ip());
  const std::uint32_t o = at.port() - min_port_;
  if (!test(r.held, o)) return;
  set(r.held, o, false);
  --r.held_count;
}

std::size_t RelayPorts::held() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& r : ranges_) n += r.held_count;
  return n;
}

}  // namespace peerkit::turn
