// What `peerkit join` shows: chat on stdout, events and errors on stderr, and a progress bar on
// stderr when it is a terminal (periodic lines when it is not). Loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace peerkit::app {

class JoinConsole {
 public:
  JoinConsole();
  void chat(const std::string& who, const std::string& text);  // stdout
  void event(const std::string& text);                         // stderr, "* text"
  void error(const std::string& text);                         // stderr, "peerkit join: text"
  // Sending progress over every member; done == total ends the bar.
  void progress(const std::string& what, std::uint64_t done, std::uint64_t total);

 private:
  void clear_bar();
  bool tty_;
  bool bar_shown_ = false;
  int last_step_ = -1;  // without a terminal: the last tenth printed
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace peerkit::app
