// The negotiation half of an SFU worker (issue 11), sans-IO: the rooms pinned to one
// sfu::Worker, each member with two connections on the worker's port —
//
//   publish    the member's offer (its camera, microphone, screen), answered by
//              sdp::build_sfu_answer; every accepted section becomes a Router track;
//   subscribe  the SFU's offer (sdp::build_sfu_offer) of every track the other members of the
//              room publish, re-offered whenever that set changes; the member's answer makes
//              the Router subscriptions.
//
// One subscribe offer is outstanding per member at a time: changes while it is out are folded
// into the next offer, made when the answer arrives (JSEP §5.2: no glare, since the SFU is the
// only offerer on that connection). Sections are never removed: a track that ended keeps its
// place with port 0 and a later track reuses it under a new mid (RFC 8829 §5.2.2).
//
// What to send to members comes out of poll_message(); the caller (serve's SFU host) carries it
// over the rooms protocol. Every call on the worker's loop thread; the caller pumps the worker's
// driver afterwards.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "common/random.h"
#include "dtls/certificate.h"
#include "sdp/answer.h"
#include "sdp/media_answer.h"
#include "sfu/worker.h"

namespace peerkit::sfu {

// The pieces of an SDP exchange the worker and router take, shared with the SFU test tools:
// a Router track for a publish section build_sfu_answer accepted, the peer's fingerprints for
// dtls::Transport, and an extmap as rtp::ExtensionMap.
TrackParams track_params(const sdp::AcceptedMedia& media, ParticipantId publisher);
std::vector<dtls::Fingerprint> dtls_fingerprints(const sdp::DtlsParameters& d);
rtp::ExtensionMap extension_map(const std::vector<sdp::Extension>& extensions);

class Conference {
 public:
  struct Config {
    std::vector<std::string> candidates;  // a=candidate values of the worker's port
    std::size_t max_members = 500;        // on this worker, every room together
    std::size_t max_published_tracks = 4;  // per member: camera, microphone, screen, one spare
    int default_top_height = 720;          // a publisher's top layer, when it does not say
  };
  struct Message {
    std::string member;
    // "sfu-subscribe-offer" (sdp), or "sfu-subscribe-close": nothing is left to forward, so the
    // subscribe connection is gone (a connection whose every section is rejected loses its
    // transport, RFC 8843 §7.3.3). A later offer with a new `connection` number starts afresh.
    std::string type;
    std::string sdp;
    std::uint32_t connection = 0;
  };
  struct SubscriptionInfo {
    std::string source;  // the publishing member
    std::string kind;    // audio, video
    std::optional<int> layer;  // the layer being forwarded; nullopt: paused
    std::optional<double> loss;  // 0–1, the member's latest receiver report on it
    bool rtx = false;  // retransmissions go as RTX (the answer kept it); false: plain, no probes
  };
  struct MemberInfo {
    bool publish_connected = false, subscribe_connected = false;
    std::optional<std::uint64_t> estimate_bps;  // the subscribe connection's send-side estimate
    double loss = 0;
    std::optional<Duration> rtt;  // the subscribe connection's, from its receiver reports
    std::vector<SubscriptionInfo> subscriptions;
  };

  Conference(Worker& worker, std::shared_ptr<const dtls::Certificate> certificate,
             RandomSource& random, Config config);
  ~Conference();
  Conference(const Conference&) = delete;
  Conference& operator=(const Conference&) = delete;

  // A member enters an SFU room. "" or why not (full, already in).
  std::string join(const std::string& room, const std::string& member);
  // Its connections and tracks go; the others of its room are re-offered.
  void leave(const std::string& member);
  // The member's publish offer → the SDP answer, or why not. `top_height`: the height of its
  // top simulcast layer (0: Config::default_top_height), which maps max-height constraints to
  // layers. `screen_mid`: the section that carries a shared screen (empty: none); subscribers
  // get it in a stream of its own, "<member>~screen", so they can show it apart.
  Expected<std::string, std::string> publish(const std::string& member, std::string_view offer,
                                             int top_height = 0, std::string_view screen_mid = {});
  // The member's answer to the last subscribe offer of `connection` (as the offer said). "" or
  // why not. An answer to the current offer that cannot be used (it does not parse, has the
  // wrong sections, …) closes that connection and offers a new one.
  std::string subscribe_answer(const std::string& member, std::uint32_t connection,
                               std::string_view answer);
  // Jitsi-style receiver constraints: the largest video height the member wants by default and
  // per source member. nullopt: no limit.
  void constrain(const std::string& member, std::optional<int> default_max_height,
                 std::map<std::string, int> per_source);

  std::optional<Message> poll_message();
  std::optional<MemberInfo> info(const std::string& member) const;
  std::size_t members() const { return members_.size(); }
  std::size_t rooms() const;

 private:
  struct Member;
  struct Section;
  struct Published;
  Member* find(const std::string& member);
  sdp::LocalParameters local(const Member& m, bool publish) const;
  void touch_room(const std::string& room, const Member* except);
  void offer(Member& m);
  void close_subscribe(Member& m);
  void apply_constraints(Member& m);
  int wanted_layer(const Member& m, const Section& s) const;
  std::string random_token(std::size_t length);

  Worker& worker_;
  std::shared_ptr<const dtls::Certificate> certificate_;
  RandomSource& random_;
  Config config_;
  std::map<std::string, std::unique_ptr<Member>> members_;
  // The router's group of each room with members (speakers are ranked per room).
  std::map<std::string, std::uint32_t> room_groups_;
  std::uint32_t next_group_ = 1;
  std::uint32_t group_of(const std::string& room);
  std::uint32_t next_index_ = 1;
  std::uint32_t next_connection_ = 1;  // across members: a rejoin never reuses a number
  std::deque<Message> messages_;
};

}  // namespace peerkit::sfu
