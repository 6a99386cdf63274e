// RTCDataChannel semantics over one SCTP association (RFC 8831, RFC 8832): in-band channels
// opened with DCEP and negotiated ones (same id on both sides, no DCEP), ids by DTLS role
// (client even, server odd, RFC 8832 §6), ordered/unordered, maxRetransmits and
// maxPacketLifeTime, string/binary/empty messages (PPIDs 51/53/56/57), bufferedAmount with a
// low-threshold event, and close by resetting the stream both ways (RFC 8831 §6.7). A sans-IO
// layer: the caller feeds it the association's events and polls channel events.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/expected.h"
#include "sctp/association.h"
#include "sctp/dcep.h"

namespace peerkit::sctp {

struct DataChannelInit {
  std::string label;
  std::string protocol;
  bool ordered = true;
  std::optional<std::uint16_t> max_retransmits;
  std::optional<std::uint16_t> max_packet_life_time;  // milliseconds
  std::optional<std::uint16_t> negotiated_id;         // negotiated: true, id: N
  std::uint16_t priority = 256;
};

enum class ChannelState { kConnecting, kOpen, kClosing, kClosed };

struct ChannelInfo {
  std::uint16_t id = 0;
  std::string label;
  std::string protocol;
  bool ordered = true;
  std::optional<std::uint16_t> max_retransmits;
  std::optional<std::uint16_t> max_packet_life_time;
  bool negotiated = false;
  ChannelState state = ChannelState::kConnecting;
};

struct ChannelOpenEvent { std::uint16_t id; };
struct IncomingChannelEvent { std::uint16_t id; };  // the peer opened it (ondatachannel)
struct ChannelMessageEvent {
  std::uint16_t id;
  bool binary;
  std::vector<std::byte> data;
};
struct BufferedAmountLowEvent { std::uint16_t id; };
struct ChannelClosedEvent { std::uint16_t id; };
using DataChannelEvent = std::variant<ChannelOpenEvent, IncomingChannelEvent, ChannelMessageEvent,
                                      BufferedAmountLowEvent, ChannelClosedEvent>;

class DataChannels {
 public:
  // `dtls_client`: our DTLS role (picks id parity). `max_message_size`: what we may send, from
  // sdp::sendable_message_size (0: any size).
  DataChannels(Association& association, bool dtls_client, std::uint64_t max_message_size);

  Expected<std::uint16_t, std::string> create(Timestamp now, const DataChannelInit& init);
  std::optional<std::string> send(Timestamp now, std::uint16_t id, ByteSpan data, bool binary);
  void close(std::uint16_t id);
  std::size_t buffered_amount(std::uint16_t id) const;
  void set_buffered_amount_low_threshold(std::uint16_t id, std::size_t threshold);

  // Every event the association produced, in order.
  void handle(Timestamp now, AssociationEvent event);
  std::optional<DataChannelEvent> poll_event();

  const ChannelInfo* channel(std::uint16_t id) const;
  std::size_t channel_count() const { return channels_.size(); }
  std::uint64_t dropped_messages() const { return dropped_; }

 private:
  struct Channel {
    ChannelInfo info;
    bool acked = false;            // DCEP ACK seen (or not needed)
    bool open_sent = false;
    bool outgoing_reset = false;   // our side of the close done
    bool incoming_reset = false;   // the peer's side done
    std::size_t low_threshold = 0;
    bool above_threshold = false;
  };

  void send_open(Timestamp now, Channel& c);
  void on_message(Timestamp now, ReceivedMessage m);
  void on_incoming_reset(const std::vector<std::uint16_t>& streams);
  void on_outgoing_reset(const std::vector<std::uint16_t>& streams);
  void maybe_closed(Channel& c);
  SendOptions options_for(const Channel& c) const;
  std::optional<std::uint16_t> free_id() const;

  Association& association_;
  bool dtls_client_;
  std::uint64_t max_message_size_;
  bool connected_ = false;
  std::unordered_map<std::uint16_t, Channel> channels_;
  std::deque<DataChannelEvent> events_;
  std::uint64_t dropped_ = 0;
};

}  // namespace peerkit::sctp
