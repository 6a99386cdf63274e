#include "redis/client.h"

#include <hiredis/hiredis.h>

#include <stdexcept>

namespace peerkit::redis {

Client::Client(net::Loop& loop, Options options)
    : loop_(loop),
      deferred_(loop),
      timer_(loop, [this](Timestamp now) { on_timer(now); }),
      conn_(loop, std::move(options), *this) {}

Client::~Client() = default;  // conn_ goes first: it frees the context and calls nothing back

void Client::command(std::vector<std::string> argv, Callback cb) {
  if (argv.empty()) throw std::invalid_argument("redis::Client::command: empty argv");
  if (!conn_.ready()) {
    ++stats_.failed;
    complete(std::move(cb), Error::not_connected);
    return;
  }
  if (pending_.size() >= conn_.options().max_pending) {
    ++stats_.failed;
    complete(std::move(cb), Error::queue_full);
    return;
  }
  if (!conn_.send(argv, 0)) {
    ++stats_.failed;
    complete(std::move(cb), Error::not_connected);
    return;
  }
  ++stats_.sent;
  pending_.push_back(Pending{std::move(cb), loop_.now()});
  if (pending_.size() == 1) rearm_timer();
}

void Client::on_ready() {
  ++stats_.connects;
  deferred_.push([this] {
    if (on_connection_) on_connection_(ConnectionEvent{true, Error::connection_lost, {}, true});
  });
}

void Client::on_reply(int /*tag*/, const redisReply& reply) {
  if (pending_.empty()) return;  // cannot happen: hiredis matches replies to our sends
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  const Duration rtt = loop_.now() - p.sent;
  ++stats_.replies;
  stats_.last_rtt = rtt;
  stats_.max_rtt = std::max(stats_.max_rtt, rtt);
  stats_.avg_rtt = stats_.replies == 1
                       ? rtt
                       : Duration::micros(stats_.avg_rtt.us() + (rtt.us() - stats_.avg_rtt.us()) / 8);
  complete(std::move(p.cb), Reply::from_hiredis(reply));
  if (on_rtt_) {
    deferred_.push([this, rtt] {
      if (on_rtt_) on_rtt_(rtt);
    });
  }
  rearm_timer();
}

void Client::on_down(const ConnectionEvent& event) {
  deferred_.push([this, event] {
    if (on_connection_) on_connection_(event);
  });
  // Their replies will never come: fail them now, in order.
  while (!pending_.empty()) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    ++stats_.failed;
    complete(std::move(p.cb), Error::connection_lost);
  }
  timer_.cancel();
}

void Client::on_timer(Timestamp now) {
  if (pending_.empty()) return;
  const Duration limit = conn_.options().command_timeout;
  if (pending_.front().sent + limit > now) {
    rearm_timer();
    return;
  }
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  ++stats_.failed;
  ++stats_.timeouts;
  complete(std::move(p.cb), Error::timeout);
  // Replies come in order: everything behind the late one waits too. Start over.
  conn_.drop(Error::timeout, "no reply within the command timeout (" +
                                 std::to_string(limit.us() / 1000) + " ms)");
}

void Client::rearm_timer() {
  if (pending_.empty()) {
    timer_.cancel();
  } else {
    timer_.rearm(pending_.front().sent + conn_.options().command_timeout);
  }
}

void Client::complete(Callback cb, Result result) {
  if (!cb) return;
  deferred_.push([cb = std::move(cb), r = std::move(result)]() mutable { cb(std::move(r)); });
}

}  // namespace peerkit::redis
