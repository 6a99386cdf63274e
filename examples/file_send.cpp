// file_send: sends one file over a data channel to file_recv; the receiver's SHA-256 must
// match ours. The sender offers.
//
//   terminal 1:  file_send --loopback big.iso          (prints the offer line, waits for the answer)
//   terminal 2:  file_recv --loopback copy.iso         (paste the offer; it prints the answer line)
//   then paste the answer line into terminal 1.
// Or with named pipes:  mkfifo o a; file_send F >o <a & file_recv OUT <o >a
// Options: --loopback (127.0.0.1 only) or --host-filter F (e.g. 10.0.0.0/8); the default
// gathers every non-loopback interface. Exit status 0 when the receiver confirmed the hash.
//
// The protocol on channel "file": a text header "file <size> <sha256 hex> <name>", then the
// bytes in binary messages of 64 KiB; the receiver answers "done <sha256 hex>".
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "sha256.h"
#include "signaling.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto config = examples::configuration_from(args);
  if (args.size() != 1) examples::fail("usage: file_send [--loopback | --host-filter F] FILE");
  std::ifstream in(args[0], std::ios::binary);
  if (!in) examples::fail("cannot read " + args[0]);
  std::vector<std::byte> file;
  {
    std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    file.resize(raw.size());
    std::memcpy(file.data(), raw.data(), raw.size());
  }
  examples::Sha256 hash;
  hash.update(file);
  const std::string sha = hash.hex();
  std::string name = args[0].substr(args[0].find_last_of('/') + 1);

  peerkit::Runtime runtime;
  auto pc = peerkit::PeerConnection::create(runtime, config);
  examples::Gathering gathering(*pc);
  examples::Waiter w;
  bool open = false, closed = false, low = false;
  std::optional<std::string> reply;
  auto made = pc->create_data_channel("file");
  if (auto* e = std::get_if<std::string>(&made)) examples::fail(*e);
  auto ch = std::get<std::shared_ptr<peerkit::DataChannel>>(made);
  ch->on_open([&] { auto l = w.lock(); open = true; w.notify(); });
  ch->on_close([&] { auto l = w.lock(); closed = true; w.notify(); });
  ch->on_buffered_amount_low([&] { auto l = w.lock(); low = true; w.notify(); });
  ch->on_message([&](const peerkit::Message& m) { auto l = w.lock(); reply = std::string(m.text()); w.notify(); });

  auto offer = pc->create_offer();
  if (auto* e = std::get_if<std::string>(&offer)) examples::fail(*e);
  if (auto e = pc->set_local_description(std::get<peerkit::SessionDescription>(offer))) examples::fail(*e);
  examples::print_line(gathering.wait_line(std::get<peerkit::SessionDescription>(offer), 10s));
  if (auto e = pc->set_remote_description(examples::read_description("answer"))) examples::fail(*e);
  if (!w.wait([&] { return open || closed; }, 30s) || !open) examples::fail("the channel did not open");

  // Keep at most 1 MiB queued: send while below it, then wait for the low-threshold event.
  constexpr std::size_t kChunk = 64 * 1024, kHigh = 1024 * 1024;
  ch->set_buffered_amount_low_threshold(kHigh / 4);
  const auto start = std::chrono::steady_clock::now();
  if (auto e = ch->send("file " + std::to_string(file.size()) + " " + sha + " " + name)) examples::fail(*e);
  for (std::size_t at = 0; at < file.size();) {
    while (at < file.size() && ch->buffered_amount() < kHigh) {
      const std::size_t n = std::min(kChunk, file.size() - at);
      {
        auto l = w.lock();
        low = false;
      }
      if (auto e = ch->send(std::span(file).subspan(at, n))) examples::fail(*e);
      at += n;
    }
    if (at < file.size() && !w.wait([&] { return low || closed || ch->buffered_amount() < kHigh / 4; }, 60s))
      examples::fail("no progress for 60 s");
    if (w.wait([&] { return closed; }, 0s)) examples::fail("the channel closed during the transfer");
  }
  const bool answered = w.wait([&] { return reply.has_value() || closed; }, 120s);
  std::optional<std::string> got;
  {
    auto l = w.lock();  // the callbacks write these on the connection's thread
    got = reply;
  }
  if (!answered || !got) examples::fail("no reply from the receiver");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool ok = *got == "done " + sha;
  std::fprintf(stderr, "file_send: %zu bytes in %.2f s (%.1f MB/s), receiver says: %s -> %s\n", file.size(), seconds,
               file.size() / seconds / 1e6, got->c_str(), ok ? "SHA-256 matches" : "SHA-256 MISMATCH");
  ch->close();
  w.wait([&] { return closed; }, 5s);  // the receiver sees the close (stream reset) too
  pc->close();
  return ok ? 0 : 1;
}
