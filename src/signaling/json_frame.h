// Boost.JSON helpers shared by the signaling cores: parse one WebSocket text frame into a value
// held by a caller-provided arena, and append serialized JSON to an output string.
#pragma once

#include <array>
#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace peerkit::signaling {

// Frames are parsed into a monotonic arena on the stack; nested deeper than this is refused.
inline constexpr std::size_t kMaxJsonDepth = 32;

// The parsed frame if it is a JSON object, else nullptr. `arena` must outlive the result.
const boost::json::object* parse_object(std::string_view text, boost::json::value& storage,
                                        boost::json::monotonic_resource& arena);

// One incoming frame parsed into an arena on the stack (no heap for typical frames): declare it
// as a local, then parse().
class JsonFrame {
 public:
  JsonFrame() = default;
  JsonFrame(const JsonFrame&) = delete;
  JsonFrame& operator=(const JsonFrame&) = delete;
  const boost::json::object* parse(std::string_view text) {
    return parse_object(text, storage_, arena_);
  }

 private:
  std::array<unsigned char, 4096> stack_;
  boost::json::monotonic_resource arena_{stack_.data(), stack_.size()};
  boost::json::value storage_;
};

void append_json(std::string& out, const boost::json::value& value);
void append_json_string(std::string& out, std::string_view text);
// The same output; text with nothing to escape (ids, usually) is copied without a serializer.
void append_json_text(std::string& out, std::string_view text);

// The string at `key` if present and a string; `present` tells a missing key from a wrong type.
const boost::json::string* string_field(const boost::json::object& object, std::string_view key,
                                        bool* present = nullptr);

}  // namespace peerkit::signaling
