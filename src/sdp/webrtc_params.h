// What a WebRTC endpoint reads from a description: ICE credentials (RFC 8839 §5.4), the DTLS
// fingerprint and role (RFC 8122 §5, RFC 4145 §4), BUNDLE (RFC 8843), and the data-channel
// section (RFC 8841) in its current and its legacy (draft-ietf-mmusic-sctp-sdp-05, aiortc and
// old Chrome) forms. Media-level values win over session-level ones, as RFC 8839 §5.4 says.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "sdp/session_description.h"

namespace peerkit::sdp {

// RFC 8841 §6: absent means 64 KiB may be assumed; 0 means "any size".
inline constexpr std::uint64_t kDefaultMaxMessageSize = 65536;
// What peerkit advertises: the size browsers advertise today.
inline constexpr std::uint64_t kAdvertisedMaxMessageSize = 262144;
inline constexpr std::uint16_t kDefaultSctpPort = 5000;

struct Fingerprint {
  std::string algorithm;  // lower case: sha-1, sha-224, sha-256, sha-384, sha-512
  std::vector<std::uint8_t> digest;

  // "sha-256 AB:CD:…", upper-case hex as RFC 8122 §5 writes it.
  std::string to_string() const;
  bool operator==(const Fingerprint&) const = default;
};
// Parses the value of a=fingerprint; the digest length must match the algorithm.
Expected<Fingerprint, std::string> parse_fingerprint(std::string_view value);

enum class Setup { kActpass, kActive, kPassive, kHoldconn };
std::optional<Setup> parse_setup(std::string_view value);
std::string_view to_string(Setup s);

struct IceParameters {
  std::string ufrag;  // 4-256 ice-chars (RFC 8839 §5.4)
  std::string pwd;    // 22-256 ice-chars
  bool trickle = false;
  bool ice2 = false;
  bool ice_lite = false;  // session level only
};
// The section's ICE credentials (falling back to the session level).
Expected<IceParameters, std::string> ice_parameters(const SessionDescription& d,
                                                    const MediaSection& m);

enum class DataChannelForm {
  kCurrent,  // m=application <port> UDP/DTLS/SCTP webrtc-datachannel + a=sctp-port
  kLegacy,   // m=application <port> DTLS/SCTP <sctp-port> + a=sctpmap:<port> webrtc-datachannel <n>
};

struct DataChannelParameters {
  DataChannelForm form = DataChannelForm::kCurrent;
  std::uint16_t sctp_port = kDefaultSctpPort;
  std::uint64_t max_message_size = kDefaultMaxMessageSize;  // 0: any size
};
// The section is a data-channel section (either form); nullopt when it is not one.
std::optional<DataChannelParameters> data_channel_parameters(const MediaSection& m);

// What this side may send: the smaller of both ends' limits, 0 counting as no limit.
std::uint64_t sendable_message_size(std::uint64_t local_max, std::uint64_t remote_max);

struct DtlsParameters {
  std::vector<Fingerprint> fingerprints;  // a peer may offer several (RFC 8122 §5)
  Setup setup = Setup::kActpass;
};
// The section's fingerprints and setup role (falling back to the session level).
Expected<DtlsParameters, std::string> dtls_parameters(const SessionDescription& d,
                                                      const MediaSection& m);

// The mids of each a=group:BUNDLE, in order.
std::vector<std::vector<std::string>> bundle_groups(const SessionDescription& d);

// The a=candidate values of a section ("candidate:" prefix not included), and end-of-candidates.
std::vector<std::string_view> candidates(const MediaSection& m);
bool end_of_candidates(const MediaSection& m);

}  // namespace peerkit::sdp
