// The check list (RFC 8445 §6.1.2-§8.1.1); see check_list.h.
#include "ice/check_list.h"

#include <algorithm>

namespace peerkit::ice {

const char* to_string(PairState s) {
  switch (s) {
    case PairState::kFrozen:
      return "frozen";
    case PairState::kWaiting:
      return "waiting";
    case PairState::kInProgress:
      return "in-progress";
    case PairState::kSucceeded:
      return "succeeded";
    case PairState::kFailed:
      return "failed";
  }
  return "?";
}

std::uint64_t pair_priority(std::uint32_t g, std::uint32_t d) {
  return (std::uint64_t{std::min(g, d)} << 32) + 2 * std::uint64_t{std::max(g, d)} +
         (g > d ? 1 : 0);
}

std::optional<PairId> CheckList::find(LocalCandidateId local, RemoteCandidateId remote) const {
  for (std::size_t i = 0; i < pairs_.size(); ++i)
    if (pairs_[i].local == local && pairs_[i].remote == remote) return PairId{i};
  return std::nullopt;
}

bool CheckList::foundation_busy(const std::string& foundation) const {
  return std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& o) {
    return o.foundation == foundation &&
           (o.state == PairState::kWaiting || o.state == PairState::kInProgress);
  });
}

std::optional<PairId> CheckList::add(CandidatePair p, PairState state) {
  // RFC 8838 §10: a new pair starts Waiting unless its foundation already has a pair at work.
  if (state == PairState::kFrozen)
    state = foundation_busy(p.foundation) ? PairState::kFrozen : PairState::kWaiting;
  p.state = state;
  if (pairs_.size() < config_.max_pairs) {
    pairs_.push_back(std::move(p));
    return PairId{pairs_.size() - 1};
  }
  // Full: the new pair replaces the lowest-priority pair nobody is working on, if it beats it.
  std::optional<std::size_t> worst;
  for (std::size_t i = 0; i < pairs_.size(); ++i) {
    const auto& o = pairs_[i];
    if ((o.state == PairState::kFrozen || o.state == PairState::kWaiting ||
         o.state == PairState::kFailed) &&
        !o.valid && !o.transaction && (!worst || o.priority < pairs_[*worst].priority))
      worst = i;
  }
  if (!worst || pairs_[*worst].priority >= p.priority) return std::nullopt;
  pairs_[*worst] = std::move(p);
  return PairId{*worst};
}

void CheckList::clear() {
  pairs_.clear();
  triggered_.clear();
  selected_.reset();
  nominating_ = false;
  nominate_at_ = Timestamp::never();
  first_valid_at_ = Timestamp::never();
  next_check_ = Timestamp::never();
}

bool CheckList::pending() const {
  return std::any_of(pairs_.begin(), pairs_.end(), [](const CandidatePair& p) {
    return p.state == PairState::kFrozen || p.state == PairState::kWaiting ||
           p.state == PairState::kInProgress;
  });
}

bool CheckList::exhausted() const {
  return triggered_.empty() && !pending() &&
         std::none_of(pairs_.begin(), pairs_.end(), [](const CandidatePair& p) { return p.valid; });
}

void CheckList::unfreeze(const std::string& foundation) {
  for (auto& p : pairs_)
    if (p.state == PairState::kFrozen && p.foundation == foundation) p.state = PairState::kWaiting;
}

void CheckList::arm(Timestamp now) {
  if (next_check_ != Timestamp::never()) return;
  next_check_ = last_check_ == Timestamp::never() ? now : std::max(now, last_check_ + config_.ta);
}

void CheckList::paced(Timestamp now, bool sent) {
  if (sent) {
    last_check_ = now;
    next_check_ = now + config_.ta;
  } else {
    next_check_ = Timestamp::never();
  }
}

void CheckList::trigger(PairId id) {
  if (triggered_.size() < config_.max_triggered) triggered_.push_back(id);
}

std::optional<PairId> CheckList::next_check() {
  while (!triggered_.empty()) {  // §6.1.4.2: triggered checks first
    const PairId id = triggered_.front();
    triggered_.pop_front();
    if (id.value < pairs_.size() && pairs_[id.value].state == PairState::kWaiting) return id;
  }
  std::optional<std::size_t> next;
  for (std::size_t i = 0; i < pairs_.size(); ++i)
    if (pairs_[i].state == PairState::kWaiting &&
        (!next || pairs_[i].priority > pairs_[*next].priority))
      next = i;
  if (!next) {
    // §6.1.4.2: no Waiting pair: wake the best Frozen pair whose foundation is idle.
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      const auto& p = pairs_[i];
      if (p.state != PairState::kFrozen || (next && p.priority <= pairs_[*next].priority)) continue;
      if (!foundation_busy(p.foundation)) next = i;
    }
  }
  if (!next) return std::nullopt;
  return PairId{*next};
}

void CheckList::start_check(Timestamp now, PairId id, ByteSpan request, bool nominates) {
  auto& p = pairs_[id.value];
  p.state = PairState::kInProgress;
  p.check_started = now;
  p.transaction.emplace(now, request, false, config_.check_transaction);
  p.transaction_nominates = nominates;
  if (auto out = p.transaction->poll_transmit()) {
    ++p.counters.requests_sent;
    context_.send_check(now, p, *out);
  }
}

void CheckList::tick(Timestamp now) {
  for (auto& p : pairs_) {
    if (p.cancelled) {
      p.cancelled->handle_timeout(now);
      p.cancelled->poll_transmit();  // cancelled: never sent again
      if (p.cancelled->done()) p.cancelled.reset();
    }
    if (!p.transaction) continue;
    p.transaction->handle_timeout(now);
    if (auto out = p.transaction->poll_transmit()) {
      ++p.counters.requests_sent;
      context_.send_check(now, p, *out);
    }
    if (!p.transaction->done()) continue;
    const bool was_nominating = p.transaction_nominates;
    p.transaction.reset();
    // A nominating check that times out on a valid pair leaves the pair valid; nomination
    // moves on to the next best pair.
    if (!p.valid) p.state = PairState::kFailed;
    if (was_nominating) {
      nominating_ = false;
      p.valid = false;
      p.state = PairState::kFailed;
    }
    schedule_nomination(now);
  }
}

std::optional<CheckList::Answered> CheckList::answered(const stun::TransactionId& id) const {
  for (std::size_t i = 0; i < pairs_.size(); ++i) {
    const auto& p = pairs_[i];
    if (p.transaction && p.transaction->id() == id) return Answered{PairId{i}, false};
    if (p.cancelled && p.cancelled->id() == id) return Answered{PairId{i}, true};
  }
  return std::nullopt;
}

void CheckList::fail_asymmetric(PairId id) {
  auto& p = pairs_[id.value];
  p.transaction.reset();
  p.cancelled.reset();
  p.state = PairState::kFailed;
}

bool CheckList::take_answer(Timestamp now, const Answered& a, const stun::MessageView& m) {
  auto& p = pairs_[a.pair.value];
  if (a.replaced) {
    // The replaced check answered first: it completes the pair (same request, same path).
    p.transaction = std::move(p.cancelled);
    p.transaction_nominates = false;
  }
  p.cancelled.reset();
  p.transaction->handle_response(now, m);
  const bool nominated = p.transaction_nominates;
  if (const auto rtt = p.transaction->rtt()) {
    p.counters.current_rtt = *rtt;
    p.counters.total_rtt = p.counters.total_rtt + *rtt;
    ++p.counters.rtt_samples;
  }
  p.transaction.reset();
  ++p.counters.responses_received;
  return nominated;
}

void CheckList::retry_after_role_conflict(PairId id) {
  pairs_[id.value].state = PairState::kWaiting;
  trigger(id);
}

void CheckList::fail(Timestamp now, PairId id, bool nominated) {
  pairs_[id.value].state = PairState::kFailed;
  if (nominated) nominating_ = false;
  schedule_nomination(now);
}

void CheckList::mark_valid(Timestamp now, PairId generating, PairId valid, bool nominated) {
  auto& vp = pairs_[valid.value];
  auto& gp = pairs_[generating.value];
  vp.state = PairState::kSucceeded;
  vp.valid = true;
  gp.valid_pair = valid;
  if (vp.counters.rtt_samples == 0 && gp.counters.current_rtt) vp.counters = gp.counters;
  unfreeze(gp.foundation);  // §7.2.5.3.3
  if (nominated || gp.nominate_on_success) vp.nominated = true;
  if (first_valid_at_ == Timestamp::never()) first_valid_at_ = now;
  schedule_nomination(now);
}

CheckList::Incoming CheckList::on_check_received(PairId id, bool nominate) {
  Incoming out;
  auto& p = pairs_[id.value];
  ++p.counters.requests_received;
  ++p.counters.responses_sent;
  // §7.3.1.4: a triggered check, unless the pair has succeeded. An in-progress check is
  // replaced: behind NATs its first request was most likely dropped before the peer's packet
  // opened the way, and this one passes now, without waiting for a retransmission (its answer
  // still counts, see take_answer). A nominating check is left alone.
  const bool replace = p.state == PairState::kInProgress && !p.transaction_nominates;
  if (p.state == PairState::kFrozen || p.state == PairState::kWaiting ||
      p.state == PairState::kFailed || replace) {
    if (replace) {
      p.cancelled = std::move(p.transaction);
      p.transaction.reset();
    }
    p.state = PairState::kWaiting;
    trigger(id);
    out.triggered = true;
  }
  // §7.3.1.5: nomination by the controlling peer.
  if (nominate) {
    if (p.state == PairState::kSucceeded) {
      pairs_[p.valid_pair.value_or(id).value].nominated = true;
      out.select = true;
    } else {
      p.nominate_on_success = true;
    }
  }
  return out;
}

void CheckList::schedule_nomination(Timestamp now) {
  if (context_.local_role() != Role::kControlling || nominating_ || selected_ ||
      first_valid_at_ == Timestamp::never())
    return;
  nominate_at_ = std::min(nominate_at_, std::max(now, first_valid_at_ + config_.nomination_wait));
}

std::optional<PairId> CheckList::nominate(Timestamp now) {
  if (now < nominate_at_) return std::nullopt;
  nominate_at_ = Timestamp::never();
  if (context_.local_role() != Role::kControlling || nominating_ || selected_) return std::nullopt;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < pairs_.size(); ++i)
    if (pairs_[i].valid && !pairs_[i].transaction &&
        (!best || pairs_[i].priority > pairs_[*best].priority))
      best = i;
  if (!best) return std::nullopt;
  // A better pair may still succeed: wait for it, up to nomination_max_wait. A check already
  // in flight counts only while an answer is still plausible: 3 RTTs of the best pair, and at
  // least long enough for one retransmission.
  const auto& b = pairs_[*best];
  const Duration rtt = b.counters.current_rtt.value_or(Duration::millis(100));
  const Duration patience =
      std::max(rtt * 3, config_.check_transaction.initial_rto + Duration::millis(50));
  const Timestamp deadline = first_valid_at_ + config_.nomination_max_wait;
  Timestamp wake = deadline;
  bool better_pending = false;
  for (const auto& p : pairs_) {
    if (p.priority <= b.priority) continue;
    if (p.state == PairState::kFrozen || p.state == PairState::kWaiting) better_pending = true;
    if (p.state == PairState::kInProgress && now < p.check_started + patience) {
      better_pending = true;
      wake = std::min(wake, p.check_started + patience);
    }
  }
  if (better_pending && now < deadline) {
    nominate_at_ = wake;  // or earlier, when a check completes (schedule_nomination)
    return std::nullopt;
  }
  nominating_ = true;
  return PairId{*best};  // not paced: it is the check everybody waits for
}

bool CheckList::update_selection() {
  std::optional<PairId> best;
  for (std::size_t i = 0; i < pairs_.size(); ++i)
    if (pairs_[i].valid && pairs_[i].nominated &&
        (!best || pairs_[i].priority > pairs_[best->value].priority))
      best = PairId{i};
  if (!best || best == selected_) return false;
  // The controlling agent keeps its first selection (§8.1.1: it stops checking once
  // nominated); the controlled one follows the best nomination it has seen.
  if (selected_ && context_.local_role() == Role::kControlling) return false;
  selected_ = best;
  nominating_ = false;
  return true;
}

Timestamp CheckList::next_timeout() const {
  Timestamp t = std::min(next_check_, nominate_at_);
  for (const auto& p : pairs_) {
    if (p.transaction) t = std::min(t, p.transaction->next_timeout());
    if (p.cancelled) t = std::min(t, p.cancelled->next_timeout());
  }
  return t;
}

}  // namespace peerkit::ice
