// MediaSession's RTCP reports (RFC 3550 §6.4): what it writes once a second — sender reports
// for the SSRCs it sends, report blocks for the SSRCs it hears, a CNAME — and what it reads
// from the blocks that come back about its own streams.
#include <algorithm>

#include "peer/media_session.h"
#include "rtp/rtcp.h"
#include "rtp/rtcp_feedback.h"

namespace peerkit::peer {

std::optional<std::uint64_t> MediaSession::ntp_at(Timestamp now) const {
  if (!wallclock_) return std::nullopt;
  return rtp::ntp_plus(wallclock_->ntp, now - wallclock_->at);
}

std::optional<Timestamp> MediaSession::next_timeout() const {
  std::optional<Timestamp> next = due_reports_.empty() ? next_report_ : std::optional(reports_built_at_);
  for (const auto& [ssrc, source] : receive_stats_)
    if (source.missing && source.missing->next_timeout() != Timestamp::never())
      next = next ? std::min(*next, source.missing->next_timeout()) : source.missing->next_timeout();
  if (const auto t = twcc_.next_timeout(); t != Timestamp::never()) next = next ? std::min(*next, t) : t;
  return next;
}

// RFC 4585 §6.2.1: a generic NACK per SSRC with numbers due, behind an empty RR unless
// reduced-size RTCP was negotiated (RFC 5506), like our PLI.
std::optional<std::vector<std::byte>> MediaSession::poll_feedback(Timestamp now) {
  if (!srtp_) return std::nullopt;
  if (auto d = poll_transport_feedback(now)) return d;
  for (auto& [ssrc, source] : receive_stats_) {
    if (!source.missing || source.missing->next_timeout() > now) continue;
    const auto lost = source.missing->due(now);
    if (lost.empty()) continue;
    std::vector<rtp::RtcpPacket> packets;
    if (!reduced_size_) packets.emplace_back(rtp::ReceiverReport{receiver_ssrc_, {}});
    packets.emplace_back(rtp::GenericNack{receiver_ssrc_, ssrc, rtp::nack_items(lost)});
    auto d = protect_compound(packets);  // ≤ 256 numbers: at most 256 items, 1 KiB
    if (!d) {
      ++report_errors_;
      continue;
    }
    ++counters_[source.mid].nacks_sent;
    return d;
  }
  return std::nullopt;
}

std::optional<std::vector<std::byte>> MediaSession::poll_report(Timestamp now) {
  if (!srtp_) return std::nullopt;
  if (due_reports_.empty() && next_report_ && now >= *next_report_) {
    build_reports(now);
    reports_built_at_ = now;
  }
  if (due_reports_.empty()) return std::nullopt;
  auto d = std::move(due_reports_.front());
  due_reports_.pop_front();
  return d;
}

void MediaSession::build_reports(Timestamp now) {
  // Blocks: at most 31 (the 5-bit count; ≈ 800 bytes) for the sources heard since their last
  // block (§6.4.1), taken in turn from where the last report stopped when there are more —
  // those left wait for the next report.
  std::vector<rtp::ReportBlock> blocks;
  bool left_over = false;
  auto it = receive_stats_.upper_bound(report_cursor_);
  for (std::size_t visited = 0; visited < receive_stats_.size(); ++visited, ++it) {
    if (it == receive_stats_.end()) it = receive_stats_.begin();
    if (!it->second.heard) continue;
    if (blocks.size() == kBlocksPerReport) {
      left_over = true;
      break;
    }
    blocks.push_back(it->second.stats.report_block(it->first, now));
    it->second.heard = false;
    report_cursor_ = it->first;
  }
  // Senders: §6.4 — an SR from a source that sent data since the last report or the one
  // before, i.e. within two intervals.
  std::vector<rtp::SenderReport> reports;
  if (const auto ntp = ntp_at(now))
    for (const auto& [ssrc, source] : local_sources_) {
      if (now - source.last_sent >= kReportInterval * 2) continue;
      // The RTP time of this instant: the last packet's timestamp moved on in the codec's clock
      // (as libwebrtc does; the application's capture clock is the one the packets carry).
      const std::int64_t elapsed_ticks = (now - source.last_sent).us() * source.clock_rate / 1'000'000;
      const auto rtp_time = static_cast<std::uint32_t>(source.last_timestamp + static_cast<std::uint32_t>(elapsed_ticks));
      reports.push_back(rtp::SenderReport{ssrc, *ntp, rtp_time, source.packets, source.octets, {}});
    }
  // Nothing more heard or sent by the next deadline: none is set, until media moves again.
  next_report_ = left_over || !blocks.empty() || !reports.empty() ? std::optional(now + kReportInterval) : std::nullopt;
  if (blocks.empty() && reports.empty()) return;

  // RFC 3550 §6.1: each compound starts with a report and, unless reduced-size RTCP was
  // negotiated, names the CNAME of every SSRC reporting in it. The blocks ride in the first
  // report (an RR from our receiver SSRC when we send nothing); further SRs follow in
  // compounds of kSendersPerCompound so that each fits a datagram.
  auto cname_of = [&](const std::vector<std::uint32_t>& ssrcs) {
    rtp::Sdes sdes;
    for (const auto ssrc : ssrcs)
      sdes.chunks.push_back(rtp::SdesChunk{ssrc, {rtp::SdesItem{rtp::sdes_item::kCname, cname_}}});
    return sdes;
  };
  auto emit = [&](std::vector<rtp::RtcpPacket> packets, const std::vector<std::uint32_t>& ssrcs) {
    if (!reduced_size_) packets.emplace_back(cname_of(ssrcs));
    auto d = protect_compound(packets);
    if (!d) {
      ++report_errors_;  // sized above to fit 1 500 bytes: the fuzz target holds this at 0
      return;
    }
    due_reports_.push_back(std::move(*d));
    ++reports_sent_;
    for (const auto ssrc : ssrcs)
      if (const auto it = local_sources_.find(ssrc); it != local_sources_.end()) ++counters_[it->second.mid].sender_reports_sent;
  };
  if (reports.empty()) {
    emit({rtp::ReceiverReport{receiver_ssrc_, std::move(blocks)}}, {receiver_ssrc_});
    return;
  }
  reports.front().reports = std::move(blocks);
  for (std::size_t first = 0; first < reports.size(); first += kSendersPerCompound) {
    std::vector<rtp::RtcpPacket> packets;
    std::vector<std::uint32_t> ssrcs;
    for (std::size_t i = first; i < std::min(reports.size(), first + kSendersPerCompound); ++i) {
      ssrcs.push_back(reports[i].ssrc);
      packets.emplace_back(std::move(reports[i]));
    }
    emit(std::move(packets), ssrcs);
  }
}

std::optional<std::vector<std::byte>> MediaSession::protect_compound(const std::vector<rtp::RtcpPacket>& packets) {
  auto n = rtp::build_compound(packets, MutableByteSpan(buffer_.data(), srtp::kMaxPacket));
  if (!n) return std::nullopt;  // bounded above to fit: cannot happen
  auto p = srtp_->protect_rtcp(MutableByteSpan(buffer_.data(), buffer_.size()), *n);
  if (!p) return std::nullopt;
  return std::vector<std::byte>(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(*p));
}

// A block about one of our SSRCs (in the remote's SR or RR): its loss, and the round trip of the
// SR it names — A − LSR − DLSR in 1/65536 s, A our NTP time now (§6.4.1). On a LAN the remote's
// rounding of DLSR can make it a few units "negative": up to 10 ms below zero counts as the
// 1 ms floor every sample gets (libwebrtc's too); further below, or over a minute (the middle
// 32 bits wrap every 18 hours; a forged LSR), is no sample.
void MediaSession::on_report_block(const rtp::ReportBlock& b, Timestamp now) {
  const auto source = local_sources_.find(b.ssrc);
  if (source == local_sources_.end()) return;
  auto& c = counters_[source->second.mid];
  ++c.report_blocks_received;
  c.remote_packets_lost = b.cumulative_lost;
  c.remote_fraction_lost = b.fraction_lost;
  const auto ntp = ntp_at(now);
  if (!ntp || b.last_sr == 0) return;
  const std::uint32_t units = rtp::ntp_middle(*ntp) - b.last_sr - b.delay_since_last_sr;
  constexpr std::uint32_t kMaxRoundTrip = 60u << 16;           // 60 s
  constexpr std::uint32_t kMaxBelowZero = (1u << 16) / 100;    // 10 ms
  const bool slightly_negative = units >= 0u - kMaxBelowZero;
  if (units > kMaxRoundTrip && !slightly_negative) return;
  const Duration sample = slightly_negative ? Duration() : rtp::from_dlsr_units(units);
  c.round_trip = std::max(sample, Duration::millis(1));
}

}  // namespace peerkit::peer
