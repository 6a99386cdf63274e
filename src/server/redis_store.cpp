#include "server/redis_store.h"

#include <boost/asio/post.hpp>

namespace peerkit::server {

namespace {

using redis::Reply;

std::string millis(Duration d) { return std::to_string(std::max<std::int64_t>(1, d.us() / 1000)); }

// A client failure or an error reply as the text cluster::Result carries.
template <class T>
bool failed(const redis::Result& r, const std::function<void(cluster::Result<T>)>& done) {
  if (!r.ok()) {
    if (done) done(cluster::Result<T>::failure("redis: " + std::string(redis::to_string(r.error()))));
    return true;
  }
  if (r.reply().is_error()) {
    if (done) done(cluster::Result<T>::failure("redis: " + r.reply().str));
    return true;
  }
  return false;
}

// Replies the core reads as yes/no: OK, 1, a non-empty bulk; nil and 0 are no.
bool truthy(const Reply& reply) {
  switch (reply.type) {
    case Reply::Type::status: return true;
    case Reply::Type::integer: return reply.integer != 0;
    case Reply::Type::string: return true;
    default: return false;
  }
}

cluster::StringList strings(const Reply& reply) {
  cluster::StringList out;
  out.reserve(reply.elements.size());
  for (const auto& e : reply.elements) out.push_back(e.str);
  return out;
}

std::function<void(redis::Result)> as_bool(std::function<void(cluster::Result<bool>)> done) {
  return [done = std::move(done)](redis::Result r) {
    if (failed(r, done)) return;
    if (done) done(cluster::Result<bool>{truthy(r.reply()), {}});
  };
}

// KEYS[1] the key, ARGV[1] the expected value, ARGV[2] the TTL in ms.
constexpr const char* kRefreshIfEqual =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
constexpr const char* kDeleteIfEqual =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('DEL', KEYS[1]) else return 0 end";
// ARGV: field, value, max fields, TTL ms. 1: stored (new or replaced), 0: the hash is full.
constexpr const char* kHashAddCapped =
    "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and "
    "redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end "
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[4]) return 1";
// ARGV: value, max length, TTL ms. The new length, or -1 when the list is full. The TTL counts
// from the list's creation, as the one-node offline queue's expiry does.
constexpr const char* kListPushCapped =
    "if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end "
    "local n = redis.call('RPUSH', KEYS[1], ARGV[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end return n";
constexpr const char* kListTakeAll =
    "local v = redis.call('LRANGE', KEYS[1], 0, -1) redis.call('DEL', KEYS[1]) return v";

}  // namespace

RedisStore::RedisStore(net::Loop& loop, redis::Options options)
    : loop_(loop), client_(loop, options), subscriber_(loop, options) {
  client_.on_connection([this](const redis::ConnectionEvent& e) { on_connection_event(e); });
  subscriber_.on_connection([this](const redis::ConnectionEvent& e) { on_connection_event(e); });
  subscriber_.on_message([this](std::string_view channel, std::string_view payload) {
    deliver(channel, payload);
  });
}

RedisStore::~RedisStore() { *alive_ = false; }

void RedisStore::deliver(std::string_view channel, std::string_view payload) {
  const std::string name(channel);
  if (cluster::is_batch(payload)) {
    auto parts = cluster::split_batch(payload, kMaxBatchMessagesIn);
    if (!parts) {
      ++malformed_batches_;
      return;
    }
    for (std::string_view part : *parts) {
      // Looked up for each part: a handler may unsubscribe its channel.
      auto it = handlers_.find(name);
      if (it == handlers_.end()) return;
      it->second(part);
    }
    return;
  }
  auto it = handlers_.find(name);
  if (it != handlers_.end()) it->second(payload);
}

void RedisStore::start() {
  client_.start();
  subscriber_.start();
}

void RedisStore::on_connection_event(const redis::ConnectionEvent& event) {
  health_.connected = connected();
  if (!event.connected) {
    health_.last_error = std::string(redis::to_string(event.reason));
    if (!event.detail.empty()) health_.last_error += ": " + event.detail;
    if (!event.retrying) health_.gave_up = true;
  }
  if (on_event_) on_event_(event);
  if (health_.connected != was_connected_) {
    was_connected_ = health_.connected;
    if (on_change_) on_change_(health_.connected);
  }
}

void RedisStore::set(std::string_view key, std::string_view value, Duration ttl,
                     std::function<void(cluster::Result<bool>)> done) {
  client_.command({"SET", std::string(key), std::string(value), "PX", millis(ttl)},
                  as_bool(std::move(done)));
}

void RedisStore::set_if_absent(std::string_view key, std::string_view value, Duration ttl,
                               std::function<void(cluster::Result<bool>)> done) {
  // OK when set; nil when the key existed.
  client_.command({"SET", std::string(key), std::string(value), "NX", "PX", millis(ttl)},
                  as_bool(std::move(done)));
}

void RedisStore::refresh_if_equal(std::string_view key, std::string_view expected, Duration ttl,
                                  std::function<void(cluster::Result<bool>)> done) {
  client_.command({"EVAL", kRefreshIfEqual, "1", std::string(key), std::string(expected),
                   millis(ttl)},
                  as_bool(std::move(done)));
}

void RedisStore::delete_if_equal(std::string_view key, std::string_view expected,
                                 std::function<void(cluster::Result<bool>)> done) {
  client_.command({"EVAL", kDeleteIfEqual, "1", std::string(key), std::string(expected)},
                  as_bool(std::move(done)));
}

void RedisStore::get(std::string_view key,
                     std::function<void(cluster::Result<std::optional<std::string>>)> done) {
  client_.command({"GET", std::string(key)}, [done = std::move(done)](redis::Result r) {
    if (failed(r, done)) return;
    std::optional<std::string> value;
    if (!r.reply().is_nil()) value = std::move(r.reply().str);
    if (done) done({std::move(value), {}});
  });
}

void RedisStore::del(std::string_view key, std::function<void(cluster::Result<bool>)> done) {
  client_.command({"DEL", std::string(key)}, as_bool(std::move(done)));
}

void RedisStore::hash_set(std::string_view key, std::string_view field, std::string_view value,
                          std::function<void(cluster::Result<bool>)> done) {
  client_.command({"HSET", std::string(key), std::string(field), std::string(value)},
                  [done = std::move(done)](redis::Result r) {
                    if (failed(r, done)) return;
                    if (done) done({true, {}});  // HSET's count says new vs replaced: both stored
                  });
}

void RedisStore::hash_add_capped(std::string_view key, std::string_view field,
                                 std::string_view value, std::size_t max_fields, Duration ttl,
                                 std::function<void(cluster::Result<bool>)> done) {
  client_.command({"EVAL", kHashAddCapped, "1", std::string(key), std::string(field),
                   std::string(value), std::to_string(max_fields), millis(ttl)},
                  as_bool(std::move(done)));
}

void RedisStore::hash_del(std::string_view key, std::string_view field,
                          std::function<void(cluster::Result<bool>)> done) {
  client_.command({"HDEL", std::string(key), std::string(field)}, as_bool(std::move(done)));
}

void RedisStore::hash_get_all(std::string_view key,
                              std::function<void(cluster::Result<cluster::FieldList>)> done) {
  client_.command({"HGETALL", std::string(key)}, [done = std::move(done)](redis::Result r) {
    if (failed(r, done)) return;
    cluster::FieldList fields;
    const auto& e = r.reply().elements;
    for (std::size_t i = 0; i + 1 < e.size(); i += 2) fields.emplace_back(e[i].str, e[i + 1].str);
    if (done) done({std::move(fields), {}});
  });
}

void RedisStore::list_push_capped(std::string_view key, std::string_view value,
                                  std::size_t max_len, Duration ttl,
                                  std::function<void(cluster::Result<std::int64_t>)> done) {
  client_.command({"EVAL", kListPushCapped, "1", std::string(key), std::string(value),
                   std::to_string(max_len), millis(ttl)},
                  [done = std::move(done)](redis::Result r) {
                    if (failed(r, done)) return;
                    if (done) done({r.reply().integer, {}});
                  });
}

void RedisStore::list_take_all(std::string_view key,
                               std::function<void(cluster::Result<cluster::StringList>)> done) {
  client_.command({"EVAL", kListTakeAll, "1", std::string(key)},
                  [done = std::move(done)](redis::Result r) {
                    if (failed(r, done)) return;
                    if (done) done({strings(r.reply()), {}});
                  });
}

void RedisStore::publish(std::string_view channel, std::string_view message,
                         std::function<void(cluster::Result<std::int64_t>)> done) {
  const std::string name(channel);
  Outbox& outbox = outbox_[name];
  if (!outbox.batch.empty() && (outbox.batch.count() >= kMaxBatchMessages ||
                                outbox.batch.bytes() + message.size() > kMaxBatchBytes))
    send(name, outbox);
  outbox.batch.add(message);
  outbox.dones.push_back(std::move(done));
  if (flush_posted_) return;
  flush_posted_ = true;
  // Posted behind the completions this round already has queued, so what they publish joins.
  boost::asio::post(loop_.context(), [this, alive = alive_] {
    if (*alive) flush();
  });
}

void RedisStore::flush() {
  flush_posted_ = false;
  for (auto& [channel, outbox] : outbox_)
    if (!outbox.batch.empty()) send(channel, outbox);
}

void RedisStore::send(const std::string& channel, Outbox& outbox) {
  ++publishes_;
  messages_published_ += outbox.batch.count();
  // The reply (how many subscribers got it) answers every message of the batch alike.
  std::vector<std::string> argv;  // built by moves: an initializer list would copy the batch
  argv.reserve(3);
  argv.emplace_back("PUBLISH");
  argv.push_back(channel);
  argv.push_back(outbox.batch.take());
  client_.command(std::move(argv),
                  [dones = std::move(outbox.dones)](redis::Result r) {
                    for (const auto& done : dones) {
                      if (failed(r, done)) continue;
                      if (done) done({r.reply().integer, {}});
                    }
                  });
  outbox.dones.clear();
}

void RedisStore::subscribe(std::string_view channel,
                           std::function<void(std::string_view message)> on_message) {
  std::string name(channel);
  handlers_[name] = std::move(on_message);
  subscriber_.subscribe(name);
}

void RedisStore::unsubscribe(std::string_view channel) {
  std::string name(channel);
  handlers_.erase(name);
  subscriber_.unsubscribe(name);
}

}  // namespace peerkit::server
