// A peerkit peer driven over stdin/stdout, one JSON object per line, for the interop tests
// (tests/interop/interop.js puts it against node-datachannel and @roamhq/wrtc). Uses only the
// public API (include/peerkit/peer_connection.h), as an application would.
//
// Commands (stdin):
//   {"cmd":"offer"}                                  create an offer, set it, print it
//   {"cmd":"remote","type":"offer|answer","sdp":…}   set it; an offer is answered at once
//   {"cmd":"candidate","candidate":…,"mid":…}        add it (held until the remote description)
//   {"cmd":"channel","label":…}                      create a data channel
//   {"cmd":"send","label":…,"binary":b,"size":n}     send n pattern bytes (see pattern())
//   {"cmd":"close","label":…}                        close that channel
//   {"cmd":"exit"}                                   close the connection and exit 0
// Events (stdout): {"ev":"description"|"candidate"|"state"|"datachannel"|"open"|"message"|
//   "close"|"error"|"result", …}. Every message received is echoed back on its channel unchanged
//   and reported with its size and FNV-1a hash, so the other side checks both directions.
// Host candidates: 127.0.0.1 only (loopback allowed); run it inside a namespace.
#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "peerkit/peer_connection.h"

namespace json = boost::json;
using namespace peerkit;

namespace {

std::mutex out_mutex;
void emit(const json::object& o) {
  const std::string line = json::serialize(o);
  std::lock_guard l(out_mutex);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// The bytes both sides agree on for a message of `size` bytes: printable, so the same rule
// makes string messages (ASCII, valid UTF-8) and binary ones. interop.js has the same function.
std::vector<std::byte> pattern(std::size_t size) {
  std::vector<std::byte> v(size);
  for (std::size_t i = 0; i < size; ++i) v[i] = std::byte(static_cast<unsigned char>(33 + (i * 7 + size) % 90));
  return v;
}

std::string fnv1a(std::span<const std::byte> data) {
  std::uint32_t h = 2166136261u;
  for (auto b : data) h = (h ^ static_cast<std::uint8_t>(b)) * 16777619u;
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

struct Peer {
  Runtime runtime{1};
  std::shared_ptr<PeerConnection> pc;
  std::mutex m;  // guards the three below
  std::map<std::string, std::shared_ptr<DataChannel>> channels;
  bool has_remote = false;
  std::vector<IceCandidate> held;

  void error(const std::string& what) { emit({{"ev", "error"}, {"what", what}}); }

  void watch(const std::shared_ptr<DataChannel>& ch) {
    const std::string label = ch->label();
    std::weak_ptr<DataChannel> weak = ch;
    ch->on_open([label] { emit({{"ev", "open"}, {"label", label}}); });
    ch->on_close([label] { emit({{"ev", "close"}, {"label", label}}); });
    ch->on_message([this, label, weak](const Message& msg) {
      emit({{"ev", "message"}, {"label", label}, {"binary", msg.binary},
            {"size", msg.data.size()}, {"hash", fnv1a(msg.data)}});
      auto c = weak.lock();
      if (!c) return;
      Error e = msg.binary ? c->send(std::span<const std::byte>(msg.data)) : c->send(msg.text());
      if (e) error("echo on " + label + ": " + *e);
    });
    std::lock_guard l(m);
    channels[label] = ch;
  }

  void describe(const std::variant<SessionDescription, std::string>& made) {
    if (auto* e = std::get_if<std::string>(&made)) return error(*e);
    const auto& d = std::get<SessionDescription>(made);
    if (auto e = pc->set_local_description(d)) return error(*e);
    emit({{"ev", "description"}, {"type", d.type}, {"sdp", d.sdp}});
  }

  std::shared_ptr<DataChannel> channel(const std::string& label) {
    std::lock_guard l(m);
    auto it = channels.find(label);
    return it == channels.end() ? nullptr : it->second;
  }

  void command(const json::object& c) {
    const std::string cmd(c.at("cmd").as_string());
    auto str = [&](const char* k) { return std::string(c.at(k).as_string()); };
    if (cmd == "offer") {
      describe(pc->create_offer());
    } else if (cmd == "remote") {
      const SessionDescription d{str("type"), str("sdp")};
      if (auto e = pc->set_remote_description(d)) return error(*e);
      std::vector<IceCandidate> now;
      {
        std::lock_guard l(m);
        has_remote = true;
        now.swap(held);
      }
      for (const auto& h : now)
        if (auto e = pc->add_ice_candidate(h)) error("candidate " + h.candidate + ": " + *e);
      if (d.type == "offer") describe(pc->create_answer());
    } else if (cmd == "candidate") {
      IceCandidate cand{str("candidate"), str("mid")};
      {
        std::lock_guard l(m);
        if (!has_remote) return held.push_back(std::move(cand));
      }
      if (auto e = pc->add_ice_candidate(cand)) error("candidate " + cand.candidate + ": " + *e);
    } else if (cmd == "channel") {
      auto made = pc->create_data_channel(str("label"));
      if (auto* e = std::get_if<std::string>(&made)) return error(*e);
      watch(std::get<std::shared_ptr<DataChannel>>(made));
    } else if (cmd == "send") {
      auto ch = channel(str("label"));
      if (!ch) return error("no channel " + str("label"));
      const auto bytes = pattern(static_cast<std::size_t>(c.at("size").to_number<std::int64_t>()));
      const bool binary = c.at("binary").as_bool();
      Error e = binary ? ch->send(std::span<const std::byte>(bytes))
                       : ch->send(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      emit({{"ev", "result"}, {"cmd", "send"}, {"error", e ? json::value(*e) : json::value(nullptr)}});
    } else if (cmd == "close") {
      auto ch = channel(str("label"));
      if (!ch) return error("no channel " + str("label"));
      ch->close();
    } else {
      error("unknown command " + cmd);
    }
  }
};

}  // namespace

int main() {
  Peer p;
  Configuration config;
  config.host_filter = "127.0.0.1/32";
  config.allow_loopback = true;
  p.pc = PeerConnection::create(p.runtime, config);
  p.pc->on_local_candidate([](const IceCandidate& c) {
    emit({{"ev", "candidate"}, {"candidate", c.candidate}, {"mid", c.sdp_mid}});
  });
  p.pc->on_connection_state([](PeerConnectionState s) { emit({{"ev", "state"}, {"state", to_string(s)}}); });
  p.pc->on_data_channel([&p](std::shared_ptr<DataChannel> ch) {
    emit({{"ev", "datachannel"}, {"label", ch->label()}, {"id", ch->id() ? json::value(*ch->id()) : json::value(nullptr)}});
    p.watch(ch);
  });
  p.pc->on_error([&p](const std::string& e) { p.error(e); });

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object() || !v.as_object().contains("cmd")) {
      p.error("bad command line: " + line.substr(0, 200));
      continue;
    }
    const auto& o = v.as_object();
    if (o.at("cmd") == "exit") break;
    try {
      p.command(o);
    } catch (const std::exception& e) {  // a missing or mistyped field
      p.error(std::string("bad command: ") + e.what());
    }
  }
  p.pc->close();
  {
    std::lock_guard l(p.m);
    p.channels.clear();
  }
  p.pc.reset();
  emit({{"ev", "exited"}});
  return 0;
}
