// What other cluster nodes send (issue 12): arbitrary bytes are read as a node-channel batch
// (cluster/channel_batch.h) and delivered, whole and part by part, to a node's channel, where
// cluster::Node splits header from body and hands them to the PeerJS and rooms handlers.
// Nodes trust each other less than a crash would suggest: nothing may crash, leak or read out
// of bounds, and a batch that splits must build again to the same parts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/channel_batch.h"
#include "unit/cluster/cluster_harness.h"

namespace {
using namespace peerkit;
using namespace peerkit::cluster;

void check(bool ok) {
  if (!ok) std::abort();
}

// Two nodes on one in-memory Redis; b has a PeerJS client "x" and a room member, so frames
// addressed to them are delivered rather than dropped at the first lookup.
struct World {
  World() {
    h.open(1, 1, "x");
    h.join(1, 101, "r", "Bea");
    h.join(0, 102, "r", "Al");
    injector = h.redis.client();
  }
  test::Harness h{2};
  std::unique_ptr<testing::FakeRedisClient> injector;
  std::size_t inputs = 0;
};

void deliver(World& w, std::string_view message) {
  w.injector->publish(w.h[1].node.channel_of("b"), message, [](Result<std::int64_t>) {});
  w.h.pump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World* world = new World();
  World& w = *world;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (auto parts = split_batch(input, 64)) {
    BatchBuilder b;
    for (auto p : *parts) b.add(p);
    const std::string again = b.take();
    if (parts->size() > 1) check(again == input);  // one framing only: no leading zeros etc.
    auto reparsed = is_batch(again) ? split_batch(again, 64)
                                    : std::optional<std::vector<std::string_view>>(
                                          std::vector<std::string_view>{again});
    check(reparsed && *reparsed == *parts);
    for (auto p : *parts) deliver(w, p);
  } else {
    deliver(w, input);
  }
  // Time moves on now and then, so expiries, queues and the owner cache turn over too.
  if (++w.inputs % 64 == 0) w.h.advance(Duration::millis(500));
  w.h.take(1, 1);
  w.h.take(1, 101);
  w.h.take(0, 102);
  return 0;
}
