// The RTCConfiguration.iceServers list handed to browsers (GET /api/ice-servers and the rooms
// `welcome`): STUN URLs as they are, TURN URLs with short-lived REST credentials
// (username "<unix expiry>:<member id>", credential base64(HMAC-SHA1(secret, username)), the
// scheme coturn and peerkit turn --use-auth-secret accept). In server/, not signaling/, because
// minting TURN credentials needs the TURN stack, which the signaling cores should not link.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/time.h"

namespace peerkit::server {

struct IceServersConfig {
  std::vector<std::string> stun_urls;
  std::vector<std::string> turn_urls;
  std::string turn_secret;                  // never logged
  Duration ttl = Duration::seconds(43200);  // credentials must outlive the calls they start
};

// The REST secrets kept in the file at `path` (--ice-secret-file), so that credentials handed
// out before a restart still work after it, and so that several nodes share them: one secret a
// line (blank lines and lines starting with '#' ignored, white space around each trimmed), at
// most kMaxSecrets. The first signs new credentials; every one is accepted, which is how a
// secret is rotated without downtime (docs/signaling.md, "Rotating the TURN secret"). Read when
// the file exists (a regular file of ours that only its owner may read or write, mode 0600 or
// stricter), else created with mode 0600 holding `fresh`. Errors never contain a secret.
inline constexpr std::size_t kMaxSecrets = 8;
Expected<std::vector<std::string>, std::string> load_or_create_secret_file(
    const std::string& path, const std::string& fresh);
// The same checks for a reload (SIGHUP): the file must exist.
// `option` names the file in errors (--cluster-password-file reads its password this way too).
Expected<std::vector<std::string>, std::string> read_secret_file(
    const std::string& path, std::string_view option = "--ice-secret-file");

// `host` replaces "{host}" in URLs (the host the browser reached the server on).
std::string ice_servers_json(const IceServersConfig& config, std::string_view host,
                             std::string_view member_id, std::int64_t unix_now);

// The host part of an HTTP Host header ("example.com:8443" → "example.com", "[::1]:80" →
// "[::1]"); empty if it is not a plausible host name or address literal.
std::string host_from_header(std::string_view host_header);

}  // namespace peerkit::server
