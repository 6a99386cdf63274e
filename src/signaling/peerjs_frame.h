// One incoming PeerJS frame read in a single pass with Boost.JSON's basic_parser, without a DOM:
// the fields PeerServer relays (spec §2.4: `type`, `dst`, `payload`) and where the `payload`
// value lies in the frame, so that it can be relayed as the sender's own bytes instead of being
// parsed and serialized again. The frame is fully validated (RFC 8259 grammar, UTF-8, depth);
// like JSON.parse, a key given twice means its last value.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace peerkit::signaling {

struct PeerJsFrame {
  enum class Field { kAbsent, kString, kOther };
  bool object = false;  // the frame is a JSON object
  Field type = Field::kAbsent;
  std::string_view type_text;  // when type is kString and short; else empty
  Field dst = Field::kAbsent;
  std::string_view dst_text;  // decoded, when dst is kString
  bool has_payload = false;
  // The payload value's bytes in the frame; nullopt when they could not be located (a key
  // spelled with escapes), and the caller then serializes the payload itself.
  std::optional<std::string_view> payload;
};

class PeerJsFrameReader {
 public:
  explicit PeerJsFrameReader(std::size_t max_depth);
  ~PeerJsFrameReader();
  PeerJsFrameReader(const PeerJsFrameReader&) = delete;
  PeerJsFrameReader& operator=(const PeerJsFrameReader&) = delete;

  // False when the text is not valid JSON. Views in `out` point into `text` or into this
  // reader, valid until the next read().
  bool read(std::string_view text, PeerJsFrame& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace peerkit::signaling
