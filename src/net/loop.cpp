#include "net/loop.h"

#include <pthread.h>

#include <algorithm>

#include <boost/asio/post.hpp>

namespace peerkit::net {

namespace asio = boost::asio;

Loop::Loop(std::string name) : name_(std::move(name)) {}

Loop::~Loop() {
  stop();
}

void Loop::start() {
  if (thread_.joinable()) return;
  io_.restart();
  work_.emplace(io_.get_executor());  // run() waits for work instead of returning when idle
  thread_ = std::thread([this] {
    thread_id_.store(std::this_thread::get_id());
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    io_.run();
  });
}

void Loop::stop() {
  if (!thread_.joinable()) return;
  work_.reset();
  io_.stop();
  thread_.join();
  thread_id_.store({});
}

void Loop::post(std::function<void()> task) {
  asio::post(io_, std::move(task));
}

std::size_t Loop::run_for(Duration d) {
  io_.restart();
  return io_.run_for(std::chrono::microseconds(d.us()));
}

CoreTimer::CoreTimer(Loop& loop, OnExpiry on_expiry)
    : loop_(loop), on_expiry_(std::move(on_expiry)), timer_(loop.context()) {}

CoreTimer::~CoreTimer() {
  *alive_ = false;
  timer_.cancel();
}

void CoreTimer::rearm(Timestamp deadline) {
  if (deadline == deadline_) return;
  deadline_ = deadline;
  if (deadline == Timestamp::never()) {
    timer_.cancel();
    return;
  }
  wait();
}

void CoreTimer::wait() {
  // steady_timer counts nanoseconds in an int64: a far deadline would overflow it, so wait at
  // most an hour at a time; the handler below waits again while the deadline is still ahead.
  constexpr std::int64_t kLongestWaitUs = 3600LL * 1'000'000;
  const auto delay = std::clamp<std::int64_t>((deadline_ - loop_.now()).us(), 0, kLongestWaitUs);
  timer_.expires_after(std::chrono::microseconds(delay));  // cancels a wait in flight
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;  // cancelled: rearm() started another wait, or we are gone
    // cancel() cannot recall a handler that had already expired and was queued: rearm(never)
    // after that still leaves this call to come, with success.
    if (deadline_ == Timestamp::never()) return;
    const Timestamp now = loop_.now();
    if (now < deadline_) return wait();  // steady_timer and SteadyClock may round apart
    deadline_ = Timestamp::never();
    ++expiries_;
    on_expiry_(now);  // usually ends in rearm(core.next_timeout())
  });
}

MutableByteSpan Loop::receive_buffer() {
  constexpr std::size_t kBytes = 65536;
  if (!receive_buffer_) receive_buffer_ = std::make_unique_for_overwrite<std::byte[]>(kBytes);
  return {receive_buffer_.get(), kBytes};
}

}  // namespace peerkit::net
