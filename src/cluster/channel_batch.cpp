#include "cluster/channel_batch.h"

#include <charconv>

namespace peerkit::cluster {

void BatchBuilder::add(std::string_view message) {
  if (count_ == 0) {
    batch_.clear();
    batch_ += kBatchMarker;
  }
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, message.size());
  batch_.append(digits, end);
  batch_ += ':';
  if (count_ == 0) first_offset_ = batch_.size();
  batch_.append(message);
  batch_ += ',';
  ++count_;
}

std::string BatchBuilder::take() {
  std::string out;
  if (count_ == 1 && batch_[first_offset_] != kBatchMarker) {
    // One message: no framing, as if batching did not exist (unless it would read as a batch).
    out.assign(batch_, first_offset_, batch_.size() - first_offset_ - 1);
  } else if (count_ >= 1) {
    out.swap(batch_);
  }
  batch_.clear();
  count_ = 0;
  return out;
}

bool is_batch(std::string_view payload) {
  return !payload.empty() && payload.front() == kBatchMarker;
}

std::optional<std::vector<std::string_view>> split_batch(std::string_view payload,
                                                         std::size_t max_messages) {
  if (!is_batch(payload)) return std::nullopt;
  std::vector<std::string_view> parts;
  std::size_t pos = 1;
  while (pos < payload.size()) {
    if (parts.size() >= max_messages) return std::nullopt;
    const std::size_t colon = payload.find(':', pos);
    // A length is 1–20 digits, without a leading zero unless it is "0".
    if (colon == std::string_view::npos || colon == pos || colon - pos > 20) return std::nullopt;
    if (payload[pos] == '0' && colon - pos > 1) return std::nullopt;
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(payload.data() + pos, payload.data() + colon, length);
    if (ec != std::errc() || end != payload.data() + colon) return std::nullopt;
    const std::size_t start = colon + 1;
    if (length > payload.size() - start || payload.size() - start - length < 1) return std::nullopt;
    if (payload[start + length] != ',') return std::nullopt;
    parts.push_back(payload.substr(start, length));
    pos = start + length + 1;
  }
  if (parts.empty()) return std::nullopt;
  return parts;
}

}  // namespace peerkit::cluster
