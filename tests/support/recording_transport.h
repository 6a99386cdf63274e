// A signaling::Transport that records what a core sends and closes, per session, for assertions.
// Free of GoogleTest.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "signaling/transport.h"

namespace peerkit::testing {

class RecordingTransport final : public signaling::Transport {
 public:
  bool send(signaling::SessionId session, std::string_view text) override {
    if (failing.contains(session)) return false;
    sent[session].emplace_back(text);
    return true;
  }
  void close(signaling::SessionId session, std::uint16_t code, std::string_view reason) override {
    closed[session] = {code, std::string(reason)};
  }
  // Everything sent to `session` since the last call.
  std::vector<std::string> take(signaling::SessionId session) {
    auto out = std::move(sent[session]);
    sent[session].clear();
    return out;
  }

  std::map<signaling::SessionId, std::vector<std::string>> sent;
  std::map<signaling::SessionId, std::pair<std::uint16_t, std::string>> closed;
  std::set<signaling::SessionId> failing;  // sessions whose send fails (gone / queue full)
};

}  // namespace peerkit::testing
