// What a peerkit::PeerConnection is on its loop thread: the ICE agent and its driver, the
// negotiation, and the DataTransport above ICE, glued together. Every member function here
// runs on the loop thread (peer_connection.cpp moves calls there); user callbacks are queued
// and run by deliver(), after the call or event that caused them has finished.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/random.h"
#include "dtls/context.h"
#include "peer/credential_pool.h"
#include "peer/ice_servers.h"
#include "ice/agent.h"
#include "ice/driver/agent_driver.h"
#include "net/loop.h"
#include "peer/data_transport.h"
#include "peer/media_session.h"
#include "peer/negotiation.h"
#include "peerkit/peer_connection.h"

namespace peerkit::peer {

struct ChannelImpl {
  std::weak_ptr<ConnectionImpl> connection;
  std::string label, protocol;
  sctp::DataChannelInit init;
  std::optional<std::uint16_t> id;             // once the transport assigned it
  std::atomic<int> state{0};                   // 0 connecting, 1 open, 2 closing, 3 closed
  std::atomic<std::size_t> buffered{0};        // mirrored from the loop thread
  std::size_t low_threshold = 0;
  // RTCDataChannelStats counters; the loop thread only.
  std::uint64_t messages_sent = 0, bytes_sent = 0, messages_received = 0, bytes_received = 0;
  std::mutex callbacks;                        // guards the four below
  std::function<void()> on_open, on_close, on_low;
  std::function<void(const Message&)> on_message;
  bool open_missed = false;  // the open event found no on_open yet: the next on_open gets it
  // Messages that arrived before on_message was first set (a channel created from an application
  // thread may open and receive before the next line of the application runs), in order, for
  // that first handler. Bounded: each costs its size plus kEarlyOverhead, at most kMaxEarlyBytes
  // per channel and ConnectionImpl::kMaxEarlyBytesTotal per connection; past that, and once a
  // handler has been set (clearing it later does not start buffering again), they are dropped
  // and counted.
  static constexpr std::size_t kEarlyOverhead = 64;
  static constexpr std::size_t kMaxEarlyBytes = 4 << 20;
  std::deque<std::shared_ptr<Message>> early;
  std::size_t early_bytes = 0;
  std::uint64_t early_dropped = 0;
  bool message_handler_set = false;
};

struct TrackImpl {
  std::weak_ptr<ConnectionImpl> connection;
  std::string kind, stream_id, track_id;
  bool local = false;
  std::uint32_t ssrc = 0;  // ours (local tracks; the first layer's with simulcast)
  std::vector<SendingLayer> layers;  // ours with simulcast (TrackInit::rids), ascending quality
  std::vector<std::string> sent_rids;  // the layers the answer took (loop thread)
  std::vector<std::uint32_t> remote_ssrcs;  // what the remote announced (remote tracks)
  std::string mid;         // the loop thread only; "" until negotiated (local)
  std::mutex callbacks;    // guards the two below
  std::function<void(std::span<const std::byte>)> on_rtp;
  std::function<void()> on_keyframe_request;
  std::function<void(const std::string&)> on_layer_keyframe_request;
};

class ConnectionImpl : public std::enable_shared_from_this<ConnectionImpl> {
 public:
  ConnectionImpl(std::shared_ptr<net::Loop> loop, Configuration config,
                 Expected<DtlsCredential, std::string> credential, ResolvedHosts resolved = {});
  ~ConnectionImpl();
  net::Loop& loop() { return *loop_; }

  std::variant<SessionDescription, std::string> create_offer();
  std::variant<SessionDescription, std::string> create_answer();
  Error set_local(const SessionDescription& d);
  Error set_remote(const SessionDescription& d);
  Error add_candidate(const IceCandidate& c);
  std::variant<std::shared_ptr<ChannelImpl>, std::string> create_channel(std::string label,
                                                                         const DataChannelInit& init);
  Error send(ChannelImpl& c, ByteSpan data, bool binary);
  void close_channel(ChannelImpl& c);
  void set_low_threshold(ChannelImpl& c, std::size_t bytes);
  void close();
  Stats stats() const;
  std::variant<std::shared_ptr<TrackImpl>, std::string> add_track(const TrackInit& init);
  Error send_rtp(TrackImpl& t, ByteSpan packet, std::string_view rid = {});
  void rearm_timer();
  void send_media_reports(Timestamp now);
  Error request_keyframe(TrackImpl& t);

  std::atomic<PeerConnectionState> state{PeerConnectionState::kNew};
  std::atomic<SignalingState> signaling{SignalingState::kStable};
  std::optional<SessionDescription> local_description;  // as set; see current_local_description()
  // localDescription as browsers show it: with the candidates gathered so far.
  std::optional<SessionDescription> current_local_description() const;

  std::mutex callbacks;  // guards the callbacks below (set from any thread)
  std::function<void(const IceCandidate&)> on_candidate;
  std::function<void()> on_gathering_complete;
  std::function<void(PeerConnectionState)> on_state;
  std::function<void(std::shared_ptr<DataChannel>)> on_channel;
  std::function<void(std::shared_ptr<MediaTrack>)> on_track;
  std::function<void(const std::string&)> on_error;
  void report_error(std::string error);
  std::atomic<bool> closed{false};
  std::atomic<bool> closed_requested{false};  // set by close() at once, even when it is queued
  // On the loop: hands the messages that waited for on_message (ChannelImpl::early) to it, in
  // order, unless the channel or the connection closed meanwhile.
  void deliver_early(ChannelImpl& ch);

 private:
  // ChannelImpl::early bookkeeping; each with ch.callbacks held. hold_early is false (and the
  // message dropped and counted) past a bound or once a handler was set.
  bool hold_early(ChannelImpl& ch, std::shared_ptr<Message> m);
  std::shared_ptr<Message> take_early(ChannelImpl& ch);
  void drop_early(ChannelImpl& ch);
  Error ensure_agent(ice::Role role);
  void make_transport();
  void on_ice_event(const ice::Event& e);
  void on_ice_data(const ice::Received& r);
  void pump();
  void handle_transport_event(DataTransportEvent e);
  void update_state();
  void queue(std::function<void()> f);
  void deliver();
  void mirror_buffered();
  void register_tracks();             // pending local tracks into the negotiation
  void apply_media(const RemoteParameters& p, bool offer);
  void start_media();                 // once DTLS is up: the SRTP keys
  void handle_media_events();
  void send_datagram(const std::vector<std::byte>& d);

  std::shared_ptr<net::Loop> loop_;
  Configuration config_;
  ResolvedHosts resolved_;  // the ICE server names, resolved when the connection was created
  std::vector<std::string> local_candidates_;  // "candidate:…" as signalled
  bool gathering_complete_ = false;
  // ChannelImpl::early of every channel together (the loop thread only), at most this much.
  static constexpr std::size_t kMaxEarlyBytesTotal = 16 << 20;
  std::size_t early_bytes_total_ = 0;
  CryptoRandom random_;
  std::shared_ptr<const dtls::Certificate> certificate_;
  std::shared_ptr<const dtls::Context> dtls_context_;
  std::unique_ptr<ice::Agent> agent_;
  std::unique_ptr<ice::AgentDriver> driver_;
  std::unique_ptr<Negotiation> negotiation_;
  std::unique_ptr<DataTransport> transport_;
  net::CoreTimer timer_;
  std::string setup_error_;
  bool gathering_started_ = false;
  bool transport_started_ = false;
  bool ice_connected_ = false, ice_failed_ = false, ice_disconnected_ = false;
  bool dtls_connected_ = false, dtls_failed_ = false, dtls_closed_ = false;
  std::vector<std::shared_ptr<ChannelImpl>> pending_channels_;  // before the DTLS role is known
  std::map<std::uint16_t, std::shared_ptr<ChannelImpl>> channels_;
  // Every channel still alive, closed ones too: close() drops their callbacks. A channel closed
  // by the peer leaves channels_ at once but drops its callbacks only in its queued close
  // task, which close() skips — and an application's callback that holds its own channel
  // would keep both alive for ever. Pruned of expired entries as it grows.
  std::vector<std::weak_ptr<ChannelImpl>> every_channel_;
  void remember(const std::shared_ptr<ChannelImpl>& ch);
  // Tracks: ours (added before negotiation) and the remote's, by mid once known.
  std::vector<std::shared_ptr<TrackImpl>> local_tracks_;
  std::map<std::string, std::shared_ptr<TrackImpl>> remote_tracks_;
  MediaSession media_;
  std::deque<std::function<void()>> callbacks_;
  bool delivering_scheduled_ = false;
  Stats counters_;
};

}  // namespace peerkit::peer
