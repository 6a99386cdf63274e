#include "redis/subscriber.h"

#include <hiredis/hiredis.h>

#include <strings.h>

namespace peerkit::redis {

namespace {

bool is_string(const redisReply* r) {
  return r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

}  // namespace

Subscriber::Subscriber(net::Loop& loop, Options options)
    : deferred_(loop), conn_(loop, std::move(options), *this) {}

Subscriber::~Subscriber() = default;

void Subscriber::subscribe(const std::string& channel) {
  if (!wanted_.insert(channel).second) return;
  if (conn_.ready()) conn_.send({"SUBSCRIBE", channel}, 0);
}

void Subscriber::unsubscribe(const std::string& channel) {
  if (wanted_.erase(channel) == 0) return;
  // hiredis drops the channel's callback when the server confirms.
  if (conn_.ready()) conn_.send({"UNSUBSCRIBE", channel}, 0);
}

void Subscriber::on_ready() {
  deferred_.push([this] {
    if (on_connection_) on_connection_(ConnectionEvent{true, Error::connection_lost, {}, true});
  });
  if (wanted_.empty()) return;
  std::vector<std::string> argv{"SUBSCRIBE"};
  argv.insert(argv.end(), wanted_.begin(), wanted_.end());
  conn_.send(argv, 0);
}

void Subscriber::on_reply(int /*tag*/, const redisReply& reply) {
  // Pub/sub pushes are arrays: [kind, channel, payload-or-count].
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements < 3 || !is_string(reply.element[0]) ||
      !is_string(reply.element[1])) {
    return;
  }
  const std::string_view kind(reply.element[0]->str, reply.element[0]->len);
  std::string channel(reply.element[1]->str, reply.element[1]->len);
  if (kind.size() == 7 && strncasecmp(kind.data(), "message", 7) == 0) {
    const redisReply* p = reply.element[2];
    std::string payload = p->type == REDIS_REPLY_STRING ? std::string(p->str, p->len) : "";
    ++messages_;
    deferred_.push([this, channel = std::move(channel), payload = std::move(payload)] {
      if (on_message_) on_message_(channel, payload);
    });
  } else if (kind.size() == 9 && strncasecmp(kind.data(), "subscribe", 9) == 0) {
    active_.insert(channel);
    deferred_.push([this, channel = std::move(channel)] {
      if (on_subscribed_) on_subscribed_(channel);
    });
  } else if (kind.size() == 11 && strncasecmp(kind.data(), "unsubscribe", 11) == 0) {
    active_.erase(channel);
  }
}

void Subscriber::on_down(const ConnectionEvent& event) {
  active_.clear();
  deferred_.push([this, event] {
    if (on_connection_) on_connection_(event);
  });
}

}  // namespace peerkit::redis
