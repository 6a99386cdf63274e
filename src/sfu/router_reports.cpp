// Router: RTCP reports (RFC 3550 §6.4) — receiver reports to publishers, sender reports to
// subscribers, and the RTT from the blocks subscribers send back (sfu/sender_reports.h).
#include <algorithm>
#include <map>
#include <vector>

#include "rtp/rtcp.h"
#include "sfu/router.h"
#include "sfu/router_internal.h"

namespace peerkit::sfu {
namespace {

// Packets per compound: 16 SRs (28 bytes each) or one RR of 31 blocks (752 bytes) stay far
// below a datagram after SRTCP's overhead.
constexpr std::size_t kSendersPerCompound = 16;
constexpr std::size_t kBlocksPerReport = 31;  // the 5-bit count (§6.4.1)

}  // namespace

void Router::send_reports(Timestamp now) {
  std::array<std::byte, 1200> buf{};
  auto send = [&](ParticipantId to, std::span<const rtp::RtcpPacket> packets) {
    auto n = rtp::build_compound(packets, buf);
    if (n) push(to, true, std::span(buf).first(*n));
    return n.has_value();
  };

  // As a receiver: one block per publisher layer that has sent, in RRs from our RTCP SSRC.
  std::map<ParticipantId, std::vector<rtp::ReportBlock>> blocks;
  for (auto& [id, t] : tracks_)
    for (std::size_t l = 0; l < kMaxLayers; ++l)
      if (t->receive[l] && t->receive[l]->has_packets() && t->layer_ssrc[l])
        blocks[t->params.publisher].push_back(t->receive[l]->report_block(*t->layer_ssrc[l], now));
  for (auto& [publisher, all] : blocks)
    for (std::size_t i = 0; i < all.size(); i += kBlocksPerReport) {
      rtp::ReceiverReport rr;
      rr.ssrc = config_.rtcp_ssrc;
      const std::size_t end = std::min(all.size(), i + kBlocksPerReport);
      rr.reports.assign(all.begin() + static_cast<std::ptrdiff_t>(i),
                        all.begin() + static_cast<std::ptrdiff_t>(end));
      std::array<rtp::RtcpPacket, 1> p{std::move(rr)};
      if (send(publisher, p)) ++stats_.receiver_reports_sent;
    }

  // As a sender: one SR per stream that has forwarded media and whose layer's publisher has
  // given its clock.
  std::map<ParticipantId, std::vector<rtp::RtcpPacket>> reports;
  for (auto& [id, s] : subscriptions_) {
    const auto layer = s->stream.current_layer();
    auto t = tracks_.find(s->track);
    if (!layer || s->sent.packets == 0 || t == tracks_.end()) continue;
    const auto& r = t->second->receive[static_cast<std::size_t>(*layer)];
    if (!r || !r->sender_clock()) continue;
    auto sr = sender_report(s->params.ssrc, *r->sender_clock(), t->second->params.clock_rate,
                            s->stream.timestamp_offset(), s->sent, now);
    s->reports.on_sent(sr, now);
    reports[s->subscriber].push_back(std::move(sr));
  }
  for (auto& [subscriber, all] : reports)
    for (std::size_t i = 0; i < all.size(); i += kSendersPerCompound) {
      const std::size_t end = std::min(all.size(), i + kSendersPerCompound);
      if (send(subscriber, std::span(all).subspan(i, end - i)))
        stats_.sender_reports_sent += end - i;
    }
}

void Router::on_sender_report(Timestamp now, ParticipantId from, const rtp::SenderReport& sr) {
  auto it = ssrc_index_.find({from, sr.ssrc});
  if (it == ssrc_index_.end()) return;  // not a bound layer (RTX, or not yet seen)
  auto t = tracks_.find(it->second.first);
  if (t == tracks_.end()) return;
  if (auto& r = t->second->receive[static_cast<std::size_t>(it->second.second)])
    r->on_sender_report(sr.ntp_time, sr.rtp_time, now);
}

void Router::on_report_block(Timestamp now, ParticipantId from, const rtp::ReportBlock& b) {
  auto it = by_subscriber_ssrc_.find({from, b.ssrc});
  if (it == by_subscriber_ssrc_.end()) return;
  Subscription& s = *subscriptions_.at(it->second);
  s.last_report = b;
  if (auto sample = s.reports.round_trip(b, now)) {
    rtt_[from].add(*sample);
    ++stats_.rtt_samples;
  }
}

std::optional<Duration> Router::rtt(ParticipantId subscriber) const {
  auto it = rtt_.find(subscriber);
  return it == rtt_.end() ? std::nullopt : it->second.value();
}

const rtp::ReportBlock* Router::last_report(SubscriptionId id) const {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end() || !it->second->last_report) return nullptr;
  return &*it->second->last_report;
}

}  // namespace peerkit::sfu
