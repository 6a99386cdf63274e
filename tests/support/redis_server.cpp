#include "support/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace peerkit::test {

namespace {

// The kernel picks a free port; redis-server binds it a moment later (SO_REUSEADDR on its side).
std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1: " + err);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

RedisServer::RedisServer(Config config) : config_(std::move(config)) {
  char tmpl[] = "/tmp/peerkit-redis-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  }
  dir_ = tmpl;
  port_ = free_loopback_port();
  try {
    spawn();
    wait_until_ready();
  } catch (...) {
    if (pid_ > 0) signal_and_reap(SIGKILL, std::chrono::milliseconds(2000));
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

RedisServer::~RedisServer() {
  if (pid_ > 0) signal_and_reap(SIGKILL, std::chrono::milliseconds(5000));
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServer::spawn() {
  std::vector<std::string> args{config_.binary, "--port", std::to_string(port_), "--bind", host_,
                                "--save", "", "--appendonly", "no", "--dir", dir_,
                                "--logfile", dir_ + "/redis.log", "--daemonize", "no"};
  if (!config_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(config_.password);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, config_.binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + config_.binary + ": " + std::strerror(rc));
  }
  pid_ = pid;
}

void RedisServer::wait_until_ready() {
  const auto deadline = std::chrono::steady_clock::now() + config_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start (status " + std::to_string(status) +
                               "):\n" + log());
    }
    if (ping()) return;
    // Polling a condition against the deadline above, not a sleep standing in for it.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                           " did not answer PING within the deadline:\n" + log());
}

namespace {

// A synchronous connection, authenticated when needed; null when the server does not answer.
redisContext* connect_sync(const std::string& host, std::uint16_t port, const std::string& password) {
  timeval tv{0, 200'000};
  redisContext* c = redisConnectWithTimeout(host.c_str(), port, tv);
  if (c == nullptr) return nullptr;
  bool ok = c->err == 0 && redisSetTimeout(c, tv) == REDIS_OK;
  if (ok && !password.empty()) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "AUTH %s", password.c_str()));
    ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    if (r != nullptr) freeReplyObject(r);
  }
  if (!ok) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

}  // namespace

std::string RedisServer::info(const std::string& section, const std::string& field) const {
  redisContext* c = connect_sync(host_, port_, config_.password);
  if (c == nullptr) return {};
  std::string text;
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO %s", section.c_str()));
  if (r != nullptr && r->type == REDIS_REPLY_STRING) text.assign(r->str, r->len);
  if (r != nullptr) freeReplyObject(r);
  redisFree(c);
  const std::string key = "\n" + field + ":";
  const auto at = ("\n" + text).find(key);
  if (at == std::string::npos) return {};
  const auto start = at + key.size() - 1;  // in `text`, which lacks the leading newline
  const auto end = text.find_first_of("\r\n", start);
  return text.substr(start, end - start);
}

bool RedisServer::ping() const {
  redisContext* c = connect_sync(host_, port_, config_.password);
  if (c == nullptr) return false;
  bool ok = true;
  if (ok) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r != nullptr && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
    if (r != nullptr) freeReplyObject(r);
  }
  redisFree(c);
  return ok;
}

std::string RedisServer::log() const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void RedisServer::signal_and_reap(int sig, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling the exit, bounded
  }
  pid_ = -1;
}

void RedisServer::stop() { signal_and_reap(SIGTERM, std::chrono::milliseconds(5000)); }

void RedisServer::kill() { signal_and_reap(SIGKILL, std::chrono::milliseconds(5000)); }

void RedisServer::restart() {
  if (pid_ > 0) stop();
  spawn();
  wait_until_ready();
}

}  // namespace peerkit::test
