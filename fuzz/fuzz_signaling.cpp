// Stateful fuzzer for both signaling cores: the input is a script of operations (open a
// session, send it a frame, close it, let time pass) run against PeerJsServer and RoomsServer
// together, the rooms core with an SFU hook (its SFU mode). Checks, beyond the sanitizers: every
// frame the cores send is valid JSON, nothing is sent to a session after it closed, the cores'
// counts stay consistent, and the SFU hook sees an exit for every enter and requests only from
// members it saw enter.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "signaling/peerjs_server.h"
#include "signaling/rooms_server.h"

namespace {

using namespace peerkit;
using namespace peerkit::signaling;

struct CheckingTransport final : Transport {
  std::set<SessionId> open;
  bool send(SessionId session, std::string_view text) override {
    if (!open.contains(session)) std::abort();  // the core wrote to a closed session
    boost::json::error_code ec;
    boost::json::parse(text, ec);
    if (ec) std::abort();           // the core produced invalid JSON
    return session.value % 7 != 3;  // some sessions behave as if their write queue were full
  }
  void close(SessionId session, std::uint16_t, std::string_view reason) override {
    if (reason.size() > 123) std::abort();  // RFC 6455 §5.5: a close reason fits a control frame
    (void)session;
  }
};

// Checks the rooms core's calls into the SFU hook (signaling/sfu_hook.h).
struct CheckingSfuHook final : RoomsSfuHook {
  std::set<std::string> inside;  // members in an SFU room
  void enter(std::string_view, std::string_view member) override {
    if (!inside.insert(std::string(member)).second) std::abort();  // entered twice
  }
  void exit(std::string_view, std::string_view member) override {
    if (!inside.erase(std::string(member))) std::abort();  // never entered
  }
  void request(std::string_view, std::string_view member, std::string_view type,
               std::string_view text) override {
    if (!inside.contains(std::string(member)) || !type.starts_with("sfu-")) std::abort();
    boost::json::error_code ec;
    boost::json::parse(text, ec);
    if (ec) std::abort();  // only well-formed requests reach the hook
  }
};

// Frames worth mutating: the shapes the protocols use.
const char* kSeeds[] = {R"({"type":"OFFER","dst":"a","payload":{"sdp":"x"}})",
                        R"({"type":"HEARTBEAT"})",
                        R"({"type":"LEAVE"})",
                        R"({"type":"EXPIRE","dst":"b"})",
                        R"({"type":"CANDIDATE","dst":"c","payload":null})",
                        R"({"type":"join","room":"r","name":"n"})",
                        R"({"type":"signal","to":"m1","data":{}})",
                        R"({"type":"leave"})",
                        R"({"type":"ping"})",
                        R"({"type":"join","room":"s","name":"n","mode":"sfu"})",
                        R"({"type":"join","room":"r","name":"n","mode":"mesh"})",
                        R"({"type":"sfu-publish","sdp":"v=0","height":720})",
                        R"({"type":"sfu-subscribe-answer","connection":1,"sdp":"v=0"})",
                        R"({"type":"sfu-constraints","maxHeight":null,"sources":{"m1":180}})",
                        R"({"type":"sfu-stats"})",
                        "{",
                        "[]"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  CheckingTransport transport;
  PeerJsOptions po;
  po.concurrent_limit = 4;
  po.max_queued_per_id = 3;
  po.max_offline_ids = 3;
  po.messages_per_second = 20;
  po.message_burst = 5;
  RoomsOptions ro;
  ro.room_capacity = 3;
  ro.max_rooms = 2;
  ro.messages_per_second = 20;
  ro.message_burst = 5;
  ro.sfu_threshold = 2;
  ro.sfu_room_capacity = 4;
  PeerJsServer peerjs(po, transport);
  RoomsServer rooms(ro, transport);
  CheckingSfuHook sfu;
  rooms.set_sfu_hook(&sfu);
  Timestamp now = Timestamp::from_micros(1'000'000);
  std::set<SessionId> peerjs_sessions, rooms_sessions;
  const char* ids[] = {"a", "b", "c", "m1", "m2", ""};

  std::size_t i = 0;
  auto byte = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const std::uint8_t op = byte();
    const SessionId session(1 + byte() % 8);
    switch (op % 6) {
      case 0: {  // open a PeerJS session
        if (transport.open.contains(session)) break;
        transport.open.insert(session);
        peerjs_sessions.insert(session);
        const std::uint8_t b = byte();
        peerjs.on_open(session, {b & 0x80 ? "bad" : "peerjs", ids[b % 6], (b & 0x40) ? "t1" : "t2"},
                       now);
        break;
      }
      case 1: {  // open a rooms session
        if (transport.open.contains(session)) break;
        transport.open.insert(session);
        rooms_sessions.insert(session);
        rooms.on_open(session, "m" + std::to_string(session.value), "[]", now);
        break;
      }
      case 2:
      case 3: {  // a frame: a seed, or raw bytes from the input
        if (!transport.open.contains(session)) break;
        std::string text;
        const std::uint8_t b = byte();
        if (b < 128) {
          text = kSeeds[b % std::size(kSeeds)];
        } else {
          const std::size_t n = std::min<std::size_t>(byte(), size - i);
          text.assign(reinterpret_cast<const char*>(data + i), n);
          i += n;
        }
        if (peerjs_sessions.contains(session))
          peerjs.on_message(session, text, now);
        else
          rooms.on_message(session, text, now);
        break;
      }
      case 4:  // the socket closes
        if (!transport.open.contains(session)) break;
        if (peerjs_sessions.erase(session)) peerjs.on_close(session);
        if (rooms_sessions.erase(session)) rooms.on_close(session);
        transport.open.erase(session);
        break;
      case 5:  // time passes
        now = now + Duration::millis(50 * byte());
        peerjs.on_timer(now);
        break;
    }
  }
  if (peerjs.registered() > po.concurrent_limit) std::abort();
  if (peerjs.offline_messages() > po.max_queued_per_id * po.max_offline_ids) std::abort();
  if (rooms.rooms() > ro.max_rooms || rooms.members() > rooms.connections()) std::abort();
  for (SessionId s : std::set<SessionId>(rooms_sessions)) rooms.on_close(s);
  if (!sfu.inside.empty()) std::abort();  // a member left the SFU without the hook knowing
  return 0;
}
