// The Prometheus endpoint: HTTP/1.1 on Boost.Beast, its own thread, one request per connection
// (Prometheus scrapes are rare and small). `path` serves the metrics; `/` answers "ok" for
// health checks; anything else is 404. Bound to 127.0.0.1 unless configured otherwise.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <thread>

namespace peerkit::turn {

class MetricsServer {
 public:
  MetricsServer(std::string address, std::uint16_t port, std::string path,
                std::function<std::string()> render);
  ~MetricsServer();
  std::string start();  // an error text if it cannot bind

 private:
  void accept();

  std::string address_;
  std::uint16_t port_;
  std::string path_;
  std::function<std::string()> render_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

}  // namespace peerkit::turn
