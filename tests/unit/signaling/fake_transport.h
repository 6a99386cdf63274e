// Records what a signaling core sends and closes, per session, for assertions.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "signaling/transport.h"

namespace peerkit::signaling::testing {

class FakeTransport final : public Transport {
 public:
  bool send(SessionId session, std::string_view text) override {
    if (failing.contains(session)) return false;
    sent[session].emplace_back(text);
    return true;
  }
  void close(SessionId session, std::uint16_t code, std::string_view reason) override {
    closed[session] = {code, std::string(reason)};
  }
  // Everything sent to `session` since the last call.
  std::vector<std::string> take(SessionId session) {
    auto out = std::move(sent[session]);
    sent[session].clear();
    return out;
  }

  std::map<SessionId, std::vector<std::string>> sent;
  std::map<SessionId, std::pair<std::uint16_t, std::string>> closed;
  std::set<SessionId> failing;  // sessions whose send fails (gone / queue full)
};

}  // namespace peerkit::signaling::testing
