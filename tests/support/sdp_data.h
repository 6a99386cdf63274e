// The captured SDP in tests/data/sdp (see its README), for the tests and fuzzers that define
// PEERKIT_SDP_DATA_DIR as that directory: one reader instead of one per test file.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#ifndef PEERKIT_SDP_DATA_DIR
#error "define PEERKIT_SDP_DATA_DIR as tests/data/sdp"
#endif

namespace peerkit::testing {

// The file's bytes ("" when it cannot be opened; *found says which).
inline std::string read_sdp_data(std::string_view name, bool* found = nullptr) {
  std::ifstream in(std::string(PEERKIT_SDP_DATA_DIR) + "/" + std::string(name), std::ios::binary);
  if (found) *found = static_cast<bool>(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace peerkit::testing
