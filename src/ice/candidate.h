// ICE candidates as SDP carries them (RFC 8839 §5.1, the "candidate" attribute) and their
// priorities (RFC 8445 §5.1.2). Parsing accepts what browsers send in trickled candidates
// (with or without "a="), keeps unknown extension attributes (generation, ufrag, network-id …)
// in order, and prints back the same text. The first piece of the ICE agent (issue 4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"

namespace peerkit::ice {

enum class CandidateType { kHost, kServerReflexive, kPeerReflexive, kRelay };
enum class Transport { kUdp, kTcp };
enum class TcpType { kNone, kActive, kPassive, kSimultaneousOpen };  // RFC 6544 §4.5

struct Candidate {
  std::string foundation;  // 1-32 ice-chars
  std::uint16_t component = 1;
  Transport transport = Transport::kUdp;
  std::uint32_t priority = 0;
  std::string address;  // an IP literal, or a host name such as an mDNS "<uuid>.local"
  std::uint16_t port = 0;
  CandidateType type = CandidateType::kHost;
  std::optional<std::string> related_address;  // raddr
  std::optional<std::uint16_t> related_port;   // rport
  TcpType tcp_type = TcpType::kNone;
  std::vector<std::pair<std::string, std::string>> extensions;  // in the order received

  // The value of extension `name` ("ufrag", "generation", …), if present.
  std::optional<std::string_view> extension(std::string_view name) const;
};

// "candidate:…" or "a=candidate:…"; an error text says what is wrong and where.
Expected<Candidate, std::string> parse_candidate(std::string_view line);
// "candidate:…" (no "a=", no line ending), the form RTCIceCandidate.candidate uses.
std::string print_candidate(const Candidate& candidate);

std::string_view to_string(CandidateType type);  // "host", "srflx", "prflx", "relay"

// RFC 8445 §5.1.2.2: recommended type preferences.
std::uint32_t type_preference(CandidateType type);
// RFC 8445 §5.1.2.1: (2^24)*type preference + (2^8)*local preference + (256 - component).
std::uint32_t candidate_priority(CandidateType type, std::uint16_t local_preference,
                                 std::uint16_t component);

}  // namespace peerkit::ice
