// Binds an sfu::Worker to one UDP socket on one net::Loop (issue 11): the worker's port that
// all its participants share. Reads drain the socket in GRO-joined batches into the worker;
// what the worker produced leaves in GSO batches; one CoreTimer sits at worker.next_timeout().
// Everything the SFU decides stays in the core; this file only moves bytes and time. Every call
// on the loop's thread.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/address.h"
#include "net/latency_histogram.h"
#include "net/loop.h"
#include "net/udp_gso.h"
#include "sfu/worker.h"

namespace peerkit::sfu {

class WorkerDriver {
 public:
  WorkerDriver(net::Loop& loop, Worker& worker);
  ~WorkerDriver();
  WorkerDriver(const WorkerDriver&) = delete;
  WorkerDriver& operator=(const WorkerDriver&) = delete;

  // Binds the port (port 0: any). "" or why not.
  std::string bind(const SocketAddress& address);
  SocketAddress local_address() const;
  void start();
  // After calling into the worker from outside (participants, tracks): sends what it produced,
  // delivers its events and re-arms the timer.
  void pump() { (void)send_and_deliver(); }
  void stop();

  std::function<void(const Worker::Event&)> on_event;
  std::uint64_t datagrams_in() const { return datagrams_in_; }
  // Ingress → egress inside this process: from a read's return to the send of what the worker
  // made of it, once per datagram read in a batch that sent something (T11's p99).
  const net::LatencyHistogram& forwarding_latency() const { return latency_; }

 private:
  static constexpr SocketId kSocket{1};
  void receive();
  void drain();
  // pump(); the datagrams sent, or nullopt when an event handler destroyed the driver.
  std::optional<std::size_t> send_and_deliver();

  net::Loop& loop_;
  Worker& worker_;
  boost::asio::ip::udp::socket socket_;
  net::CoreTimer timer_;
  net::GsoSender out_;
  SocketAddress from_;
  bool stopped_ = false;
  std::uint64_t datagrams_in_ = 0;
  net::LatencyHistogram latency_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::sfu
