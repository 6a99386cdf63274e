// Copy-and-paste signalling for the examples, on the public API only (include/peerkit/).
//
// Each program waits until ICE gathering is complete (no trickle), then prints its description
// as ONE line of JSON on stdout — {"type":"offer","sdp":"v=0\r\n…"}, the shape of a browser's
// JSON.stringify(pc.localDescription), with the gathered candidates inside the SDP — and reads
// the other side's line from stdin. Paste the line from one terminal into the other, or wire
// two programs together with named pipes (tests/netns/peer_examples.sh does). Everything else a
// program says goes to stderr, so stdout carries only that line.
#pragma once

#include <peerkit/peer_connection.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace examples {

// Waits on a condition with a deadline; callbacks (on the connection's loop thread) change the
// state under lock() and call notify().
class Waiter {
 public:
  std::unique_lock<std::mutex> lock() { return std::unique_lock(m_); }
  void notify() { cv_.notify_all(); }
  template <class Pred>
  bool wait(Pred p, std::chrono::seconds limit) {
    std::unique_lock l(m_);
    return cv_.wait_for(l, limit, p);
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
};

[[noreturn]] inline void fail(const std::string& why) {
  std::fprintf(stderr, "error: %s\n", why.c_str());
  std::fflush(nullptr);
  std::_Exit(1);  // not exit(): the Runtime's loop threads may still be running callbacks
}

// --host-filter F (which local addresses become host candidates, e.g. "10.0.0.0/8" or
// "eth0") and --loopback (127.0.0.1 only: two programs on one machine). Removes what it read
// from args.
inline peerkit::Configuration configuration_from(std::vector<std::string>& args) {
  peerkit::Configuration c;
  for (std::size_t i = 0; i < args.size();) {
    if (args[i] == "--loopback") {
      c.host_filter = "127.0.0.1/32";
      c.allow_loopback = true;
      args.erase(args.begin() + i);
    } else if (args[i] == "--host-filter" && i + 1 < args.size()) {
      c.host_filter = args[i + 1];
      args.erase(args.begin() + i, args.begin() + i + 2);
    } else {
      ++i;
    }
  }
  return c;
}

inline std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += ch;
    }
  }
  return out + "\"";
}

// The value of "key" in a one-level JSON object of strings; nullopt when absent or malformed.
inline std::optional<std::string> json_field(std::string_view json, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\"";
  auto at = json.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  at = json.find_first_not_of(" \t", at + needle.size());
  if (at == std::string_view::npos || json[at] != ':') return std::nullopt;
  at = json.find_first_not_of(" \t", at + 1);
  if (at == std::string_view::npos || json[at] != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = at + 1; i < json.size(); ++i) {
    char ch = json[i];
    if (ch == '"') return out;
    if (ch != '\\') { out += ch; continue; }
    if (++i == json.size()) return std::nullopt;
    switch (json[i]) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '/': out += '/'; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      default: return std::nullopt;  // \uXXXX never occurs in SDP we print
    }
  }
  return std::nullopt;
}

// Collects local candidates until gathering completes (install before set_local_description).
class Gathering {
 public:
  explicit Gathering(peerkit::PeerConnection& pc) {
    pc.on_local_candidate([this](const peerkit::IceCandidate& c) {
      auto l = w_.lock();
      candidates_.push_back(c.candidate);
    });
    pc.on_gathering_complete([this] {
      auto l = w_.lock();
      complete_ = true;
      w_.notify();
    });
  }
  // The description with every candidate inside its (only) media section, as one JSON line.
  std::string wait_line(const peerkit::SessionDescription& d, std::chrono::seconds limit) {
    if (!w_.wait([this] { return complete_; }, limit)) fail("ICE gathering did not complete");
    auto l = w_.lock();
    if (candidates_.empty()) fail("no local candidate (check --host-filter)");
    std::string sdp = d.sdp;
    for (const auto& c : candidates_) sdp += "a=" + c + "\r\n";
    sdp += "a=end-of-candidates\r\n";
    return "{\"type\":" + json_string(d.type) + ",\"sdp\":" + json_string(sdp) + "}";
  }

 private:
  Waiter w_;
  std::vector<std::string> candidates_;
  bool complete_ = false;
};

inline void print_line(const std::string& line) {
  std::cout << line << std::endl;  // endl flushes: the other side waits for this line
}

// Reads the other side's description line from stdin.
inline peerkit::SessionDescription read_description(std::string_view expected_type) {
  std::string line;
  while (line.empty()) {
    if (!std::getline(std::cin, line)) fail("stdin closed before the remote description arrived");
  }
  auto type = json_field(line, "type");
  auto sdp = json_field(line, "sdp");
  if (!type || !sdp) fail("not a description line (want {\"type\":…,\"sdp\":…}): " + line.substr(0, 80));
  if (*type != expected_type) fail("expected an " + std::string(expected_type) + ", got " + *type);
  return {*type, *sdp};
}

}  // namespace examples
