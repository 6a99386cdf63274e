// A user-space path impairment for one UDP flow (this kernel has no netem:
// ../shared/testing/environment.md §6): a relay between one client and one server that delays
// each direction, drops a random share of each, and can cap the server → client direction like
// a bottleneck link — a FIFO served at the cap, its queue bounded in time (drop-tail), so the
// queueing delay grows before packets are lost, as on a real access link.
//
//   client ──▶ [client socket] ─ delay, loss ─▶ [server socket] ──▶ server
//   client ◀── [client socket] ◀─ cap, delay, loss ─ [server socket] ◀── server
//
// The client is told the relay's client-side port instead of the server's (an ICE-lite SFU
// answers whichever address its checks come from). One thread, poll() with the next due
// packet's deadline; bench code (bench/sfuadapt.cpp), loopback or a namespace's addresses only.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace peerkit::bench {

class ImpairRelay {
 public:
  using Clock = std::chrono::steady_clock;
  struct Impairment {
    std::chrono::microseconds one_way_delay{0};
    double loss = 0;  // each direction, 0–1
    // The bottleneck's queue: a packet that would wait longer than this behind the ones
    // queued is dropped.
    std::chrono::microseconds max_queue_delay{100'000};
  };
  struct Counters {
    std::uint64_t to_server = 0, to_client = 0, lost_random = 0, dropped_queue = 0;
  };

  // Binds both sockets on `host` (port 0); forwards to server_host:server_port.
  ImpairRelay(const std::string& host, const std::string& server_host, std::uint16_t server_port,
              Impairment impairment, std::uint32_t seed = 1);
  ~ImpairRelay();
  ImpairRelay(const ImpairRelay&) = delete;
  ImpairRelay& operator=(const ImpairRelay&) = delete;

  std::uint16_t client_port() const { return client_port_; }
  // The server → client cap in bit/s (nullopt: none). Takes effect for the next packet.
  void set_cap(std::optional<double> bps);
  Counters counters() const;

 private:
  struct Held {
    Clock::time_point due;
    std::vector<unsigned char> data;
  };
  void run();
  void receive(int fd, bool from_client, Clock::time_point now);
  void flush(Clock::time_point now);

  Impairment impairment_;
  int client_fd_ = -1, server_fd_ = -1;
  std::uint16_t client_port_ = 0;
  sockaddr_in server_{};
  std::optional<sockaddr_in> client_;  // learned from the first packet
  std::deque<Held> to_server_, to_client_;  // each in due order (FIFO, constant delay)
  Clock::time_point link_free_;             // when the capped link has sent what is queued
  mutable std::mutex m_;                    // cap and counters: read from other threads
  std::optional<double> cap_bps_;
  Counters counters_;
  std::mt19937 random_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace peerkit::bench
