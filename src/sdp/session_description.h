// SDP (RFC 8866) as the ordered lines it is, with typed views for what WebRTC reads.
//
// A description is kept line by line, in order, so that whatever a browser wrote is printed
// back byte for byte (JSEP, RFC 9429 §5.2/§5.3, lets a peer munge and re-apply its own SDP, and
// lines we do not understand must survive). Typed accessors (webrtc_params.h) read from these
// lines; builders (answer.h) write new descriptions. Parsing is bounded: total size, number of
// lines and of media sections are capped, so a hostile description costs bounded memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace peerkit::sdp {

inline constexpr std::size_t kMaxDescriptionBytes = 256 * 1024;
inline constexpr std::size_t kMaxLines = 8192;
inline constexpr std::size_t kMaxMediaSections = 512;

// One `<type>=<value>` line (RFC 8866 §5). For attributes (type 'a') the value is
// `name[:value]`; attribute_name()/attribute_value() split it.
struct Line {
  char type = 'a';
  std::string value;

  std::string_view attribute_name() const;               // only for type 'a'
  std::optional<std::string_view> attribute_value() const;  // nullopt for a flag attribute
  bool is_attribute(std::string_view name) const {
    return type == 'a' && attribute_name() == name;
  }
};

Line attribute(std::string_view name, std::string_view value);
Line flag_attribute(std::string_view name);

// An ordered list of lines with lookups by attribute name.
class LineList {
 public:
  std::vector<Line> lines;

  // The value of the first `a=name:value` (nullopt when absent; "" for a flag).
  std::optional<std::string_view> first(std::string_view name) const;
  // Values of every `a=name:value`, in order.
  std::vector<std::string_view> all(std::string_view name) const;
  bool has(std::string_view name) const { return first(name).has_value(); }
  // The value of the first line of another type ('c', 'b', 'i'…).
  std::optional<std::string_view> first_of_type(char type) const;

  void add(Line line) { lines.push_back(std::move(line)); }
  void remove(std::string_view name);  // every a=name[:…]
};

// m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 §5.14).
struct MediaSection {
  std::string media;  // audio, video, application, text, message
  std::uint16_t port = 0;
  std::optional<std::uint16_t> port_count;
  std::string proto;  // UDP/TLS/RTP/SAVPF, UDP/DTLS/SCTP, DTLS/SCTP, …
  std::vector<std::string> formats;
  LineList body;  // every line after m= up to the next m=, in order

  bool rejected() const { return port == 0; }
  std::optional<std::string_view> mid() const { return body.first("mid"); }
};

struct SessionDescription {
  // The session part: every line before the first m=, in order, starting with v=, o=, s=.
  LineList session;
  std::vector<MediaSection> media;

  // Serialized with CRLF line ends (RFC 8866 §5: CRLF; parsers also accept LF).
  std::string to_string() const;
};

struct ParseError {
  std::size_t line = 0;  // 1-based; 0 for whole-description errors
  std::string message;
};

// Strict on structure (v=0 first, o= and s= next, t= present, a valid m= line, one-letter
// types), lenient where browsers differ (LF or CRLF, empty s=, unknown types and attributes
// kept). Never throws.
Expected<SessionDescription, ParseError> parse(std::string_view text);

std::string to_string(const ParseError& e);

}  // namespace peerkit::sdp
