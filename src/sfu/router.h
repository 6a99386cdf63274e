// The routing core of one room on one worker: publishers' tracks, subscribers' subscriptions,
// and what flows between them. Sans-IO like every core: the driver hands in decrypted RTP and
// RTCP with `now`, drains poll_output() (plain RTP/RTCP to protect with the participant's SRTP
// session and send) and calls handle_timeout() at next_timeout().
//
//   publisher ──RTP──▶ handle_rtp: SSRC → (track, layer), learnt from the mid and rid
//                      extensions (RFC 9143 §15, RFC 8852 §3; Chrome sends no a=ssrc for
//                      simulcast) ─▶ one IngressPacket ─▶ each subscription's OutboundStream
//                      ─▶ write_egress ─▶ PacketHistory ─▶ output to the subscriber
//   subscriber ─RTCP─▶ handle_rtcp: NACK → NackResponder (RTX), PLI/FIR → KeyframeRequests
//   KeyframeRequests ─▶ one PLI/FIR per layer and window ─▶ output to the publisher
//
// Every output owns its bytes (one allocation per packet: a pool is future work). The ingress
// packet itself is shared: subscriptions' histories keep references, not copies.
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/time.h"
#include "rtp/extensions.h"
#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "sfu/bandwidth_estimator.h"
#include "sfu/egress_writer.h"
#include "sfu/ids.h"
#include "sfu/ingress_packet.h"
#include "sfu/keyframe_requests.h"
#include "sfu/nack_responder.h"
#include "sfu/outbound_stream.h"
#include "sfu/pacer.h"
#include "sfu/packet_history.h"
#include "sfu/rate_meter.h"
#include "sfu/sender_reports.h"
#include "sfu/speaker_detector.h"
#include "rtp/twcc_feedback.h"

namespace peerkit::sfu {

struct TrackParams {
  ParticipantId publisher;
  Codec codec = Codec::kVp8;
  std::uint32_t clock_rate = 90'000;
  std::string mid;                // the publisher's mid of this track
  std::vector<std::string> rids;  // ascending quality (q, h, f); empty = one layer
  rtp::ExtensionMap extensions;   // the publisher's extmap
  bool use_fir = false;           // the publisher negotiated `ccm fir` but not `nack pli`
  // The publisher's RTX payload type for this track (a=fmtp:<pt> apt=…). Its packets carry the
  // mid too (and no repaired-rid without simulcast), so only the type tells them from media:
  // they must never be bound to a layer or forwarded as media.
  std::optional<std::uint8_t> rtx_payload_type;
  // The publisher negotiated `nack` (video): the SFU asks it for what it lost on the way in and
  // forwards the retransmissions it gets back (router_repair.cpp).
  bool nack = false;
  // The room: speakers are ranked, and loudest-N audio chosen, within one group.
  std::uint32_t group = 0;
};

struct Output {
  ParticipantId to;
  bool rtcp = false;
  std::vector<std::byte> bytes;
};

class Router {
 public:
  struct Config {
    std::uint32_t rtcp_ssrc = 1;                  // sender SSRC of the SFU's own RTCP
    // Until a subscriber's reports give its RTT (sender reports every second, their blocks).
    Duration default_rtt = Duration::millis(50);
    // Limits: a room of 100 participants × 3 tracks; subscriptions per track.
    std::size_t max_tracks = 300;
    std::size_t max_subscriptions_per_track = 100;
    // Each subscriber connection that negotiated transport-wide CC gets a send-side estimate.
    BandwidthEstimator::Config bandwidth;
    // Once such a connection has feedback, its video layers follow the estimate
    // (sfu/layer_allocator.h), re-planned at most every `allocation_interval`; set_layer() then
    // sets the highest layer wanted. While an upgrade is blocked only by the estimate, the
    // connection is padded up to the estimate on an RTX stream (RFC 4588 padding-only packets)
    // so the estimate can grow past what the media alone uses.
    bool adapt_layers = true;
    Duration allocation_interval = Duration::millis(250);
    Duration probe_tick = Duration::millis(10);
    Duration probe_pause = Duration::seconds(3);  // after a probe ran into over-use
    // Media to a connection with an estimate leaves at Pacer::kFactor × it (sfu/pacer.h).
    bool pacing = true;
    // 0: forward every audio track. N: in a group with more than N audio publishers, forward
    // only the N loudest (sfu/speaker_detector.h, from RFC 6464 levels); the others' audio
    // pauses for every subscriber and resumes when they are among the loudest again.
    std::size_t loudest_audio = 0;
  };

  Router();
  explicit Router(const Config& config);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  enum class Error : std::uint8_t { kTooMany, kUnknownTrack, kDuplicate };
  Expected<TrackId, Error> add_track(TrackParams params);
  // `seeds`: the random starting sequence / timestamp / picture id of the subscriber's stream.
  Expected<SubscriptionId, Error> subscribe(ParticipantId subscriber, TrackId track,
                                            SubscriberParams params, std::optional<int> layer,
                                            OutboundStream::Config seeds,
                                            std::uint16_t first_rtx_sequence);
  void set_layer(SubscriptionId id, std::optional<int> layer);
  void unsubscribe(SubscriptionId id);
  void remove_track(TrackId id);
  // Leaves: every track it published and every subscription it held go.
  void remove_participant(ParticipantId p);

  void handle_rtp(Timestamp now, ParticipantId from, ByteSpan packet);
  void handle_rtcp(Timestamp now, ParticipantId from, ByteSpan packet);
  void handle_timeout(Timestamp now);
  Timestamp next_timeout() const;
  std::optional<Output> poll_output();

  struct Stats {
    std::uint64_t ingress = 0;
    std::uint64_t ingress_dropped = 0;  // malformed, unknown SSRC, from a non-publisher
    std::uint64_t forwarded = 0;
    std::uint64_t rtx_sent = 0;
    std::uint64_t keyframe_requests_sent = 0;
    std::uint64_t rtcp_dropped = 0;
    std::uint64_t layer_changes = 0;    // by the allocator
    std::uint64_t padding_packets = 0;  // probes
    std::uint64_t twcc_reports_sent = 0;  // transport-wide CC feedback to publishers
    std::uint64_t sender_reports_sent = 0;    // one per forwarded stream and second
    std::uint64_t receiver_reports_sent = 0;  // RR packets to publishers
    std::uint64_t rtt_samples = 0;            // report blocks that named one of our SRs
    std::uint64_t publisher_nacks_sent = 0;   // NACK packets to publishers
    std::uint64_t repaired = 0;               // publishers' retransmissions that filled a gap
    std::uint64_t rtx_unrequested = 0;  // publishers' RTX we did not ask for (probes, dupes)
    std::uint64_t audio_paused = 0;     // audio subscriptions paused by loudest-N
    std::uint64_t paced = 0;            // packets that waited in a connection's pacer
    std::uint64_t pacer_drops = 0;      // packets a full pacer queue refused
  };
  const Stats& stats() const { return stats_; }
  std::size_t track_count() const { return tracks_.size(); }
  std::size_t subscription_count() const { return subscriptions_.size(); }
  // For tests and the fuzzer's invariants.
  const OutboundStream* stream(SubscriptionId id) const;
  const PacketHistory* history(SubscriptionId id) const;
  // What the subscription writes: its SSRCs, types (rtx_ssrc 0: retransmissions go plain), mid.
  const SubscriberParams* subscriber_params(SubscriptionId id) const;
  // The send-side estimate toward a subscriber connection, once it has sent one
  // transport-wide-cc stamped packet (nullptr before, and for a connection without TWCC).
  const BandwidthEstimator* bandwidth(ParticipantId subscriber) const;
  // A subscriber connection's RTT from its report blocks (nullopt until one named our SR).
  std::optional<Duration> rtt(ParticipantId subscriber) const;
  // The subscriber's latest report block about a subscription's stream (loss, jitter).
  const rtp::ReportBlock* last_report(SubscriptionId id) const;
  // The group's speakers (nullptr while it has had no audio level), for the app's highlight.
  const SpeakerDetector* speakers(std::uint32_t group) const;

 private:
  struct Subscription;
  struct Track;
  Track* track_for(ParticipantId from, const rtp::PacketView& v, int* layer);
  void forward(Timestamp now, Track& t, const IngressRef& p);
  static std::array<bool, kMaxLayers> addressable(const Track& t);
  void request_keyframe(Track& t, int layer);
  void send_keyframe_requests(Timestamp now, Track& t);
  void push(ParticipantId to, bool rtcp, ByteSpan bytes);

  Config config_;
  std::map<TrackId, std::unique_ptr<Track>> tracks_;
  std::map<SubscriptionId, std::unique_ptr<Subscription>> subscriptions_;
  std::map<std::pair<ParticipantId, std::uint32_t>, SubscriptionId> by_subscriber_ssrc_;
  // (publisher, SSRC) → (track, layer), learnt from mid + rid on the first packets.
  using SsrcIndex = std::map<std::pair<ParticipantId, std::uint32_t>, std::pair<TrackId, int>>;
  SsrcIndex ssrc_index_;
  // The track and layer `index` binds (from, ssrc) to; nullptr when none (or it is gone).
  Track* indexed(const SsrcIndex& index, ParticipantId from, std::uint32_t ssrc, int* layer);
  std::set<std::pair<ParticipantId, std::uint32_t>> used_ssrcs_;  // primary and RTX, per subscriber
  // Per subscriber connection: its transport-wide sequence and what feedback says of its path.
  struct Connection {
    explicit Connection(const BandwidthEstimator::Config& c) : bandwidth(c) {}
    std::uint16_t transport_sequence = 0;
    BandwidthEstimator bandwidth;
    bool has_feedback = false;
    Timestamp last_allocation;
    std::optional<double> blocked_bps;  // an upgrade waits for this estimate
    RateMeter sent;                     // media and retransmissions, for the probe's share
    Timestamp next_probe;
    double probe_credit = 0;  // bytes of padding owed
    Pacer pacer;              // once feedback came: media leaves at a pacing rate
  };
  Connection& connection(ParticipantId subscriber);
  void allocate(ParticipantId subscriber, Connection& c, Timestamp now);
  void probe(ParticipantId subscriber, Connection& c, Timestamp now);
  // Media RTP toward a subscriber: through its connection's pacer when it has an estimate;
  // the transport-wide send time (`sequence`) is recorded when the packet leaves.
  // False when the pacer dropped it (not sent: not counted).
  bool send_media(ParticipantId to, Connection* c, ByteSpan bytes, std::optional<std::uint16_t> sequence,
                  Timestamp now);
  void sent_media(Connection& c, std::optional<std::uint16_t> sequence, std::size_t size, Timestamp now);
  bool paced(const Connection& c) const { return config_.pacing && c.has_feedback; }
  static double pacing_rate(const Connection& c) { return Pacer::kFactor * c.bandwidth.estimate_bps(); }
  void release_paced(Timestamp now);
  void apply_layer(Subscription& s, std::optional<int> layer);
  std::map<ParticipantId, std::unique_ptr<Connection>> connections_;
  // Per publisher that negotiated transport-wide CC: the feedback its sender's estimate needs.
  struct PublisherFeedback {
    std::uint8_t extension_id = 0;
    std::uint32_t media_ssrc = 0;  // named in the reports: the latest SSRC seen
    rtp::TwccFeedback twcc;
  };
  std::map<ParticipantId, PublisherFeedback> publisher_feedback_;
  void send_publisher_feedback(Timestamp now);
  // router_reports.cpp: RRs to publishers, SRs to subscribers (every housekeeping second), and
  // the report blocks that come back.
  void send_reports(Timestamp now);
  void on_sender_report(Timestamp now, ParticipantId from, const rtp::SenderReport& sr);
  void on_report_block(Timestamp now, ParticipantId from, const rtp::ReportBlock& b);
  std::map<ParticipantId, SmoothedRtt> rtt_;
  // router_repair.cpp: NACK toward publishers and their RTX streams.
  Track* rtx_track_for(ParticipantId from, const rtp::PacketView& v, int* layer);
  bool repair(Timestamp now, ParticipantId from, const rtp::PacketView& v);
  void send_publisher_nacks(Timestamp now);
  Timestamp next_publisher_nack() const;
  // (publisher, RTX SSRC) → (track, layer), learnt like ssrc_index_ (mid + repaired-rid or
  // the RTX payload type).
  SsrcIndex rtx_index_;
  std::array<std::byte, kMaxPacketSize> repair_buffer_{};
  // router_speakers.cpp: a detector per group; loudest-N audio when Config::loudest_audio.
  void on_audio(Timestamp now, const Track& t, const rtp::PacketView& v);
  void update_speakers(Timestamp now);
  void apply_loudest(std::uint32_t group);
  // Whether loudest-N forwarding lets `t` through; `publishers`: the group's audio publishers,
  // when the caller counted them already.
  bool audio_forwarded(const Track& t, std::optional<std::size_t> publishers = std::nullopt) const;
  std::size_t audio_publishers(std::uint32_t group) const;
  std::map<std::uint32_t, SpeakerDetector> speakers_;
  std::deque<Output> outputs_;
  std::uint32_t next_track_ = 1;
  std::uint32_t next_subscription_ = 1;
  Timestamp last_housekeeping_;
  Stats stats_;
  std::array<std::byte, kMaxPacketSize + kEgressGrowth> egress_{};
};

}  // namespace peerkit::sfu
