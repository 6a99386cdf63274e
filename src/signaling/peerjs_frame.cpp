#include "signaling/peerjs_frame.h"

#include <boost/json/basic_parser_impl.hpp>
#include <cstring>

namespace peerkit::signaling {

namespace json = boost::json;
using Field = PeerJsFrame::Field;

namespace {

bool json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

enum class Key { kType, kDst, kPayload, kOther };

// basic_parser's handler: tracks depth and, at depth 1 (members of the top-level object), the
// three fields. Views the parser hands over point into the input unless they went through an
// unescape buffer; positions are taken only from views that point into the input.
struct Handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  const char* begin = nullptr;
  const char* end = nullptr;
  PeerJsFrame* out = nullptr;
  std::size_t depth = 0;
  Key key = Key::kOther;
  char key_buf[8];
  std::size_t key_len = 0;
  bool key_started = false;
  const char* key_start = nullptr;  // first byte of a depth-1 key in the input, or null
  bool payload_open = false;
  const char* payload_begin = nullptr;
  bool spans_ok = true;
  char type_buf[16];
  std::size_t type_len = 0;
  std::string dst;

  bool in_input(const char* p) const { return p >= begin && p <= end; }

  void reset(std::string_view text, PeerJsFrame& frame) {
    begin = text.data();
    end = text.data() + text.size();
    out = &frame;
    frame = PeerJsFrame{};
    depth = 0;
    key = Key::kOther;
    key_len = 0;
    key_started = false;
    key_start = nullptr;
    payload_open = false;
    payload_begin = nullptr;
    spans_ok = true;
    type_len = 0;
    dst.clear();
  }

  void close_payload(const char* after_value_delimiter_search_from, char delimiter) {
    // Walk back from the delimiter that ends the payload member (`,` before the next key, or
    // the object's closing `}`) over insignificant whitespace.
    const char* p = after_value_delimiter_search_from;
    while (p > payload_begin && json_space(p[-1])) --p;
    if (p <= payload_begin || p[-1] != delimiter) {
      spans_ok = false;
      return;
    }
    --p;
    while (p > payload_begin && json_space(p[-1])) --p;
    out->payload = std::string_view(payload_begin, static_cast<std::size_t>(p - payload_begin));
    payload_open = false;
  }

  // A value starts at depth 1 under `key` (before any string part is seen).
  void value_begins() {
    if (depth != 1) return;
    if (key == Key::kType) out->type = Field::kOther;
    if (key == Key::kDst) out->dst = Field::kOther;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (depth == 0) out->object = true;
    value_begins();
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    if (--depth == 0 && payload_open) {
      const char* p = end;
      while (p > begin && json_space(p[-1])) --p;
      close_payload(p, '}');
    }
    return true;
  }
  bool on_array_begin(json::error_code&) {
    value_begins();
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    --depth;
    return true;
  }
  void key_piece(json::string_view s) {
    if (!key_started) {
      key_started = true;
      key_start = in_input(s.data()) ? s.data() : nullptr;
      if (payload_open) {
        if (key_start)
          close_payload(key_start - 1, ',');
        else
          spans_ok = false;
      }
    }
    if (key_len + s.size() <= sizeof key_buf) std::memcpy(key_buf + key_len, s.data(), s.size());
    key_len += s.size();
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (depth == 1) key_piece(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, json::error_code&) {
    if (depth != 1) return true;
    key_piece(s);
    const std::string_view k = key_len <= sizeof key_buf ? std::string_view(key_buf, key_len) : "";
    key = k == "type"      ? Key::kType
          : k == "dst"     ? Key::kDst
          : k == "payload" ? Key::kPayload
                           : Key::kOther;
    if (key == Key::kType) {
      out->type = Field::kAbsent;
      type_len = 0;
    } else if (key == Key::kDst) {
      out->dst = Field::kAbsent;
      dst.clear();
    } else if (key == Key::kPayload) {
      out->has_payload = true;
      out->payload.reset();
      // Unescaped, the key is one run in the input: `"payload"`, then `:` between whitespace.
      const bool raw = key_start != nullptr && s.data() == key_start && n == s.size();
      if (raw) {
        const char* p = key_start + n + 1;  // past the closing quote
        while (p < end && json_space(*p)) ++p;
        if (p < end && *p == ':') ++p;
        while (p < end && json_space(*p)) ++p;
        payload_begin = p;
        payload_open = true;
      } else {
        spans_ok = false;
      }
    }
    key_len = 0;
    key_started = false;
    key_start = nullptr;
    return true;
  }
  void string_piece(json::string_view s) {
    if (depth != 1) return;
    if (key == Key::kType) {
      if (type_len + s.size() <= sizeof type_buf)
        std::memcpy(type_buf + type_len, s.data(), s.size());
      type_len += s.size();
    } else if (key == Key::kDst) {
      dst.append(s.data(), s.size());
    }
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    string_piece(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    string_piece(s);
    if (depth == 1 && key == Key::kType) out->type = Field::kString;
    if (depth == 1 && key == Key::kDst) out->dst = Field::kString;
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, json::error_code&) { return scalar(); }
  bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return scalar(); }
  bool on_double(double, json::string_view, json::error_code&) { return scalar(); }
  bool on_bool(bool, json::error_code&) { return scalar(); }
  bool on_null(json::error_code&) { return scalar(); }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
  bool scalar() {
    value_begins();
    return true;
  }
};

json::parse_options options_with_depth(std::size_t max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  return options;
}

}  // namespace

struct PeerJsFrameReader::Impl {
  explicit Impl(std::size_t max_depth) : parser(options_with_depth(max_depth)) {}
  json::basic_parser<Handler> parser;
};

PeerJsFrameReader::PeerJsFrameReader(std::size_t max_depth)
    : impl_(std::make_unique<Impl>(max_depth)) {}
PeerJsFrameReader::~PeerJsFrameReader() = default;

bool PeerJsFrameReader::read(std::string_view text, PeerJsFrame& out) {
  auto& parser = impl_->parser;
  parser.reset();
  Handler& h = parser.handler();
  h.reset(text, out);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size()) return false;
  if (out.type == Field::kString && h.type_len <= sizeof h.type_buf)
    out.type_text = std::string_view(h.type_buf, h.type_len);
  if (out.dst == Field::kString) out.dst_text = h.dst;
  if (!h.spans_ok || h.payload_open) out.payload.reset();
  return true;
}

}  // namespace peerkit::signaling
