#include "join/file_transfer.h"

#include <boost/json.hpp>
#include <stdexcept>

#include "join/text.h"

namespace peerkit::join {

namespace json = boost::json;

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL: cannot start a SHA-256 digest");
}

void Sha256::update(std::span<const std::byte> bytes) {
  EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size());
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_.get(), digest, &n);
  EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::string safe_file_name(std::string_view offered) {
  const auto slash = offered.find_last_of("/\\");
  if (slash != std::string_view::npos) offered.remove_prefix(slash + 1);
  std::string name = without_controls(offered, "");
  while (!name.empty() && (name.front() == '.' || name.front() == ' ')) name.erase(0, 1);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  name = cut_utf8(name, 200);
  return name.empty() ? "file" : name;
}

std::string numbered_name(const std::string& name, unsigned n) {
  if (n == 0) return name;
  const auto dot = name.rfind('.');
  const std::string suffix = " (" + std::to_string(n) + ")";
  if (dot == std::string::npos || dot == 0) return name + suffix;
  return name.substr(0, dot) + suffix + name.substr(dot);
}

std::string OutgoingFile::start_frame() const {
  json::object o;
  o["type"] = "file-start";
  o["id"] = h_.id;
  o["name"] = h_.name;
  o["size"] = h_.size;
  o["mime"] = h_.mime;
  return json::serialize(o);
}

std::string OutgoingFile::end_frame() const {
  json::object o;
  o["type"] = "file-end";
  o["id"] = h_.id;
  o["sha256"] = sha_;
  return json::serialize(o);
}

std::optional<OutgoingFile::Chunk> OutgoingFile::next_chunk() {
  if (offset_ >= h_.size) return std::nullopt;
  const Chunk c{offset_,
                static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, h_.size - offset_))};
  offset_ += c.length;
  return c;
}

IncomingFiles::Event IncomingFiles::fail(std::string why) {
  Event e{Event::Kind::kFailed, *current_, {}, {}, {}, std::move(why)};
  current_.reset();
  received_ = 0;
  hash_.hex();  // reset
  return e;
}

namespace {

// files.js reads a JSON number as the size; only a non-negative whole number that a double
// holds exactly (Number.isSafeInteger) is one it accepts.
std::optional<std::uint64_t> size_of(const json::value& v) {
  constexpr double kMaxSafe = 9007199254740991.0;
  if (v.is_uint64())
    return v.get_uint64() <= 9007199254740991ull ? std::optional(v.get_uint64()) : std::nullopt;
  if (v.is_int64())
    return v.get_int64() >= 0 ? std::optional<std::uint64_t>(v.get_int64()) : std::nullopt;
  if (v.is_double()) {
    const double d = v.get_double();
    if (d >= 0 && d <= kMaxSafe && d == static_cast<double>(static_cast<std::uint64_t>(d)))
      return static_cast<std::uint64_t>(d);
  }
  return std::nullopt;
}

// String(x) of a field as files.js would show it; ids and names may be any JSON.
std::string text_of(const json::value* v) {
  if (!v) return "undefined";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

}  // namespace

std::vector<IncomingFiles::Event> IncomingFiles::on_text(std::string_view text) {
  std::vector<Event> out;
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 16;
  const json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec || !v.is_object()) return out;
  const auto& o = v.get_object();
  const auto* type = o.if_contains("type");
  if (!type || !type->is_string()) return out;
  if (type->get_string() == "file-start") {
    const auto* size = o.if_contains("size");
    const auto n = size ? size_of(*size) : std::nullopt;
    if (!n) return out;  // files.js ignores it too
    if (current_) out.push_back(fail("the sender started another file before finishing this one"));
    FileHeader h;
    h.id = text_of(o.if_contains("id"));
    h.name = cut_utf8(text_of(o.if_contains("name")), 255);
    const auto* mime = o.if_contains("mime");
    h.mime = mime && mime->is_string() ? std::string(mime->get_string()) : "";
    h.size = *n;
    if (h.size > max_) {
      out.push_back({Event::Kind::kRefused,
                     h,
                     {},
                     {},
                     {},
                     "it is " + std::to_string(h.size) + " bytes; at most " + std::to_string(max_) +
                         " are accepted"});
      return out;
    }
    current_ = h;
    received_ = 0;
    out.push_back({Event::Kind::kStart, h, {}, {}, {}, {}});
  } else if (type->get_string() == "file-end" && current_ &&
             current_->id == text_of(o.if_contains("id"))) {
    const auto* sha = o.if_contains("sha256");
    const std::string expected = sha && sha->is_string() ? std::string(sha->get_string()) : "";
    if (received_ != current_->size) {
      out.push_back(fail("the transfer ended after " + std::to_string(received_) + " of " +
                         std::to_string(current_->size) + " bytes"));
      return out;
    }
    Event e{Event::Kind::kDone, *current_, {}, hash_.hex(), expected, {}};
    current_.reset();
    received_ = 0;
    if (e.sha256 != expected) {
      e.kind = Event::Kind::kFailed;
      e.error = "SHA-256 mismatch: received " + e.sha256 + ", the sender says " +
                without_controls(cut_utf8(expected, 64), "?");
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<IncomingFiles::Event> IncomingFiles::on_binary(std::span<const std::byte> bytes) {
  std::vector<Event> out;
  if (!current_) return out;
  if (bytes.size() > current_->size - received_) {
    out.push_back(fail("the sender sent more than the " + std::to_string(current_->size) +
                       " bytes it announced"));
    return out;
  }
  received_ += bytes.size();
  hash_.update(bytes);
  out.push_back({Event::Kind::kWrite, *current_, bytes, {}, {}, {}});
  return out;
}

std::vector<IncomingFiles::Event> IncomingFiles::on_closed() {
  std::vector<Event> out;
  if (current_) out.push_back(fail("the channel closed during the transfer"));
  return out;
}

}  // namespace peerkit::join
