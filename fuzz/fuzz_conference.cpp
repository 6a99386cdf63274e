// Stateful fuzzer for sfu::Conference (the SDP side of an SFU worker): the input is a script of
// joins, leaves, publishes (captured Chromium offers, or bytes from the input), subscribe
// answers (what a browser would answer, possibly cut or corrupted, to a current or stale
// connection) and constraints, for a few members in two rooms. Checks, beyond the sanitizers:
// every offer parses as SDP, no offer goes to a member that is not in a room, the router never
// holds more subscriptions than the members' sections allow, and once everyone has left nothing
// is left in the router.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "dtls/context.h"
#include "sdp/session_description.h"
#include "sfu/conference.h"
#include "support/browser_answer.h"
#include "support/sdp_data.h"

namespace {

using namespace peerkit;

std::string load(const char* name) {
  const std::string text = testing::read_sdp_data(name);
  return text;
}

struct Fixture {
  std::shared_ptr<const dtls::Certificate> certificate = *dtls::Certificate::generate();
  std::shared_ptr<const dtls::Context> context = *dtls::Context::create(certificate);
  std::string offers[3] = {load("chromium156-media-offer.sdp"), load("chromium156-simulcast-offer.sdp"),
                           load("chromium156-simulcast-offer-stopped.sdp")};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;  // key generation once, not per input
  SeededRandom random(size);
  sfu::Worker worker(fixture.context, {});
  sfu::Conference conference(worker, fixture.certificate, random,
                             {{"1 1 udp 2130706431 10.0.0.1 40000 typ host"}, 6, 4, 720});
  const char* members[] = {"a", "b", "c", "d", "e", "f"};
  std::map<std::string, std::string> joined;  // member → room
  std::map<std::string, sfu::Conference::Message> last_offer;

  std::size_t i = 0;
  auto byte = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  auto drain = [&] {
    while (auto m = conference.poll_message()) {
      if (!joined.contains(m->member)) std::abort();  // an offer to someone not in a room
      if (m->type == "sfu-subscribe-offer") {
        if (!sdp::parse(m->sdp)) std::abort();  // the SFU's own offer must parse
        last_offer[m->member] = *m;
      } else if (m->type != "sfu-subscribe-close") {
        std::abort();
      }
    }
  };
  while (i < size) {
    const std::uint8_t op = byte();
    const std::string member = members[byte() % 6];
    switch (op % 6) {
      case 0: {  // join one of two rooms
        const std::string room = byte() & 1 ? "x" : "y";
        if (conference.join(room, member).empty()) {
          if (joined.contains(member)) std::abort();  // joined twice
          joined[member] = room;
        }
        break;
      }
      case 1:  // leave
        conference.leave(member);
        joined.erase(member);
        last_offer.erase(member);
        break;
      case 2: {  // publish a captured offer, or bytes
        const std::uint8_t b = byte();
        std::string offer;
        if (b < 192) {
          offer = fixture.offers[b % 3];
        } else {
          const std::size_t n = std::min<std::size_t>(byte() * 4, size - i);
          offer.assign(reinterpret_cast<const char*>(data + i), n);
          i += n;
        }
        (void)conference.publish(member, offer, byte() * 8);
        break;
      }
      case 3: {  // answer the last offer: whole, cut short, or to another connection
        auto it = last_offer.find(member);
        if (it == last_offer.end()) break;
        std::string answer = testing::browser_answer_to(it->second.sdp);
        const std::uint8_t b = byte();
        if (b & 1) answer.resize(answer.size() * (b >> 1) / 128);
        const std::uint32_t connection = it->second.connection + (b & 2 ? 1 : 0);
        (void)conference.subscribe_answer(member, connection, answer);
        break;
      }
      case 4: {  // constraints
        const std::uint8_t b = byte();
        std::map<std::string, int> sources{{members[b % 6], byte() * 4}};
        conference.constrain(member, b & 1 ? std::optional<int>(byte() * 4) : std::nullopt,
                             sources);
        break;
      }
      case 5:  // stats
        (void)conference.info(member);
        break;
    }
    drain();
    // Each member subscribes at most the others' tracks: 5 members × 4 tracks.
    if (worker.router().subscription_count() > 6 * 5 * 4) std::abort();
  }
  for (const char* m : members) conference.leave(m);
  drain();
  if (worker.router().track_count() != 0 || worker.router().subscription_count() != 0 ||
      conference.members() != 0)
    std::abort();
  return 0;
}
