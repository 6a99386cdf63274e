#include "sfu/conference.h"

#include <algorithm>
#include <set>

#include "sdp/media_answer.h"
#include "sdp/sfu_offer.h"
#include "sdp/webrtc_params.h"

namespace peerkit::sfu {

namespace {

// RTCP feedback the SFU handles on its forwarded streams: NACK → RTX from history, keyframe
// requests merged toward the publisher, transport-wide CC for the per-subscriber estimate.
const std::vector<std::string> kVideoFeedback = {"nack", "nack pli", "ccm fir", "transport-cc"};
const std::vector<std::string> kAudioFeedback = {"transport-cc"};

// The RTX type (RFC 4588 §8.1) of a subscriber's video section. The SFU repairs from its own
// history and probes with RTX padding, so it offers RTX even when the publisher sent none (a
// native publisher): without it that subscriber could never be probed past its start estimate.
// The publisher's type is kept when it has one; otherwise the lowest dynamic type (RFC 3551 §3)
// that no other section of this connection uses — a type meaning two things in one BUNDLE
// group is a codec collision (RFC 8843 §9.1), which Chrome refuses.
template <typename Sections>
std::optional<std::uint8_t> subscriber_rtx_pt(const sdp::AcceptedMedia& media, const Sections& sections) {
  if (media.kind != "video") return std::nullopt;
  std::set<int> used{media.codec.pt};
  for (const auto& s : sections) {
    if (!s.track.active) continue;
    used.insert(s.track.codec.pt);
    if (s.track.rtx_pt && s.track.codec.pt != media.codec.pt) used.insert(*s.track.rtx_pt);
  }
  if (media.rtx_pt && !used.contains(*media.rtx_pt)) return media.rtx_pt;  // the publisher's own
  for (const auto& s : sections)  // the type an earlier section repairing the same codec took
    if (s.track.active && s.track.rtx_pt && s.track.codec.pt == media.codec.pt) return s.track.rtx_pt;
  for (int pt = 96; pt <= 127; ++pt)
    if (!used.contains(pt)) return static_cast<std::uint8_t>(pt);
  return std::nullopt;
}

}  // namespace

std::vector<dtls::Fingerprint> dtls_fingerprints(const sdp::DtlsParameters& d) {
  std::vector<dtls::Fingerprint> out;
  for (const auto& f : d.fingerprints) out.push_back(dtls::Fingerprint{f.algorithm, f.digest});
  return out;
}

rtp::ExtensionMap extension_map(const std::vector<sdp::Extension>& extensions) {
  rtp::ExtensionMap m;
  for (const auto& x : extensions) (void)m.add(x.id, x.uri);
  return m;
}

TrackParams track_params(const sdp::AcceptedMedia& media, ParticipantId publisher) {
  TrackParams t;
  t.publisher = publisher;
  t.codec = media.kind == "audio" ? Codec::kOpus : Codec::kVp8;
  t.clock_rate = media.codec.clock_rate;
  t.mid = media.mid;
  t.rids = media.rids;
  t.extensions = extension_map(media.extensions);
  t.rtx_payload_type = media.rtx_pt;
  // build_sfu_answer echoes the offer's "nack" (sdp::SfuAnswerOptions::rtcp_fb).
  t.nack = media.kind == "video" &&
           std::find(media.codec.rtcp_fb.begin(), media.codec.rtcp_fb.end(), "nack") != media.codec.rtcp_fb.end();
  return t;
}

struct Conference::Section {
  sdp::ForwardedTrack track;  // as offered; track.active false: an ended track's slot
  std::string source;         // the publishing member
  TrackId source_track;
  std::size_t layers = 1;  // the source's simulcast layers
  std::optional<SubscriptionId> subscription;
};

struct Conference::Published {
  sdp::AcceptedMedia media;
  TrackId track;
  bool screen = false;
};

struct Conference::Member {
  std::string id, room;
  std::uint32_t index = 0;  // participants 2·index (publish) and 2·index+1 (subscribe)
  std::uint64_t session_id = 0;
  std::string publish_ufrag, publish_pwd, subscribe_ufrag, subscribe_pwd;
  int top_height = 0;
  std::vector<Published> tracks;

  std::vector<Section> sections;
  sdp::ExtensionIds extension_ids;
  std::uint64_t subscribe_version = 1;
  bool subscribe_added = false;  // the worker has the subscribe connection (first answer)
  dtls::Role subscribe_role = dtls::Role::kServer;
  bool offer_out = false;  // an offer waits for its answer
  bool dirty = false;      // the room's tracks changed since the offer out was made
  std::uint32_t next_mid = 0;
  std::uint32_t connection = 1;
  std::set<std::uint32_t> ssrcs;

  std::optional<int> default_max_height;
  std::map<std::string, int> max_height;

  ParticipantId publish_id() const { return {2 * index}; }
  ParticipantId subscribe_id() const { return {2 * index + 1}; }
};

Conference::Conference(Worker& worker, std::shared_ptr<const dtls::Certificate> certificate,
                       RandomSource& random, Config config)
    : worker_(worker),
      certificate_(std::move(certificate)),
      random_(random),
      config_(std::move(config)) {}

Conference::~Conference() = default;

std::size_t Conference::rooms() const {
  std::set<std::string_view> names;
  for (const auto& [id, m] : members_) names.insert(m->room);
  return names.size();
}

Conference::Member* Conference::find(const std::string& member) {
  auto it = members_.find(member);
  return it == members_.end() ? nullptr : it->second.get();
}

std::string Conference::random_token(std::size_t length) {
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out;
  for (std::size_t i = 0; i < length; ++i)
    out += kAlphabet[random_.uniform(static_cast<std::uint32_t>(kAlphabet.size()))];
  return out;
}

sdp::LocalParameters Conference::local(const Member& m, bool publish) const {
  sdp::LocalParameters l;
  l.ice_ufrag = publish ? m.publish_ufrag : m.subscribe_ufrag;
  l.ice_pwd = publish ? m.publish_pwd : m.subscribe_pwd;
  const auto fp = certificate_->fingerprint();
  l.fingerprint.algorithm = fp.algorithm;
  l.fingerprint.digest = fp.digest;
  l.session_id = publish ? m.session_id : m.session_id + 1;
  l.session_version = publish ? 2 : m.subscribe_version;
  return l;
}

std::string Conference::join(const std::string& room, const std::string& member) {
  if (members_.contains(member)) return "already in an SFU room";
  if (members_.size() >= config_.max_members) return "this SFU worker is full";
  // Participant ids are 2·index and 2·index+1: never let them wrap onto a live member.
  if (next_index_ >= (1u << 31) - 1) return "this SFU worker has run out of participant ids";
  auto m = std::make_unique<Member>();
  m->id = member;
  m->room = room;
  m->index = next_index_++;
  m->connection = next_connection_++;
  // RFC 8445 §5.3: ufrag ≥ 24 bits and pwd ≥ 128 bits of randomness; 62 symbols each.
  m->publish_ufrag = random_token(8);
  m->publish_pwd = random_token(24);
  m->subscribe_ufrag = random_token(8);
  m->subscribe_pwd = random_token(24);
  m->session_id = ((std::uint64_t{random_.next_u32()} << 31) | random_.next_u32()) & ~1ull;
  Member& joined = *m;
  members_.emplace(member, std::move(m));
  offer(joined);  // what the room already publishes
  return "";
}

std::uint32_t Conference::group_of(const std::string& room) {
  auto [it, added] = room_groups_.try_emplace(room, next_group_);
  if (added) ++next_group_;
  return it->second;
}

void Conference::leave(const std::string& member) {
  auto it = members_.find(member);
  if (it == members_.end()) return;
  Member& m = *it->second;
  // The router drops the member's tracks and every subscription to them.
  worker_.remove_participant(m.publish_id());
  worker_.remove_participant(m.subscribe_id());
  const std::string room = m.room;
  members_.erase(it);
  if (std::none_of(members_.begin(), members_.end(), [&](const auto& kv) { return kv.second->room == room; }))
    room_groups_.erase(room);
  for (auto& [id, other] : members_)
    for (auto& s : other->sections)
      if (s.source == member) s.subscription.reset();
  touch_room(room, nullptr);
}

Expected<std::string, std::string> Conference::publish(const std::string& member,
                                                       std::string_view offer_text,
                                                       int top_height,
                                                       std::string_view screen_mid) {
  using Error = Unexpected<std::string>;
  Member* m = find(member);
  if (!m) return Error("not in an SFU room");
  if (!m->tracks.empty())  // every accepted publish has a track (build_sfu_answer: ≥ 1 section)
    return Error("already publishing (renegotiating a publish is not supported)");
  auto offer = sdp::parse(offer_text);
  if (!offer) return Error("the offer does not parse as SDP");
  sdp::SfuAnswerOptions options;
  options.candidates = config_.candidates;
  auto answer = sdp::build_sfu_answer(*offer, local(*m, true), options);
  if (!answer) return Error(answer.error());
  if (answer->media.size() > config_.max_published_tracks)
    return Error("at most " + std::to_string(config_.max_published_tracks) +
                 " audio/video sections may be published");
  const dtls::Role role =
      answer->local_setup == sdp::Setup::kPassive ? dtls::Role::kServer : dtls::Role::kClient;
  if (!worker_.add_participant(m->publish_id(), {m->publish_ufrag, m->publish_pwd,
                                                 dtls_fingerprints(answer->remote_dtls), role}))
    return Error("the SFU worker refused the connection");
  for (const auto& media : answer->media) {
    TrackParams params = track_params(media, m->publish_id());
    params.group = group_of(m->room);
    auto track = worker_.router().add_track(std::move(params));
    if (!track) {
      worker_.remove_participant(m->publish_id());  // its tracks go with it
      m->tracks.clear();
      return Error("the SFU worker holds its maximum number of tracks");
    }
    m->tracks.push_back({media, *track, !screen_mid.empty() && media.mid == screen_mid});
  }
  m->top_height = top_height > 0 ? top_height : config_.default_top_height;
  touch_room(m->room, m);
  return answer->description.to_string();
}

void Conference::touch_room(const std::string& room, const Member* except) {
  for (auto& [id, other] : members_) {
    if (other->room != room || other.get() == except) continue;
    if (other->offer_out)
      other->dirty = true;
    else
      offer(*other);
  }
}

// Brings the member's sections in line with what the others of its room publish and, when
// that changed anything, sends the next subscribe offer.
void Conference::offer(Member& m) {
  std::set<std::uint32_t> wanted;  // source track ids
  for (const auto& [id, other] : members_)
    if (other->room == m.room && other.get() != &m)
      for (const auto& t : other->tracks) wanted.insert(t.track.value);
  bool changed = false;
  std::vector<std::size_t> reusable;
  for (std::size_t i = 0; i < m.sections.size(); ++i) {
    Section& s = m.sections[i];
    if (!s.track.active) {
      reusable.push_back(i);  // ended in an earlier offer that was answered
    } else if (!wanted.erase(s.source_track.value)) {
      if (s.subscription) worker_.router().unsubscribe(*s.subscription);
      s.subscription.reset();
      s.track.active = false;
      changed = true;
    }
  }
  std::size_t reuse = 0;
  for (const auto& [id, other] : members_) {
    if (other->room != m.room || other.get() == &m) continue;
    for (const auto& t : other->tracks) {
      if (!wanted.contains(t.track.value)) continue;
      Section s;
      s.source = other->id;
      s.source_track = t.track;
      s.layers = std::max<std::size_t>(1, t.media.rids.size());
      auto& f = s.track;
      f.mid = std::to_string(m.next_mid++);
      f.kind = t.media.kind;
      f.codec = t.media.codec;
      f.codec.rtcp_fb = f.kind == "audio" ? kAudioFeedback : kVideoFeedback;
      f.rtx_pt = subscriber_rtx_pt(t.media, m.sections);
      for (std::uint32_t* ssrc : {&f.ssrc, &f.rtx_ssrc}) {
        do *ssrc = random_.next_u32();
        while (*ssrc == 0 || !m.ssrcs.insert(*ssrc).second);
      }
      if (!f.rtx_pt) f.rtx_ssrc = 0;
      // a=msid: the app finds the member's tile by it, and tells a shared screen apart.
      f.stream_id = t.screen ? other->id + "~screen" : other->id;
      f.track_id = other->id + '-' + t.media.mid;
      if (reuse < reusable.size()) {
        Section& slot = m.sections[reusable[reuse++]];
        m.ssrcs.erase(slot.track.ssrc);  // the ended track's SSRCs go with it
        m.ssrcs.erase(slot.track.rtx_ssrc);
        slot = std::move(s);
      } else
        m.sections.push_back(std::move(s));
      changed = true;
    }
  }
  m.dirty = false;
  const bool any_active = std::any_of(m.sections.begin(), m.sections.end(),
                                      [](const Section& s) { return s.track.active; });
  if (!changed) return;
  if (!any_active) {
    close_subscribe(m);
    return;
  }
  std::vector<sdp::ForwardedTrack> tracks;
  for (const auto& s : m.sections) tracks.push_back(s.track);
  sdp::SfuOfferOptions options;
  options.candidates = config_.candidates;
  // Once DTLS is up, a re-offer names the role the member already has (sfu_offer.h).
  if (m.subscribe_added)
    options.setup = m.subscribe_role == dtls::Role::kServer ? sdp::Setup::kPassive
                                                             : sdp::Setup::kActive;
  ++m.subscribe_version;
  auto description = sdp::build_sfu_offer(tracks, local(m, false), m.extension_ids, options);
  if (!description) return;  // out of extension ids: the room keeps what it had
  m.offer_out = true;
  messages_.push_back({m.id, "sfu-subscribe-offer", description->to_string(), m.connection});
}

void Conference::close_subscribe(Member& m) {
  const bool existed = m.subscribe_added || m.offer_out;
  worker_.remove_participant(m.subscribe_id());
  m.sections.clear();
  m.ssrcs.clear();
  m.extension_ids = sdp::ExtensionIds();
  m.subscribe_added = false;
  m.offer_out = false;
  m.dirty = false;
  m.subscribe_version = 1;
  m.subscribe_ufrag = random_token(8);
  m.subscribe_pwd = random_token(24);
  if (existed) messages_.push_back({m.id, "sfu-subscribe-close", "", m.connection});
  m.connection = next_connection_++;
}

std::string Conference::subscribe_answer(const std::string& member, std::uint32_t connection,
                                         std::string_view text) {
  Member* m = find(member);
  if (!m) return "not in an SFU room";
  if (!m->offer_out || connection != m->connection)
    return "no subscribe offer of connection " + std::to_string(connection) +
           " is waiting for an answer";
  // An answer to the current offer that cannot be used would leave the member waiting for
  // ever: the connection starts again, with a fresh offer (RFC 8829 §5.5 has no way back).
  auto restart = [&](std::string why) {
    close_subscribe(*m);
    offer(*m);
    return why + "; the subscribe connection starts again";
  };
  auto answer = sdp::parse(text);
  if (!answer || answer->media.empty()) return restart("the answer does not parse as SDP");
  if (answer->media.size() != m->sections.size())
    return restart("the answer has " + std::to_string(answer->media.size()) +
                   " media sections, the offer " + std::to_string(m->sections.size()));
  if (!m->subscribe_added) {
    auto dtls = sdp::dtls_parameters(*answer, answer->media.front());
    if (!dtls) return restart(dtls.error());
    // Our actpass is answered active (we are the DTLS server) or passive.
    m->subscribe_role =
        dtls->setup == sdp::Setup::kPassive ? dtls::Role::kClient : dtls::Role::kServer;
    if (!worker_.add_participant(m->subscribe_id(), {m->subscribe_ufrag, m->subscribe_pwd,
                                                     dtls_fingerprints(*dtls), m->subscribe_role}))
      return restart("the SFU worker refused the connection");
    m->subscribe_added = true;
  }
  const auto answered_sections = sdp::parse_media_sections(*answer);
  for (std::size_t i = 0; i < m->sections.size(); ++i) {
    Section& s = m->sections[i];
    if (!s.track.active || s.subscription) continue;
    const auto& f = s.track;
    SubscriberParams p;
    p.ssrc = f.ssrc;
    p.payload_type = f.codec.pt;
    // RFC 8285 §6: an extension the answer left out of its section is not sent. A native
    // subscriber keeps the mid and transport-cc; one without transport-cc gets no send history
    // and no estimate (and the layer it asked for, as a browser without feedback would).
    const sdp::MediaDescription* answered = nullptr;
    if (answered_sections)
      for (const auto& a : *answered_sections)
        if (a.mid == f.mid) answered = &a;
    // RTX only when the answer kept it (RFC 4588 §8.1): an answerer that cannot unwrap it gets
    // its retransmissions plain, and no padding probes.
    if (f.rtx_pt && (!answered || answered->rtx_for(f.codec.pt) != nullptr)) {
      p.rtx_ssrc = f.rtx_ssrc;
      p.rtx_payload_type = *f.rtx_pt;
    }
    for (const auto& uri : f.kind == "audio" ? sdp::SfuOfferOptions{}.audio_extensions
                                              : sdp::SfuOfferOptions{}.video_extensions)
      if (auto id = m->extension_ids.find(uri); id && (!answered || answered->extension_id(uri)))
        (void)p.extensions.add(*id, uri);
    p.mid = f.mid;
    const OutboundStream::Config seeds{f.codec.clock_rate,
                                       static_cast<std::uint16_t>(random_.next_u32()),
                                       random_.next_u32(),
                                       static_cast<std::uint16_t>(random_.next_u32() & 0x7fff),
                                       static_cast<std::uint8_t>(random_.next_u32())};
    const std::optional<int> layer =
        f.kind == "video" ? std::optional<int>(wanted_layer(*m, s)) : std::optional<int>(0);
    auto sub = worker_.router().subscribe(m->subscribe_id(), s.source_track, p, layer, seeds,
                                          static_cast<std::uint16_t>(random_.next_u32()));
    // A source that left after the offer was made: the next offer ends its section.
    if (sub) s.subscription = *sub;
  }
  m->offer_out = false;
  if (m->dirty) offer(*m);
  return "";
}

int Conference::wanted_layer(const Member& m, const Section& s) const {
  std::optional<int> max = m.default_max_height;
  if (auto it = m.max_height.find(s.source); it != m.max_height.end()) max = it->second;
  const int top = static_cast<int>(s.layers) - 1;
  if (!max) return top;
  int height = config_.default_top_height;
  if (auto it = members_.find(s.source); it != members_.end()) height = it->second->top_height;
  // Simulcast layers halve the height each step down (Chrome's scaleResolutionDownBy 4, 2, 1).
  for (int layer = top; layer > 0; --layer, height /= 2)
    if (height <= *max) return layer;
  return 0;
}

void Conference::constrain(const std::string& member, std::optional<int> default_max_height,
                           std::map<std::string, int> per_source) {
  Member* m = find(member);
  if (!m) return;
  m->default_max_height = default_max_height;
  m->max_height = std::move(per_source);
  for (const auto& s : m->sections)
    if (s.subscription && s.track.kind == "video")
      worker_.router().set_layer(*s.subscription, wanted_layer(*m, s));
}

std::optional<Conference::Message> Conference::poll_message() {
  if (messages_.empty()) return std::nullopt;
  Message out = std::move(messages_.front());
  messages_.pop_front();
  return out;
}

std::optional<Conference::MemberInfo> Conference::info(const std::string& member) const {
  auto it = members_.find(member);
  if (it == members_.end()) return std::nullopt;
  const Member& m = *it->second;
  MemberInfo out;
  out.publish_connected = worker_.connected(m.publish_id());
  out.subscribe_connected = worker_.connected(m.subscribe_id());
  // The estimate once the subscriber's transport-wide feedback came (before, it is only the
  // start value of a connection that numbers its packets).
  if (const auto* b = worker_.router().bandwidth(m.subscribe_id()); b && b->reported() > 0) {
    out.estimate_bps = static_cast<std::uint64_t>(b->estimate_bps());
    out.loss = b->loss_fraction();
  }
  out.rtt = worker_.router().rtt(m.subscribe_id());
  for (const auto& s : m.sections) {
    if (!s.subscription) continue;
    const auto* stream = worker_.router().stream(*s.subscription);
    const auto* report = worker_.router().last_report(*s.subscription);
    const auto* params = worker_.router().subscriber_params(*s.subscription);
    out.subscriptions.push_back(
        {s.source, s.track.kind, stream ? stream->current_layer() : std::nullopt,
         report ? std::optional<double>(report->fraction_lost / 256.0) : std::nullopt,
         params != nullptr && params->rtx_ssrc != 0});
  }
  return out;
}

}  // namespace peerkit::sfu
