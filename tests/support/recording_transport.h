// A signaling::Transport that records what a core sends and closes, per session, for assertions.
// Free of GoogleTest.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "signaling/transport.h"

namespace peerkit::testing {

// Tests name sessions by their number, so the records are keyed by SessionId::value.
class RecordingTransport final : public signaling::Transport {
 public:
  bool send(signaling::SessionId session, std::string_view text) override {
    if (failing.contains(session.value)) return false;
    sent[session.value].emplace_back(text);
    return true;
  }
  void close(signaling::SessionId session, std::uint16_t code, std::string_view reason) override {
    closed[session.value] = {code, std::string(reason)};
  }
  // Everything sent to session `number` since the last call.
  std::vector<std::string> take(std::uint64_t number) {
    auto out = std::move(sent[number]);
    sent[number].clear();
    return out;
  }

  std::map<std::uint64_t, std::vector<std::string>> sent;
  std::map<std::uint64_t, std::pair<std::uint16_t, std::string>> closed;
  std::set<std::uint64_t> failing;  // sessions whose send fails (gone / queue full)
};

}  // namespace peerkit::testing
