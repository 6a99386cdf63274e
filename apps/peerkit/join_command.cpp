// `peerkit join`: one WebSocket to a `peerkit serve` room (ws_client.h) and one PeerConnection
// per member, driven by the sans-IO core in src/join/ on a single loop thread ("join"). The
// PeerConnections live on the library's Runtime; their callbacks only post to our loop, and our
// loop calls into them (those calls wait for the Runtime's loop, which never waits for ours), so
// nothing can deadlock. Standard input is read by a small thread that posts lines; signals
// arrive through a signalfd on the loop.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <thread>

#include "apps/peerkit/join_cli.h"
#include "apps/peerkit/join_console.h"
#include "apps/peerkit/ws_client.h"
#include "commands.h"
#include "join/file_transfer.h"
#include "join/room_session.h"
#include "join/text.h"
#include "log/log.h"
#include "peerkit/peer_connection.h"

namespace peerkit::app {
namespace {

using join::IncomingFiles;
using join::RoomEvent;
using join::Signal;

std::string size_text(std::uint64_t b) {
  char t[32];
  if (b < 1024)
    std::snprintf(t, sizeof t, "%llu B", static_cast<unsigned long long>(b));
  else if (b < (1u << 20))
    std::snprintf(t, sizeof t, "%.1f KiB", b / 1024.0);
  else
    std::snprintf(t, sizeof t, "%.1f MiB", b / 1048576.0);
  return t;
}

// The file sent with --send, hashed once.
struct SendFile {
  int fd = -1;
  std::string name, sha256;
  std::uint64_t size = 0;
};

// A file being received into --recv: a hidden temporary until its hash is checked.
struct Landing {
  int fd = -1;
  std::string temp, name;
  bool broken = false;
};

struct Link {
  std::string id, name;
  std::uint64_t gen = 0;
  std::shared_ptr<PeerConnection> pc;
  std::shared_ptr<DataChannel> chat, file;
  bool has_remote = false;
  std::vector<IceCandidate> held;
  IncomingFiles incoming;
  Landing landing;
  std::optional<join::OutgoingFile> outgoing;
  bool sending_done = false, connected = false;
};

class JoinApp {
 public:
  JoinApp(JoinOptions o, net::Loop& loop, net::TlsContextPtr tls)
      : o_(std::move(o)),
        loop_(loop),
        tls_(std::move(tls)),
        session_(o_.room, o_.name),
        signals_(loop.context()),
        shutdown_timer_(loop.context()) {}

  std::future<int> exit_code() { return exit_.get_future(); }

  std::string prepare() {
    if (o_.send_file.empty()) return {};
    send_.fd = ::open(o_.send_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (send_.fd < 0) return "cannot open --send '" + o_.send_file + "': " + std::strerror(errno);
    struct stat st {};
    ::fstat(send_.fd, &st);
    send_.size = static_cast<std::uint64_t>(st.st_size);
    const auto slash = o_.send_file.find_last_of('/');
    send_.name = slash == std::string::npos ? o_.send_file : o_.send_file.substr(slash + 1);
    join::Sha256 h;
    std::vector<std::byte> buf(1 << 20);
    for (std::uint64_t off = 0; off < send_.size;) {
      const auto n = ::pread(send_.fd, buf.data(), buf.size(), static_cast<off_t>(off));
      if (n <= 0) return "cannot read --send '" + o_.send_file + "': " + std::strerror(errno);
      h.update(std::span(buf).first(static_cast<std::size_t>(n)));
      off += static_cast<std::uint64_t>(n);
    }
    send_.sha256 = h.hex();
    console_.event("sending " + send_.name + " (" + size_text(send_.size) + ", SHA-256 " +
                   send_.sha256 + ") to everyone in the room");
    return {};
  }

  // On the loop thread.
  void start(int signal_fd, WsUrl url) {
    signals_.assign(signal_fd);
    wait_signal();
    ws_ =
        WsClient::create(loop_, url, tls_,
                         {[this] { spdlog::debug("connected to {}", o_.server); },
                          [this](std::string f) { on_frame(f); },
                          [this](std::string why, bool was_open) { on_ws_closed(why, was_open); }});
    ws_->start();
  }

  void on_stdin_line(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || stopping_) return;
    if (session_.sfu()) {  // no links in an SFU room: chat goes through the server
      if (!session_.send_chat_all(line)) console_.event("nobody here yet: message not sent");
      drain();
      return;
    }
    const auto frame = join::chat_frame(line);
    int sent = 0;
    for (auto& [id, l] : links_)
      if (l->chat && l->chat->ready_state() == "open" && !l->chat->send(frame)) ++sent;
    if (sent == 0) console_.event("nobody connected yet: message not sent");
  }

 private:
  void wait_signal() {
    signals_.async_read_some(boost::asio::buffer(&siginfo_, sizeof siginfo_),
                             [this](boost::system::error_code ec, std::size_t) {
                               if (ec) return;
                               spdlog::info("signal {}: leaving the room", siginfo_.ssi_signo);
                               shutdown(0, "");
                               wait_signal();
                             });
  }

  void on_frame(const std::string& frame) {
    session_.on_server_frame(frame);
    drain();
  }

  void drain() {
    for (auto& e : session_.take_events()) handle(e);
  }

  void handle(RoomEvent& e) {
    using K = RoomEvent::Kind;
    switch (e.kind) {
      case K::kSend:
        if (ws_) ws_->send(std::move(e.text));
        break;
      case K::kWelcome:
        // As the app hands welcome.iceServers to RTCPeerConnection: host names are resolved by
        // PeerConnection::create, turns: checked against the name.
        ice_.clear();
        for (const auto& s : e.ice_servers) ice_.push_back({s.url, s.username, s.credential});
        break;
      case K::kJoined:
        console_.event("joined room " + o_.room + " as " + o_.name + " (" +
                       std::to_string(e.members.size()) + " other" +
                       (e.members.size() == 1 ? "" : "s") + " here)");
        break;
      case K::kOpenPeer:
        if (!e.offer) console_.event(e.member.name + " joined");
        open_link(e.member.id, e.member.name, e.offer);
        break;
      case K::kMemberLeft:
        console_.event(e.member.name + (e.reason == "left" ? " left" : " disconnected"));
        drop_link(e.member.id);
        break;
      case K::kSignal:
        on_signal(e.member.id, e.member.name, e.signal);
        break;
      case K::kFatal:
        shutdown(1, e.code == "room-full" ? "room '" + o_.room + "' is full: " + e.text
                                          : "cannot join: " + e.text);
        break;
      case K::kNotice:
        console_.error("server: " + e.text);
        break;
      case K::kLeft:
        break;
      case K::kSfu:
        for (const auto& id : link_ids()) drop_link(id);
        console_.event(
            "this room runs through the server's SFU: chat goes on; files need a mesh room");
        break;
      case K::kMemberJoined:
        console_.event(e.member.name + " joined");
        break;
      case K::kChat:
        console_.chat(e.member.name, join::without_controls(e.text, "?"));
        if (o_.echo) {
          session_.send_chat(e.member.id, e.text);
          drain();
        }
        break;
    }
  }

  // A callback of `id`'s PeerConnection, carried to our loop; dropped if the link is gone.
  template <class F>
  auto on_link(const std::string& id, std::uint64_t gen, F f) {
    return [this, id, gen, f = std::move(f)](auto&&... args) {
      loop_.post([this, id, gen, f,
                  tup = std::make_tuple(std::decay_t<decltype(args)>(args)...)]() mutable {
        auto it = links_.find(id);
        if (it == links_.end() || it->second->gen != gen) return;
        std::apply([&](auto&... a) { f(*it->second, a...); }, tup);
      });
    };
  }

  Link& open_link(const std::string& id, const std::string& name, bool offer) {
    drop_link(id);
    auto l = std::make_unique<Link>();
    l->id = id;
    l->name = name;
    l->gen = ++gen_;
    Configuration c;
    c.ice_servers = ice_;
    c.relay_only = o_.relay_only;
    c.host_filter = o_.host_filter;
    c.allow_loopback = o_.allow_loopback;
    c.receive_media = false;  // join plays nothing: a browser's camera offer is answered rejected
    l->pc = PeerConnection::create(runtime_, c);
    auto& pc = *l->pc;
    pc.on_local_candidate(on_link(id, l->gen, [this](Link& k, const IceCandidate& cand) {
      if (cand.candidate.empty()) return;  // the end goes out with on_gathering_complete
      Signal s{Signal::Kind::kCandidate};
      s.candidate = cand.candidate;
      s.sdp_mid = cand.sdp_mid;
      if (auto d = k.pc->local_description())
        s.sdp_mline_index = join::mline_index(d->sdp, cand.sdp_mid);
      session_.send_signal(k.id, s);
      drain();
    }));
    pc.on_gathering_complete(on_link(id, l->gen, [this](Link& k) {
      session_.send_signal(k.id, {Signal::Kind::kEndOfCandidates});
      drain();
    }));
    pc.on_connection_state(on_link(id, l->gen, [this](Link& k, PeerConnectionState s) {
      spdlog::debug("{}: connection {}", k.name, to_string(s));
      if (s == PeerConnectionState::kConnected && !k.connected) {
        k.connected = true;
        console_.event("connected to " + k.name);
      }
      if (s == PeerConnectionState::kFailed)
        console_.error("connection to " + k.name + " failed (ICE or DTLS)");
    }));
    pc.on_error(on_link(id, l->gen,
                        [](Link& k, const std::string& e) { spdlog::warn("{}: {}", k.name, e); }));
    DataChannelInit chat_init;
    chat_init.negotiated = true;
    chat_init.id = 0;
    DataChannelInit file_init = chat_init;
    file_init.id = 1;
    auto chat = pc.create_data_channel("chat", chat_init);
    auto file = pc.create_data_channel("file", file_init);
    if (auto* e = std::get_if<std::string>(&chat))
      console_.error("cannot make the chat channel: " + *e);
    if (auto* e = std::get_if<std::string>(&file))
      console_.error("cannot make the file channel: " + *e);
    if (auto* ch = std::get_if<std::shared_ptr<DataChannel>>(&chat)) {
      l->chat = *ch;
      l->chat->on_message(
          on_link(id, l->gen, [this](Link& k, const Message& m) { on_chat(k, m); }));
      l->chat->on_close(
          on_link(id, l->gen, [](Link& k) { spdlog::debug("{}: chat channel closed", k.name); }));
    }
    if (auto* ch = std::get_if<std::shared_ptr<DataChannel>>(&file)) {
      l->file = *ch;
      l->file->set_buffered_amount_low_threshold(join::kLowWater);
      l->file->on_open(on_link(id, l->gen, [this](Link& k) { start_sending(k); }));
      l->file->on_buffered_amount_low(on_link(id, l->gen, [this](Link& k) { pump(k); }));
      l->file->on_message(on_link(id, l->gen, [this](Link& k, const Message& m) {
        on_file_events(k, m.binary ? k.incoming.on_binary(m.data) : k.incoming.on_text(m.text()));
      }));
      l->file->on_close(
          on_link(id, l->gen, [this](Link& k) { on_file_events(k, k.incoming.on_closed()); }));
    }
    auto& ref = *l;
    links_[id] = std::move(l);
    if (offer) {
      auto made = ref.pc->create_offer();
      if (auto* e = std::get_if<std::string>(&made)) {
        console_.error("cannot make an offer for " + name + ": " + *e);
      } else {
        auto d = std::get<SessionDescription>(made);
        if (auto e = ref.pc->set_local_description(d))
          console_.error("offer for " + name + ": " + *e);
        session_.send_signal(id, {Signal::Kind::kDescription, d.type, d.sdp});
        drain();
      }
    }
    return ref;
  }

  std::vector<std::string> link_ids() const {
    std::vector<std::string> ids;
    for (const auto& [id, l] : links_) ids.push_back(id);
    return ids;
  }

  void drop_link(const std::string& id) {
    auto it = links_.find(id);
    if (it == links_.end()) return;
    auto l = std::move(it->second);
    links_.erase(it);
    on_file_events(*l, l->incoming.on_closed());
    l->pc->close();
  }

  void on_signal(const std::string& id, const std::string& name, const Signal& s) {
    auto it = links_.find(id);
    Link& l = it != links_.end() ? *it->second : open_link(id, name, false);
    if (s.kind == Signal::Kind::kDescription) {
      spdlog::debug("{}: {} received", l.name, s.type);
      if (auto e = l.pc->set_remote_description({s.type, s.sdp})) {
        console_.error(l.name + "'s " + s.type + " was refused: " + *e);
        return;
      }
      if (s.type == "offer") {
        auto made = l.pc->create_answer();
        if (auto* e = std::get_if<std::string>(&made)) {
          console_.error("cannot answer " + l.name + ": " + *e);
          return;
        }
        auto d = std::get<SessionDescription>(made);
        if (auto e = l.pc->set_local_description(d))
          console_.error("answer for " + l.name + ": " + *e);
        session_.send_signal(id, {Signal::Kind::kDescription, d.type, d.sdp});
        drain();
      }
      l.has_remote = true;
      for (auto& c : std::exchange(l.held, {}))
        if (auto e = l.pc->add_ice_candidate(c))
          spdlog::debug("{}: candidate refused: {}", l.name, *e);
      return;
    }
    IceCandidate c{s.kind == Signal::Kind::kCandidate ? s.candidate : "", s.sdp_mid};
    if (!l.has_remote) {
      l.held.push_back(std::move(c));
      return;
    }
    if (auto e = l.pc->add_ice_candidate(c)) spdlog::debug("{}: candidate refused: {}", l.name, *e);
  }

  void on_chat(Link& l, const Message& m) {
    if (m.binary) return;
    auto text = join::parse_chat_frame(m.text());
    if (!text) return;
    console_.chat(l.name, join::without_controls(*text, "?"));
    if (o_.echo && l.chat) (void)l.chat->send(join::chat_frame(*text));
  }

  // ---- files out ----
  void start_sending(Link& l) {
    if (send_.fd < 0 || l.outgoing || stopping_) return;
    l.outgoing.emplace(join::FileHeader{"f1", send_.name, "", send_.size}, send_.sha256);
    if (l.file->send(l.outgoing->start_frame())) return;
    pump(l);
  }

  void pump(Link& l) {
    if (!l.outgoing || l.sending_done || !l.file || l.file->ready_state() != "open") return;
    chunk_.resize(join::kChunkBytes);
    while (l.file->buffered_amount() <= join::kHighWater) {
      auto c = l.outgoing->next_chunk();
      if (!c) {
        l.sending_done = true;
        (void)l.file->send(l.outgoing->end_frame());
        show_progress();
        console_.event("sent " + send_.name + " to " + l.name + " (" + size_text(send_.size) + ")");
        return;
      }
      const auto n = ::pread(send_.fd, chunk_.data(), c->length, static_cast<off_t>(c->offset));
      if (n != static_cast<ssize_t>(c->length)) {
        console_.error("cannot read " + o_.send_file + ": " +
                       (n < 0 ? std::strerror(errno) : "the file shrank"));
        l.sending_done = true;
        return;
      }
      if (auto e = l.file->send(std::span(chunk_).first(c->length))) {
        console_.error("sending to " + l.name + ": " + *e);
        l.sending_done = true;
        return;
      }
    }
    show_progress();
  }

  void show_progress() {
    std::uint64_t done = 0, total = 0;
    int members = 0;
    for (auto& [id, l] : links_) {
      if (!l->outgoing) continue;
      done += l->outgoing->sent();
      total += send_.size;
      ++members;
    }
    console_.progress(
        send_.name + " to " + std::to_string(members) + " member" + (members == 1 ? "" : "s"), done,
        total);
  }

  // ---- files in ----
  void on_file_events(Link& l, const std::vector<IncomingFiles::Event>& events) {
    using EK = IncomingFiles::Event::Kind;
    for (const auto& e : events) {
      const std::string shown = join::safe_file_name(e.header.name);
      switch (e.kind) {
        case EK::kStart:
          if (o_.recv_dir.empty()) {
            console_.event(l.name + " is sending " + shown + " (" + size_text(e.header.size) +
                           "); not saved: run with --recv DIR to store files");
            break;
          }
          console_.event("receiving " + shown + " (" + size_text(e.header.size) + ") from " +
                         l.name);
          land_start(l, shown);
          break;
        case EK::kWrite:
          land_write(l, e.bytes);
          break;
        case EK::kDone:
          if (o_.recv_dir.empty()) break;
          land_finish(l, e);
          break;
        case EK::kFailed:
          land_discard(l);
          console_.error("file " + shown + " from " + l.name + " failed: " + e.error +
                         (o_.recv_dir.empty() ? "" : "; nothing was kept"));
          break;
        case EK::kRefused:
          console_.error(l.name + " offered " + shown + ", refused: " + e.error);
          break;
      }
    }
  }

  void land_start(Link& l, const std::string& name) {
    land_discard(l);
    std::string temp = o_.recv_dir + "/.peerkit-partial-XXXXXX";
    const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    l.landing = {fd, temp, name, fd < 0};
    if (fd < 0) {
      console_.error("cannot create a file in " + o_.recv_dir + ": " + std::strerror(errno));
      return;
    }
    const mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
  }

  void land_write(Link& l, std::span<const std::byte> bytes) {
    auto& d = l.landing;
    if (d.fd < 0 || d.broken) return;
    for (std::size_t done = 0; done < bytes.size();) {
      const auto n = ::write(d.fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        console_.error("cannot write " + d.name + " into " + o_.recv_dir + ": " +
                       std::strerror(errno) + "; dropping it");
        d.broken = true;
        ::close(d.fd);
        ::unlink(d.temp.c_str());
        d.fd = -1;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
  }

  void land_finish(Link& l, const IncomingFiles::Event& e) {
    auto d = std::exchange(l.landing, {});
    if (d.fd < 0) return;
    const bool synced = ::fsync(d.fd) == 0;
    ::close(d.fd);
    // link() never replaces an existing name: the first free "name (n).ext" wins.
    std::string final_path;
    for (unsigned n = 0; synced && n < 1000 && final_path.empty(); ++n) {
      const std::string candidate = o_.recv_dir + "/" + join::numbered_name(d.name, n);
      if (::link(d.temp.c_str(), candidate.c_str()) == 0)
        final_path = candidate;
      else if (errno != EEXIST)
        break;
    }
    ::unlink(d.temp.c_str());
    if (final_path.empty()) {
      console_.error("cannot store " + d.name + " in " + o_.recv_dir + ": " + std::strerror(errno));
      return;
    }
    console_.event("received " + d.name + " from " + l.name + " (" + size_text(e.header.size) +
                   "), SHA-256 " + e.sha256 + " matches the sender's; saved as " + final_path);
  }

  void land_discard(Link& l) {
    auto d = std::exchange(l.landing, {});
    if (d.fd < 0) return;
    ::close(d.fd);
    ::unlink(d.temp.c_str());
  }

  // ---- the end ----
  void on_ws_closed(const std::string& why, bool was_open) {
    ws_closed_ = true;
    if (stopping_) return finish();
    if (!was_open) return shutdown(1, "cannot join via " + o_.server + ": " + why);
    shutdown(1, why);
  }

  // Close every connection (the others see their channels close), leave, close the socket.
  void shutdown(int code, const std::string& error) {
    if (stopping_) return;
    stopping_ = true;
    code_ = code;
    if (!error.empty()) console_.error(error);
    for (auto& [id, l] : links_) {
      on_file_events(*l, l->incoming.on_closed());
      l->pc->close();
    }
    links_.clear();
    session_.leave();
    drain();
    if (ws_closed_ || !ws_) return finish();
    ws_->close();
    shutdown_timer_.expires_after(std::chrono::seconds(2));
    shutdown_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) finish();
    });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    shutdown_timer_.cancel();
    boost::system::error_code ec;
    signals_.close(ec);
    if (send_.fd >= 0) ::close(send_.fd);
    exit_.set_value(code_);
  }

  JoinOptions o_;
  net::Loop& loop_;
  net::TlsContextPtr tls_;
  Runtime runtime_{1};
  join::RoomSession session_;
  std::shared_ptr<WsClient> ws_;
  JoinConsole console_;
  std::vector<IceServer> ice_;
  std::map<std::string, std::unique_ptr<Link>> links_;
  std::uint64_t gen_ = 0;
  SendFile send_;
  std::vector<std::byte> chunk_;
  boost::asio::posix::stream_descriptor signals_;
  signalfd_siginfo siginfo_{};
  boost::asio::steady_timer shutdown_timer_;
  std::promise<int> exit_;
  int code_ = 0;
  bool stopping_ = false, ws_closed_ = false, finished_ = false;
};

// Reads standard input line by line until EOF or `wake` becomes readable.
void read_stdin(net::Loop& loop, JoinApp& app, int wake) {
  std::string pending;
  char buf[4096];
  for (;;) {
    pollfd fds[2] = {{0, POLLIN, 0}, {wake, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    const auto n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EOF: keep running without chat input
    pending.append(buf, static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      loop.post([&app, line = pending.substr(0, nl)] { app.on_stdin_line(line); });
      pending.erase(0, nl + 1);
      if (pending.size() > 64 * 1024) pending.clear();
    }
  }
}

int join_room(JoinOptions o) {
  if (auto e = log::init({o.log_level, ""}); !e.empty()) {
    std::fprintf(stderr, "peerkit join: %s\n", e.c_str());
    return 2;
  }
  WsUrl url;
  parse_ws_url(o.server, url);  // checked by the parser already
  net::TlsContextPtr tls;
  if (url.tls) {
    auto made = net::make_tls_client_context(o.ca_file);
    if (!made) {
      std::fprintf(stderr, "peerkit join: %s\n", made.error().c_str());
      return 1;
    }
    tls = *made;
    // --ca adds to the system's CAs rather than replacing them.
    if (!o.ca_file.empty()) {
      boost::system::error_code ec;
      tls->set_default_verify_paths(ec);
    }
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);  // the terminal went away: leave as cleanly as on Ctrl-C
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  const int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int wake[2];
  if (sfd < 0 || ::pipe2(wake, O_CLOEXEC) != 0) {
    std::fprintf(stderr, "peerkit join: %s\n", std::strerror(errno));
    return 1;
  }
  int code = 1;
  {
    net::Loop loop("join");
    auto app = std::make_unique<JoinApp>(o, loop, tls);
    if (auto e = app->prepare(); !e.empty()) {
      std::fprintf(stderr, "peerkit join: %s\n", e.c_str());
      return 1;
    }
    auto done = app->exit_code();
    loop.post([&] { app->start(sfd, url); });
    loop.start();
    std::thread input([&] { read_stdin(loop, *app, wake[0]); });
    code = done.get();
    (void)!::write(wake[1], "x", 1);
    input.join();
    loop.stop();
    app.reset();  // closes what is left on this thread; the Runtime goes with it
  }
  ::close(wake[0]);
  ::close(wake[1]);
  return code;
}

}  // namespace

int run_join(const std::vector<std::string>& args) {
  auto parsed = parse_join_cli(args);
  if (parsed.action == decltype(parsed)::Action::kExit) {
    if (parsed.exit_code == 0)
      std::fputs(parsed.message.c_str(), stdout);
    else
      std::fprintf(stderr, "peerkit join: %s\nRun 'peerkit join --help' for the options.\n",
                   parsed.message.c_str());
    return parsed.exit_code;
  }
  return join_room(std::move(parsed.config));
}

}  // namespace peerkit::app
