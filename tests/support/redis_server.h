// A real redis-server (Debian /usr/bin/redis-server) for one test: a free port on 127.0.0.1 (in
// the test's own network namespace when the test runs under unshare -n, see
// tests/integration/run_in_netns.sh), a temporary directory, no persistence (--save '' and
// --appendonly no), an optional password. The constructor returns once the server answers PING
// (or throws after a deadline, with the server's log); stop()/kill()/restart() act on its PID;
// the destructor kills it and removes the directory. No GoogleTest dependency.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace peerkit::test {

class RedisServer {
 public:
  struct Config {
    std::string password;  // --requirepass when not empty
    std::string binary = "/usr/bin/redis-server";
    std::chrono::milliseconds start_timeout{10'000};
  };

  RedisServer() : RedisServer(Config{}) {}
  explicit RedisServer(Config config);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  const std::string& dir() const { return dir_; }

  // SIGTERM, then SIGKILL if it has not exited within 5 s; reaps it.
  void stop();
  // SIGKILL (a crash: connections reset, nothing flushed); reaps it.
  void kill();
  // Starts again on the same port; returns once it answers PING.
  void restart();

  // One synchronous PING (AUTH first when a password is set) with a short timeout.
  bool ping() const;
  std::string log() const;
  // One field of INFO <section> over a synchronous connection ("" when absent), e.g.
  // info("commandstats", "cmdstat_get") -> "calls=1,usec=...".
  std::string info(const std::string& section, const std::string& field) const;  // the server's log file, for failure messages

 private:
  void spawn();
  void wait_until_ready();
  void signal_and_reap(int sig, std::chrono::milliseconds grace);

  Config config_;
  std::string host_ = "127.0.0.1";
  std::uint16_t port_ = 0;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace peerkit::test
