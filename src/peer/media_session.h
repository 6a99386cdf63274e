// The media half of a PeerConnection above ICE, sans-IO: RTP and RTCP over SRTP (RFC 3711) with
// the keys DTLS-SRTP exported (RFC 5764 §4.2), for the tracks the negotiation agreed on.
//
//   send_rtp(mid, packet) ──▶ our SSRC, payload type and mid extension ──▶ SRTP ──▶ datagram
//   datagram ──▶ SRTP ──▶ RTP: the receiving track it belongs to ──▶ event
//                       └▶ RTCP: PLI/FIR for one of our SSRCs ──▶ keyframe-request event
//
// Applications hand whole RTP packets, as a packetizer produces them (libdatachannel's level:
// peerkit has no codecs). The session writes what the connection negotiated — the track's SSRC
// and payload type, and the mid header extension (RFC 8843 §15: a BUNDLE sender includes it,
// and an SFU binds streams by it) — and keeps the sequence number, timestamp, marker and payload.
//
// Incoming RTP belongs to a receiving track by SSRC: the SSRCs its section announced (a=ssrc),
// else the first packet whose mid extension names the track binds its SSRC (RFC 8843 §9.2). RTCP
// yields keyframe requests (PLI, RFC 4585 §6.3.1; FIR, RFC 5104 §4.3.1) for our SSRCs, a
// sender report's clock for the receiver reports, and the report blocks about our streams;
// generic NACKs for what we sent; other RTCP is counted and dropped (no send-side congestion
// control yet: docs/peer.md).
//
// As a sender (RFC 3550 §6.4.1) it writes a sender report per SSRC that sent in the last two
// report intervals: the wall clock (NTP) given by the driver, the RTP time of that moment
// (the last packet's timestamp moved on by the time since, in the codec's clock) and the
// packet and payload-octet counts; the report blocks that come back for our SSRCs give the
// remote's loss and the round trip (A − LSR − DLSR, §6.4.1).
//
// As a receiver the session reports (RFC 3550 §6.4.2): once a second while media arrives, one
// RR block per SSRC heard since the last report (§6.4.1: loss, jitter, LSR/DLSR so the sender
// measures the round trip), behind an SDES CNAME unless reduced-size RTCP was negotiated (§6.1,
// RFC 5506). A source gone silent is reported once more and then not at all; with nothing
// heard, no report is due and the connection's timer sleeps. It NACKs the gaps of video tracks
// that negotiated nack, restores RTX retransmissions (RFC 4588 §4), and when transport-wide-cc
// was negotiated feeds every packet's arrival back (draft-holmer-rmcat-transport-wide-cc-
// extensions-01 §3.1) so that the sender — the SFU choosing our layers — can estimate the path.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/bytes.h"
#include "common/expected.h"
#include "common/time.h"
#include "rtp/missing_packets.h"
#include "rtp/packet.h"
#include "rtp/receive_statistics.h"
#include "rtp/twcc_feedback.h"
#include "srtp/session.h"

namespace peerkit::peer {

// One simulcast layer we send (RFC 8853): its rid and its own SSRC.
struct SendingLayer {
  std::string rid;
  std::uint32_t ssrc = 0;
};

// Retransmission ring per video SSRC: ~1 s at a 2.5 Mbit/s layer's ~250 packets/s, with room.
inline constexpr std::size_t kVideoRetransmitHistory = 512;

struct SendingTrack {
  std::string mid;
  std::uint32_t ssrc = 0;  // without simulcast; with it, the layers' SSRCs are used
  std::uint8_t payload_type = 0;
  std::optional<std::uint8_t> mid_extension;  // the negotiated id of sdes:mid
  // The layers the answer took (a=simulcast:recv, unpaused), in our order; empty: no simulcast.
  std::vector<SendingLayer> layers;
  std::optional<std::uint8_t> rid_extension;  // the negotiated id of sdes:rtp-stream-id
  // We offered simulcast and the answer took none: only this layer, our first, is sent, as a
  // plain stream on `ssrc` (JSEP, RFC 8829 §5.3.1: the first encoding alone).
  std::string plain_rid;
  std::uint32_t clock_rate = 90'000;  // of the codec sent: the RTP time of our sender reports
  // Packets kept per SSRC for retransmission on a generic NACK (RFC 4585 §6.2.1); 0: none
  // (audio: a late Opus frame is no use, and we offer no nack for it).
  std::size_t history = 0;
};

struct ReceivingTrack {
  std::string mid;
  std::vector<std::uint32_t> ssrcs;           // media SSRCs the remote section announced (may be empty)
  std::optional<std::uint8_t> payload_type;   // the codec answered; others (RTX, padding) are dropped
  std::optional<std::uint8_t> mid_extension;  // the remote's id of sdes:mid
  std::uint32_t clock_rate = 90'000;          // of the answered codec: jitter's units
  bool nack = false;  // generic NACK negotiated (RFC 4585 §4.2): we ask for what is lost
  // RTX (RFC 4588) our answer kept: its payload type (apt= the answered codec) and the
  // a=ssrc-group:FID pairs the remote announced, RTX SSRC → media SSRC. A retransmission is
  // restored to the original packet (§4); a padding-only one (a sender probing the path) only
  // counts for transport-wide feedback.
  std::optional<std::uint8_t> rtx_payload_type;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> rtx_ssrcs;
  // The remote's id of transport-wide-cc when our answer kept it: then every packet's arrival
  // goes back in transport feedback, and the sender estimates the path on it.
  std::optional<std::uint8_t> twcc_extension;
};

struct RtpReceived {
  std::string mid;
  std::vector<std::byte> packet;  // the decrypted RTP packet, as the remote sent it
};
struct KeyframeRequested {
  std::string mid;  // one of our sending tracks
  std::string rid;  // the layer asked for ("" without simulcast)
};
using MediaEvent = std::variant<RtpReceived, KeyframeRequested>;

struct MediaCounters {  // RTCRtpStreamStats-like, per mid
  std::uint64_t packets_sent = 0, bytes_sent = 0, packets_received = 0, bytes_received = 0;
  std::uint64_t keyframe_requests_received = 0, keyframe_requests_sent = 0;
  std::uint64_t nacks_sent = 0;  // receiving tracks: NACK messages (RTCInboundRtpStreamStats.nackCount)
  // Receiving tracks: RTX packets restored and delivered (retransmittedPacketsReceived);
  // padding-only packets (probes, on the RTX or the media stream) dropped; repeats dropped —
  // RTX nobody asked for, late originals of numbers already repaired.
  std::uint64_t retransmitted_packets_received = 0, padding_packets_received = 0, repeats_dropped = 0;
  // What the remote's report blocks say of our stream (RTCRemoteInboundRtpStreamStats): its
  // latest cumulative loss and loss fraction (of 256), and the round trip of our last report it
  // answered. With simulcast, the figures of the layer last reported.
  std::uint64_t report_blocks_received = 0;
  std::int32_t remote_packets_lost = 0;
  std::uint8_t remote_fraction_lost = 0;
  std::optional<Duration> round_trip;
  std::uint64_t sender_reports_sent = 0;
  // NACKs (RTCOutboundRtpStreamStats.nackCount: feedback messages) and what they brought back.
  std::uint64_t nacks_received = 0, retransmitted_packets = 0, retransmitted_bytes = 0;
};

class MediaSession {
 public:
  static constexpr std::size_t kMaxRemoteSsrcs = 64;  // per connection (srtp's default bound)

  // Tracks come from the negotiation and may change with every offer/answer. The SRTP
  // contexts of SSRCs no longer received are released (srtp/ keeps at most 64).
  void set_sending(std::vector<SendingTrack> tracks);
  void set_receiving(std::vector<ReceivingTrack> tracks);
  // RFC 5506: with a=rtcp-rsize a PLI goes alone; without, behind an empty receiver report.
  void set_reduced_size_rtcp(bool on) { reduced_size_ = on; }
  // Once DTLS is up. Fails for a profile libsrtp does not take. `cname` goes in the SDES of our
  // receiver reports (RFC 7022: one random CNAME per connection).
  Expected<bool, std::string> start(const srtp::Keys& keys, std::uint32_t receiver_ssrc,
                                    std::string cname = {});
  bool started() const { return srtp_ != nullptr; }

  // The wall clock at `at`, as an NTP time (RFC 3550 §4, 32.32): the driver reads it once and
  // sender reports carry it moved on by the monotonic time since. Without it, no SR is sent
  // (a receiver would sync our streams on a clock we made up) and no round trip is measured.
  void set_wallclock(Timestamp at, std::uint64_t ntp) { wallclock_ = Wallclock{at, ntp}; }

  // One protected datagram for the track `mid`, sent at `now` (its layer `rid` when it sends
  // simulcast: the layer's SSRC and the rid extension, RFC 8852 §3.1). Errors: not started, no
  // such sending track (or not negotiated yet), no such layer, not RTP, too large.
  Expected<std::vector<std::byte>, std::string> send_rtp(const std::string& mid, ByteSpan packet,
                                                         Timestamp now, std::string_view rid = {});
  // A PLI (RFC 4585 §6.3.1) toward the media source of receiving track `mid`, protected.
  Expected<std::vector<std::byte>, std::string> keyframe_request(const std::string& mid);
  // An SRTP or SRTCP datagram (RFC 7983: the first byte is 128–191) arriving at `now`. What is
  // not ours, fails to authenticate or replays is counted and dropped.
  void handle_datagram(ByteSpan datagram, Timestamp now);
  std::optional<MediaEvent> poll_event();
  // Retransmissions a NACK asked for: the datagrams as first sent (the same SRTP packet — the
  // receiver never got it, so it is no replay there; RFC 4585 §6.2.1 with no RTX negotiated).
  std::optional<std::vector<std::byte>> poll_retransmit();

  static constexpr Duration kReportInterval = Duration::seconds(1);  // libwebrtc's, for video
  // When the next report or NACK is due (nullopt: nothing heard or sent lately, nothing missing).
  std::optional<Timestamp> next_timeout() const;
  // The feedback due at `now`, one protected compound per call — call until nullopt: NACKs
  // (RFC 4585 §6.2.1, rtp/missing_packets.h: after a 5 ms reorder wait, up to 3 tries 50 ms
  // apart, within 1 s) and transport-wide feedback (every 50 ms while packets arrive).
  std::optional<std::vector<std::byte>> poll_feedback(Timestamp now);
  // The protected RTCP compounds due at `now`, one per call (more than one when many SSRCs
  // send): call until nullopt.
  std::optional<std::vector<std::byte>> poll_report(Timestamp now);
  std::uint64_t reports_sent() const { return reports_sent_; }  // compounds
  std::uint64_t report_errors() const { return report_errors_; }  // compounds that did not fit
  std::uint64_t transport_feedback_sent() const { return transport_feedback_sent_; }

  const std::map<std::string, MediaCounters>& counters() const { return counters_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  const SendingTrack* sending(const std::string& mid) const;
  const ReceivingTrack* receiving_for(std::uint32_t ssrc, std::uint8_t payload_type, ByteSpan packet);
  // An RTX packet of a receiving track restored in restored_ (media_repair.cpp). nullopt: not
  // RTX of an announced FID pair (then it is routed, and dropped, like any packet); an empty
  // span: a padding-only probe, counted.
  std::optional<ByteSpan> restore_rtx(const rtp::PacketView& v, ByteSpan plain);
  void note_arrival(const rtp::PacketView& v, Timestamp now);
  std::optional<std::vector<std::byte>> poll_transport_feedback(Timestamp now);
  void handle_rtcp(ByteSpan plain, Timestamp now);
  void on_report_block(const rtp::ReportBlock& block, Timestamp now);
  void on_nack(const rtp::GenericNack& nack, Timestamp now);
  void build_reports(Timestamp now);
  std::optional<std::vector<std::byte>> protect_compound(const std::vector<rtp::RtcpPacket>& packets);
  void schedule_report(Timestamp now) {
    if (!next_report_) next_report_ = now + kReportInterval;
  }

  std::vector<SendingTrack> sending_;
  std::vector<ReceivingTrack> receiving_;
  std::map<std::uint32_t, std::string> remote_ssrc_mid_;  // learned bindings, ≤ kMaxRemoteSsrcs
  // SSRCs whose SRTP context was released: their packets are dropped before decryption and
  // never bound again by mid (a fresh context would accept replays of the old stream), unless a
  // later description announces them. Oldest forgotten first beyond kMaxRetired.
  static constexpr std::size_t kMaxRetired = 256;
  std::set<std::uint32_t> retired_;
  std::deque<std::uint32_t> retired_order_;
  // RFC 5104 §4.3.1.2: a FIR repeated with the same sequence number is not a new request.
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint8_t> fir_sequence_;  // (sender, media)
  std::unique_ptr<srtp::Session> srtp_;
  std::uint32_t receiver_ssrc_ = 1;
  std::vector<std::byte> buffer_;
  std::vector<MediaEvent> events_;
  std::size_t next_event_ = 0;
  std::map<std::string, MediaCounters> counters_;
  std::uint64_t dropped_ = 0;
  bool reduced_size_ = false;
  // Per SSRC received (announced or bound; ≤ kMaxRemoteSsrcs), for the report blocks.
  struct RemoteSource {
    rtp::ReceiveStatistics stats;
    bool heard = false;  // a packet since this source's last report block
    std::string mid;
    std::optional<rtp::MissingPackets> missing;  // when its track negotiated NACK
  };
  std::map<std::uint32_t, RemoteSource> receive_stats_;
  std::optional<Timestamp> next_report_;
  static constexpr std::size_t kBlocksPerReport = 31;
  std::uint32_t report_cursor_ = 0;  // the last SSRC reported: the next report starts after it
  std::string cname_;
  std::uint64_t reports_sent_ = 0;
  // Per SSRC we send (bounded by our tracks' layers), for the sender reports.
  struct LocalSource {
    std::string mid;
    std::uint32_t clock_rate = 90'000;
    std::uint32_t packets = 0, octets = 0;  // §6.4.1: wrap modulo 2^32
    std::uint32_t last_timestamp = 0;
    Timestamp last_sent;
    struct Sent {  // one slot of the retransmission ring, indexed by sequence number
      std::int32_t seq = -1;
      Timestamp sent;
      std::optional<Timestamp> resent;
      std::vector<std::byte> datagram;  // as protected; the slot's buffer is reused
    };
    std::vector<Sent> history;  // SendingTrack::history slots, from the first packet
  };
  std::map<std::uint32_t, LocalSource> local_sources_;
  struct Wallclock {
    Timestamp at;
    std::uint64_t ntp = 0;
  };
  std::optional<Wallclock> wallclock_;
  std::optional<std::uint64_t> ntp_at(Timestamp now) const;
  static constexpr std::size_t kSendersPerCompound = 4;  // SRs beside the 31 blocks, in 1500 bytes
  static constexpr std::size_t kMaxCname = 64;           // RFC 7022's are 16 characters
  std::deque<std::vector<std::byte>> due_reports_;       // this round's compounds not yet polled
  Timestamp reports_built_at_;
  std::uint64_t report_errors_ = 0;
  // A NACK older than this is for a packet the receiver's jitter buffer gave up on.
  static constexpr Duration kMaxRetransmitAge = Duration::seconds(1);
  // One packet again no sooner than this after its last retransmission (a repeated NACK
  // before the first answer could arrive), unless the round trip says longer.
  static constexpr Duration kMinResendInterval = Duration::millis(20);
  static constexpr std::size_t kMaxQueuedRetransmits = 256;
  static constexpr std::size_t kMaxRetransmitsPerSecond = kVideoRetransmitHistory;  // per connection
  Timestamp retransmit_window_;
  std::size_t retransmits_in_window_ = 0;
  std::deque<std::vector<std::byte>> retransmits_;
  // Transport-wide feedback (one per connection: BUNDLE gives the extension one id).
  std::optional<std::uint8_t> twcc_extension_;
  rtp::TwccFeedback twcc_;
  std::uint32_t twcc_media_ssrc_ = 0;  // the last SSRC numbered: the feedback's media source
  std::uint64_t transport_feedback_sent_ = 0;
  std::vector<std::byte> restored_;  // an RTX packet's original
};

}  // namespace peerkit::peer
