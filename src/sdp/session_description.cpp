#include "sdp/session_description.h"

#include "sdp/text.h"

namespace peerkit::sdp {
namespace {

using text::to_number;

Unexpected<ParseError> fail(std::size_t line, std::string message) {
  return Unexpected(ParseError{line, std::move(message)});
}



bool token_char(char c) {  // RFC 8866 §9 token-char (printable US-ASCII, no separators)
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '"' && c != '(' && c != ')' && c != ',' && c != '/' &&
         c != ':' && c != ';' && c != '<' && c != '=' && c != '>' && c != '?' && c != '@' &&
         c != '[' && c != '\\' && c != ']' && c != '{' && c != '}';
}

bool valid_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!token_char(c)) return false;
  return true;
}

// The proto field may contain '/' between tokens (RFC 8866 §5.14: proto = token *("/" token)).
bool valid_proto(std::string_view s) {
  if (s.empty() || s.front() == '/' || s.back() == '/') return false;
  for (char c : s)
    if (c != '/' && !token_char(c)) return false;
  return true;
}

Expected<MediaSection, ParseError> parse_media_line(std::size_t n, std::string_view value) {
  const auto f = text::words(value);
  if (f.size() < 4) return fail(n, "m= needs <media> <port> <proto> <fmt>…");
  MediaSection m;
  if (!valid_token(f[0])) return fail(n, "m= media is not a token");
  m.media = f[0];
  auto port_text = f[1];
  if (const auto slash = port_text.find('/'); slash != std::string_view::npos) {
    const auto count = to_number<std::uint16_t>(port_text.substr(slash + 1));
    if (!count || *count == 0) return fail(n, "m= has a bad number of ports");
    m.port_count = *count;
    port_text = port_text.substr(0, slash);
  }
  const auto port = to_number<std::uint16_t>(port_text);
  if (!port) return fail(n, "m= port is not a number 0-65535");
  m.port = *port;
  if (!valid_proto(f[2])) return fail(n, "m= proto is malformed");
  m.proto = f[2];
  for (std::size_t i = 3; i < f.size(); ++i) {
    if (!valid_token(f[i])) return fail(n, "m= format is not a token");
    m.formats.emplace_back(f[i]);
  }
  return m;
}

}  // namespace

std::string_view Line::attribute_name() const {
  const std::string_view v = value;
  return v.substr(0, v.find(':'));
}

std::optional<std::string_view> Line::attribute_value() const {
  const std::string_view v = value;
  const auto colon = v.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return v.substr(colon + 1);
}

Line attribute(std::string_view name, std::string_view value) {
  std::string text(name);
  text += ':';
  text += value;
  return Line{'a', std::move(text)};
}

Line flag_attribute(std::string_view name) {
  return Line{'a', std::string(name)};
}

std::optional<std::string_view> LineList::first(std::string_view name) const {
  for (const auto& l : lines)
    if (l.is_attribute(name)) return l.attribute_value().value_or(std::string_view{});
  return std::nullopt;
}

std::vector<std::string_view> LineList::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& l : lines)
    if (l.is_attribute(name)) out.push_back(l.attribute_value().value_or(std::string_view{}));
  return out;
}

std::optional<std::string_view> LineList::first_of_type(char type) const {
  for (const auto& l : lines)
    if (l.type == type) return std::string_view(l.value);
  return std::nullopt;
}

void LineList::remove(std::string_view name) {
  std::erase_if(lines, [&](const Line& l) { return l.is_attribute(name); });
}

std::string SessionDescription::to_string() const {
  std::string out;
  auto put = [&](char type, std::string_view value) {
    out += type;
    out += '=';
    out += value;
    out += "\r\n";
  };
  for (const auto& l : session.lines) put(l.type, l.value);
  for (const auto& m : media) {
    std::string mline = m.media + ' ' + std::to_string(m.port);
    if (m.port_count) mline += '/' + std::to_string(*m.port_count);
    mline += ' ' + m.proto;
    for (const auto& f : m.formats) mline += ' ' + f;
    put('m', mline);
    for (const auto& l : m.body.lines) put(l.type, l.value);
  }
  return out;
}

Expected<SessionDescription, ParseError> parse(std::string_view text) {
  if (text.size() > kMaxDescriptionBytes) return fail(0, "description is larger than 256 KiB");
  SessionDescription d;
  std::size_t n = 0;
  bool seen_timing = false;
  MediaSection* current = nullptr;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    auto line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++n;
    if (line.empty()) {
      if (pos >= text.size()) break;  // a trailing empty line is tolerated
      return fail(n, "empty line");
    }
    if (n > kMaxLines) return fail(n, "more than 8192 lines");
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
      return fail(n, "not a <type>=<value> line with a one-letter type");
    for (char c : line)
      if (c == '\0' || c == '\r') return fail(n, "control character inside a line");
    const char type = line[0];
    const auto value = line.substr(2);
    // RFC 8866 §5: v= first, o= second, s= third.
    if (n == 1 && (type != 'v' || value != "0")) return fail(n, "the first line must be v=0");
    if (n == 2 && type != 'o') return fail(n, "the second line must be o=");
    if (n == 2 && text::words(value).size() != 6) return fail(n, "o= needs six fields");
    if (n == 3 && type != 's') return fail(n, "the third line must be s=");
    if (n > 3 && (type == 'v' || type == 'o' || type == 's') && current == nullptr)
      return fail(n, "repeated v=, o= or s=");
    if (type == 'm') {
      if (!seen_timing) return fail(n, "m= before t=");
      if (d.media.size() == kMaxMediaSections) return fail(n, "more than 512 media sections");
      auto m = parse_media_line(n, value);
      if (!m) return Unexpected(m.error());
      d.media.push_back(std::move(*m));
      current = &d.media.back();
      continue;
    }
    if (current != nullptr && (type == 'v' || type == 'o' || type == 's' || type == 't' ||
                               type == 'r' || type == 'z'))
      return fail(n, "session-level line inside a media section");
    if (type == 't') seen_timing = true;
    if (type == 'a' && Line{type, std::string(value)}.attribute_name().empty())
      return fail(n, "attribute without a name");
    (current ? current->body : d.session).add(Line{type, std::string(value)});
  }
  if (n < 3) return fail(0, "description needs v=, o= and s=");
  if (!seen_timing) return fail(0, "description has no t= line");
  return d;
}

std::string to_string(const ParseError& e) {
  if (e.line == 0) return "SDP: " + e.message;
  return "SDP line " + std::to_string(e.line) + ": " + e.message;
}

}  // namespace peerkit::sdp
