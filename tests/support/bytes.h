// Byte strings written as integers, for tests: bytes({0x40, 0x00, 0x00, 0x01, 'x'}). Free of
// GoogleTest, so fuzzers and benches can use it too.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

namespace peerkit::testing {

inline std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  out.reserve(values.size());
  for (int b : values) out.push_back(std::byte(b));
  return out;
}

}  // namespace peerkit::testing
