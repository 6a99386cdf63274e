// The loops behind peerkit::Runtime: one net::Loop per thread, handed out round robin.
#pragma once

#include <atomic>
#include <future>
#include <optional>
#include <string>
#include <type_traits>
#include <memory>
#include <vector>

#include "net/loop.h"
#include "peer/credential_pool.h"

namespace peerkit::peer {

class RuntimeImpl {
 public:
  explicit RuntimeImpl(std::size_t threads);
  ~RuntimeImpl();
  // A loop for a new connection; shared so that a connection outliving its Runtime (a bug the
  // header warns about) finds a stopped loop rather than a destroyed one.
  std::shared_ptr<net::Loop> next_loop();
  std::size_t threads() const { return loops_.size(); }
  CredentialPool& credentials() { return credentials_; }

 private:
  CredentialPool credentials_;
  std::vector<std::shared_ptr<net::Loop>> loops_;
  std::atomic<std::size_t> next_{0};
};

// The Runtime loop the calling thread runs, if it is one (set once on each loop thread).
net::Loop*& current_runtime_loop();

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

// A call that only changes state (its result is an error or nothing). From a thread of another
// Runtime loop — a callback of one connection calling into a connection on another loop — it
// is queued instead of waited for, so two loops can never wait for each other; its error, if
// any, goes to `on_error`. Everywhere else it behaves like run_on.
template <class F, class OnError>
std::optional<std::string> command_on(net::Loop& loop, F f, OnError on_error) {
  net::Loop* here = current_runtime_loop();
  if (here != nullptr && here != &loop && loop.running()) {
    loop.post([f = std::move(f), on_error = std::move(on_error)]() mutable {
      if (auto e = f()) on_error(*e);
    });
    return std::nullopt;
  }
  return run_on(loop, f);
}

}  // namespace peerkit::peer
