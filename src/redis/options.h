// Settings shared by redis::Client and redis::Subscriber, and the connection events both report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/time.h"
#include "redis/reply.h"

namespace peerkit::redis {

struct Options {
  // An IP address (or a name in /etc/hosts: hiredis resolves it with a blocking getaddrinfo).
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  int db = 0;            // SELECT db on every (re)connect when not 0
  std::string username;  // Redis 6+ ACL user: AUTH username password; empty: the default user
  std::string password;  // AUTH password on every (re)connect when not empty
  // From connect() until AUTH/SELECT/PING are answered.
  Duration connect_timeout = Duration::seconds(2);
  // Per command, from command() to its reply. A timeout drops the connection: replies come in
  // order, so every later command would wait behind the late one anyway.
  Duration command_timeout = Duration::seconds(2);
  std::size_t max_pending = 10'000;  // commands in flight; more fail at once with queue_full
  // Between attempts: min after a loss, doubled per failed attempt up to max, reset once ready.
  Duration reconnect_min = Duration::millis(100);
  Duration reconnect_max = Duration::seconds(2);
};

struct ConnectionEvent {
  bool connected = false;  // true: ready (handshake done); false: lost or an attempt failed
  // When !connected: connection_lost, timeout, connect_failed, auth_failed or handshake_failed.
  Error reason = Error::connection_lost;
  std::string detail;   // hiredis' or the server's message, for logs
  bool retrying = true;  // false after auth_failed / handshake_failed: the client gave up
};

}  // namespace peerkit::redis
