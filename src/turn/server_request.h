// The per-request context the Server core's handlers share (private to src/turn).
#pragma once

#include <optional>
#include <string>

#include "stun/message.h"
#include "turn/credentials.h"
#include "turn/server.h"

namespace peerkit::turn {

struct Server::Request {
  Request(const ClientRoute& r, const stun::MessageView& m, Timestamp t)
      : route(r), msg(m), now(t) {}
  const ClientRoute& route;
  const stun::MessageView& msg;
  Timestamp now;
  bool fingerprint = false;
  bool authenticated = false;
  bool sha256 = false;
  Key key;
  std::string username;
  // RFC 5780: where the answer goes out from / to, when not the request's own 5-tuple.
  std::optional<SocketAddress> response_local;
  std::optional<SocketAddress> response_remote;
};

}  // namespace peerkit::turn
