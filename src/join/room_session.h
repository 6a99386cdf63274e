// The rooms protocol (docs/protocol-rooms.md) as the web app speaks it (web/app.js,
// web/peer.js, web/signaling.js), sans-IO: server frames in, what to do out. `peerkit join`
// drives it with a WebSocket and one PeerConnection per member; tests drive it with strings.
//
// The app's rules, kept here so a browser cannot tell `peerkit join` from another browser:
//  - the member who joins later offers: on `joined` we offer to every member listed; members who
//    join after us (`member-joined`) offer to us, and we answer;
//  - a signal from a member we have no link to makes a link that answers (app.js: '…' name);
//  - `data` is {"sdp":{type,sdp}} or {"candidate":{candidate,sdpMid,sdpMLineIndex}|null};
//  - chat is {"text":…} on the negotiated channel 'chat' (id 0), cut at 2000 characters when
//    received; files are web/files.js on 'file' (id 1): see file_transfer.h;
//  - in an SFU room (joined.mode or room-mode "sfu") there are no member-to-member connections:
//    the links close, and chat is a signal {"chat":…} to every member.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace peerkit::join {

struct IceServerEntry {
  std::string url;  // one URL of an RTCIceServer's `urls`
  std::string username, credential;
};

// A signal's `data`, as web/peer.js sends and reads it.
struct Signal {
  enum class Kind { kDescription, kCandidate, kEndOfCandidates } kind = Kind::kDescription;
  std::string type, sdp;           // kDescription: "offer" / "answer", the SDP
  std::string candidate, sdp_mid;  // kCandidate
  std::optional<unsigned> sdp_mline_index;
};
// The JSON text of a signal's `data`; nullopt if `data` is none of the shapes above.
std::string signal_data(const Signal& s);
std::optional<Signal> parse_signal_data(std::string_view json_text);

// Chat frames on the 'chat' channel.
std::string chat_frame(std::string_view text);
// The text of a chat frame (cut at 2000 characters, as app.js shows it), or nullopt.
std::optional<std::string> parse_chat_frame(std::string_view frame);

// The index of the m-section whose a=mid is `mid` in `sdp` (RTCIceCandidate.sdpMLineIndex).
std::optional<unsigned> mline_index(std::string_view sdp, std::string_view mid);

struct Member {
  std::string id, name;
};

struct RoomEvent {
  enum class Kind {
    kSend,        // text: a frame for the server
    kWelcome,     // ice_servers: the server's list (we join next: a kSend follows)
    kJoined,      // members: who was there (kOpenPeer follows for each)
    kOpenPeer,    // member, offer: make a PeerConnection to `member`; offer if `offer`
    kMemberLeft,  // member (name '…' if unknown), reason "left" / "disconnected"
    kSignal,      // member, signal: for that member's PeerConnection
    kFatal,       // code, text: the room cannot be joined (room-full, bad-name, …); stop
    kNotice,      // code, text: the server refused a message; go on
    kLeft,        // the server confirmed our leave
    kSfu,         // the room is an SFU room (now or from the start): close every link
    kMemberJoined,  // member: joined an SFU room (no link to make)
    kChat,        // member, text: chat over the rooms protocol (SFU rooms)
  } kind;
  std::string text, code, reason;
  Member member;
  bool offer = false;
  std::vector<Member> members;
  std::vector<IceServerEntry> ice_servers;
  Signal signal;
};

class RoomSession {
 public:
  RoomSession(std::string room, std::string name)
      : room_(std::move(room)), name_(std::move(name)) {}

  // One text frame from the server; what it means comes out of take_events().
  void on_server_frame(std::string_view text);
  // A signal for `to` (kSend out).
  void send_signal(const std::string& to, const Signal& s);
  // Leave the room (kSend out); the server answers with `left`.
  void leave();
  // SFU rooms: chat to one member, or to everyone (kSend out per member); false if nobody.
  void send_chat(const std::string& to, std::string_view text);
  bool send_chat_all(std::string_view text);
  bool sfu() const { return sfu_; }

  std::vector<RoomEvent> take_events() { return std::exchange(events_, {}); }
  bool joined() const { return joined_; }
  const std::string& self_id() const { return self_id_; }
  // The display name of a member in the room ('…' when unknown, as app.js shows it).
  std::string name_of(const std::string& id) const;
  const std::map<std::string, std::string>& members() const { return names_; }

 private:
  void send(std::string text) { events_.push_back({RoomEvent::Kind::kSend, std::move(text)}); }
  std::string room_, name_, self_id_;
  bool joined_ = false;
  bool sfu_ = false;
  std::map<std::string, std::string> names_;  // member id → name
  std::vector<RoomEvent> events_;
};

}  // namespace peerkit::join
