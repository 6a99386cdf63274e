#include "redis/reply.h"

#include <hiredis/hiredis.h>

namespace peerkit::redis {

std::string_view Reply::error_code() const {
  if (type != Type::error) return {};
  std::string_view s = str;
  return s.substr(0, s.find(' '));
}

Reply Reply::from_hiredis(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = Type::string;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Type::status;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Type::error;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Type::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Type::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(from_hiredis(*r.element[i]));
      break;
    default:  // REDIS_REPLY_NIL (and nothing else exists in RESP2)
      out.type = Type::nil;
      break;
  }
  return out;
}

std::string_view to_string(Error e) {
  switch (e) {
    case Error::not_connected: return "not connected";
    case Error::timeout: return "command timed out";
    case Error::queue_full: return "too many pending commands";
    case Error::connection_lost: return "connection lost";
    case Error::connect_failed: return "connect failed";
    case Error::auth_failed: return "authentication failed";
    case Error::handshake_failed: return "handshake failed";
  }
  return "unknown";
}

}  // namespace peerkit::redis
