// One event loop: one io_context and the one thread that runs it (docs/architecture.md, "Event
// loops and threads"). Everything a driver owns — sockets, streams, timers, the sans-IO core it
// drives — belongs to one Loop and is touched only on its thread; the only cross-thread operation
// is post().
//
// CoreTimer is how a driver keeps a sans-IO core's clock: after every input the driver drains the
// core's outputs and calls rearm(core.next_timeout()); when that deadline passes, the callback runs
// on the loop thread with the current time and the driver calls core.handle_timeout(now).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/bytes.h"
#include "common/time.h"

namespace peerkit::net {

class Loop {
 public:
  // `name` shows in logs and as the thread's name (at most 15 characters are kept).
  explicit Loop(std::string name);
  // Stops the thread if it runs, then destroys what is still queued.
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  boost::asio::io_context& context() { return io_; }
  boost::asio::io_context::executor_type executor() { return io_.get_executor(); }

  // Starts the thread. Work queued before start() (timers, accepts, posts) runs once it does.
  void start();
  // From any thread but the loop's own: ends run() (pending handlers are not run) and joins.
  // Idempotent; a Loop that never started is left as it is.
  void stop();
  bool running() const { return thread_.joinable(); }
  // True on the loop's thread.
  bool in_loop_thread() const { return std::this_thread::get_id() == thread_id_.load(); }

  // Runs `task` on the loop thread, from any thread. After stop() it is dropped.
  void post(std::function<void()> task);

  // For tests and single-threaded tools: run handlers on the calling thread for `d`.
  std::size_t run_for(Duration d);

  Timestamp now() const { return clock_.now(); }

  // A 64 KiB read buffer (a whole GRO batch) shared by every driver on this loop, so that each
  // connection's sockets need not keep their own (peer memory, T9). A read handler fills it and
  // must be done with the bytes before it returns: handlers on one loop never interleave.
  MutableByteSpan receive_buffer();

 private:
  std::string name_;
  boost::asio::io_context io_{1};  // one thread: Asio may skip its internal locking
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  SteadyClock clock_;
  std::unique_ptr<std::byte[]> receive_buffer_;  // made on first use
};

// One timer at a sans-IO core's next_timeout(). rearm() is cheap when the deadline did not
// change (no cancel and re-wait per input), so drivers may call it after every input.
class CoreTimer {
 public:
  using OnExpiry = std::function<void(Timestamp now)>;
  CoreTimer(Loop& loop, OnExpiry on_expiry);
  ~CoreTimer();
  CoreTimer(const CoreTimer&) = delete;
  CoreTimer& operator=(const CoreTimer&) = delete;

  // Fires at `deadline` (at once if it has passed); Timestamp::never() disarms.
  void rearm(Timestamp deadline);
  void cancel() { rearm(Timestamp::never()); }
  Timestamp deadline() const { return deadline_; }
  std::uint64_t expiries() const { return expiries_; }  // how often the callback ran

 private:
  void wait();

  Loop& loop_;
  OnExpiry on_expiry_;
  boost::asio::steady_timer timer_;
  Timestamp deadline_ = Timestamp::never();
  std::uint64_t expiries_ = 0;
  // Shared with the pending wait: a handler cancelled by the destructor still runs later.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::net
