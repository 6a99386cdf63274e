// What a Redis command yields: an owned copy of the server's reply (RESP2 as hiredis 0.14 parses
// it), or a client-side error when no reply could be had. A reply of type `error` (WRONGTYPE,
// ERR ...) is a server answer and arrives as a Reply, never as a client Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct redisReply;

namespace peerkit::redis {

struct Reply {
  enum class Type { nil, integer, string, status, error, array };

  Type type = Type::nil;
  std::int64_t integer = 0;     // type integer
  std::string str;              // type string (binary-safe), status or error
  std::vector<Reply> elements;  // type array

  bool is_nil() const { return type == Type::nil; }
  bool is_error() const { return type == Type::error; }
  // "WRONGTYPE" for "WRONGTYPE Operation against a key ...": the error's first word.
  std::string_view error_code() const;

  static Reply from_hiredis(const redisReply& r);
};

// Client-side failures (no reply from the server).
enum class Error {
  not_connected,     // the command was issued while no connection was ready; nothing was sent
  timeout,           // no reply within the command timeout (the connection is then dropped)
  queue_full,        // max pending commands reached; nothing was sent
  connection_lost,   // the connection broke (or was dropped) before the reply came
  connect_failed,    // TCP connect failed or timed out (connection events only)
  auth_failed,       // AUTH rejected, or the server demands a password we do not have
  handshake_failed,  // SELECT (or the first PING) got an error reply
};
std::string_view to_string(Error e);

class Result {
 public:
  Result(Reply r) : v_(std::move(r)) {}  // NOLINT: implicit on purpose
  Result(Error e) : v_(e) {}             // NOLINT

  // True when the server answered (possibly with an error reply).
  bool ok() const { return std::holds_alternative<Reply>(v_); }
  const Reply& reply() const { return std::get<Reply>(v_); }
  Reply& reply() { return std::get<Reply>(v_); }
  Error error() const { return std::get<Error>(v_); }

 private:
  std::variant<Reply, Error> v_;
};

}  // namespace peerkit::redis
