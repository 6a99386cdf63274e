#include "sctp/data_channels.h"

#include <algorithm>

namespace peerkit::sctp {

DataChannels::DataChannels(Association& association, bool dtls_client,
                           std::uint64_t max_message_size)
    : association_(association), dtls_client_(dtls_client), max_message_size_(max_message_size) {
  connected_ = association_.state() == AssociationState::kEstablished;
}

std::optional<std::uint16_t> DataChannels::free_id() const {
  // RFC 8832 §6: the DTLS client takes even stream ids, the server odd ones.
  for (std::uint32_t id = dtls_client_ ? 0 : 1; id < 65535; id += 2)
    if (!channels_.count(static_cast<std::uint16_t>(id))) return static_cast<std::uint16_t>(id);
  return std::nullopt;
}

Expected<std::uint16_t, std::string> DataChannels::create(Timestamp now, const DataChannelInit& init) {
  if (init.max_retransmits && init.max_packet_life_time)
    return Unexpected(std::string("TypeError: maxRetransmits and maxPacketLifeTime are exclusive"));
  if (init.label.size() > kMaxLabelBytes || init.protocol.size() > kMaxLabelBytes)
    return Unexpected(std::string("TypeError: label or protocol longer than 65535 bytes"));
  std::uint16_t id;
  if (init.negotiated_id) {
    id = *init.negotiated_id;
    if (id == 65535) return Unexpected(std::string("TypeError: id 65535 is reserved"));
    if (channels_.count(id)) return Unexpected("OperationError: id " + std::to_string(id) + " is in use");
  } else {
    const auto free = free_id();
    if (!free) return Unexpected(std::string("OperationError: no stream id left"));
    id = *free;
  }
  Channel c;
  c.info = ChannelInfo{id, init.label, init.protocol, init.ordered, init.max_retransmits,
                       init.max_packet_life_time, init.negotiated_id.has_value(),
                       ChannelState::kConnecting};
  c.acked = c.info.negotiated;
  auto& stored = channels_.emplace(id, std::move(c)).first->second;
  if (connected_) send_open(now, stored);
  return id;
}

void DataChannels::send_open(Timestamp now, Channel& c) {
  if (c.open_sent) return;
  c.open_sent = true;
  if (!c.info.negotiated) {
    DcepOpen o;
    const bool unordered = !c.info.ordered;
    if (c.info.max_retransmits) {
      o.type = unordered ? ChannelType::kPartialRexmitUnordered : ChannelType::kPartialRexmit;
      o.reliability = *c.info.max_retransmits;
    } else if (c.info.max_packet_life_time) {
      o.type = unordered ? ChannelType::kPartialTimedUnordered : ChannelType::kPartialTimed;
      o.reliability = *c.info.max_packet_life_time;
    } else {
      o.type = unordered ? ChannelType::kReliableUnordered : ChannelType::kReliable;
    }
    o.label = c.info.label;
    o.protocol = c.info.protocol;
    const auto bytes = encode_open(o);
    // RFC 8832 §6: the OPEN goes reliably and in order on the channel's own stream.
    (void)association_.send(now, c.info.id, kPpidDcep, bytes);
  }
  // Open once the OPEN is on its way (as browsers do); until the ACK, messages go ordered so
  // none overtakes the OPEN (RFC 8832 §6).
  c.info.state = ChannelState::kOpen;
  events_.emplace_back(ChannelOpenEvent{c.info.id});
}

SendOptions DataChannels::options_for(const Channel& c) const {
  SendOptions o;
  o.unordered = !c.info.ordered && c.acked;
  if (c.info.max_retransmits) o.max_retransmits = c.info.max_retransmits;
  if (c.info.max_packet_life_time) o.lifetime = Duration::millis(*c.info.max_packet_life_time);
  return o;
}

std::optional<std::string> DataChannels::send(Timestamp now, std::uint16_t id, ByteSpan data,
                                              bool binary) {
  const auto it = channels_.find(id);
  if (it == channels_.end()) return "InvalidStateError: no channel " + std::to_string(id);
  Channel& c = it->second;
  if (c.info.state != ChannelState::kOpen)
    return std::string("InvalidStateError: the channel is not open");
  if (max_message_size_ != 0 && data.size() > max_message_size_)
    return "TypeError: message of " + std::to_string(data.size()) +
           " bytes exceeds the peer's max-message-size " + std::to_string(max_message_size_);
  static constexpr std::byte kEmpty[1] = {std::byte{0}};  // RFC 8831 §6.6: one byte, PPID 56/57
  const bool empty = data.empty();
  const std::uint32_t ppid =
      empty ? (binary ? kPpidBinaryEmpty : kPpidStringEmpty) : (binary ? kPpidBinary : kPpidString);
  const auto err = association_.send(now, id, ppid, empty ? ByteSpan(kEmpty) : data, options_for(c));
  if (err) {
    switch (*err) {
      case Association::SendError::kBufferFull: return std::string("OperationError: send buffer full");
      case Association::SendError::kNotConnected: return std::string("InvalidStateError: not connected");
      case Association::SendError::kStreamResetting: return std::string("InvalidStateError: closing");
      default: return std::string("OperationError: cannot send");
    }
  }
  c.above_threshold = association_.buffered_amount(id) > c.low_threshold;
  return std::nullopt;
}

void DataChannels::close(std::uint16_t id) {
  const auto it = channels_.find(id);
  if (it == channels_.end()) return;
  Channel& c = it->second;
  if (c.info.state == ChannelState::kClosing || c.info.state == ChannelState::kClosed) return;
  c.info.state = ChannelState::kClosing;
  if (!connected_) {
    c.outgoing_reset = c.incoming_reset = true;
    maybe_closed(c);
    return;
  }
  const std::uint16_t streams[] = {id};
  association_.reset_streams(streams);
}

std::size_t DataChannels::buffered_amount(std::uint16_t id) const {
  return association_.buffered_amount(id);
}

void DataChannels::set_buffered_amount_low_threshold(std::uint16_t id, std::size_t threshold) {
  const auto it = channels_.find(id);
  if (it == channels_.end()) return;
  it->second.low_threshold = threshold;
  it->second.above_threshold = association_.buffered_amount(id) > threshold;
}

void DataChannels::handle(Timestamp now, AssociationEvent event) {
  if (std::holds_alternative<ConnectedEvent>(event)) {
    connected_ = true;
    std::vector<std::uint16_t> ids;
    for (const auto& [id, c] : channels_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());  // open in creation-independent, stable order
    for (const auto id : ids) send_open(now, channels_.at(id));
  } else if (auto* m = std::get_if<ReceivedMessage>(&event)) {
    on_message(now, std::move(*m));
  } else if (const auto* in = std::get_if<StreamsResetEvent>(&event)) {
    on_incoming_reset(in->streams);
  } else if (const auto* out = std::get_if<OutgoingResetDoneEvent>(&event)) {
    on_outgoing_reset(out->streams);
  } else if (std::holds_alternative<ClosedEvent>(event)) {
    connected_ = false;
    std::vector<std::uint16_t> ids;
    for (const auto& [id, c] : channels_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (const auto id : ids) events_.emplace_back(ChannelClosedEvent{id});
    channels_.clear();
  }
}

void DataChannels::on_message(Timestamp now, ReceivedMessage m) {
  auto it = channels_.find(m.stream);
  if (m.ppid == kPpidDcep) {
    if (is_ack(m.payload)) {
      if (it != channels_.end()) it->second.acked = true;
      return;
    }
    const auto open = decode_open(m.payload);
    if (!open) {
      ++dropped_;
      return;
    }
    // An OPEN on a stream of our parity, or on one in use, is refused by ignoring it.
    const bool ours = (m.stream % 2 == 0) == dtls_client_;
    if (it != channels_.end() || ours) {
      ++dropped_;
      return;
    }
    Channel c;
    c.info.id = m.stream;
    c.info.label = open->label;
    c.info.protocol = open->protocol;
    c.info.ordered = open->ordered();
    const auto kind = static_cast<std::uint8_t>(open->type) & 0x7f;
    if (kind == 0x01) c.info.max_retransmits = static_cast<std::uint16_t>(std::min<std::uint32_t>(open->reliability, 65535));
    if (kind == 0x02) c.info.max_packet_life_time = static_cast<std::uint16_t>(std::min<std::uint32_t>(open->reliability, 65535));
    c.info.state = ChannelState::kOpen;
    c.acked = true;
    c.open_sent = true;
    channels_.emplace(m.stream, std::move(c));
    (void)association_.send(now, m.stream, kPpidDcep, encode_ack());
    events_.emplace_back(IncomingChannelEvent{m.stream});
    return;
  }
  if (it == channels_.end() || it->second.info.state == ChannelState::kClosed) {
    ++dropped_;
    return;
  }
  it->second.acked = true;  // RFC 8832 §6: any message on the stream implies the ACK
  switch (m.ppid) {
    case kPpidString:
    case kPpidStringPartial:
      events_.emplace_back(ChannelMessageEvent{m.stream, false, std::move(m.payload)});
      return;
    case kPpidBinary:
    case kPpidBinaryPartial:
      events_.emplace_back(ChannelMessageEvent{m.stream, true, std::move(m.payload)});
      return;
    case kPpidStringEmpty:
      events_.emplace_back(ChannelMessageEvent{m.stream, false, {}});
      return;
    case kPpidBinaryEmpty:
      events_.emplace_back(ChannelMessageEvent{m.stream, true, {}});
      return;
    default:
      ++dropped_;
      return;
  }
}

void DataChannels::on_incoming_reset(const std::vector<std::uint16_t>& streams) {
  for (const auto s : streams) {
    const auto it = channels_.find(s);
    if (it == channels_.end()) continue;
    Channel& c = it->second;
    c.incoming_reset = true;
    if (c.info.state != ChannelState::kClosing) {
      // RFC 8831 §6.7: the peer closed; close our direction too.
      c.info.state = ChannelState::kClosing;
      const std::uint16_t one[] = {s};
      association_.reset_streams(one);
    }
    maybe_closed(c);
  }
}

void DataChannels::on_outgoing_reset(const std::vector<std::uint16_t>& streams) {
  for (const auto s : streams) {
    const auto it = channels_.find(s);
    if (it == channels_.end()) continue;
    it->second.outgoing_reset = true;
    maybe_closed(it->second);
  }
}

void DataChannels::maybe_closed(Channel& c) {
  if (!c.outgoing_reset || !c.incoming_reset) return;
  const std::uint16_t id = c.info.id;
  channels_.erase(id);  // the id may be reused from now on
  events_.emplace_back(ChannelClosedEvent{id});
}

std::optional<DataChannelEvent> DataChannels::poll_event() {
  // bufferedamountlow: fired when the amount falls to or below the threshold.
  for (auto& [id, c] : channels_) {
    if (!c.above_threshold) continue;
    if (association_.buffered_amount(id) <= c.low_threshold) {
      c.above_threshold = false;
      events_.emplace_back(BufferedAmountLowEvent{id});
    }
  }
  if (events_.empty()) return std::nullopt;
  DataChannelEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

const ChannelInfo* DataChannels::channel(std::uint16_t id) const {
  const auto it = channels_.find(id);
  return it == channels_.end() ? nullptr : &it->second.info;
}

}  // namespace peerkit::sctp
