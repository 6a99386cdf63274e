// `peerkit serve --cluster redis://…`: where the cluster's Redis is and who this node is
// (docs/cluster.md). Parsed here, before anything connects, so a mistyped URL is a clear
// startup error. The password is never logged: log_text() prints the URL without it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace peerkit::server {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  unsigned db = 0;           // SELECT after connecting
  std::string username;      // Redis 6 ACL user (AUTH user pass); empty: AUTH pass
  std::string password;      // never logged
  // redis://host:port/db, with "***" for a password.
  std::string log_text() const;
};

// redis://[[user]:password@]host[:port][/db] (the scheme redis-cli and most clients take).
// rediss:// (TLS) is refused with the reason: Debian's hiredis 0.14 has no TLS; docs/cluster.md
// says how to put Redis behind a TLS tunnel instead.
Expected<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

struct ClusterConfig {
  bool enabled = false;        // --cluster given
  RedisEndpoint redis;
  std::string node_id;         // --node-id; default: random, a fresh node each start
  std::string advertise;       // --advertise: this node's URL as clients reach it
};

// A node id: 1–64 of [A-Za-z0-9._-] (it is part of Redis keys and channel names).
bool valid_node_id(std::string_view id);

}  // namespace peerkit::server
