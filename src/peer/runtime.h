// The loops behind peerkit::Runtime: one net::Loop per thread, handed out round robin.
#pragma once

#include <atomic>
#include <future>
#include <type_traits>
#include <memory>
#include <vector>

#include "net/loop.h"

namespace peerkit::peer {

class RuntimeImpl {
 public:
  explicit RuntimeImpl(std::size_t threads);
  ~RuntimeImpl();
  // A loop for a new connection; shared so that a connection outliving its Runtime (a bug the
  // header warns about) finds a stopped loop rather than a destroyed one.
  std::shared_ptr<net::Loop> next_loop();
  std::size_t threads() const { return loops_.size(); }

 private:
  std::vector<std::shared_ptr<net::Loop>> loops_;
  std::atomic<std::size_t> next_{0};
};

// Runs `f` on `loop`'s thread and returns its result: at once when already there (a call from
// a callback), else posted and waited for. A loop that is not running runs nothing further, so
// the call is carried out on the calling thread instead (nothing else can touch the state).
template <class F>
auto run_on(net::Loop& loop, F&& f) -> decltype(f()) {
  using R = decltype(f());
  if (loop.in_loop_thread() || !loop.running()) return f();
  std::promise<R> done;
  auto result = done.get_future();
  loop.post([&] {
    if constexpr (std::is_void_v<R>) {
      f();
      done.set_value();
    } else {
      done.set_value(f());
    }
  });
  return result.get();
}

}  // namespace peerkit::peer
