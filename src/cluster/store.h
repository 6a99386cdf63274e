// What the cluster core needs from Redis, as a small asynchronous interface close to Redis
// commands. The real implementation is an adapter onto the hiredis client on net::Loop; tests use
// tests/support/fake_redis.h. Every call completes exactly once through its callback, never from
// inside the call itself (the core may be in the middle of building a frame), and fails fast with
// an error while disconnected. Completions of calls made on one Store arrive in call order (as
// replies on one Redis connection do).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/time.h"

namespace peerkit::cluster {

// A command's outcome: `error` empty on success (then `value` holds the reply).
template <class T>
struct Result {
  T value{};
  std::string error;
  bool ok() const { return error.empty(); }
  static Result failure(std::string message) { return Result{T{}, std::move(message)}; }
};

using StringList = std::vector<std::string>;
using FieldList = std::vector<std::pair<std::string, std::string>>;

class Store {
 public:
  virtual ~Store() = default;

  // SET key value PX ttl.
  virtual void set(std::string_view key, std::string_view value, Duration ttl,
                   std::function<void(Result<bool>)> done) = 0;
  // SET key value NX PX ttl: true when set, false when the key already existed.
  virtual void set_if_absent(std::string_view key, std::string_view value, Duration ttl,
                             std::function<void(Result<bool>)> done) = 0;
  // Script: if GET key == expected then PEXPIRE key ttl; true when refreshed.
  virtual void refresh_if_equal(std::string_view key, std::string_view expected, Duration ttl,
                                std::function<void(Result<bool>)> done) = 0;
  // Script: if GET key == expected then DEL key; true when deleted.
  virtual void delete_if_equal(std::string_view key, std::string_view expected,
                               std::function<void(Result<bool>)> done) = 0;
  // GET key: nullopt for nil.
  virtual void get(std::string_view key,
                   std::function<void(Result<std::optional<std::string>>)> done) = 0;
  // DEL key.
  virtual void del(std::string_view key, std::function<void(Result<bool>)> done) = 0;

  // HSET key field value.
  virtual void hash_set(std::string_view key, std::string_view field, std::string_view value,
                        std::function<void(Result<bool>)> done) = 0;
  // Script: if HEXISTS then return 1 (value replaced); elseif HLEN >= max_fields then return 0
  // (refused); else HSET and return 1. Then PEXPIRE key ttl either way on success.
  virtual void hash_add_capped(std::string_view key, std::string_view field, std::string_view value,
                               std::size_t max_fields, Duration ttl,
                               std::function<void(Result<bool>)> done) = 0;
  // HDEL key field: true when the field existed.
  virtual void hash_del(std::string_view key, std::string_view field,
                        std::function<void(Result<bool>)> done) = 0;
  // HGETALL key (empty for a missing key).
  virtual void hash_get_all(std::string_view key, std::function<void(Result<FieldList>)> done) = 0;

  // Script: if LLEN key >= max_len then return -1; RPUSH key value; if the list is new (length
  // 1) PEXPIRE key ttl; return the new length. The TTL counts from the list's creation.
  virtual void list_push_capped(std::string_view key, std::string_view value, std::size_t max_len,
                                Duration ttl, std::function<void(Result<std::int64_t>)> done) = 0;
  // Atomically LRANGE key 0 -1 then DEL key (RedisStore: one Lua script): every element, and the
  // list is gone.
  virtual void list_take_all(std::string_view key,
                             std::function<void(Result<StringList>)> done) = 0;

  // PUBLISH channel message: the number of subscribers that received it.
  virtual void publish(std::string_view channel, std::string_view message,
                       std::function<void(Result<std::int64_t>)> done) = 0;
  // SUBSCRIBE on the subscriber connection; `on_message` gets every message on `channel` for as
  // long as the subscription lasts, re-subscribed by the client after a reconnect. One handler
  // per channel; subscribing again replaces it.
  virtual void subscribe(std::string_view channel,
                         std::function<void(std::string_view message)> on_message) = 0;
  virtual void unsubscribe(std::string_view channel) = 0;

  // Both connections (commands and subscriber) are up.
  virtual bool connected() const = 0;
  // Called on every change of connected(); one listener (set again to replace).
  virtual void on_connection_change(std::function<void(bool connected)> listener) = 0;
};

}  // namespace peerkit::cluster
