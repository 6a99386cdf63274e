#include "redis/connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>

namespace peerkit::redis::detail {

// The adapter's per-context state (ac->ev.data and ac->data). Shared with pending asio waits so
// that a wait completing after the context is gone finds `ac == nullptr` and does nothing.
struct Attachment : std::enable_shared_from_this<Attachment> {
  Attachment(boost::asio::io_context& io, redisAsyncContext* c, Connection* o)
      : ac(c), owner(o), fd(io) {}
  ~Attachment() {
    release_fd();
    // Only when a deferred free never ran (the loop was torn down first): not inside hiredis.
    if (ac != nullptr) {
      closing = true;
      redisAsyncFree(ac);
    }
  }
  // hiredis owns the socket: asio forgets it but never closes it.
  void release_fd() {
    if (fd.is_open()) {
      fd.release();
    }
  }

  redisAsyncContext* ac;
  Connection* owner;  // null once the Connection let go of this context
  boost::asio::posix::stream_descriptor fd;
  bool want_read = false, want_write = false;        // hiredis' current interest
  bool read_waiting = false, write_waiting = false;  // an asio wait (or a posted run) is queued
  bool closing = false;  // we called (or will call) redisAsyncFree: ignore every callback
  bool in_io = false;    // inside redisAsyncHandleRead/Write
};

namespace {

constexpr int kAuthTag = -1;
constexpr int kSelectTag = -2;
constexpr int kPingTag = -3;

Attachment* attachment_of(const redisAsyncContext* ac) {
  auto* a = static_cast<Attachment*>(ac->data);
  return (a == nullptr || a->closing || a->owner == nullptr) ? nullptr : a;
}

// asio's epoll reactor is edge-triggered and forgets readiness that arrives while no wait is
// queued, and hiredis reads at most 16 KiB per call: ask the kernel before waiting, so bytes
// already buffered (or a writable socket) are handled at once instead of never.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLHUP | POLLERR)) != 0;
}

void arm(const std::shared_ptr<Attachment>& a, bool read);

void on_ready_fd(const std::shared_ptr<Attachment>& a, bool read) {
  (read ? a->read_waiting : a->write_waiting) = false;
  if (a->ac == nullptr || a->closing) return;
  if (!(read ? a->want_read : a->want_write)) return;  // interest dropped meanwhile
  a->in_io = true;
  if (read) {
    redisAsyncHandleRead(a->ac);
  } else {
    redisAsyncHandleWrite(a->ac);
  }
  a->in_io = false;
  // hiredis usually re-adds interest itself; while connecting it may not, so keep waiting.
  if (a->ac != nullptr && !a->closing) {
    if (a->want_read) arm(a, true);
    if (a->want_write) arm(a, false);
  }
}

void arm(const std::shared_ptr<Attachment>& a, bool read) {
  bool& waiting = read ? a->read_waiting : a->write_waiting;
  if (waiting || a->ac == nullptr || !a->fd.is_open()) return;
  waiting = true;
  if (ready_now(a->fd.native_handle(), read ? POLLIN : POLLOUT)) {
    boost::asio::post(a->fd.get_executor(), [a, read] { on_ready_fd(a, read); });
    return;
  }
  a->fd.async_wait(read ? boost::asio::posix::descriptor_base::wait_read
                        : boost::asio::posix::descriptor_base::wait_write,
                   [a, read](const boost::system::error_code& ec) {
                     if (ec) {
                       (read ? a->read_waiting : a->write_waiting) = false;
                       return;
                     }
                     on_ready_fd(a, read);
                   });
}

// The hiredis adapter hooks (see hiredis/async.h: "should be idempotent").
void hook_add_read(void* p) {
  auto* a = static_cast<Attachment*>(p);
  a->want_read = true;
  arm(a->shared_from_this(), true);
}
void hook_del_read(void* p) { static_cast<Attachment*>(p)->want_read = false; }
void hook_add_write(void* p) {
  auto* a = static_cast<Attachment*>(p);
  a->want_write = true;
  arm(a->shared_from_this(), false);
}
void hook_del_write(void* p) { static_cast<Attachment*>(p)->want_write = false; }

// Called by hiredis from inside its free (after it ran the pending callbacks with NULL, before
// it closes the socket): the one place we learn that a context is gone, whatever the cause.
void hook_cleanup(void* p) {
  auto* a = static_cast<Attachment*>(p);
  std::string err;
  if (a->ac != nullptr) {
    if (a->ac->err != 0 && a->ac->errstr != nullptr) err = a->ac->errstr;
    a->ac->data = nullptr;
  }
  a->ac = nullptr;
  a->want_read = a->want_write = false;
  a->release_fd();
  Connection* owner = a->closing ? nullptr : a->owner;
  a->owner = nullptr;
  if (owner != nullptr) owner->handle_gone(err.c_str());  // last use of `a`
}

void on_connect_cb(const redisAsyncContext* ac, int status) {
  if (Attachment* a = attachment_of(ac)) a->owner->handle_connect(status == REDIS_OK, ac->errstr);
}

void on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata) {
  // NULL: the context is being freed; the owner learns that from hook_cleanup.
  if (reply == nullptr) return;
  if (Attachment* a = attachment_of(ac)) {
    a->owner->handle_reply(static_cast<int>(reinterpret_cast<std::intptr_t>(privdata)),
                           *static_cast<const redisReply*>(reply));
  }
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Connection::Connection(net::Loop& loop, Options options, Handler& handler)
    : loop_(loop),
      options_(std::move(options)),
      handler_(handler),
      backoff_(options_.reconnect_min),
      connect_timer_(loop, [this](Timestamp) {
        if (state_ != State::connecting && state_ != State::handshaking) return;
        const Error reason = state_ == State::connecting ? Error::connect_failed : Error::timeout;
        release_current();
        fail(reason,
             "no answer within the connect timeout (" +
                 std::to_string(options_.connect_timeout.us() / 1000) + " ms)",
             true);
      }),
      retry_timer_(loop, [this](Timestamp) { attempt(); }) {}

Connection::~Connection() {
  connect_timer_.cancel();
  retry_timer_.cancel();
  release_current();
}

void Connection::start() {
  if (state_ == State::idle) attempt();
}

void Connection::attempt() {
  state_ = State::connecting;
  connect_error_.clear();
  redisAsyncContext* ac = redisAsyncConnect(options_.host.c_str(), options_.port);
  if (ac == nullptr || ac->err != 0) {
    std::string err = ac != nullptr ? ac->errstr : "out of memory";
    if (ac != nullptr) redisAsyncFree(ac);  // nothing attached yet: no hook runs
    fail(Error::connect_failed, err, true);
    return;
  }
  auto a = std::make_shared<Attachment>(loop_.context(), ac, this);
  boost::system::error_code ec;
  a->fd.assign(ac->c.fd, ec);
  if (ec) {
    a->closing = true;
    a->ac = nullptr;
    redisAsyncFree(ac);
    fail(Error::connect_failed, "cannot watch the socket: " + ec.message(), true);
    return;
  }
  redisEnableKeepAlive(&ac->c);  // a silent peer is noticed even on an idle subscriber
  ac->data = a.get();
  ac->ev.data = a.get();
  ac->ev.addRead = hook_add_read;
  ac->ev.delRead = hook_del_read;
  ac->ev.addWrite = hook_add_write;
  ac->ev.delWrite = hook_del_write;
  ac->ev.cleanup = hook_cleanup;
  redisAsyncSetConnectCallback(ac, on_connect_cb);
  current_ = a;
  connect_timer_.rearm(loop_.now() + options_.connect_timeout);
  // Like hiredis' own adapters: watch both directions; the first writable event completes the
  // non-blocking connect.
  a->want_read = a->want_write = true;
  arm(a, false);
  arm(a, true);
}

void Connection::handle_connect(bool ok, const char* errstr) {
  if (!ok) {  // hiredis frees the context next; handle_gone reports it
    connect_error_ = errstr != nullptr ? errstr : "connect failed";
    return;
  }
  state_ = State::handshaking;
  send_handshake();
}

void Connection::send_handshake() {
  // Sent before anything else on every connection: the pipeline keeps this order.
  handshake_left_ = 0;
  // AUTH user pass for a Redis 6+ ACL user; AUTH pass for the default user (requirepass).
  if (!options_.password.empty() &&
      send(options_.username.empty()
               ? std::vector<std::string>{"AUTH", options_.password}
               : std::vector<std::string>{"AUTH", options_.username, options_.password},
           kAuthTag))
    ++handshake_left_;
  if (options_.db != 0 && send({"SELECT", std::to_string(options_.db)}, kSelectTag)) {
    ++handshake_left_;
  }
  // PING proves the server answers (and, with no password set, that it needs none).
  if (send({"PING"}, kPingTag)) ++handshake_left_;
}

void Connection::handle_reply(int tag, const redisReply& reply) {
  if (tag >= 0) {
    handler_.on_reply(tag, reply);
    return;
  }
  if (state_ != State::handshaking) return;
  if (reply.type == REDIS_REPLY_ERROR) {
    std::string msg(reply.str, reply.len);
    // Redis 6/7: "WRONGPASS ...", "NOAUTH ..." (a password is needed), "ERR AUTH <password>
    // called without any password configured ..."; older: "ERR invalid password".
    const bool auth = starts_with(msg, "NOAUTH") || starts_with(msg, "WRONGPASS") ||
                      (tag == kAuthTag && starts_with(msg, "ERR"));
    // Wrong credentials or a bad db index do not fix themselves: stop retrying. Anything else
    // ("LOADING ...", "ERR max number of clients reached") may pass: retry.
    const bool final = auth || (tag == kSelectTag && starts_with(msg, "ERR"));
    release_current();  // deferred: we are inside hiredis
    fail(auth ? Error::auth_failed : Error::handshake_failed, msg, !final);
    return;
  }
  if (--handshake_left_ == 0) {
    state_ = State::ready;
    connect_timer_.cancel();
    backoff_ = options_.reconnect_min;
    handler_.on_ready();
  }
}

void Connection::handle_gone(const char* errstr) {
  current_.reset();  // the waits' copies keep the Attachment alive until they finish
  std::string detail = errstr != nullptr ? errstr : "";
  if (state_ == State::connecting) {
    fail(Error::connect_failed, connect_error_.empty() ? detail : connect_error_, true);
  } else {
    fail(Error::connection_lost, detail.empty() ? "connection closed" : detail, true);
  }
}

bool Connection::send(const std::vector<std::string>& argv, int tag) {
  if (!current_ || current_->ac == nullptr || current_->closing || argv.empty()) return false;
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  ptrs.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  return redisAsyncCommandArgv(current_->ac, on_reply_cb,
                               reinterpret_cast<void*>(static_cast<std::intptr_t>(tag)),
                               static_cast<int>(argv.size()), ptrs.data(),
                               lens.data()) == REDIS_OK;
}

void Connection::drop(Error reason, std::string detail) {
  if (state_ != State::connecting && state_ != State::handshaking && state_ != State::ready) return;
  release_current();
  fail(reason, std::move(detail), true);
}

void Connection::release_current() {
  if (!current_) return;
  std::shared_ptr<Attachment> a = std::move(current_);
  a->closing = true;
  a->owner = nullptr;
  if (a->ac == nullptr) return;
  if (a->in_io) {
    // Freeing inside redisAsyncHandleRead would pull the context out from under hiredis.
    boost::asio::post(loop_.context(), [a] {
      if (a->ac != nullptr) redisAsyncFree(a->ac);
    });
  } else {
    redisAsyncFree(a->ac);  // runs hook_cleanup, which now notifies nobody
  }
}

void Connection::fail(Error reason, std::string detail, bool retry) {
  state_ = retry ? State::waiting : State::failed;
  connect_timer_.cancel();
  if (retry) {
    retry_timer_.rearm(loop_.now() + backoff_);
    backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
  }
  handler_.on_down(ConnectionEvent{false, reason, std::move(detail), retry});
}

}  // namespace peerkit::redis::detail
