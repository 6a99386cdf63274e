#include "apps/peerkit/join_console.h"

#include <unistd.h>

#include <cstdio>

namespace peerkit::app {

JoinConsole::JoinConsole() : tty_(::isatty(2) == 1) {}

void JoinConsole::clear_bar() {
  if (!bar_shown_) return;
  std::fputs("\r\033[K", stderr);
  bar_shown_ = false;
}

void JoinConsole::chat(const std::string& who, const std::string& text) {
  clear_bar();
  std::printf("%s: %s\n", who.c_str(), text.c_str());
  std::fflush(stdout);
}

void JoinConsole::event(const std::string& text) {
  clear_bar();
  std::fprintf(stderr, "* %s\n", text.c_str());
}

void JoinConsole::error(const std::string& text) {
  clear_bar();
  std::fprintf(stderr, "peerkit join: %s\n", text.c_str());
}

void JoinConsole::progress(const std::string& what, std::uint64_t done, std::uint64_t total) {
  const double f = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const auto mib = [](std::uint64_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); };
  if (!tty_) {
    const int step = static_cast<int>(f * 10);
    if (step == last_step_) return;
    last_step_ = step == 10 ? -1 : step;
    std::fprintf(stderr, "* %s: %3d%% (%.1f of %.1f MiB)\n", what.c_str(), step * 10, mib(done),
                 mib(total));
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (done < total && bar_shown_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(f * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '-');
  std::fprintf(stderr, "\r\033[K%s [%s] %3d%% %.1f/%.1f MiB", what.c_str(), bar.c_str(),
               static_cast<int>(f * 100), mib(done), mib(total));
  bar_shown_ = true;
  if (done >= total) clear_bar();
}

}  // namespace peerkit::app
