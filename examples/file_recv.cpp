// file_recv: receives one file from file_send into OUT and checks its SHA-256 against the
// sender's. The receiver answers.
//
//   file_recv --loopback OUT     (paste file_send's offer line; it prints the answer line)
// Options: --loopback (127.0.0.1 only) or --host-filter F (e.g. 10.0.0.0/8).
// Prints "file_recv: N bytes, SHA-256 <hex> OK" on stderr; exit status 0 when it matched.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "sha256.h"
#include "signaling.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto config = examples::configuration_from(args);
  if (args.size() != 1) examples::fail("usage: file_recv [--loopback | --host-filter F] OUT");
  std::ofstream out(args[0], std::ios::binary | std::ios::trunc);
  if (!out) examples::fail("cannot write " + args[0]);

  peerkit::Runtime runtime;
  auto pc = peerkit::PeerConnection::create(runtime, config);
  examples::Gathering gathering(*pc);
  examples::Waiter w;
  // Written on the loop thread (the channel's callbacks), read by main under the lock.
  std::shared_ptr<peerkit::DataChannel> channel;
  std::uint64_t size = 0, got = 0;
  bool header = false, done = false, closed = false, ok = false;
  std::string expected, actual, error;
  examples::Sha256 hash;

  pc->on_data_channel([&](std::shared_ptr<peerkit::DataChannel> ch) {
    ch->on_close([&] { auto l = w.lock(); closed = true; w.notify(); });
    ch->on_message([&, ch = ch.get()](const peerkit::Message& m) {
      auto l = w.lock();
      if (!header) {
        std::istringstream h{std::string(m.text())};
        std::string word, name;
        if (m.binary || !(h >> word >> size >> expected) || word != "file") {
          error = "bad header";
          w.notify();
          return;
        }
        header = true;
      } else if (!done) {
        out.write(reinterpret_cast<const char*>(m.data.data()), static_cast<std::streamsize>(m.data.size()));
        hash.update(m.data);
        got += m.data.size();
      }
      if (header && !done && got >= size) {
        done = true;
        actual = hash.hex();
        ok = got == size && actual == expected;
        (void)ch->send("done " + actual);  // the sender waits for this, then closes
        w.notify();
      }
    });
    auto l = w.lock();
    channel = std::move(ch);
  });

  if (auto e = pc->set_remote_description(examples::read_description("offer"))) examples::fail(*e);
  auto answer = pc->create_answer();
  if (auto* e = std::get_if<std::string>(&answer)) examples::fail(*e);
  if (auto e = pc->set_local_description(std::get<peerkit::SessionDescription>(answer))) examples::fail(*e);
  examples::print_line(gathering.wait_line(std::get<peerkit::SessionDescription>(answer), 10s));

  // No progress for 60 s is a failure; a transfer that keeps moving may take as long as it needs.
  std::uint64_t seen = 0;
  while (true) {
    if (w.wait([&] { return done || closed || !error.empty() || got != seen; }, 60s)) {
      auto l = w.lock();
      if (done || closed || !error.empty()) break;
      seen = got;
      continue;
    }
    examples::fail("no data for 60 s (" + std::to_string(seen) + " bytes so far)");
  }
  if (!error.empty()) examples::fail(error);
  if (!done) examples::fail("the channel closed after " + std::to_string(got) + " of " + std::to_string(size) + " bytes");
  w.wait([&] { return closed; }, 10s);  // the sender closes once it has read our reply
  out.close();
  std::fprintf(stderr, "file_recv: %llu bytes, SHA-256 %s %s\n", static_cast<unsigned long long>(got), actual.c_str(),
               ok ? "OK" : ("MISMATCH (sender: " + expected + ")").c_str());
  pc->close();
  return ok && out ? 0 : 1;
}
