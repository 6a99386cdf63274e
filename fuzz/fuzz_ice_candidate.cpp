// The candidate attribute parser (RFC 8839 §5.1): never crashes, and whatever it accepts prints
// to a line that parses to the same candidate (print ∘ parse is a fixed point).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ice/candidate.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto first = peerkit::ice::parse_candidate(line);
  if (!first) return 0;
  const std::string printed = peerkit::ice::print_candidate(*first);
  auto second = peerkit::ice::parse_candidate(printed);
  if (!second || peerkit::ice::print_candidate(*second) != printed) std::abort();
  return 0;
}
