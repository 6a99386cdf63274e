// peerkit join's core (src/join/), fed what a hostile server or room member could send: rooms
// protocol frames, signal payloads, chat frames, and the web app's file-transfer frames (text
// and binary, interleaved). Never crashes; a file never grows past its limit; a chat text is
// never longer than the frame it came from.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "join/file_transfer.h"
#include "join/room_session.h"

namespace {

// Splits the input into frames at '\n'; a frame starting with 'B' is binary (for files).
template <class F>
void for_each_frame(std::string_view in, F f) {
  while (!in.empty()) {
    const auto nl = in.find('\n');
    f(in.substr(0, nl));
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace peerkit::join;
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {  // the rooms protocol from the server
      RoomSession s("room", "fuzz");
      for_each_frame(in, [&](std::string_view frame) {
        s.on_server_frame(frame);
        (void)s.take_events();
      });
      for (const auto& [id, name] : s.members()) (void)s.name_of(id);
      s.leave();
      (void)s.take_events();
      break;
    }
    case 1: {  // a member's signal and chat payloads
      for_each_frame(in, [&](std::string_view frame) {
        (void)parse_signal_data(frame);
        if (const auto text = parse_chat_frame(frame); text && text->size() > frame.size() * 3)
          std::abort();  // replacement characters may grow it a little, never unboundedly
      });
      break;
    }
    default: {  // file transfer frames, with a small limit so that it is reached
      constexpr std::uint64_t kMax = 4096;
      IncomingFiles files(kMax);
      for_each_frame(in, [&](std::string_view frame) {
        if (!frame.empty() && frame.front() == 'B') {
          const auto* b = reinterpret_cast<const std::byte*>(frame.data() + 1);
          (void)files.on_binary(std::span<const std::byte>(b, frame.size() - 1));
        } else {
          (void)files.on_text(frame);
        }
        if (files.received() > kMax) std::abort();
      });
      (void)files.on_closed();
      break;
    }
  }
  return 0;
}
