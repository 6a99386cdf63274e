#include "sdp/webrtc_params.h"

#include "sdp/text.h"

#include <algorithm>

namespace peerkit::sdp {
namespace {

using text::to_number;
using text::words;



std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<std::size_t> digest_length(std::string_view algorithm) {
  if (algorithm == "sha-1") return 20;
  if (algorithm == "sha-224") return 28;
  if (algorithm == "sha-256") return 32;
  if (algorithm == "sha-384") return 48;
  if (algorithm == "sha-512") return 64;
  return std::nullopt;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/"
bool ice_chars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
  });
}

std::optional<std::string_view> media_or_session(const SessionDescription& d,
                                                 const MediaSection& m, std::string_view name) {
  if (auto v = m.body.first(name)) return v;
  return d.session.first(name);
}

}  // namespace

std::string Fingerprint::to_string() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = algorithm + ' ';
  for (std::size_t i = 0; i < digest.size(); ++i) {
    if (i) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Expected<Fingerprint, std::string> parse_fingerprint(std::string_view value) {
  const auto w = words(value);
  if (w.size() != 2) return Unexpected(std::string("fingerprint needs <hash> <hex:hex:…>"));
  Fingerprint f{lower(w[0]), {}};
  const auto expected = digest_length(f.algorithm);
  if (!expected) return Unexpected("unsupported fingerprint hash " + f.algorithm);
  const auto hex = w[1];
  // Two hex digits per byte, separated by ':' (RFC 8122 §5 fingerprint = 2UHEX *(":" 2UHEX)).
  if (hex.size() != *expected * 3 - 1)
    return Unexpected("fingerprint is not " + std::to_string(*expected) + " bytes");
  for (std::size_t i = 0; i < hex.size(); i += 3) {
    const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < hex.size() && hex[i + 2] != ':'))
      return Unexpected(std::string("fingerprint is not hex:hex:…"));
    f.digest.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return f;
}

std::optional<Setup> parse_setup(std::string_view value) {
  if (value == "actpass") return Setup::kActpass;
  if (value == "active") return Setup::kActive;
  if (value == "passive") return Setup::kPassive;
  if (value == "holdconn") return Setup::kHoldconn;
  return std::nullopt;
}

std::string_view to_string(Setup s) {
  switch (s) {
    case Setup::kActpass: return "actpass";
    case Setup::kActive: return "active";
    case Setup::kPassive: return "passive";
    case Setup::kHoldconn: return "holdconn";
  }
  return "actpass";
}

Expected<IceParameters, std::string> ice_parameters(const SessionDescription& d,
                                                    const MediaSection& m) {
  IceParameters p;
  const auto ufrag = media_or_session(d, m, "ice-ufrag");
  const auto pwd = media_or_session(d, m, "ice-pwd");
  if (!ufrag || !pwd) return Unexpected(std::string("no a=ice-ufrag / a=ice-pwd"));
  if (ufrag->size() < 4 || ufrag->size() > 256 || !ice_chars(*ufrag))
    return Unexpected(std::string("a=ice-ufrag is not 4-256 ice-chars"));
  if (pwd->size() < 22 || pwd->size() > 256 || !ice_chars(*pwd))
    return Unexpected(std::string("a=ice-pwd is not 22-256 ice-chars"));
  p.ufrag = *ufrag;
  p.pwd = *pwd;
  if (const auto options = media_or_session(d, m, "ice-options")) {
    for (const auto o : words(*options)) {
      if (o == "trickle") p.trickle = true;
      if (o == "ice2") p.ice2 = true;
    }
  }
  p.ice_lite = d.session.has("ice-lite");
  return p;
}

std::optional<DataChannelParameters> data_channel_parameters(const MediaSection& m) {
  if (m.media != "application") return std::nullopt;
  DataChannelParameters p;
  if ((m.proto == "UDP/DTLS/SCTP" || m.proto == "TCP/DTLS/SCTP") && m.formats.size() == 1 &&
      m.formats[0] == "webrtc-datachannel") {
    p.form = DataChannelForm::kCurrent;
    if (const auto port = m.body.first("sctp-port")) {
      const auto n = to_number<std::uint16_t>(*port);
      if (!n || *n == 0) return std::nullopt;
      p.sctp_port = *n;
    }
  } else if (m.proto == "DTLS/SCTP" && !m.formats.empty()) {
    // a=sctpmap:<sctp port> webrtc-datachannel <streams>; the format is the SCTP port.
    const auto port = to_number<std::uint16_t>(m.formats[0]);
    if (!port || *port == 0) return std::nullopt;
    bool found = false;
    for (const auto map : m.body.all("sctpmap")) {
      const auto w = words(map);
      if (w.size() >= 2 && to_number<std::uint16_t>(w[0]) == port && w[1] == "webrtc-datachannel")
        found = true;
    }
    if (!found) return std::nullopt;
    p.form = DataChannelForm::kLegacy;
    p.sctp_port = *port;
  } else {
    return std::nullopt;
  }
  if (const auto size = m.body.first("max-message-size")) {
    const auto n = to_number<std::uint64_t>(*size);
    if (!n) return std::nullopt;
    p.max_message_size = *n;
  }
  return p;
}

std::uint64_t sendable_message_size(std::uint64_t local_max, std::uint64_t remote_max) {
  if (local_max == 0) return remote_max;
  if (remote_max == 0) return local_max;
  return std::min(local_max, remote_max);
}

Expected<DtlsParameters, std::string> dtls_parameters(const SessionDescription& d,
                                                      const MediaSection& m) {
  DtlsParameters p;
  auto values = m.body.all("fingerprint");
  if (values.empty()) values = d.session.all("fingerprint");
  if (values.empty()) return Unexpected(std::string("no a=fingerprint"));
  for (const auto v : values) {
    auto f = parse_fingerprint(v);
    if (!f) return Unexpected(f.error());
    p.fingerprints.push_back(std::move(*f));
  }
  if (const auto setup = media_or_session(d, m, "setup")) {
    const auto s = parse_setup(*setup);
    if (!s) return Unexpected("unknown a=setup:" + std::string(*setup));
    p.setup = *s;
  }
  return p;
}

std::vector<std::vector<std::string>> bundle_groups(const SessionDescription& d) {
  std::vector<std::vector<std::string>> out;
  for (const auto g : d.session.all("group")) {
    const auto w = words(g);
    if (w.empty() || w[0] != "BUNDLE") continue;
    out.emplace_back(w.begin() + 1, w.end());
  }
  return out;
}

std::vector<std::string_view> candidates(const MediaSection& m) {
  return m.body.all("candidate");
}

bool end_of_candidates(const MediaSection& m) {
  return m.body.has("end-of-candidates");
}

}  // namespace peerkit::sdp
