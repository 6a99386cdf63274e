// Reading audio/video sections (media.h). Each attribute has a small parser that either fills
// the MediaDescription or returns an error naming the line; unknown attributes are ignored (they
// stay in the LineList for printing).
#include "sdp/media.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "sdp/text.h"

namespace peerkit::sdp {
namespace {

using text::to_number;
using text::words;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string line_text(std::string_view name, std::string_view value) {
  return "a=" + std::string(name) + ':' + std::string(value);
}

// "<first> <rest>" → {first, rest}; rest may be empty.
std::pair<std::string_view, std::string_view> split_first(std::string_view s) {
  const auto sp = s.find(' ');
  if (sp == std::string_view::npos) return {s, {}};
  auto rest = s.substr(sp + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return {s.substr(0, sp), rest};
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// RFC 3551 §6: the static payload types browsers still offer (no a=rtpmap needed).
void static_type(Codec& c) {
  switch (c.pt) {
    case 0: c.name = "PCMU"; c.clock_rate = 8000; c.channels = 1; break;
    case 8: c.name = "PCMA"; c.clock_rate = 8000; c.channels = 1; break;
    case 9: c.name = "G722"; c.clock_rate = 8000; c.channels = 1; break;
    case 13: c.name = "CN"; c.clock_rate = 8000; c.channels = 1; break;
    case 18: c.name = "G729"; c.clock_rate = 8000; c.channels = 1; break;
    default: break;
  }
}

// RFC 8851 §10: rid-id = 1*(alpha-numeric / "-" / "_").
bool valid_rid(std::string_view id) {
  if (id.empty() || id.size() > kMaxRidLength) return false;
  return std::all_of(id.begin(), id.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

Codec* codec_in(MediaDescription& d, std::uint8_t pt) {
  for (auto& c : d.codecs)
    if (c.pt == pt) return &c;
  return nullptr;
}

using Result = Expected<bool, std::string>;
Result fail(std::string_view name, std::string_view value, std::string_view why) {
  return Unexpected(line_text(name, value) + ": " + std::string(why));
}

// a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>] (RFC 8866 §6.6).
Result read_rtpmap(MediaDescription& d, std::string_view v, std::set<std::uint8_t>& seen) {
  const auto [pt_text, rest] = split_first(v);
  const auto pt = to_number<unsigned>(pt_text);
  if (!pt || *pt > 127) return fail("rtpmap", v, "payload type must be 0..127");
  Codec* c = codec_in(d, static_cast<std::uint8_t>(*pt));
  if (c == nullptr) return true;  // RFC 8866 §6.6: a type not on the m= line is ignored
  if (!seen.insert(c->pt).second) return fail("rtpmap", v, "second a=rtpmap for this type");
  const auto parts = split(rest, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty())
    return fail("rtpmap", v, "expected <encoding>/<clock rate>[/<channels>]");
  const auto rate = to_number<std::uint32_t>(parts[1]);
  if (!rate || *rate == 0) return fail("rtpmap", v, "bad clock rate");
  std::uint8_t channels = d.kind == "audio" ? 1 : 0;
  if (parts.size() == 3) {
    const auto n = to_number<unsigned>(parts[2]);
    if (!n || *n == 0 || *n > 255) return fail("rtpmap", v, "bad channel count");
    channels = static_cast<std::uint8_t>(*n);
  }
  c->name = std::string(parts[0]);
  c->clock_rate = *rate;
  c->channels = channels;
  return true;
}

Result read_fmtp(MediaDescription& d, std::string_view v, std::set<std::uint8_t>& seen) {
  const auto [pt_text, rest] = split_first(v);
  const auto pt = to_number<unsigned>(pt_text);
  if (!pt || *pt > 127) return fail("fmtp", v, "payload type must be 0..127");
  Codec* c = codec_in(d, static_cast<std::uint8_t>(*pt));
  if (c == nullptr) return true;
  if (!seen.insert(c->pt).second) return fail("fmtp", v, "second a=fmtp for this type");
  c->fmtp = std::string(rest);
  return true;
}

// a=rtcp-fb:<pt|*> <type> [<subtype>] (RFC 4585 §4.2).
Result read_rtcp_fb(MediaDescription& d, std::string_view v) {
  const auto [pt_text, rest] = split_first(v);
  if (rest.empty()) return fail("rtcp-fb", v, "no feedback type");
  if (pt_text == "*") {
    for (auto& c : d.codecs) c.rtcp_fb.emplace_back(rest);
    return true;
  }
  const auto pt = to_number<unsigned>(pt_text);
  if (!pt || *pt > 127) return fail("rtcp-fb", v, "payload type must be 0..127 or *");
  if (Codec* c = codec_in(d, static_cast<std::uint8_t>(*pt))) c->rtcp_fb.emplace_back(rest);
  return true;
}

// a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 §8).
Result read_extmap(MediaDescription& d, std::string_view v) {
  const auto [head, rest] = split_first(v);
  const auto [uri, attributes] = split_first(rest);
  Extension e;
  const auto slash = head.find('/');
  const auto id = to_number<unsigned>(head.substr(0, slash));
  // RFC 8285 §4.2: 15 is reserved; 4096-4351 ("for the answerer to choose") is not used by
  // browsers and not accepted here.
  if (!id || *id == 0 || *id == 15 || *id > 255) return fail("extmap", v, "id must be 1..14 or 16..255");
  if (slash != std::string_view::npos) {
    const auto dir = parse_direction(head.substr(slash + 1));
    if (!dir) return fail("extmap", v, "bad direction");
    e.direction = *dir;
  }
  if (uri.empty()) return fail("extmap", v, "no URI");
  e.id = static_cast<std::uint16_t>(*id);
  e.uri = std::string(uri);
  e.attributes = std::string(attributes);
  for (const auto& other : d.extensions) {
    if (other.id == e.id) return fail("extmap", v, "id already used in this section");
    if (other.uri == e.uri) return fail("extmap", v, "URI already mapped in this section");
  }
  d.extensions.push_back(std::move(e));
  return true;
}

// a=rid:<id> <send|recv> [<restriction>;…] (RFC 8851 §10).
Result read_rid(MediaDescription& d, std::string_view v) {
  const auto [id, rest] = split_first(v);
  const auto [dir, restrictions] = split_first(rest);
  if (!valid_rid(id)) return fail("rid", v, "rid-id must be 1..32 of [A-Za-z0-9_-]");
  if (d.rids.size() >= kMaxRids) return fail("rid", v, "too many rids");
  Rid r;
  r.id = std::string(id);
  if (dir == "send") {
    r.direction = Direction::kSendonly;
  } else if (dir == "recv") {
    r.direction = Direction::kRecvonly;
  } else {
    return fail("rid", v, "direction must be send or recv");
  }
  for (const auto& other : d.rids)
    if (other.id == r.id) return fail("rid", v, "rid defined twice");
  std::string others;
  if (!restrictions.empty()) {
    for (auto part : split(restrictions, ';')) {
      if (part.substr(0, 3) == "pt=") {
        for (auto p : split(part.substr(3), ',')) {
          const auto pt = to_number<unsigned>(p);
          if (!pt || *pt > 127) return fail("rid", v, "bad pt= restriction");
          r.pts.push_back(static_cast<std::uint8_t>(*pt));
        }
      } else {
        if (!others.empty()) others += ';';
        others += std::string(part);
      }
    }
  }
  r.restrictions = std::move(others);
  d.rids.push_back(std::move(r));
  return true;
}

// a=simulcast:<send|recv> <list> [<send|recv> <list>] (RFC 8853 §5.1): list = streams separated
// by ';', alternatives by ',', "~" marks a paused stream.
Result read_simulcast(MediaDescription& d, std::string_view v) {
  if (d.simulcast) return fail("simulcast", v, "second a=simulcast");
  const auto w = words(v);
  if (w.size() != 2 && w.size() != 4) return fail("simulcast", v, "expected <dir> <rid list> …");
  Simulcast s;
  for (std::size_t i = 0; i < w.size(); i += 2) {
    auto* into = w[i] == "send" ? &s.send : w[i] == "recv" ? &s.recv : nullptr;
    if (into == nullptr) return fail("simulcast", v, "direction must be send or recv");
    if (!into->empty()) return fail("simulcast", v, "direction given twice");
    for (auto stream : split(w[i + 1], ';')) {
      std::vector<SimulcastRid> alternatives;
      for (auto alt : split(stream, ',')) {
        SimulcastRid r;
        if (!alt.empty() && alt.front() == '~') {
          r.paused = true;
          alt.remove_prefix(1);
        }
        if (!valid_rid(alt)) return fail("simulcast", v, "bad rid");
        r.rid = std::string(alt);
        alternatives.push_back(std::move(r));
      }
      into->push_back(std::move(alternatives));
    }
  }
  d.simulcast = std::move(s);
  return true;
}

SsrcInfo* ssrc_entry(MediaDescription& d, std::uint32_t ssrc) {
  for (auto& s : d.ssrcs)
    if (s.ssrc == ssrc) return &s;
  if (d.ssrcs.size() >= kMaxSsrcsPerSection) return nullptr;
  d.ssrcs.push_back(SsrcInfo{ssrc, {}, {}});
  return &d.ssrcs.back();
}

// a=ssrc:<ssrc> <attribute>[:<value>] (RFC 5576 §4.1).
Result read_ssrc(MediaDescription& d, std::string_view v) {
  const auto [id, rest] = split_first(v);
  const auto ssrc = to_number<std::uint32_t>(id);
  if (!ssrc) return fail("ssrc", v, "bad SSRC");
  SsrcInfo* s = ssrc_entry(d, *ssrc);
  if (s == nullptr) return fail("ssrc", v, "too many SSRCs in one section");
  const auto colon = rest.find(':');
  const auto name = rest.substr(0, colon);
  const auto value = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
  if (name == "cname") s->cname = std::string(value);
  if (name == "msid") s->msid = std::string(value);
  return true;
}

Result read_ssrc_group(MediaDescription& d, std::string_view v) {
  const auto w = words(v);
  if (w.size() < 2) return fail("ssrc-group", v, "expected <semantics> <ssrc>…");
  SsrcGroup g;
  g.semantics = std::string(w[0]);
  for (std::size_t i = 1; i < w.size(); ++i) {
    const auto ssrc = to_number<std::uint32_t>(w[i]);
    if (!ssrc) return fail("ssrc-group", v, "bad SSRC");
    g.ssrcs.push_back(*ssrc);
  }
  if (g.semantics == "FID" && g.ssrcs.size() != 2)
    return fail("ssrc-group", v, "FID pairs exactly two SSRCs (RFC 4588 §8.2)");
  if (d.ssrc_groups.size() >= kMaxSsrcsPerSection) return fail("ssrc-group", v, "too many groups");
  d.ssrc_groups.push_back(std::move(g));
  return true;
}

Result read_msid(MediaDescription& d, std::string_view v) {
  const auto w = words(v);
  if (w.empty() || w.size() > 2) return fail("msid", v, "expected <stream> [<track>]");
  d.msids.push_back(Msid{std::string(w[0]), w.size() == 2 ? std::string(w[1]) : std::string()});
  return true;
}

// After every line: RTX types repair a type of this section; simulcast names defined rids.
Result check(MediaDescription& d) {
  for (auto& c : d.codecs) {
    if (!c.is("rtx")) continue;
    const auto apt = c.parameter("apt");
    const auto pt = apt ? to_number<unsigned>(*apt) : std::nullopt;
    if (!pt || *pt > 127 || codec_in(d, static_cast<std::uint8_t>(*pt)) == nullptr)
      return Unexpected("a=fmtp:" + std::to_string(c.pt) + " " + c.fmtp +
                        ": rtx needs apt= naming a payload type of the section");
    c.apt = static_cast<std::uint8_t>(*pt);
  }
  if (d.simulcast) {
    auto defined = [&](const std::string& rid, Direction dir) {
      return std::any_of(d.rids.begin(), d.rids.end(),
                         [&](const Rid& r) { return r.id == rid && r.direction == dir; });
    };
    for (const auto& [list, dir] : {std::pair{&d.simulcast->send, Direction::kSendonly},
                                    std::pair{&d.simulcast->recv, Direction::kRecvonly}})
      for (const auto& stream : *list)
        for (const auto& alt : stream)
          if (!defined(alt.rid, dir))
            return Unexpected("a=simulcast names rid " + alt.rid +
                              " with no a=rid line of that direction (RFC 8853 §5.1)");
  }
  return true;
}

}  // namespace

std::optional<Direction> parse_direction(std::string_view v) {
  if (v == "sendrecv") return Direction::kSendrecv;
  if (v == "sendonly") return Direction::kSendonly;
  if (v == "recvonly") return Direction::kRecvonly;
  if (v == "inactive") return Direction::kInactive;
  return std::nullopt;
}

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::kSendrecv: return "sendrecv";
    case Direction::kSendonly: return "sendonly";
    case Direction::kRecvonly: return "recvonly";
    case Direction::kInactive: return "inactive";
  }
  return "inactive";
}

Direction reverse(Direction d) {
  if (d == Direction::kSendonly) return Direction::kRecvonly;
  if (d == Direction::kRecvonly) return Direction::kSendonly;
  return d;
}

bool Codec::is(std::string_view codec_name) const {
  return iequals(name, codec_name);
}

std::optional<std::string_view> Codec::parameter(std::string_view key) const {
  for (auto part : split(fmtp, ';')) {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && iequals(part.substr(0, eq), key)) return part.substr(eq + 1);
  }
  return std::nullopt;
}

const Codec* MediaDescription::codec(std::uint8_t pt) const {
  for (const auto& c : codecs)
    if (c.pt == pt) return &c;
  return nullptr;
}

const Codec* MediaDescription::find_codec(std::string_view name) const {
  for (const auto& c : codecs)
    if (c.is(name)) return &c;
  return nullptr;
}

const Codec* MediaDescription::rtx_for(std::uint8_t pt) const {
  for (const auto& c : codecs)
    if (c.apt == pt) return &c;
  return nullptr;
}

std::optional<std::uint16_t> MediaDescription::extension_id(std::string_view uri) const {
  for (const auto& e : extensions)
    if (e.uri == uri) return e.id;
  return std::nullopt;
}

std::optional<std::uint32_t> MediaDescription::rtx_ssrc(std::uint32_t primary) const {
  for (const auto& g : ssrc_groups)
    if (g.semantics == "FID" && g.ssrcs.size() == 2 && g.ssrcs[0] == primary) return g.ssrcs[1];
  return std::nullopt;
}

bool is_rtp_media(const MediaSection& m) {
  return (m.media == "audio" || m.media == "video") &&
         (ends_with(m.proto, "RTP/SAVPF") || ends_with(m.proto, "RTP/AVPF") ||
          ends_with(m.proto, "RTP/SAVP") || ends_with(m.proto, "RTP/AVP"));
}

Expected<MediaDescription, std::string> parse_media(const MediaSection& m) {
  if (!is_rtp_media(m))
    return Unexpected("m=" + m.media + " " + m.proto + " is not an RTP audio/video section");
  MediaDescription d;
  d.kind = m.media;
  d.disabled = m.rejected();
  for (const auto& f : m.formats) {
    const auto pt = to_number<unsigned>(f);
    if (!pt || *pt > 127) return Unexpected("m=" + m.media + ": payload type " + f + " is not 0..127");
    if (codec_in(d, static_cast<std::uint8_t>(*pt)) != nullptr)
      return Unexpected("m=" + m.media + ": payload type " + f + " listed twice");
    Codec c;
    c.pt = static_cast<std::uint8_t>(*pt);
    static_type(c);
    d.codecs.push_back(std::move(c));
  }
  std::set<std::uint8_t> rtpmaps, fmtps;
  bool direction_seen = false;
  for (const auto& line : m.body.lines) {
    if (line.type != 'a') continue;
    const auto name = line.attribute_name();
    const auto value = line.attribute_value().value_or("");
    Result r = true;
    if (const auto dir = parse_direction(name); dir && !line.attribute_value()) {
      if (direction_seen) return Unexpected("a=" + std::string(name) + ": second direction attribute");
      direction_seen = true;
      d.direction = *dir;
    } else if (name == "mid") {
      d.mid = std::string(value);
    } else if (name == "rtcp-mux") {
      d.rtcp_mux = true;
    } else if (name == "rtcp-rsize") {
      d.rtcp_rsize = true;
    } else if (name == "rtpmap") {
      r = read_rtpmap(d, value, rtpmaps);
    } else if (name == "fmtp") {
      r = read_fmtp(d, value, fmtps);
    } else if (name == "rtcp-fb") {
      r = read_rtcp_fb(d, value);
    } else if (name == "extmap") {
      r = read_extmap(d, value);
    } else if (name == "rid") {
      r = read_rid(d, value);
    } else if (name == "simulcast") {
      r = read_simulcast(d, value);
    } else if (name == "ssrc") {
      r = read_ssrc(d, value);
    } else if (name == "ssrc-group") {
      r = read_ssrc_group(d, value);
    } else if (name == "msid") {
      r = read_msid(d, value);
    }
    if (!r) return Unexpected(r.error());
  }
  if (d.mid.empty()) return Unexpected("m=" + m.media + ": no a=mid (Unified Plan needs one)");
  if (auto r = check(d); !r) return Unexpected(r.error());
  return d;
}

Expected<std::vector<MediaDescription>, std::string> parse_media_sections(
    const SessionDescription& d) {
  std::vector<MediaDescription> out;
  std::map<std::uint16_t, std::pair<std::string, std::string>> bound;  // id → {uri, mid}
  for (const auto& m : d.media) {
    if (!is_rtp_media(m)) continue;
    auto md = parse_media(m);
    if (!md) return Unexpected(md.error());
    for (const auto& e : md->extensions) {
      const auto [it, fresh] = bound.emplace(e.id, std::pair{e.uri, md->mid});
      if (!fresh && it->second.first != e.uri)
        return Unexpected("a=extmap:" + std::to_string(e.id) + " is " + it->second.first +
                          " in mid " + it->second.second + " and " + e.uri + " in mid " +
                          md->mid + ": one id, one extension per connection");
    }
    out.push_back(std::move(*md));
  }
  return out;
}

Expected<bool, std::string> ExtensionIds::adopt(std::uint16_t id, std::string_view uri) {
  for (const auto& [bound_id, bound_uri] : by_id_) {
    if (bound_id == id && bound_uri != uri)
      return Unexpected("extension id " + std::to_string(id) + " is already " + bound_uri +
                        " in this connection, not " + std::string(uri));
    if (bound_id != id && bound_uri == uri)
      return Unexpected(std::string(uri) + " already has id " + std::to_string(bound_id) +
                        " in this connection, not " + std::to_string(id));
  }
  by_id_.emplace(id, std::string(uri));
  return true;
}

Expected<bool, std::string> ExtensionIds::adopt_all(const std::vector<MediaDescription>& sections) {
  for (const auto& s : sections)
    for (const auto& e : s.extensions)
      if (auto r = adopt(e.id, e.uri); !r) return r;
  return true;
}

std::optional<std::uint16_t> ExtensionIds::find(std::string_view uri) const {
  for (const auto& [id, bound] : by_id_)
    if (bound == uri) return id;
  return std::nullopt;
}

std::optional<std::uint16_t> ExtensionIds::id_for(std::string_view uri) {
  if (auto id = find(uri)) return id;
  const std::uint16_t last = two_byte_ ? 255 : 14;
  for (std::uint16_t id = 1; id <= last; ++id) {
    if (id == 15 || by_id_.count(id) != 0) continue;
    by_id_.emplace(id, std::string(uri));
    return id;
  }
  return std::nullopt;
}

}  // namespace peerkit::sdp
