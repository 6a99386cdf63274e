// The ICE agent (RFC 8445 full agent, one component), sans-IO: no socket, no clock, no thread.
//
//   driver ──add_host_socket/gather/add_remote_candidate/handle_packet/handle_timeout──▶ Agent
//   driver ◀──────────────── transmits / poll_event / next_timeout ──────────────────── Agent
//
// Sockets are the driver's: it binds one UDP socket per local address it wants used (after its
// interface filter), and one stream per TURN server reached over TCP or TLS, and names each with
// a SocketId (common/transmit.h). The agent gathers server-reflexive candidates with STUN Binding
// (RFC 8489) and relay candidates with a TURN client core per server (turn/client.h), pairs and
// checks them (RFC 8445 §6-§7), nominates (§8, regular nomination), keeps consent (RFC 7675), and
// restarts. Candidates trickle both ways (RFC 8838); remote candidates may come before or after the
// remote credentials. Application packets (DTLS, SRTP, SCTP-over-DTLS) go through send() on the
// selected pair and come out of handle_packet(), told apart by their first byte (RFC 7983).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"
#include "common/random.h"
#include "common/time.h"
#include "common/transmit.h"
#include "ice/agent_config.h"
#include "ice/candidate.h"
#include "ice/check_list.h"
#include "ice/consent.h"
#include "ice/demux.h"
#include "ice/pair.h"
#include "ice/stun_check.h"
#include "stun/client_transaction.h"
#include "stun/message.h"
#include "turn/client.h"

namespace peerkit::ice {

enum class ConnectionState : std::uint8_t {
  kNew,
  kChecking,
  kConnected,
  kCompleted,
  kDisconnected,
  kFailed,
  kClosed
};
enum class GatheringState : std::uint8_t { kNew, kGathering, kComplete };
const char* to_string(ConnectionState s);
const char* to_string(GatheringState s);

struct Event {
  enum class Kind : std::uint8_t {
    kLocalCandidate,       // candidate: signal it to the peer
    kGatheringComplete,    // end-of-candidates (RFC 8838 §4.1)
    kStateChanged,         // state
    kSelectedPairChanged,  // the pair send() now uses; see selected_pair()
    kRoleChanged,          // after a role conflict (RFC 8445 §7.3.1.1)
    kServerFailed,         // detail: which server and why (never a password)
    kConnectServer,        // server: open a TCP/TLS stream to it, then add_server_stream
  };
  Kind kind;
  Candidate candidate;
  ConnectionState state = ConnectionState::kNew;
  std::size_t server = 0;                             // kConnectServer, kServerFailed
  ServerTransport transport = ServerTransport::kTcp;  // kConnectServer: TCP or TLS
  std::string host_name;  // kConnectServer: the name TLS verifies (IceServer::host_name)
  std::string detail;
};

// What a packet handed to handle_packet turned out to be.
struct Received {
  PacketClass kind = PacketClass::kUnknown;  // kStun and kChannelData are consumed by the agent
  ByteSpan payload;                          // application bytes (may point into the input)
  SocketAddress from;                        // the remote candidate's address
};

class Agent : private ConsentFreshness::Context, private CheckList::Context {
 public:
  Agent(AgentConfig config, RandomSource& random);
  ~Agent() override;
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  const std::string& local_ufrag() const { return local_ufrag_; }
  const std::string& local_pwd() const { return local_pwd_; }
  Role role() const { return role_; }
  ConnectionState state() const { return state_; }
  GatheringState gathering_state() const { return gathering_; }

  // A UDP socket bound to `local` (a host candidate and the base of srflx/relay ones).
  SocketId add_host_socket(const SocketAddress& local);
  // The answer to a kConnectServer event: a stream the driver connected to
  // config.servers[server_index] (TURN over TCP or TLS). The driver frames STUN and ChannelData
  // on it (RFC 8656 §12.5) and passes whole messages to handle_packet.
  SocketId add_server_stream(Timestamp now, std::size_t server_index, const SocketAddress& local);
  // The other answer to kConnectServer: the stream could not be opened.
  void server_connect_failed(Timestamp now, std::size_t server_index, std::string_view why);
  // A stream to a server closed: that server's relay is gone with it (RFC 8656 §5).
  void server_stream_closed(Timestamp now, SocketId socket, std::string_view why);
  // Host candidates now, then STUN and TURN for each server; ends with kGatheringComplete.
  void gather(Timestamp now);

  // The peer's ufrag and pwd (from SDP or signaling). A new ufrag after the first one means the
  // peer restarted: call restart() too, if this side did not start it.
  void set_remote_credentials(Timestamp now, std::string ufrag, std::string pwd);
  // A trickled candidate. "" on success, else why it was refused (bad, limit, wrong family…).
  // Candidates whose address is a host name (mDNS ".local") are kept unresolved until
  // resolve_remote_host() names their address; until then the peer's own checks find it as
  // peer-reflexive (docs/ice.md, "mDNS candidates").
  std::string add_remote_candidate(Timestamp now, const Candidate& candidate);
  void resolve_remote_host(Timestamp now, std::string_view host, const IpAddress& address);
  void remote_end_of_candidates(Timestamp now);
  // The peer is ICE-lite (RFC 8445 §2.5): it never checks, so this side must control.
  void set_remote_lite(bool lite);
  // RFC 8445 §9: new credentials and a new check list; the selected pair keeps carrying data
  // (and its consent, with the old credentials) until a new pair is selected.
  void restart(Timestamp now);
  void close(Timestamp now);

  Received handle_packet(Timestamp now, SocketId socket, const SocketAddress& from, ByteSpan data);
  // Sends application bytes on the selected pair; false if there is none.
  bool send(Timestamp now, ByteSpan data);

  // What to send, in order: `for (const Transmit& t : agent.transmits()) …`. The bytes are the
  // agent's (copied into its arena, never borrowed from an input) and valid while the batch
  // lives and until the next non-const call on the agent (common/transmit.h).
  TransmitBatch transmits() { return out_.drain(); }
  std::optional<Event> poll_event();
  Timestamp next_timeout() const;
  void handle_timeout(Timestamp now);

  struct SelectedPair {
    Candidate local;
    Candidate remote;
  };
  std::optional<SelectedPair> selected_pair() const;
  std::vector<PairStats> stats() const;
  std::vector<Candidate> local_candidates() const;

 private:
  struct Socket {
    SocketAddress local;
    std::optional<std::size_t> server;  // a stream to this server
    bool failed = false;
  };
  struct LocalCandidate {
    Candidate candidate;
    SocketAddress address;
    SocketId socket;                   // the base's socket
    SocketAddress base;                // RFC 8445 §5.1.1.1
    std::optional<std::size_t> relay;  // index into relays_ (relay candidates)
    bool signaled = false;
  };
  struct RemoteCandidate {
    Candidate candidate;
    std::optional<SocketAddress> address;  // nullopt while an mDNS name is unresolved
  };
  struct Relay {
    std::size_t server;
    SocketId socket;
    std::unique_ptr<turn::Client> client;
    bool candidate_added = false;
    bool failure_reported = false;
  };
  struct Gathering {  // one STUN Binding to a server from one base
    std::size_t server;
    SocketId socket;
    stun::ClientTransaction transaction;
  };
  // What survives restart(): the old selected pair and the credentials that talk on it.
  struct PreviousSession {
    std::string local_ufrag, local_pwd, remote_ufrag, remote_pwd;
    LocalCandidate local;
    SocketAddress remote;
    Candidate remote_candidate;
  };

  // agent.cpp: API plumbing, events, state.
  void set_state(ConnectionState s);
  void emit(Event e) { events_.push_back(std::move(e)); }
  void update_gathering_state();
  void update_failed(Timestamp now);
  void server_failed(std::size_t server, std::string why);
  void new_credentials();
  // agent_gather.cpp
  std::optional<LocalCandidateId> add_local_candidate(Timestamp now, LocalCandidate c);
  std::string foundation_for(CandidateType type, const IpAddress& base, const std::string& server);
  void start_server(Timestamp now, std::size_t server, SocketId socket);
  void start_stun_gathering(Timestamp now);
  void on_gather_response(Timestamp now, Gathering& g, const stun::MessageView& m);
  void drive_relays(Timestamp now);
  void send_raw(SocketId socket, const SocketAddress& to, ByteSpan data);
  void send_from(Timestamp now, const LocalCandidate& local, const SocketAddress& to,
                 ByteSpan data);
  // agent_checks.cpp: pairing candidates, building checks and answers; the check list's state
  // is in check_list_ (ice/check_list.h).
  LocalCandidate& local(LocalCandidateId id) { return locals_[id.value]; }
  const LocalCandidate& local(LocalCandidateId id) const { return locals_[id.value]; }
  RemoteCandidate& remote(RemoteCandidateId id) { return remotes_[id.value]; }
  const RemoteCandidate& remote(RemoteCandidateId id) const { return remotes_[id.value]; }
  void form_pairs_for_remote(Timestamp now, RemoteCandidateId remote);
  void form_pairs_for_local(Timestamp now, LocalCandidateId local);
  std::optional<PairId> add_pair(Timestamp now, LocalCandidateId local, RemoteCandidateId remote,
                                 PairState state);
  std::uint64_t priority_of(const CandidatePair& p) const;
  void recompute_priorities();
  void switch_role();
  void arm_checks(Timestamp now);
  bool usable(const LocalCandidate& c) const;
  void process(Timestamp now, SocketId socket, std::optional<std::size_t> via_relay,
               const SocketAddress& from, ByteSpan data, Received& out);
  struct Path {  // where consent and data go: the selected pair, or the old one during restart
    const LocalCandidate* local;
    SocketAddress remote;
    std::string_view local_ufrag, remote_ufrag, remote_pwd;
  };
  std::optional<Path> active_path() const;
  std::uint32_t prflx_priority(const LocalCandidate& local) const;
  void on_stun(Timestamp now, SocketId socket, std::optional<std::size_t> via_relay,
               const SocketAddress& from, const stun::MessageView& m);
  void on_request(Timestamp now, LocalCandidateId local, const SocketAddress& from,
                  const stun::MessageView& m);
  void on_check_response(Timestamp now, PairId pair, bool nominated, const CheckResponse& response);
  void start_check(Timestamp now, PairId pair, bool nominate);
  void update_selection(Timestamp now);
  std::optional<LocalCandidateId> local_for(SocketId socket,
                                            std::optional<std::size_t> relay) const;
  std::optional<RemoteCandidateId> remote_by_address(const SocketAddress& a) const;
  // CheckList::Context
  Role local_role() const override { return role_; }
  void send_check(Timestamp now, const CandidatePair& pair, ByteSpan request) override;
  // agent_consent.cpp: the agent's side of consent freshness (ConsentFreshness::Context).
  bool consent_running() const;
  std::optional<CheckRequest> consent_request() const override;
  void send_consent(Timestamp now, ByteSpan request, bool first) override;
  void on_consent_rtt(Duration rtt) override;
  void on_consent_state(ConsentFreshness::State s) override;

  AgentConfig config_;
  RandomSource& random_;
  Role role_;
  std::uint64_t tie_breaker_ = 0;
  std::string local_ufrag_, local_pwd_;
  std::string remote_ufrag_, remote_pwd_;
  bool remote_lite_ = false;
  bool remote_done_ = false;  // end-of-candidates received
  ConnectionState state_ = ConnectionState::kNew;
  GatheringState gathering_ = GatheringState::kNew;
  bool closed_ = false;

  std::vector<Socket> sockets_;
  std::vector<LocalCandidate> locals_;
  std::vector<RemoteCandidate> remotes_;
  std::vector<Gathering> gathering_tx_;
  std::vector<Relay> relays_;
  std::map<std::string, std::string> foundations_;
  std::optional<PreviousSession> previous_;
  CheckList check_list_;
  ConsentFreshness consent_;  // on active_path()

  Timestamp started_checking_ = Timestamp::never();
  std::size_t streams_pending_ = 0;  // kConnectServer asked, no answer yet
  std::uint64_t prflx_count_ = 0;

  TransmitQueue out_;
  std::deque<Event> events_;
};

}  // namespace peerkit::ice
