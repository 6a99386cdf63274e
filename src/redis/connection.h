// Internal: one logical Redis connection on a net::Loop — a redisAsyncContext whose adapter
// hooks (addRead/delRead/addWrite/delWrite/cleanup) map onto asio async_wait on hiredis' socket,
// the AUTH/SELECT/PING handshake on every connect, a connect timeout, and reconnects with
// backoff. Client and Subscriber build on it; neither it nor they parse RESP (hiredis does).
//
// Re-entrancy: the Handler is called from inside hiredis (during redisAsyncHandleRead/Write or
// redisAsyncFree); it must only record and defer — never destroy the Connection or call
// drop() from there (send() is fine).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/loop.h"
#include "redis/options.h"

struct redisReply;

namespace peerkit::redis::detail {

struct Attachment;

class Connection {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void on_ready() = 0;
    // A reply to a command sent with send(argv, tag); tag >= 0. Never null.
    virtual void on_reply(int tag, const redisReply& reply) = 0;
    // The connection (ready or not) is gone. Commands in flight get no reply.
    virtual void on_down(const ConnectionEvent& event) = 0;
  };

  enum class State { idle, connecting, handshaking, ready, waiting, failed };

  Connection(net::Loop& loop, Options options, Handler& handler);
  ~Connection();  // frees the context; no Handler call from here on
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();  // first connect attempt
  State state() const { return state_; }
  bool ready() const { return state_ == State::ready; }
  const Options& options() const { return options_; }

  // Queues argv (binary-safe) on the current context. False when there is none.
  bool send(const std::vector<std::string>& argv, int tag);
  // Drops the current context (it is freed, replies still due are lost), reports on_down with
  // `reason` and schedules a reconnect. Not from inside a Handler call.
  void drop(Error reason, std::string detail);

  // Hooks called by the hiredis trampolines (connection.cpp).
  void handle_connect(bool ok, const char* errstr);
  void handle_reply(int tag, const redisReply& reply);
  void handle_gone(const char* errstr);

 private:
  void attempt();
  void send_handshake();
  void fail(Error reason, std::string detail, bool retry);
  void release_current();

  net::Loop& loop_;
  Options options_;
  Handler& handler_;
  State state_ = State::idle;
  std::shared_ptr<Attachment> current_;
  int handshake_left_ = 0;
  std::string connect_error_;
  Duration backoff_;
  net::CoreTimer connect_timer_;
  net::CoreTimer retry_timer_;
};

}  // namespace peerkit::redis::detail
