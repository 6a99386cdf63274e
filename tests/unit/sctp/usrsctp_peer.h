// usrsctp (Debian libusrsctp, tests only) as an independent SCTP peer in the same process:
// AF_CONN sockets, no threads (usrsctp_init_nothreads, timers driven by the test), so every
// callback runs inside a call the test makes. What it sends is queued for peerkit; what it
// receives is reassembled up to MSG_EOR.
#pragma once

#include <usrsctp.h>

#include <cstring>
#include <string>
#include <vector>

namespace peerkit::sctp::test {

struct UsrMessage {
  std::uint16_t stream = 0;
  std::uint32_t ppid = 0;
  bool unordered = false;
  std::vector<std::byte> payload;
};

class UsrsctpPeer {
 public:
  static int output(void* addr, void* buffer, size_t length, uint8_t, uint8_t) {
    auto* self = static_cast<UsrsctpPeer*>(addr);
    const auto* b = static_cast<const std::byte*>(buffer);
    self->outbox.emplace_back(b, b + length);
    return 0;
  }

  static int receive(struct socket*, union sctp_sockstore, void* data, size_t length,
                     struct sctp_rcvinfo info, int flags, void* ulp) {
    auto* self = static_cast<UsrsctpPeer*>(ulp);
    if (data == nullptr) return 1;
    if (flags & MSG_NOTIFICATION) {
      const auto* n = static_cast<const union sctp_notification*>(data);
      if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
        const auto state = n->sn_assoc_change.sac_state;
        if (state == SCTP_COMM_UP) self->up = true;
        if (state == SCTP_COMM_LOST || state == SCTP_SHUTDOWN_COMP || state == SCTP_CANT_STR_ASSOC)
          self->down = true;
      } else if (n->sn_header.sn_type == SCTP_STREAM_RESET_EVENT) {
        const auto& e = n->sn_strreset_event;
        const std::size_t count = (e.strreset_length - sizeof e) / sizeof(uint16_t);
        for (std::size_t i = 0; i < count; ++i) {
          if (e.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN)
            self->incoming_resets.push_back(e.strreset_stream_list[i]);
          if (e.strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN)
            self->outgoing_resets.push_back(e.strreset_stream_list[i]);
        }
      }
    } else {
      const auto* b = static_cast<const std::byte*>(data);
      self->partial.insert(self->partial.end(), b, b + length);
      if (flags & MSG_EOR) {
        self->received.push_back(UsrMessage{info.rcv_sid, ntohl(info.rcv_ppid),
                                            (info.rcv_flags & SCTP_UNORDERED) != 0,
                                            std::move(self->partial)});
        self->partial.clear();
      }
    }
    free(data);
    return 1;
  }

  UsrsctpPeer() {
    usrsctp_register_address(this);
    sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, &UsrsctpPeer::receive, nullptr, 0, this);
    usrsctp_set_non_blocking(sock, 1);
    const int on = 1;
    usrsctp_setsockopt(sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
    usrsctp_setsockopt(sock, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
    struct linger l{1, 0};
    usrsctp_setsockopt(sock, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    struct sctp_assoc_value reset{SCTP_ALL_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ};
    usrsctp_setsockopt(sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset);
    for (const uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT}) {
      struct sctp_event ev{};
      ev.se_assoc_id = SCTP_ALL_ASSOC;
      ev.se_type = type;
      ev.se_on = 1;
      usrsctp_setsockopt(sock, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev);
    }
    const int rcvbuf = 4 << 20;
    usrsctp_setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    usrsctp_setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof rcvbuf);
    struct sctp_initmsg init{};
    init.sinit_num_ostreams = 1024;
    init.sinit_max_instreams = 1024;
    usrsctp_setsockopt(sock, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init);
    auto local = address();
    usrsctp_bind(sock, reinterpret_cast<struct sockaddr*>(&local), sizeof local);
  }
  ~UsrsctpPeer() {
    if (accepted) usrsctp_close(accepted);
    if (sock) usrsctp_close(sock);
    usrsctp_deregister_address(this);
  }
  UsrsctpPeer(const UsrsctpPeer&) = delete;
  UsrsctpPeer& operator=(const UsrsctpPeer&) = delete;

  struct sockaddr_conn address() {
    struct sockaddr_conn a{};
    a.sconn_family = AF_CONN;
    a.sconn_port = htons(5000);
    a.sconn_addr = this;
    return a;
  }

  void connect() {
    auto remote = address();
    usrsctp_connect(sock, reinterpret_cast<struct sockaddr*>(&remote), sizeof remote);
  }
  void listen() {
    usrsctp_listen(sock, 1);
    listening = true;
  }
  // The socket that carries the association (the accepted one when listening).
  struct socket* data_socket() {
    if (listening && accepted == nullptr) {
      accepted = usrsctp_accept(sock, nullptr, nullptr);
      if (accepted) usrsctp_set_non_blocking(accepted, 1);
    }
    return listening ? accepted : sock;
  }

  void input(const std::byte* data, std::size_t size) { usrsctp_conninput(this, data, size, 0); }

  // false when usrsctp's send buffer is full (try again later).
  bool send(std::uint16_t stream, std::uint32_t ppid, const std::vector<std::byte>& data,
            bool unordered = false, int max_retransmits = -1) {
    struct socket* s = data_socket();
    if (s == nullptr) return false;
    struct sctp_sendv_spa spa{};
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = stream;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    spa.sendv_sndinfo.snd_flags = unordered ? SCTP_UNORDERED : 0;
    if (max_retransmits >= 0) {
      spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
      spa.sendv_prinfo.pr_value = static_cast<uint32_t>(max_retransmits);
    }
    return usrsctp_sendv(s, data.data(), data.size(), nullptr, 0, &spa, sizeof spa, SCTP_SENDV_SPA,
                         0) >= 0;
  }

  void reset_stream(std::uint16_t stream) {
    std::vector<std::uint8_t> buf(sizeof(struct sctp_reset_streams) + sizeof(uint16_t));
    auto* r = reinterpret_cast<struct sctp_reset_streams*>(buf.data());
    r->srs_assoc_id = SCTP_ALL_ASSOC;
    r->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    r->srs_number_streams = 1;
    r->srs_stream_list[0] = stream;
    usrsctp_setsockopt(data_socket(), IPPROTO_SCTP, SCTP_RESET_STREAMS, r,
                       static_cast<socklen_t>(buf.size()));
  }

  struct socket* sock = nullptr;
  struct socket* accepted = nullptr;
  bool listening = false;
  bool up = false, down = false;
  std::vector<std::vector<std::byte>> outbox;
  std::vector<std::byte> partial;
  std::vector<UsrMessage> received;
  std::vector<std::uint16_t> incoming_resets, outgoing_resets;
};

}  // namespace peerkit::sctp::test
