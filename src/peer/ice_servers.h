// The RTCIceServer URLs of a Configuration (RFC 7064 stun:, RFC 7065 turn:/turns:) turned into
// the ICE agent's servers. Host names are resolved before the connection is made, on the thread
// that creates it (resolving blocks; loop threads never do), and handed in here as results.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/address.h"
#include "common/expected.h"
#include "ice/agent_config.h"
#include "peerkit/peer_connection.h"

namespace peerkit::peer {

// Each host name of the URLs (IP literals are left out), with its address or why it has none.
using ResolvedHosts = std::map<std::string, Expected<IpAddress, std::string>, std::less<>>;
using Resolver = std::function<Expected<IpAddress, std::string>(std::string_view host)>;

// The host part of a stun:/turn:/turns: URL ("" when the URL has no such prefix).
std::string_view ice_server_host(std::string_view url);

// Resolves every host name the servers name, once each.
ResolvedHosts resolve_ice_server_hosts(const std::vector<IceServer>& servers, const Resolver& resolve);

// One server, or the error the browser would give: "SyntaxError: …" for a malformed URL,
// "InvalidAccessError: …" for TURN without credentials, "OperationError: …" for a name that did
// not resolve. A TURN-over-TLS server named by host name keeps the name: its certificate must
// carry it (RFC 8656 §3.2 and RFC 6125).
std::variant<ice::IceServer, std::string> parse_ice_server(const IceServer& s, const ResolvedHosts& resolved);

}  // namespace peerkit::peer
