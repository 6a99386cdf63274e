#include "signaling/json_frame.h"

namespace peerkit::signaling {

namespace json = boost::json;

const json::object* parse_object(std::string_view text, json::value& storage,
                                 json::monotonic_resource& arena) {
  json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  json::error_code ec;
  storage = json::parse(json::string_view(text.data(), text.size()), ec, &arena, options);
  if (ec) return nullptr;
  return storage.if_object();
}

namespace {

void drain(std::string& out, json::serializer& serializer) {
  char buffer[1024];
  while (!serializer.done()) {
    const auto chunk = serializer.read(buffer, sizeof buffer);
    out.append(chunk.data(), chunk.size());
  }
}

}  // namespace

void append_json(std::string& out, const json::value& value) {
  json::serializer serializer;
  serializer.reset(&value);
  drain(out, serializer);
}

void append_json_string(std::string& out, std::string_view text) {
  json::serializer serializer;
  serializer.reset(json::string_view(text.data(), text.size()));
  drain(out, serializer);
}

void append_json_text(std::string& out, std::string_view text) {
  // Boost.JSON escapes exactly these; anything else is copied as is.
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || c == '"' || c == '\\') {
      append_json_string(out, text);
      return;
    }
  }
  out += '"';
  out += text;
  out += '"';
}

const json::string* string_field(const json::object& object, std::string_view key, bool* present) {
  const auto* value = object.if_contains(json::string_view(key.data(), key.size()));
  if (present) *present = value != nullptr;
  return value ? value->if_string() : nullptr;
}

}  // namespace peerkit::signaling
