// redis::Subscriber — a connection of its own for SUBSCRIBE/UNSUBSCRIBE (a subscribed Redis
// connection takes no other commands). hiredis keeps the SUBSCRIBE callback and calls it for
// every message of the channel; we turn that into on_message(channel, payload).
//
// Channels are wanted state: subscribe() records the channel and, when connected, sends
// SUBSCRIBE; after every reconnect all wanted channels are subscribed again. Messages published
// while the connection was down are lost (Redis pub/sub is at most once).
//
// Thread, lifetime and callbacks: as redis::Client (loop thread only; deferred callbacks that may
// call back in; none after ~Subscriber begins).
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "net/loop.h"
#include "redis/connection.h"
#include "redis/deferred.h"
#include "redis/options.h"

namespace peerkit::redis {

class Subscriber : private detail::Connection::Handler {
 public:
  using MessageCallback = std::function<void(std::string_view channel, std::string_view payload)>;
  using ChannelCallback = std::function<void(const std::string& channel)>;
  using ConnectionCallback = std::function<void(const ConnectionEvent&)>;

  Subscriber(net::Loop& loop, Options options);
  ~Subscriber() override;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  void on_message(MessageCallback cb) { on_message_ = std::move(cb); }
  // The server confirmed SUBSCRIBE for `channel` (again after each reconnect).
  void on_subscribed(ChannelCallback cb) { on_subscribed_ = std::move(cb); }
  void on_connection(ConnectionCallback cb) { on_connection_ = std::move(cb); }
  void start() { conn_.start(); }

  void subscribe(const std::string& channel);
  void unsubscribe(const std::string& channel);

  bool connected() const { return conn_.ready(); }
  // Wanted channels, and those the server has confirmed on the current connection.
  const std::set<std::string>& channels() const { return wanted_; }
  bool active(const std::string& channel) const { return active_.count(channel) != 0; }
  std::uint64_t messages() const { return messages_; }

 private:
  void on_ready() override;
  void on_reply(int tag, const redisReply& reply) override;
  void on_down(const ConnectionEvent& event) override;

  detail::Deferred deferred_;
  std::set<std::string> wanted_;
  std::set<std::string> active_;
  MessageCallback on_message_;
  ChannelCallback on_subscribed_;
  ConnectionCallback on_connection_;
  std::uint64_t messages_ = 0;
  detail::Connection conn_;  // last: destroyed first
};

}  // namespace peerkit::redis
