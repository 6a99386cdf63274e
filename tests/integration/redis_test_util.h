// Shared by the redis integration tests: drive the loop on the test's thread until a condition
// holds or a deadline passes (no sleeps standing in for conditions).
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "net/loop.h"
#include "redis/client.h"
#include "support/redis_server.h"

namespace peerkit::redis::testing {

inline bool run_until(net::Loop& loop, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    loop.run_for(Duration::millis(5));
  }
  return true;
}

inline Options options_for(const test::RedisServer& server) {
  Options o;
  o.host = server.host();
  o.port = server.port();
  o.connect_timeout = Duration::seconds(2);
  o.command_timeout = Duration::seconds(2);
  o.reconnect_min = Duration::millis(20);
  o.reconnect_max = Duration::millis(200);
  return o;
}

// Issues one command and runs the loop until its callback ran.
inline std::optional<Result> call(net::Loop& loop, Client& client, std::vector<std::string> argv) {
  std::optional<Result> out;
  client.command(std::move(argv), [&](Result r) { out = std::move(r); });
  if (!run_until(loop, [&] { return out.has_value(); })) return std::nullopt;
  return out;
}

}  // namespace peerkit::redis::testing
