#include "support/fake_redis.h"

#include <algorithm>

namespace peerkit::testing {

using cluster::FieldList;
using cluster::Result;
using cluster::StringList;

std::unique_ptr<FakeRedisClient> FakeRedis::client() {
  auto c = std::unique_ptr<FakeRedisClient>(new FakeRedisClient(*this));
  clients_.push_back(c.get());
  return c;
}

FakeRedisClient::~FakeRedisClient() {
  std::erase(redis_.clients_, this);
}

std::size_t FakeRedis::run() {
  std::size_t n = 0;
  while (!tasks_.empty()) {
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    task();
    ++n;
  }
  return n;
}

void FakeRedis::set_up(bool up, bool lose_data) {
  if (lose_data) data_.clear();
  if (up_ == up) return;
  up_ = up;
  for (auto* c : clients_) c->notify();
}

FakeRedis::Entry* FakeRedis::find(const std::string& key) {
  auto it = data_.find(key);
  if (it == data_.end()) return nullptr;
  if (clock_.now() >= it->second.expires) {  // Redis expires a key once its TTL has passed
    data_.erase(it);
    return nullptr;
  }
  return &it->second;
}

bool FakeRedis::exists(const std::string& key) {
  return find(key) != nullptr;
}

std::optional<std::string> FakeRedis::string_value(const std::string& key) {
  auto* e = find(key);
  if (!e || !std::holds_alternative<std::string>(e->value)) return std::nullopt;
  return std::get<std::string>(e->value);
}

std::size_t FakeRedis::list_length(const std::string& key) {
  auto* e = find(key);
  return e && std::holds_alternative<List>(e->value) ? std::get<List>(e->value).size() : 0;
}

std::size_t FakeRedis::hash_length(const std::string& key) {
  auto* e = find(key);
  return e && std::holds_alternative<Hash>(e->value) ? std::get<Hash>(e->value).size() : 0;
}

std::size_t FakeRedis::published_on(const std::string& channel) const {
  auto it = per_channel_.find(channel);
  return it == per_channel_.end() ? 0 : it->second;
}

void FakeRedis::deliver(const std::string& channel, const std::string& message) {
  for (auto* c : clients_) {
    if (!c->connected()) continue;
    if (!c->subscriptions_.contains(channel)) continue;
    post([this, c, channel, message] {
      // The client may have unsubscribed or been cut off in between.
      if (std::find(clients_.begin(), clients_.end(), c) == clients_.end() || !c->connected())
        return;
      if (auto it = c->subscriptions_.find(channel); it != c->subscriptions_.end())
        it->second(message);
    });
  }
}

void FakeRedisClient::set_cut(bool cut) {
  if (cut_ == cut) return;
  cut_ = cut;
  notify();
}

void FakeRedisClient::notify() {
  const bool state = connected();
  redis_.post([this, state] {
    if (std::find(redis_.clients_.begin(), redis_.clients_.end(), this) == redis_.clients_.end())
      return;
    if (listener_) listener_(state);
  });
}

template <class T, class Op>
void FakeRedisClient::later(std::function<void(Result<T>)> done, Op op) {
  if (!connected()) {
    redis_.post([done = std::move(done)] { done(Result<T>::failure("connection refused")); });
    return;
  }
  // The command runs now (Redis is single-threaded and runs commands in arrival order); only
  // the reply is delivered later.
  Result<T> result{op(), {}};
  redis_.post([done = std::move(done), result = std::move(result)] { done(result); });
}

void FakeRedisClient::set(std::string_view key, std::string_view value, Duration ttl,
                          std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    redis_.data_[std::string(key)] = {std::string(value), redis_.clock_.now() + ttl};
    return true;
  });
}

void FakeRedisClient::set_if_absent(std::string_view key, std::string_view value, Duration ttl,
                                    std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    if (redis_.find(std::string(key))) return false;
    redis_.data_[std::string(key)] = {std::string(value), redis_.clock_.now() + ttl};
    return true;
  });
}

void FakeRedisClient::refresh_if_equal(std::string_view key, std::string_view expected,
                                       Duration ttl, std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    auto* e = redis_.find(std::string(key));
    if (!e || !std::holds_alternative<std::string>(e->value) ||
        std::get<std::string>(e->value) != expected)
      return false;
    e->expires = redis_.clock_.now() + ttl;
    return true;
  });
}

void FakeRedisClient::delete_if_equal(std::string_view key, std::string_view expected,
                                      std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    auto* e = redis_.find(std::string(key));
    if (!e || !std::holds_alternative<std::string>(e->value) ||
        std::get<std::string>(e->value) != expected)
      return false;
    redis_.data_.erase(std::string(key));
    return true;
  });
}

void FakeRedisClient::get(std::string_view key,
                          std::function<void(Result<std::optional<std::string>>)> done) {
  later<std::optional<std::string>>(std::move(done),
                                    [&] { return redis_.string_value(std::string(key)); });
}

void FakeRedisClient::del(std::string_view key, std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    const bool had = redis_.find(std::string(key)) != nullptr;
    redis_.data_.erase(std::string(key));
    return had;
  });
}

void FakeRedisClient::hash_set(std::string_view key, std::string_view field, std::string_view value,
                               std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    auto* e = redis_.find(std::string(key));
    if (!e) e = &(redis_.data_[std::string(key)] = {FakeRedis::Hash{}, Timestamp::never()});
    std::get<FakeRedis::Hash>(e->value)[std::string(field)] = std::string(value);
    return true;
  });
}

void FakeRedisClient::hash_add_capped(std::string_view key, std::string_view field,
                                      std::string_view value, std::size_t max_fields, Duration ttl,
                                      std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    auto* e = redis_.find(std::string(key));
    if (!e) e = &(redis_.data_[std::string(key)] = {FakeRedis::Hash{}, Timestamp::never()});
    auto& hash = std::get<FakeRedis::Hash>(e->value);
    const bool exists = hash.contains(std::string(field));
    if (!exists && hash.size() >= max_fields) {
      if (hash.empty()) redis_.data_.erase(std::string(key));
      return false;
    }
    hash[std::string(field)] = std::string(value);
    e->expires = redis_.clock_.now() + ttl;
    return true;
  });
}

void FakeRedisClient::hash_del(std::string_view key, std::string_view field,
                               std::function<void(Result<bool>)> done) {
  later<bool>(std::move(done), [&] {
    auto* e = redis_.find(std::string(key));
    if (!e) return false;
    auto& hash = std::get<FakeRedis::Hash>(e->value);
    const bool had = hash.erase(std::string(field)) > 0;
    if (hash.empty()) redis_.data_.erase(std::string(key));  // Redis drops empty hashes
    return had;
  });
}

void FakeRedisClient::hash_get_all(std::string_view key,
                                   std::function<void(Result<FieldList>)> done) {
  later<FieldList>(std::move(done), [&] {
    FieldList out;
    if (auto* e = redis_.find(std::string(key)))
      for (const auto& [f, v] : std::get<FakeRedis::Hash>(e->value)) out.emplace_back(f, v);
    return out;
  });
}

void FakeRedisClient::list_push_capped(std::string_view key, std::string_view value,
                                       std::size_t max_len, Duration ttl,
                                       std::function<void(Result<std::int64_t>)> done) {
  later<std::int64_t>(std::move(done), [&]() -> std::int64_t {
    auto* e = redis_.find(std::string(key));
    if (e && std::get<FakeRedis::List>(e->value).size() >= max_len) return -1;
    if (!e) e = &(redis_.data_[std::string(key)] = {FakeRedis::List{}, redis_.clock_.now() + ttl});
    auto& list = std::get<FakeRedis::List>(e->value);
    list.emplace_back(value);
    return static_cast<std::int64_t>(list.size());
  });
}

void FakeRedisClient::list_take_all(std::string_view key,
                                    std::function<void(Result<StringList>)> done) {
  later<StringList>(std::move(done), [&] {
    StringList out;
    if (auto* e = redis_.find(std::string(key))) out = std::get<FakeRedis::List>(e->value);
    redis_.data_.erase(std::string(key));
    return out;
  });
}

void FakeRedisClient::publish(std::string_view channel, std::string_view message,
                              std::function<void(Result<std::int64_t>)> done) {
  later<std::int64_t>(std::move(done), [&] {
    ++redis_.published_;
    ++redis_.per_channel_[std::string(channel)];
    std::int64_t receivers = 0;
    for (auto* c : redis_.clients_)
      if (c->connected() && c->subscriptions_.contains(std::string(channel))) ++receivers;
    redis_.deliver(std::string(channel), std::string(message));
    return receivers;
  });
}

void FakeRedisClient::subscribe(std::string_view channel,
                                std::function<void(std::string_view)> on_message) {
  subscriptions_[std::string(channel)] = std::move(on_message);
}

void FakeRedisClient::unsubscribe(std::string_view channel) {
  subscriptions_.erase(std::string(channel));
}

}  // namespace peerkit::testing
