// cluster::Store on the real Redis: one redis::Client for commands and one redis::Subscriber for
// the node's channels, both on the serve loop. The conditional operations the core needs atomic
// (refresh/delete if equal, capped hash add, capped list push, take-all) are Lua scripts run by
// EVAL, so no other node can slip in between their steps (Redis runs a script atomically).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/channel_batch.h"
#include "cluster/store.h"
#include "net/loop.h"
#include "redis/client.h"
#include "redis/subscriber.h"

namespace peerkit::server {

class RedisStore final : public cluster::Store {
 public:
  // Why the store is down, for /healthz and the log.
  struct Health {
    bool connected = false;
    bool gave_up = false;   // the password was refused: the node must not keep running
    std::string last_error;  // the latest connection event's reason and detail, no secrets
  };

  RedisStore(net::Loop& loop, redis::Options options);
  ~RedisStore() override;

  void start();
  const Health& health() const { return health_; }
  const redis::ClientStats& client_stats() const { return client_.stats(); }
  std::uint64_t messages_received() const { return subscriber_.messages(); }
  // PUBLISH commands sent, and how many node messages they carried (batches, see
  // cluster/channel_batch.h); batches from other nodes that did not split (dropped).
  std::uint64_t publishes() const { return publishes_; }
  std::uint64_t messages_published() const { return messages_published_; }
  std::uint64_t malformed_batches() const { return malformed_batches_; }
  // Every connection event, after health() is updated (for logging and for exiting on auth).
  void on_event(std::function<void(const redis::ConnectionEvent&)> listener) {
    on_event_ = std::move(listener);
  }

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
                        Duration ttl, std::function<void(cluster::Result<std::int64_t>)> done) override;
  void list_take_all(std::string_view key,
                     std::function<void(cluster::Result<cluster::StringList>)> done) override;
  void publish(std::string_view channel, std::string_view message,
               std::function<void(cluster::Result<std::int64_t>)> done) override;
  void subscribe(std::string_view channel,
                 std::function<void(std::string_view message)> on_message) override;
  void unsubscribe(std::string_view channel) override;
  bool connected() const override { return client_.connected() && subscriber_.connected(); }
  void on_connection_change(std::function<void(bool connected)> listener) override {
    on_change_ = std::move(listener);
  }

 private:
  void on_connection_event(const redis::ConnectionEvent& event);
  void deliver(std::string_view channel, std::string_view payload);
  struct Outbox {
    cluster::BatchBuilder batch;
    std::vector<std::function<void(cluster::Result<std::int64_t>)>> dones;
  };
  void send(const std::string& channel, Outbox& outbox);
  void flush();

  // What one loop round publishes to a channel goes out as one PUBLISH at the end of the
  // round (posted), or sooner when a batch reaches these sizes.
  static constexpr std::size_t kMaxBatchMessages = 256;
  static constexpr std::size_t kMaxBatchBytes = 256 * 1024;
  // A receiver refuses batches with more parts than any sender makes.
  static constexpr std::size_t kMaxBatchMessagesIn = 4 * kMaxBatchMessages;

  net::Loop& loop_;
  redis::Client client_;
  redis::Subscriber subscriber_;
  std::unordered_map<std::string, std::function<void(std::string_view)>> handlers_;
  std::function<void(bool)> on_change_;
  std::function<void(const redis::ConnectionEvent&)> on_event_;
  Health health_;
  bool was_connected_ = false;
  // One entry per peer node's channel this node has sent to: bounded by the cluster's size.
  std::unordered_map<std::string, Outbox> outbox_;
  bool flush_posted_ = false;
  std::uint64_t publishes_ = 0;
  std::uint64_t messages_published_ = 0;
  std::uint64_t malformed_batches_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::server
