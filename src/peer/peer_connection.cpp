// The public API (include/peerkit/peer_connection.h): every call moves to the connection's loop
// thread (run_on), where ConnectionImpl does the work.
#include "peerkit/peer_connection.h"

#include "net/resolve.h"
#include "peer/connection.h"
#include "peer/runtime.h"

namespace peerkit {

using peer::command_on;
using peer::ConnectionImpl;
using peer::run_on;

namespace {
auto error_sink(const std::shared_ptr<ConnectionImpl>& c) {
  return [weak = std::weak_ptr<ConnectionImpl>(c)](const std::string& e) {
    if (auto c = weak.lock()) c->report_error(e);
  };
}
}  // namespace

const char* to_string(PeerConnectionState s) {
  switch (s) {
    case PeerConnectionState::kNew: return "new";
    case PeerConnectionState::kConnecting: return "connecting";
    case PeerConnectionState::kConnected: return "connected";
    case PeerConnectionState::kDisconnected: return "disconnected";
    case PeerConnectionState::kFailed: return "failed";
    case PeerConnectionState::kClosed: return "closed";
  }
  return "closed";
}

std::shared_ptr<PeerConnection> PeerConnection::create(Runtime& runtime, Configuration configuration) {
  auto loop = runtime.impl_->next_loop();
  // Taken on the caller's thread: usually ready, else made here rather than on the loop.
  auto credential = runtime.impl_->credentials().take();
  // ICE server names are resolved here, on the caller's thread: resolving blocks, loops never do.
  auto resolved = peer::resolve_ice_server_hosts(configuration.ice_servers, net::resolve_host);
  auto impl = run_on(*loop, [&] {
    return std::make_shared<ConnectionImpl>(loop, configuration, std::move(credential),
                                            std::move(resolved));
  });
  return std::shared_ptr<PeerConnection>(new PeerConnection(std::move(impl)));
}

PeerConnection::~PeerConnection() {
  auto impl = std::move(impl_);
  net::Loop& loop = impl->loop();
  impl->closed_requested = true;
  // Closed and released on its own thread (its sockets and timers belong to the loop), and
  // waited for, so nothing is left queued on a loop that its Runtime may stop next. From another
  // loop's callback it is queued instead, as every call from there is.
  if (loop.in_loop_thread() || !loop.running()) {
    impl->close();
    impl.reset();
  } else if (peer::current_runtime_loop() != nullptr) {
    loop.post([impl = std::move(impl)]() mutable {
      impl->close();
      impl.reset();
    });
  } else {
    run_on(loop, [&] {
      impl->close();
      impl.reset();
    });
  }
}

std::variant<SessionDescription, std::string> PeerConnection::create_offer() {
  return run_on(impl_->loop(), [&] { return impl_->create_offer(); });
}
std::variant<SessionDescription, std::string> PeerConnection::create_answer() {
  return run_on(impl_->loop(), [&] { return impl_->create_answer(); });
}
Error PeerConnection::set_local_description(const SessionDescription& d) {
  return command_on(impl_->loop(), [impl = impl_, d] { return impl->set_local(d); }, error_sink(impl_));
}
Error PeerConnection::set_remote_description(const SessionDescription& d) {
  return command_on(impl_->loop(), [impl = impl_, d] { return impl->set_remote(d); }, error_sink(impl_));
}
Error PeerConnection::add_ice_candidate(const IceCandidate& c) {
  return command_on(impl_->loop(), [impl = impl_, c] { return impl->add_candidate(c); }, error_sink(impl_));
}
std::variant<std::shared_ptr<DataChannel>, std::string> PeerConnection::create_data_channel(
    std::string label, const DataChannelInit& init) {
  auto r = run_on(impl_->loop(), [&] { return impl_->create_channel(std::move(label), init); });
  if (auto* e = std::get_if<std::string>(&r)) return *e;
  return std::shared_ptr<DataChannel>(new DataChannel(std::get<std::shared_ptr<peer::ChannelImpl>>(r)));
}
std::variant<std::shared_ptr<MediaTrack>, std::string> PeerConnection::add_track(const TrackInit& init) {
  auto r = run_on(impl_->loop(), [&] { return impl_->add_track(init); });
  if (auto* e = std::get_if<std::string>(&r)) return *e;
  return std::shared_ptr<MediaTrack>(new MediaTrack(std::get<std::shared_ptr<peer::TrackImpl>>(r)));
}
void PeerConnection::close() {
  // Closed at once for the caller (no callback runs after this returns), carried out on the loop.
  impl_->closed_requested = true;
  (void)command_on(impl_->loop(), [impl = impl_]() -> Error { impl->close(); return std::nullopt; },
                   error_sink(impl_));
}
PeerConnectionState PeerConnection::connection_state() const {
  return impl_->state.load();
}
SignalingState PeerConnection::signaling_state() const {
  return impl_->signaling.load();
}
std::optional<SessionDescription> PeerConnection::local_description() const {
  return run_on(impl_->loop(), [&] { return impl_->current_local_description(); });
}
Stats PeerConnection::get_stats() const {
  return run_on(impl_->loop(), [&] { return impl_->stats(); });
}
void PeerConnection::on_local_candidate(std::function<void(const IceCandidate&)> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_candidate = std::move(f);
}
void PeerConnection::on_gathering_complete(std::function<void()> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_gathering_complete = std::move(f);
}
void PeerConnection::on_connection_state(std::function<void(PeerConnectionState)> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_state = std::move(f);
}
void PeerConnection::on_data_channel(std::function<void(std::shared_ptr<DataChannel>)> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_channel = std::move(f);
}
void PeerConnection::on_track(std::function<void(std::shared_ptr<MediaTrack>)> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_track = std::move(f);
}
void PeerConnection::on_error(std::function<void(const std::string&)> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_error = std::move(f);
}

// ---- DataChannel ----

DataChannel::~DataChannel() = default;  // the channel lives on while its connection does

std::string DataChannel::label() const { return impl_->label; }
std::string DataChannel::protocol() const { return impl_->protocol; }
bool DataChannel::ordered() const { return impl_->init.ordered; }
std::optional<std::uint16_t> DataChannel::id() const {
  auto c = impl_->connection.lock();
  if (!c) return impl_->id;
  return run_on(c->loop(), [&] { return impl_->id; });
}
std::string DataChannel::ready_state() const {
  static const char* kNames[] = {"connecting", "open", "closing", "closed"};
  return kNames[impl_->state.load()];
}
std::size_t DataChannel::buffered_amount() const { return impl_->buffered.load(); }

void DataChannel::set_buffered_amount_low_threshold(std::size_t bytes) {
  if (auto c = impl_->connection.lock()) run_on(c->loop(), [&] { c->set_low_threshold(*impl_, bytes); });
}

Error DataChannel::send(std::string_view text) {
  auto c = impl_->connection.lock();
  if (!c) return "InvalidStateError: the connection is gone";
  if (peer::current_runtime_loop() != nullptr && !c->loop().in_loop_thread()) {
    std::vector<std::byte> copy(as_bytes(text).begin(), as_bytes(text).end());  // queued: owned
    return command_on(c->loop(), [c, ch = impl_, copy = std::move(copy)] { return c->send(*ch, copy, false); },
                      error_sink(c));
  }
  return run_on(c->loop(), [&] { return c->send(*impl_, as_bytes(text), false); });
}

Error DataChannel::send(std::span<const std::byte> binary) {
  auto c = impl_->connection.lock();
  if (!c) return "InvalidStateError: the connection is gone";
  if (peer::current_runtime_loop() != nullptr && !c->loop().in_loop_thread()) {
    std::vector<std::byte> copy(binary.begin(), binary.end());
    return command_on(c->loop(), [c, ch = impl_, copy = std::move(copy)] { return c->send(*ch, copy, true); },
                      error_sink(c));
  }
  return run_on(c->loop(), [&] { return c->send(*impl_, binary, true); });
}

void DataChannel::close() {
  if (auto c = impl_->connection.lock())
    (void)command_on(c->loop(), [c, ch = impl_]() -> Error { c->close_channel(*ch); return std::nullopt; },
                     error_sink(c));
}

void DataChannel::on_open(std::function<void()> f) {
  bool missed;
  {
    std::lock_guard l(impl_->callbacks);
    impl_->on_open = std::move(f);
    missed = impl_->open_missed && impl_->on_open;
    if (missed) impl_->open_missed = false;
  }
  // The channel opened before this handler was set (created from another thread on a running
  // association): deliver the event now, on the loop, unless closed meanwhile.
  if (auto c = impl_->connection.lock(); missed && c)
    c->loop().post([weak = std::weak_ptr<peer::ConnectionImpl>(c), ch = impl_] {
      auto conn = weak.lock();  // a connection destroyed meanwhile gets no callback
      if (!conn) return;
      std::function<void()> open;
      { std::lock_guard l(ch->callbacks); open = ch->on_open; }
      if (open && ch->state == 1 && !conn->closed && !conn->closed_requested) open();
    });
}
void DataChannel::on_message(std::function<void(const Message&)> f) {
  bool waiting;
  {
    std::lock_guard l(impl_->callbacks);
    impl_->on_message = std::move(f);
    if (impl_->on_message) impl_->message_handler_set = true;
    waiting = impl_->on_message && !impl_->early.empty();
  }
  // Messages came before this handler (see ChannelImpl::early): hand them over on the loop, in
  // order; any that arrive meanwhile queue behind them. The task holds the connection weakly:
  // queued on a loop that stops, it must not keep the connection (and so the loop) alive.
  if (auto c = impl_->connection.lock(); waiting && c)
    c->loop().post([weak = std::weak_ptr<peer::ConnectionImpl>(c), ch = impl_] {
      if (auto c = weak.lock()) c->deliver_early(*ch);
    });
}
void DataChannel::on_buffered_amount_low(std::function<void()> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_low = std::move(f);
}
void DataChannel::on_close(std::function<void()> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_close = std::move(f);
}

// ---- MediaTrack ----

MediaTrack::~MediaTrack() = default;  // like a channel, the track lives while its connection does

std::string MediaTrack::kind() const { return impl_->kind; }
bool MediaTrack::local() const { return impl_->local; }
std::uint32_t MediaTrack::ssrc() const { return impl_->ssrc; }
std::string MediaTrack::mid() const {
  auto c = impl_->connection.lock();
  if (!c) return impl_->mid;
  return run_on(c->loop(), [&] { return impl_->mid; });
}
std::string MediaTrack::stream_id() const {
  auto c = impl_->connection.lock();
  if (!c) return impl_->stream_id;
  return run_on(c->loop(), [&] { return impl_->stream_id; });
}
std::string MediaTrack::track_id() const {
  auto c = impl_->connection.lock();
  if (!c) return impl_->track_id;
  return run_on(c->loop(), [&] { return impl_->track_id; });
}

Error MediaTrack::send_rtp(std::span<const std::byte> packet) { return send_rtp(packet, {}); }

Error MediaTrack::send_rtp(std::span<const std::byte> packet, std::string_view rid) {
  auto c = impl_->connection.lock();
  if (!c) return "InvalidStateError: the connection is gone";
  if (peer::current_runtime_loop() != nullptr && !c->loop().in_loop_thread()) {
    std::vector<std::byte> copy(packet.begin(), packet.end());  // queued: owned
    return command_on(c->loop(),
                      [c, t = impl_, copy = std::move(copy), r = std::string(rid)] { return c->send_rtp(*t, copy, r); },
                      error_sink(c));
  }
  return run_on(c->loop(), [&] { return c->send_rtp(*impl_, packet, rid); });
}

std::vector<std::string> MediaTrack::rids() const {
  auto c = impl_->connection.lock();
  if (!c) return impl_->sent_rids;
  return run_on(c->loop(), [&] { return impl_->sent_rids; });
}

Error MediaTrack::request_keyframe() {
  auto c = impl_->connection.lock();
  if (!c) return "InvalidStateError: the connection is gone";
  return command_on(c->loop(), [c, t = impl_] { return c->request_keyframe(*t); }, error_sink(c));
}

void MediaTrack::on_rtp(std::function<void(std::span<const std::byte>)> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_rtp = std::move(f);
}
void MediaTrack::on_keyframe_request(std::function<void()> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_keyframe_request = std::move(f);
}
void MediaTrack::on_layer_keyframe_request(std::function<void(const std::string&)> f) {
  std::lock_guard l(impl_->callbacks);
  impl_->on_layer_keyframe_request = std::move(f);
}

}  // namespace peerkit
