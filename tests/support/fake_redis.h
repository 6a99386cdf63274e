// An in-memory cluster::Store with Redis semantics, for virtual-clock tests of the cluster core:
// keys with TTLs that expire on the test's clock, strings, hashes, lists, pub/sub delivery to
// every subscribed FakeRedisClient, and a switch that takes Redis down (calls fail fast, no
// deliveries, connection listeners told) and back up (optionally with its data lost, as a
// restart without persistence). Completions and deliveries are queued and run by run(), never
// inside the call, as replies from a real server arrive later. Free of GoogleTest.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "cluster/store.h"
#include "common/time.h"

namespace peerkit::testing {

class FakeRedisClient;

class FakeRedis {
 public:
  explicit FakeRedis(const Clock& clock) : clock_(clock) {}

  // One client per node: its own connection state listener and subscriptions.
  std::unique_ptr<FakeRedisClient> client();

  // Runs queued completions and deliveries (and those they queue) until none is left. Returns
  // how many ran.
  std::size_t run();

  // Redis down: every call fails with "connection refused", clients see connected() false.
  void set_up(bool up, bool lose_data = false);
  bool up() const { return up_; }

  // Inspection for tests (expired keys are not visible).
  bool exists(const std::string& key);
  std::optional<std::string> string_value(const std::string& key);
  std::size_t list_length(const std::string& key);
  std::size_t hash_length(const std::string& key);
  std::uint64_t published() const { return published_; }
  // Messages published on `channel` since the start.
  std::size_t published_on(const std::string& channel) const;

 private:
  friend class FakeRedisClient;
  using Hash = std::map<std::string, std::string>;
  using List = std::vector<std::string>;
  struct Entry {
    std::variant<std::string, Hash, List> value;
    Timestamp expires = Timestamp::never();
  };

  Entry* find(const std::string& key);  // nullptr when missing or expired (then erased)
  void post(std::function<void()> task) { tasks_.push_back(std::move(task)); }
  void deliver(const std::string& channel, const std::string& message);

  const Clock& clock_;
  bool up_ = true;
  std::map<std::string, Entry> data_;
  std::deque<std::function<void()>> tasks_;
  std::vector<FakeRedisClient*> clients_;
  std::uint64_t published_ = 0;
  std::map<std::string, std::size_t> per_channel_;
};

class FakeRedisClient final : public cluster::Store {
 public:
  ~FakeRedisClient() override;

  void set(std::string_view key, std::string_view value, Duration ttl,
           std::function<void(cluster::Result<bool>)> done) override;
  void set_if_absent(std::string_view key, std::string_view value, Duration ttl,
                     std::function<void(cluster::Result<bool>)> done) override;
  void refresh_if_equal(std::string_view key, std::string_view expected, Duration ttl,
                        std::function<void(cluster::Result<bool>)> done) override;
  void delete_if_equal(std::string_view key, std::string_view expected,
                       std::function<void(cluster::Result<bool>)> done) override;
  void get(std::string_view key,
           std::function<void(cluster::Result<std::optional<std::string>>)> done) override;
  void del(std::string_view key, std::function<void(cluster::Result<bool>)> done) override;
  void hash_set(std::string_view key, std::string_view field, std::string_view value,
                std::function<void(cluster::Result<bool>)> done) override;
  void hash_add_capped(std::string_view key, std::string_view field, std::string_view value,
                       std::size_t max_fields, Duration ttl,
                       std::function<void(cluster::Result<bool>)> done) override;
  void hash_del(std::string_view key, std::string_view field,
                std::function<void(cluster::Result<bool>)> done) override;
  void hash_get_all(std::string_view key,
                    std::function<void(cluster::Result<cluster::FieldList>)> done) override;
  void list_push_capped(std::string_view key, std::string_view value, std::size_t max_len,
                        Duration ttl,
                        std::function<void(cluster::Result<std::int64_t>)> done) override;
  void list_take_all(std::string_view key,
                     std::function<void(cluster::Result<cluster::StringList>)> done) override;
  void publish(std::string_view channel, std::string_view message,
               std::function<void(cluster::Result<std::int64_t>)> done) override;
  void subscribe(std::string_view channel,
                 std::function<void(std::string_view)> on_message) override;
  void unsubscribe(std::string_view channel) override;
  bool connected() const override { return redis_.up_ && !cut_; }
  void on_connection_change(std::function<void(bool)> listener) override {
    listener_ = std::move(listener);
  }

  // Cuts only this client off (a node partitioned from Redis), or reconnects it.
  void set_cut(bool cut);

 private:
  friend class FakeRedis;
  explicit FakeRedisClient(FakeRedis& redis) : redis_(redis) {}
  // Runs `op` later when connected, else completes `done` with an error later.
  template <class T, class Op>
  void later(std::function<void(cluster::Result<T>)> done, Op op);
  void notify();

  FakeRedis& redis_;
  bool cut_ = false;
  std::map<std::string, std::function<void(std::string_view)>> subscriptions_;
  std::function<void(bool)> listener_;
};

}  // namespace peerkit::testing
