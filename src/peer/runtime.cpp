#include "peer/runtime.h"

#include <algorithm>
#include <string>

#include "peerkit/peer_connection.h"

namespace peerkit {
namespace peer {

net::Loop*& current_runtime_loop() {
  thread_local net::Loop* loop = nullptr;
  return loop;
}

RuntimeImpl::RuntimeImpl(std::size_t threads) {
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    auto loop = std::make_shared<net::Loop>("peerkit-pc" + std::to_string(i));
    // The first task on each loop marks its thread, before any connection can use it.
    loop->post([l = loop.get()] { current_runtime_loop() = l; });
    loop->start();
    loops_.push_back(std::move(loop));
  }
}

RuntimeImpl::~RuntimeImpl() {
  for (auto& l : loops_) l->stop();
}

std::shared_ptr<net::Loop> RuntimeImpl::next_loop() {
  return loops_[next_++ % loops_.size()];
}

}  // namespace peer

Runtime::Runtime(std::size_t threads) : impl_(std::make_unique<peer::RuntimeImpl>(threads)) {}
Runtime::~Runtime() = default;
std::size_t Runtime::threads() const {
  return impl_->threads();
}

}  // namespace peerkit
