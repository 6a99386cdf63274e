// Internal: user callbacks are never run from inside hiredis or in the middle of a state change
// (docs/design/style.md, principle 9). They are queued here and run from a handler posted to
// the loop; if the owner is destroyed meanwhile, the rest are dropped without being called.
#pragma once

#include <deque>
#include <functional>
#include <boost/asio/post.hpp>
#include <memory>

#include "net/loop.h"

namespace peerkit::redis::detail {

class Deferred {
 public:
  explicit Deferred(net::Loop& loop) : loop_(loop) {}
  ~Deferred() { *alive_ = false; }
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;

  void push(std::function<void()> f) {
    queue_.push_back(std::move(f));
    if (posted_) return;
    posted_ = true;
    boost::asio::post(loop_.context(), [this, alive = alive_] {
      if (*alive) run();
    });
  }
  std::size_t size() const { return queue_.size(); }

 private:
  void run() {
    posted_ = false;
    std::deque<std::function<void()>> batch;
    batch.swap(queue_);
    auto alive = alive_;
    for (auto& f : batch) {
      f();  // may destroy the owner (and this): check before each next call
      if (!*alive) return;
    }
  }

  net::Loop& loop_;
  std::deque<std::function<void()>> queue_;
  bool posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::redis::detail
