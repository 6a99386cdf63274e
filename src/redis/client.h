// redis::Client — an asynchronous Redis client on hiredis, driven by one net::Loop.
//
// Thread: create, use and destroy it on the loop's thread only; every callback runs there, from
// a handler of its own (never inside command() or inside hiredis), so callbacks may call back in
// — including destroying the Client.
//
// Lifetime: after ~Client begins no callback is called, not even for commands in flight (their
// callbacks are destroyed uncalled). Destroy the Client only once you no longer expect answers.
//
// Connection: start() connects; AUTH (if a password is set), SELECT (if db != 0) and PING go
// first on every (re)connect; only then is the client ready. Lost connections are retried with
// backoff (Options::reconnect_min..max). A rejected password stops the client for good: the
// connection callback gets {connected=false, reason=auth_failed, retrying=false}.
//
// Commands: command() while not ready fails fast with not_connected (nothing is queued for a
// later connection); past Options::max_pending in flight it fails with queue_full.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "net/loop.h"
#include "redis/connection.h"
#include "redis/deferred.h"
#include "redis/options.h"
#include "redis/reply.h"

namespace peerkit::redis {

struct ClientStats {
  std::uint64_t sent = 0;      // commands written to a connection
  std::uint64_t replies = 0;   // replies received (error replies included)
  std::uint64_t failed = 0;    // callbacks with a client Error
  std::uint64_t timeouts = 0;  // of which timeout
  std::uint64_t connects = 0;  // handshakes completed
  Duration last_rtt;           // command() to reply, of the latest reply
  Duration avg_rtt;            // moving average (1/8 weight per sample, as TCP's SRTT)
  Duration max_rtt;
};

class Client : private detail::Connection::Handler {
 public:
  using Callback = std::function<void(Result)>;
  using ConnectionCallback = std::function<void(const ConnectionEvent&)>;
  using RttCallback = std::function<void(Duration)>;

  Client(net::Loop& loop, Options options);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void on_connection(ConnectionCallback cb) { on_connection_ = std::move(cb); }
  // Called (deferred like the rest) with each reply's round trip, e.g. to feed a histogram.
  void on_rtt(RttCallback cb) { on_rtt_ = std::move(cb); }
  void start() { conn_.start(); }

  // argv[0] is the command name; every element is sent as is (binary-safe). `cb` may be empty.
  void command(std::vector<std::string> argv, Callback cb);

  bool connected() const { return conn_.ready(); }
  bool failed() const { return conn_.state() == detail::Connection::State::failed; }
  std::size_t pending() const { return pending_.size(); }
  const ClientStats& stats() const { return stats_; }
  const Options& options() const { return conn_.options(); }

 private:
  struct Pending {
    Callback cb;
    Timestamp sent;
  };

  void on_ready() override;
  void on_reply(int tag, const redisReply& reply) override;
  void on_down(const ConnectionEvent& event) override;
  void on_timer(Timestamp now);
  void complete(Callback cb, Result result);
  void rearm_timer();

  net::Loop& loop_;
  detail::Deferred deferred_;  // destroyed last among the callback holders: declared first
  std::deque<Pending> pending_;  // in send order, which is reply order
  ConnectionCallback on_connection_;
  RttCallback on_rtt_;
  ClientStats stats_;
  net::CoreTimer timer_;  // the oldest pending command's deadline
  detail::Connection conn_;
};

}  // namespace peerkit::redis
