// peerkit's native WebRTC peer: an RTCPeerConnection with data channels, for C++ programs.
//
//   peerkit::Runtime runtime;                       // owns the loop thread(s)
//   auto pc = peerkit::PeerConnection::create(runtime, {});
//   pc->on_local_candidate([&](const peerkit::IceCandidate& c) { signal(c); });
//   auto chat = pc->create_data_channel("chat");
//   chat->on_message([](const peerkit::Message& m) { ... });
//   auto offer = pc->create_offer();                // then set_local_description(*offer) …
//
// Media is RTP in and out, as a packetizer makes it (peerkit has no codecs): add_track() before
// the first offer gives a sendonly track (Opus or VP8), send_rtp() sends a packet on it; a remote
// offer's sending sections arrive as on_track() tracks whose on_rtp() gets each packet. See
// docs/peer.md "Media" for what is not done yet (renegotiating tracks, sendrecv answers, sending
// RTX, send-side congestion control; reports, NACK, RTX restoring and transport-wide feedback
// exist).
//
// Thread model (tested in tests/unit/peer/peer_connection_test.cpp):
//  - Each connection lives on one loop thread of its Runtime (connections are spread over
//    the Runtime's threads). All its callbacks run on that thread.
//  - Callbacks never run inside a state change or inside the API call that caused them: they
//    are queued and run after the call returns. None runs after close() has returned.
//  - Every public call is safe from any thread, including from inside a callback. On the
//    connection's loop thread (in its callbacks) a call runs at once. From an application thread
//    it waits for the loop to carry it out. From inside a callback of a connection on another
//    loop, calls that only change state (set_*_description, add_ice_candidate, send, close) are
//    queued, never waited for, and their errors go to on_error(): two loops never wait for each
//    other, so no call can deadlock, on any number of cores. (Calls that return a value —
//    create_offer/answer, get_stats — wait in every case; make them from your own thread or
//    from the connection's own callbacks.)
//  - A channel created from an application thread on a running connection may open before its
//    on_open() is set; the open event then waits for that handler and is delivered to it once.
//    Likewise messages that arrive before on_message() is set wait for it, in order (up to
//    4 MiB; past that they are dropped).
//  - A PeerConnection or DataChannel may be destroyed from any thread; destroying closes.
//    Destroy every connection before its Runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peerkit {

namespace peer {
class ConnectionImpl;
struct ChannelImpl;
struct TrackImpl;
class RuntimeImpl;
}  // namespace peer

class Runtime {
 public:
  explicit Runtime(std::size_t threads = 1);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  std::size_t threads() const;

 private:
  friend class PeerConnection;
  std::unique_ptr<peer::RuntimeImpl> impl_;
};

struct IceServer {
  // stun:HOST[:PORT], turn:HOST[:PORT][?transport=udp|tcp], turns:HOST[:PORT] (RFC 7064/7065).
  // HOST is an IP literal or a name; names are resolved by PeerConnection::create on the calling
  // thread (the system resolver; it blocks, so from inside a callback — a loop thread — it
  // holds up that loop's connections: create connections that name hosts from your own
  // thread), and turns: checks the server's certificate against the name.
  // A name that does not resolve makes create_offer/set_remote_description fail
  // ("OperationError: cannot resolve …").
  std::string url;
  std::string username;
  std::string credential;
};

struct Configuration {
  std::vector<IceServer> ice_servers;
  bool relay_only = false;  // iceTransportPolicy "relay"
  // Which local addresses become host candidates (ice/host_filter.h rules, e.g. "eth0" or
  // "10.0.0.0/8,!10.9.0.0/16"); loopback only when allow_loopback.
  std::string host_filter;
  bool allow_loopback = false;
  // What a remote offer's audio and video sections get: true, answered recvonly (on_track,
  // as a browser without tracks of its own answers); false, rejected (port 0), so the remote
  // sends no media at all — for data-only peers such as `peerkit join`.
  bool receive_media = true;
};

enum class PeerConnectionState { kNew, kConnecting, kConnected, kDisconnected, kFailed, kClosed };
enum class SignalingState { kStable, kHaveLocalOffer, kHaveRemoteOffer, kHaveLocalPranswer, kHaveRemotePranswer, kClosed };
const char* to_string(PeerConnectionState s);  // "new", "connecting", …

struct SessionDescription {
  std::string type;  // "offer", "answer", "pranswer", "rollback"
  std::string sdp;
};

struct IceCandidate {
  std::string candidate;  // "candidate:…", as RTCIceCandidate.candidate; "" ends candidates
  std::string sdp_mid;
};

struct DataChannelInit {
  bool ordered = true;
  std::optional<std::uint16_t> max_retransmits;
  std::optional<std::uint16_t> max_packet_life_time;  // ms
  std::string protocol;
  bool negotiated = false;
  std::optional<std::uint16_t> id;  // with negotiated
};

struct Message {
  bool binary = false;
  std::vector<std::byte> data;
  std::string_view text() const { return {reinterpret_cast<const char*>(data.data()), data.size()}; }
};

// Returned by calls that can fail: empty on success, else the browser's error text
// ("InvalidStateError: …", "TypeError: …").
using Error = std::optional<std::string>;

class DataChannel {
 public:
  ~DataChannel();
  std::string label() const;
  std::string protocol() const;
  std::optional<std::uint16_t> id() const;  // known once the DTLS role is
  bool ordered() const;
  std::string ready_state() const;  // "connecting", "open", "closing", "closed"
  std::size_t buffered_amount() const;
  void set_buffered_amount_low_threshold(std::size_t bytes);

  Error send(std::string_view text);
  Error send(std::span<const std::byte> binary);
  void close();

  void on_open(std::function<void()> f);
  void on_message(std::function<void(const Message&)> f);
  void on_buffered_amount_low(std::function<void()> f);
  void on_close(std::function<void()> f);

 private:
  friend class peer::ConnectionImpl;
  friend class PeerConnection;
  explicit DataChannel(std::shared_ptr<peer::ChannelImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<peer::ChannelImpl> impl_;
};

struct TrackInit {
  std::string kind = "video";  // "audio" (Opus, 48 kHz) or "video" (VP8, 90 kHz)
  std::string stream_id;       // a=msid's stream; empty: one per connection
  std::string track_id;        // a=msid's track; empty: kind and mid
  // Simulcast (video; RTCRtpEncodingParameters.rid, RFC 8853): one layer per rid, in ascending
  // quality ("q", "h", "f", as an SFU expects them), at most 4, each 1–16 of [A-Za-z0-9_-].
  // Each layer is its own RTP stream with its own SSRC; send_rtp(packet, rid) names the layer.
  std::vector<std::string> rids;
};

// One direction of an RTCRtpTransceiver, with raw RTP: a track we send (add_track) or one the
// remote sends us (on_track). Its callbacks run on the connection's loop thread, like every
// other, and none after the connection's close().
class MediaTrack {
 public:
  ~MediaTrack();
  std::string kind() const;
  std::string mid() const;  // "" until the first offer or answer fixes it
  std::string stream_id() const;
  std::string track_id() const;
  bool local() const;          // true: we send it
  std::uint32_t ssrc() const;  // ours (local tracks); 0 for remote ones

  // A local track: sends one RTP packet once the connection is connected and the remote took
  // the track. The packet keeps its sequence number, timestamp, marker and payload; the SSRC,
  // payload type and header extensions become the negotiated ones (the mid is written).
  // Errors: "InvalidStateError: …" (not connected or not negotiated), "TypeError: …" (not RTP,
  // or over 1 500 bytes).
  Error send_rtp(std::span<const std::byte> packet);
  // A local simulcast track: one packet of layer `rid` (its own SSRC and the rid header
  // extension, RFC 8852). A layer the answer did not take (or paused) is an
  // "InvalidStateError: …"; an answer without simulcast takes the first layer alone, sent as a
  // plain stream (JSEP, RFC 8829 §5.3.1).
  Error send_rtp(std::span<const std::byte> packet, std::string_view rid);
  // A local track: the layers the answer took (empty before it, and without simulcast).
  std::vector<std::string> rids() const;
  // A remote track: asks its sender for a keyframe (RTCP PLI, RFC 4585 §6.3.1).
  Error request_keyframe();
  // A remote track: each decrypted RTP packet, as sent (the sender's SSRC and numbering).
  void on_rtp(std::function<void(std::span<const std::byte>)> f);
  // A local track: the remote asked for a keyframe (PLI or FIR).
  void on_keyframe_request(std::function<void()> f);
  // The same, naming the simulcast layer whose SSRC the PLI or FIR named ("" without simulcast).
  void on_layer_keyframe_request(std::function<void(const std::string& rid)> f);

 private:
  friend class peer::ConnectionImpl;
  friend class PeerConnection;
  explicit MediaTrack(std::shared_ptr<peer::TrackImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<peer::TrackImpl> impl_;
};

struct Stats {  // W3C webrtc-stats names
  struct CandidatePair {
    std::string local_candidate, remote_candidate;  // "candidate:…" texts
    std::string state;                              // "succeeded", …
    bool nominated = false;
    std::uint64_t requests_sent = 0, responses_received = 0;
    std::optional<double> current_round_trip_time;  // seconds
  };
  struct Transport {  // RTCTransportStats
    std::string ice_role;     // "controlling", "controlled"
    std::string ice_state;    // RTCIceTransportState: "new", "checking", "connected", …
    std::string dtls_state;   // "new", "connecting", "connected", "closed", "failed"
    std::string dtls_role;    // "client", "server", "unknown" (before the role is known)
    std::string dtls_cipher;  // IANA name, e.g. "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    std::string tls_version;  // "FEFD" for DTLS 1.2
    std::uint64_t packets_sent = 0, bytes_sent = 0, packets_received = 0, bytes_received = 0;  // DTLS datagrams
  };
  struct DataChannel {  // RTCDataChannelStats, one per channel not yet closed
    std::string label, protocol;
    std::optional<std::uint16_t> data_channel_identifier;
    std::string state;  // "connecting", "open", "closing"
    std::uint64_t messages_sent = 0, bytes_sent = 0, messages_received = 0, bytes_received = 0;
  };
  std::vector<CandidatePair> candidate_pairs;
  Transport transport;
  std::vector<DataChannel> data_channels;
  struct RtpStream {  // RTCOutboundRtpStreamStats (local tracks) / RTCInboundRtpStreamStats
    std::string kind, mid;
    bool local = false;
    std::uint32_t ssrc = 0;  // ours, for local tracks
    std::uint64_t packets = 0, payload_bytes = 0;  // sent or received
    std::uint64_t pli_count = 0;  // keyframe requests received (local) or sent (remote)
    // Local tracks, from the remote's RTCP report blocks (RTCRemoteInboundRtpStreamStats):
    // its cumulative loss and latest loss fraction, and the round trip of our sender reports
    // (nullopt until one came back).
    std::int64_t remote_packets_lost = 0;
    double remote_fraction_lost = 0;
    std::optional<double> round_trip_time;  // seconds
    std::uint64_t sender_reports_sent = 0;
    // Video: NACKs received (local) or sent (remote), and the packets a local track sent again
    // for them (RFC 4585 §6.2.1).
    std::uint64_t nack_count = 0, retransmitted_packets_sent = 0;
    // Remote video tracks: RTX retransmissions received and restored (RFC 4588).
    std::uint64_t retransmitted_packets_received = 0;
  };
  std::vector<RtpStream> rtp_streams;
  std::uint64_t srtp_dropped = 0;  // SRTP/SRTCP datagrams not ours, unauthenticated or replayed
  // Transport-wide congestion control feedback messages sent (the remote numbered its packets
  // with transport-wide-cc, which our answers accept).
  std::uint64_t transport_feedback_sent = 0;
  std::string dtls_state;  // RTCTransportStats.dtlsState (the same as transport.dtls_state)
  std::string selected_candidate_pair_local, selected_candidate_pair_remote;
  std::uint32_t data_channels_opened = 0, data_channels_closed = 0;
  std::uint64_t messages_sent = 0, bytes_sent = 0, messages_received = 0, bytes_received = 0;
};

class PeerConnection {
 public:
  static std::shared_ptr<PeerConnection> create(Runtime& runtime, Configuration configuration = {});
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  std::variant<SessionDescription, std::string> create_offer();
  std::variant<SessionDescription, std::string> create_answer();
  Error set_local_description(const SessionDescription& d);
  Error set_remote_description(const SessionDescription& d);
  Error add_ice_candidate(const IceCandidate& c);
  std::variant<std::shared_ptr<DataChannel>, std::string> create_data_channel(
      std::string label, const DataChannelInit& init = {});
  // Before the first offer or answer (a later one is refused: renegotiation is not done yet).
  std::variant<std::shared_ptr<MediaTrack>, std::string> add_track(const TrackInit& init = {});
  void close();

  PeerConnectionState connection_state() const;
  SignalingState signaling_state() const;
  // As browsers show it: the description set, with the candidates gathered so far inside
  // (a=candidate lines, a=end-of-candidates once gathering is complete), so that after
  // on_gathering_complete it is all a non-trickle peer needs.
  std::optional<SessionDescription> local_description() const;
  Stats get_stats() const;

  void on_local_candidate(std::function<void(const IceCandidate&)> f);
  void on_gathering_complete(std::function<void()> f);
  void on_connection_state(std::function<void(PeerConnectionState)> f);
  void on_data_channel(std::function<void(std::shared_ptr<DataChannel>)> f);
  // A remote description's section that sends to us (RTCPeerConnection's track event).
  void on_track(std::function<void(std::shared_ptr<MediaTrack>)> f);
  // Errors of calls that were queued (see the thread model above), as their return value would
  // have said.
  void on_error(std::function<void(const std::string&)> f);

 private:
  explicit PeerConnection(std::shared_ptr<peer::ConnectionImpl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<peer::ConnectionImpl> impl_;
};

}  // namespace peerkit
