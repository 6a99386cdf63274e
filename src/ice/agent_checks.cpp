// Connectivity checks (RFC 8445 §6.1.2-§7.3): pairing, frozen/waiting/in-progress/succeeded/
// failed states, one ordinary or triggered check per Ta, peer-reflexive discovery on both
// sides, role conflicts, and regular nomination (§8.1.1).
#include <algorithm>

#include "ice/agent.h"
#include "ice/stun_check.h"
#include "stun/constants.h"

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

std::optional<std::size_t> Agent::remote_by_address(const SocketAddress& a) const {
  for (std::size_t i = 0; i < remotes_.size(); ++i)
    if (remotes_[i].address == a) return i;
  return std::nullopt;
}

std::optional<std::size_t> Agent::find_pair(std::size_t local, std::size_t remote) const {
  for (std::size_t i = 0; i < pairs_.size(); ++i)
    if (pairs_[i].local == local && pairs_[i].remote == remote) return i;
  return std::nullopt;
}

std::optional<std::size_t> Agent::local_for(SocketId socket,
                                            std::optional<std::size_t> relay) const {
  for (std::size_t i = 0; i < locals_.size(); ++i) {
    const auto& c = locals_[i];
    if (relay ? c.relay == relay
              : (!c.relay && c.socket == socket && c.candidate.type == CandidateType::kHost))
      return usable(c) ? std::optional(i) : std::nullopt;
  }
  return std::nullopt;
}

std::uint32_t Agent::prflx_priority(const LocalCandidate& local) const {
  // §7.1.1: the priority a peer-reflexive candidate learned from this check would have.
  const auto local_pref = static_cast<std::uint16_t>((local.candidate.priority >> 8) & 0xFFFF);
  return candidate_priority(CandidateType::kPeerReflexive, local_pref, 1);
}

void Agent::recompute_priorities() {
  for (auto& p : pairs_) {
    const auto l = locals_[p.local].candidate.priority;
    const auto r = remotes_[p.remote].candidate.priority;
    p.priority = role_ == Role::kControlling ? pair_priority(l, r) : pair_priority(r, l);
  }
}

void Agent::form_pairs_for_local(Timestamp now, std::size_t local) {
  const auto& c = locals_[local];
  // §6.1.2.4: a server-reflexive candidate pairs as its base (the host candidate) does, so
  // its pairs would be redundant; peer-reflexive locals only appear in valid pairs.
  if (!usable(c) || c.candidate.type == CandidateType::kServerReflexive ||
      c.candidate.type == CandidateType::kPeerReflexive)
    return;
  for (std::size_t r = 0; r < remotes_.size(); ++r)
    if (remotes_[r].address && remotes_[r].address->family() == c.address.family())
      add_pair(now, local, r, PairState::kFrozen);
}

void Agent::form_pairs_for_remote(Timestamp now, std::size_t remote) {
  for (std::size_t l = 0; l < locals_.size(); ++l) {
    const auto& c = locals_[l];
    if (!usable(c) || c.candidate.type == CandidateType::kServerReflexive ||
        c.candidate.type == CandidateType::kPeerReflexive)
      continue;
    if (remotes_[remote].address->family() == c.address.family())
      add_pair(now, l, remote, PairState::kFrozen);
  }
}

std::optional<std::size_t> Agent::add_pair(Timestamp now, std::size_t local, std::size_t remote,
                                           PairState state) {
  if (auto existing = find_pair(local, remote)) return existing;
  CandidatePair p;
  p.local = local;
  p.remote = remote;
  const auto l = locals_[local].candidate.priority;
  const auto r = remotes_[remote].candidate.priority;
  p.priority = role_ == Role::kControlling ? pair_priority(l, r) : pair_priority(r, l);
  p.foundation = locals_[local].candidate.foundation + ":" + remotes_[remote].candidate.foundation;
  if (state == PairState::kFrozen) {
    // RFC 8838 §10: a new pair starts Waiting unless its foundation already has a pair at work.
    const bool busy = std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& o) {
      return o.foundation == p.foundation &&
             (o.state == PairState::kWaiting || o.state == PairState::kInProgress);
    });
    state = busy ? PairState::kFrozen : PairState::kWaiting;
  }
  p.state = state;
  std::size_t index = pairs_.size();
  if (pairs_.size() >= config_.limits.max_pairs) {
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
    index = *worst;
    pairs_[index] = std::move(p);
  } else {
    pairs_.push_back(std::move(p));
  }
  if (!remote_ufrag_.empty() && state_ == ConnectionState::kNew)
    set_state(ConnectionState::kChecking);
  if (!remote_ufrag_.empty() && started_checking_ == Timestamp::never()) started_checking_ = now;
  arm_checks(now);
  return index;
}

void Agent::arm_checks(Timestamp now) {
  if (remote_ufrag_.empty() || closed_ || next_check_ != Timestamp::never()) return;
  next_check_ = last_check_ == Timestamp::never() ? now : std::max(now, last_check_ + config_.ta);
}

bool Agent::checks_pending() const {
  return std::any_of(pairs_.begin(), pairs_.end(), [](const CandidatePair& p) {
    return p.state == PairState::kFrozen || p.state == PairState::kWaiting ||
           p.state == PairState::kInProgress;
  });
}

void Agent::unfreeze_foundation(const std::string& foundation) {
  for (auto& p : pairs_)
    if (p.state == PairState::kFrozen && p.foundation == foundation) p.state = PairState::kWaiting;
}

bool Agent::send_next_check(Timestamp now) {
  if (remote_ufrag_.empty()) return false;
  while (!triggered_.empty()) {  // §6.1.4.2: triggered checks first
    const std::size_t i = triggered_.front();
    triggered_.pop_front();
    if (i < pairs_.size() && pairs_[i].state == PairState::kWaiting) {
      start_check(now, i, false);
      return true;
    }
  }
  auto best = [&](PairState state) {
    std::optional<std::size_t> b;
    for (std::size_t i = 0; i < pairs_.size(); ++i)
      if (pairs_[i].state == state && (!b || pairs_[i].priority > pairs_[*b].priority)) b = i;
    return b;
  };
  auto next = best(PairState::kWaiting);
  if (!next) {
    // §6.1.4.2: no Waiting pair: wake the best Frozen pair whose foundation is idle.
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      const auto& p = pairs_[i];
      if (p.state != PairState::kFrozen || (next && p.priority <= pairs_[*next].priority)) continue;
      const bool busy = std::any_of(pairs_.begin(), pairs_.end(), [&](const CandidatePair& o) {
        return o.foundation == p.foundation &&
               (o.state == PairState::kWaiting || o.state == PairState::kInProgress);
      });
      if (!busy) next = i;
    }
  }
  if (!next) return false;
  start_check(now, *next, false);
  return true;
}

void Agent::start_check(Timestamp now, std::size_t i, bool nominate) {
  auto& p = pairs_[i];
  const auto& local = locals_[p.local];
  CheckRequest r;
  r.local_ufrag = local_ufrag_;
  r.remote_ufrag = remote_ufrag_;
  r.remote_pwd = remote_pwd_;
  r.priority = prflx_priority(local);
  r.controlling = role_ == Role::kControlling;
  r.tie_breaker = tie_breaker_;
  r.use_candidate = nominate && role_ == Role::kControlling;
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  std::array<std::byte, kMaxCheckMessage> buf;
  const auto bytes = build_check_request(buf, tid, r);
  if (bytes.empty()) return;
  p.state = PairState::kInProgress;
  p.check_started = now;
  p.transaction.emplace(now, bytes, false, config_.check_transaction);
  p.transaction_nominates = r.use_candidate;
  if (auto out = p.transaction->poll_transmit()) {
    ++p.counters.requests_sent;
    send_from(now, local, *remotes_[p.remote].address, *out);
  }
}

void Agent::tick_pairs(Timestamp now) {
  for (std::size_t i = 0; i < pairs_.size(); ++i) {
    auto& p = pairs_[i];
    if (p.cancelled) {
      p.cancelled->handle_timeout(now);
      p.cancelled->poll_transmit();  // cancelled: never sent again
      if (p.cancelled->done()) p.cancelled.reset();
    }
    if (!p.transaction) continue;
    p.transaction->handle_timeout(now);
    if (auto out = p.transaction->poll_transmit()) {
      ++p.counters.requests_sent;
      send_from(now, locals_[p.local], *remotes_[p.remote].address, *out);
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

void Agent::on_stun(Timestamp now, SocketId socket, std::optional<std::size_t> via_relay,
                    const SocketAddress& from, const stun::MessageView& m) {
  const auto cls = m.message_class();
  if (cls == stun::MessageClass::kRequest) {
    if (m.method() != stun::Method::kBinding) return;
    if (auto local = local_for(socket, via_relay)) on_request(now, *local, from, m);
    return;
  }
  if (cls != stun::MessageClass::kSuccess && cls != stun::MessageClass::kError) return;
  if (!via_relay) {
    for (auto& g : gathering_tx_) {
      if (g.socket == socket && g.transaction.id() == m.transaction_id()) {
        if (from != config_.servers[g.server].address) return;
        if (g.transaction.handle_response(now, m)) on_gather_response(now, g, m);
        return;
      }
    }
  }
  for (std::size_t i = 0; i < pairs_.size(); ++i) {
    auto& p = pairs_[i];
    const bool current = p.transaction && p.transaction->id() == m.transaction_id();
    const bool old_check = p.cancelled && p.cancelled->id() == m.transaction_id();
    if (!current && !old_check) continue;
    // §7.2.5.2.1: the response must come from where the request went, on the same base.
    const auto& local = locals_[p.local];
    const bool symmetric = from == *remotes_[p.remote].address && local.relay == via_relay &&
                           (via_relay || local.socket == socket);
    const auto response = verify_check_response(m, remote_pwd_);
    if (!response) return;  // not authentic: as if lost
    if (!symmetric) {
      p.transaction.reset();
      p.cancelled.reset();
      p.state = PairState::kFailed;
      return;
    }
    if (old_check) {
      // The replaced check answered first: it completes the pair (same request, same path).
      p.transaction = std::move(p.cancelled);
      p.transaction_nominates = false;
    }
    p.cancelled.reset();
    on_check_response(now, i, m, *response);
    return;
  }
  const auto path = active_path();
  if (consent_.expects(m.transaction_id()) && path && path->remote == from)
    consent_.on_response(now, m);
}

void Agent::on_check_response(Timestamp now, std::size_t i, const stun::MessageView& m,
                              const CheckResponse& response) {
  auto& p = pairs_[i];
  p.transaction->handle_response(now, m);
  const bool nominated = p.transaction_nominates;
  if (const auto rtt = p.transaction->rtt()) {
    p.counters.current_rtt = *rtt;
    p.counters.total_rtt = p.counters.total_rtt + *rtt;
    ++p.counters.rtt_samples;
  }
  p.transaction.reset();
  ++p.counters.responses_received;
  if (!response.success) {
    if (response.error_code == stun::error::kRoleConflict) {
      // §7.2.5.1: switch role and check this pair again.
      role_ = role_ == Role::kControlling ? Role::kControlled : Role::kControlling;
      recompute_priorities();
      emit(Event{Event::Kind::kRoleChanged, {}});
      p.state = PairState::kWaiting;
      if (triggered_.size() < config_.limits.max_triggered) triggered_.push_back(i);
      arm_checks(now);
      return;
    }
    p.state = PairState::kFailed;
    if (nominated) nominating_ = false;
    schedule_nomination(now);
    return;
  }
  // §7.2.5.3.1: the mapped address names the local candidate of the valid pair; if we do not
  // know it, it is a new peer-reflexive candidate with the priority the request carried.
  const auto& generating_local = locals_[p.local];
  std::optional<std::size_t> valid_local;
  for (std::size_t l = 0; l < locals_.size(); ++l) {
    const auto& c = locals_[l];
    if (c.address == *response.mapped && c.socket == generating_local.socket &&
        c.relay == generating_local.relay)
      valid_local = l;
  }
  if (!valid_local) {
    LocalCandidate c;
    c.candidate.type = CandidateType::kPeerReflexive;
    c.candidate.priority = prflx_priority(generating_local);
    c.candidate.foundation =
        foundation_for(CandidateType::kPeerReflexive, generating_local.base.ip(), "");
    c.candidate.related_address = generating_local.base.ip().to_string();
    c.candidate.related_port = generating_local.base.port();
    c.address = *response.mapped;
    c.base = generating_local.base;
    c.socket = generating_local.socket;
    c.relay = generating_local.relay;
    valid_local = add_local_candidate(now, std::move(c));
    if (!valid_local) valid_local = p.local;  // limit reached: fall back to the generating pair
  }
  p.state = PairState::kSucceeded;
  std::size_t valid = i;
  if (*valid_local != p.local) {
    const auto remote = p.remote;
    const auto added = add_pair(now, *valid_local, remote, PairState::kSucceeded);
    if (added) valid = *added;
  }
  auto& vp = pairs_[valid];
  auto& gp = pairs_[i];
  vp.state = PairState::kSucceeded;
  vp.valid = true;
  gp.valid_pair = valid;
  if (vp.counters.rtt_samples == 0 && gp.counters.current_rtt) vp.counters = gp.counters;
  unfreeze_foundation(gp.foundation);  // §7.2.5.3.3
  if (nominated || gp.nominate_on_success) vp.nominated = true;
  if (first_valid_at_ == Timestamp::never()) first_valid_at_ = now;
  schedule_nomination(now);
  update_selection(now);
}

void Agent::on_request(Timestamp now, std::size_t local, const SocketAddress& from,
                       const stun::MessageView& m) {
  std::array<std::byte, kMaxCheckMessage> buf;
  auto check = verify_check_request(m, local_ufrag_, local_pwd_);
  if (!check && previous_) {
    // The peer has not restarted yet: answer on the old session so its consent holds.
    if (verify_check_request(m, previous_->local_ufrag, previous_->local_pwd)) {
      send_from(now, locals_[local], from,
                build_check_success(buf, m.transaction_id(), from, previous_->local_pwd));
      return;
    }
  }
  if (!check) {
    if (check.error().code != 0)
      send_from(now, locals_[local], from,
                build_check_error(buf, m.transaction_id(), check.error().code, local_pwd_));
    return;
  }
  if (!remote_ufrag_.empty() && check->remote_ufrag != remote_ufrag_) return;  // stale peer
  // §7.3.1.1: role conflict, decided by the tie-breakers.
  const bool conflict = (role_ == Role::kControlling) == check->remote_controlling;
  if (conflict) {
    const bool we_win = tie_breaker_ >= check->tie_breaker;
    if ((role_ == Role::kControlling) == we_win) {
      send_from(now, locals_[local], from,
                build_check_error(buf, m.transaction_id(), stun::error::kRoleConflict, local_pwd_));
      return;
    }
    role_ = role_ == Role::kControlling ? Role::kControlled : Role::kControlling;
    recompute_priorities();
    emit(Event{Event::Kind::kRoleChanged, {}});
  }
  auto remote = remote_by_address(from);
  if (!remote && remotes_.size() < config_.limits.max_remote_candidates) {
    // §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
    Candidate c;
    c.type = CandidateType::kPeerReflexive;
    c.priority = check->priority;
    c.foundation = "p" + std::to_string(++prflx_count_);
    c.address = from.ip().to_string();
    c.port = from.port();
    remotes_.push_back(RemoteCandidate{c, from});
    remote = remotes_.size() - 1;
  }
  send_from(now, locals_[local], from,
            build_check_success(buf, m.transaction_id(), from, local_pwd_));
  if (!remote) return;
  auto pair = find_pair(local, *remote);
  if (!pair) pair = add_pair(now, local, *remote, PairState::kWaiting);
  if (!pair) return;
  auto& p = pairs_[*pair];
  ++p.counters.requests_received;
  ++p.counters.responses_sent;
  // §7.3.1.4: a triggered check, unless the pair has succeeded. An in-progress check is
  // replaced: behind NATs its first request was most likely dropped before the peer's packet
  // opened the way, and this one passes now, without waiting for a retransmission (the
  // simplification: a late answer to the old request is ignored rather than awaited). A
  // nominating check is left alone.
  const bool replace = p.state == PairState::kInProgress && !p.transaction_nominates;
  if (p.state == PairState::kFrozen || p.state == PairState::kWaiting ||
      p.state == PairState::kFailed || replace) {
    if (replace) {
      p.cancelled = std::move(p.transaction);
      p.transaction.reset();
    }
    p.state = PairState::kWaiting;
    if (triggered_.size() < config_.limits.max_triggered) triggered_.push_back(*pair);
    arm_checks(now);
  }
  // §7.3.1.5: nomination by the controlling peer.
  if (check->use_candidate && role_ == Role::kControlled) {
    if (p.state == PairState::kSucceeded) {
      pairs_[p.valid_pair.value_or(*pair)].nominated = true;
      update_selection(now);
    } else {
      p.nominate_on_success = true;
    }
  }
}

void Agent::schedule_nomination(Timestamp now) {
  if (role_ != Role::kControlling || nominating_ || selected_ ||
      first_valid_at_ == Timestamp::never())
    return;
  nominate_at_ = std::min(nominate_at_, std::max(now, first_valid_at_ + config_.nomination_wait));
}

void Agent::maybe_nominate(Timestamp now) {
  nominate_at_ = Timestamp::never();
  if (role_ != Role::kControlling || nominating_ || selected_) return;
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < pairs_.size(); ++i)
    if (pairs_[i].valid && !pairs_[i].transaction &&
        (!best || pairs_[i].priority > pairs_[*best].priority))
      best = i;
  if (!best) return;
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
    return;
  }
  nominating_ = true;
  start_check(now, *best, true);  // not paced: it is the check everybody waits for
}

void Agent::update_selection(Timestamp now) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < pairs_.size(); ++i)
    if (pairs_[i].valid && pairs_[i].nominated &&
        (!best || pairs_[i].priority > pairs_[*best].priority))
      best = i;
  if (!best || best == selected_) return;
  // The controlling agent keeps its first selection (§8.1.1: it stops checking once
  // nominated); the controlled one follows the best nomination it has seen.
  if (selected_ && role_ == Role::kControlling) return;
  selected_ = best;
  nominating_ = false;
  previous_.reset();
  consent_.start(now);
  emit(Event{Event::Kind::kSelectedPairChanged, {}});
  set_state(ConnectionState::kConnected);
}

}  // namespace peerkit::ice
