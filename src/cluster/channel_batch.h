// Several node-channel messages carried by one Redis PUBLISH (issue 12, throughput).
//
// Under load a node sends many messages to the same peer node within one loop round; one
// PUBLISH per message costs a Redis command, a reply, a pub/sub push and a wake-up on both
// nodes for each. The Redis driver gathers what a round sends to one channel and publishes it
// as one batch; the receiving driver splits it before the cluster core sees anything.
//
// Wire form: a message on its own is sent as it is (it is a JSON object, so it starts with
// '{'; one that starts with '#' goes as a batch of one). A batch starts with '#' and is then a sequence of netstrings, `<length>:<bytes>,`
// with the length in decimal ASCII and no leading zeros (D. J. Bernstein's netstrings), one per
// message, in the order they were sent.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerkit::cluster {

inline constexpr char kBatchMarker = '#';

// Grows one batch for one channel.
class BatchBuilder {
 public:
  void add(std::string_view message);
  std::size_t count() const { return count_; }
  std::size_t bytes() const { return batch_.size(); }
  bool empty() const { return count_ == 0; }
  // What to publish: a single message unwrapped (unless it starts with the marker), or the
  // batch. Leaves the builder empty.
  std::string take();

 private:
  std::string batch_;
  std::size_t count_ = 0;
  std::size_t first_offset_ = 0;  // where the first message's bytes start in batch_
};

bool is_batch(std::string_view payload);

// The messages of a batch, viewing into `payload`; nullopt if it is not a well-formed batch
// (nothing of it should then be delivered), or holds more than `max_messages`.
std::optional<std::vector<std::string_view>> split_batch(std::string_view payload,
                                                         std::size_t max_messages);

}  // namespace peerkit::cluster
