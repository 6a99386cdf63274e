// The agent's side of connectivity checks (RFC 8445 §6.1.2-§7.3): pairing its candidates,
// building check requests and answers, peer-reflexive discovery on both sides, role
// conflicts. The pair states, pacing, triggered checks and nomination timing are the check
// list's (ice/check_list.h).
#include <algorithm>

#include "ice/agent.h"
#include "ice/stun_check.h"
#include "stun/constants.h"

namespace peerkit::ice {

std::optional<RemoteCandidateId> Agent::remote_by_address(const SocketAddress& a) const {
  for (std::size_t i = 0; i < remotes_.size(); ++i)
    if (remotes_[i].address == a) return RemoteCandidateId{i};
  return std::nullopt;
}

std::optional<LocalCandidateId> Agent::local_for(SocketId socket,
                                                 std::optional<std::size_t> relay) const {
  for (std::size_t i = 0; i < locals_.size(); ++i) {
    const auto& c = locals_[i];
    if (relay ? c.relay == relay
              : (!c.relay && c.socket == socket && c.candidate.type == CandidateType::kHost))
      return usable(c) ? std::optional(LocalCandidateId{i}) : std::nullopt;
  }
  return std::nullopt;
}

std::uint32_t Agent::prflx_priority(const LocalCandidate& local) const {
  // §7.1.1: the priority a peer-reflexive candidate learned from this check would have.
  const auto local_pref = static_cast<std::uint16_t>((local.candidate.priority >> 8) & 0xFFFF);
  return candidate_priority(CandidateType::kPeerReflexive, local_pref, 1);
}

std::uint64_t Agent::priority_of(const CandidatePair& p) const {
  const auto l = local(p.local).candidate.priority;
  const auto r = remote(p.remote).candidate.priority;
  return role_ == Role::kControlling ? pair_priority(l, r) : pair_priority(r, l);
}

void Agent::recompute_priorities() {
  check_list_.reprioritize([this](const CandidatePair& p) { return priority_of(p); });
}

void Agent::switch_role() {
  role_ = role_ == Role::kControlling ? Role::kControlled : Role::kControlling;
  recompute_priorities();
  emit(Event{Event::Kind::kRoleChanged, {}});
}

void Agent::form_pairs_for_local(Timestamp now, LocalCandidateId id) {
  const auto& c = local(id);
  // §6.1.2.4: a server-reflexive candidate pairs as its base (the host candidate) does, so
  // its pairs would be redundant; peer-reflexive locals only appear in valid pairs.
  if (!usable(c) || c.candidate.type == CandidateType::kServerReflexive ||
      c.candidate.type == CandidateType::kPeerReflexive)
    return;
  for (std::size_t r = 0; r < remotes_.size(); ++r)
    if (remotes_[r].address && remotes_[r].address->family() == c.address.family())
      add_pair(now, id, RemoteCandidateId{r}, PairState::kFrozen);
}

void Agent::form_pairs_for_remote(Timestamp now, RemoteCandidateId id) {
  for (std::size_t l = 0; l < locals_.size(); ++l) {
    const auto& c = locals_[l];
    if (!usable(c) || c.candidate.type == CandidateType::kServerReflexive ||
        c.candidate.type == CandidateType::kPeerReflexive)
      continue;
    if (remote(id).address->family() == c.address.family())
      add_pair(now, LocalCandidateId{l}, id, PairState::kFrozen);
  }
}

std::optional<PairId> Agent::add_pair(Timestamp now, LocalCandidateId l, RemoteCandidateId r,
                                      PairState state) {
  if (auto existing = check_list_.find(l, r)) return existing;
  CandidatePair p;
  p.local = l;
  p.remote = r;
  p.priority = priority_of(p);
  p.foundation = local(l).candidate.foundation + ":" + remote(r).candidate.foundation;
  const auto id = check_list_.add(std::move(p), state);
  if (!id) return std::nullopt;
  if (!remote_ufrag_.empty() && state_ == ConnectionState::kNew)
    set_state(ConnectionState::kChecking);
  if (!remote_ufrag_.empty() && started_checking_ == Timestamp::never()) started_checking_ = now;
  arm_checks(now);
  return id;
}

void Agent::arm_checks(Timestamp now) {
  if (remote_ufrag_.empty() || closed_) return;
  check_list_.arm(now);
}

void Agent::send_check(Timestamp now, const CandidatePair& p, ByteSpan request) {
  send_from(now, local(p.local), *remote(p.remote).address, request);
}

void Agent::start_check(Timestamp now, PairId id, bool nominate) {
  const auto& p = check_list_[id];
  CheckRequest r;
  r.local_ufrag = local_ufrag_;
  r.remote_ufrag = remote_ufrag_;
  r.remote_pwd = remote_pwd_;
  r.priority = prflx_priority(local(p.local));
  r.controlling = role_ == Role::kControlling;
  r.tie_breaker = tie_breaker_;
  r.use_candidate = nominate && role_ == Role::kControlling;
  stun::TransactionId tid;
  random_.fill(tid.bytes);
  std::array<std::byte, kMaxCheckMessage> buf;
  const auto bytes = build_check_request(buf, tid, r);
  if (bytes.empty()) return;
  check_list_.start_check(now, id, bytes, r.use_candidate);
}

void Agent::on_stun(Timestamp now, SocketId socket, std::optional<std::size_t> via_relay,
                    const SocketAddress& from, const stun::MessageView& m) {
  const auto cls = m.message_class();
  if (cls == stun::MessageClass::kRequest) {
    if (m.method() != stun::Method::kBinding) return;
    if (auto l = local_for(socket, via_relay)) on_request(now, *l, from, m);
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
  if (const auto answered = check_list_.answered(m.transaction_id())) {
    const auto& p = check_list_[answered->pair];
    // §7.2.5.2.1: the response must come from where the request went, on the same base.
    const auto& l = local(p.local);
    const bool symmetric = from == *remote(p.remote).address && l.relay == via_relay &&
                           (via_relay || l.socket == socket);
    const auto response = verify_check_response(m, remote_pwd_);
    if (!response) return;  // not authentic: as if lost
    if (!symmetric) {
      check_list_.fail_asymmetric(answered->pair);
      return;
    }
    const bool nominated = check_list_.take_answer(now, *answered, m);
    on_check_response(now, answered->pair, nominated, *response);
    return;
  }
  const auto path = active_path();
  if (consent_.expects(m.transaction_id()) && path && path->remote == from)
    consent_.on_response(now, m);
}

void Agent::on_check_response(Timestamp now, PairId id, bool nominated,
                              const CheckResponse& response) {
  if (!response.success) {
    if (response.error_code == stun::error::kRoleConflict) {
      // §7.2.5.1: switch role and check this pair again.
      switch_role();
      check_list_.retry_after_role_conflict(id);
      arm_checks(now);
      return;
    }
    check_list_.fail(now, id, nominated);
    return;
  }
  // §7.2.5.3.1: the mapped address names the local candidate of the valid pair; if we do not
  // know it, it is a new peer-reflexive candidate with the priority the request carried.
  const LocalCandidateId generating_id = check_list_[id].local;
  const RemoteCandidateId remote_id = check_list_[id].remote;
  std::optional<LocalCandidateId> valid_local;
  {
    const auto& generating = local(generating_id);
    for (std::size_t l = 0; l < locals_.size(); ++l) {
      const auto& c = locals_[l];
      if (c.address == *response.mapped && c.socket == generating.socket &&
          c.relay == generating.relay)
        valid_local = LocalCandidateId{l};
    }
  }
  if (!valid_local) {
    const auto& generating = local(generating_id);
    LocalCandidate c;
    c.candidate.type = CandidateType::kPeerReflexive;
    c.candidate.priority = prflx_priority(generating);
    c.candidate.foundation =
        foundation_for(CandidateType::kPeerReflexive, generating.base.ip(), "");
    c.candidate.related_address = generating.base.ip().to_string();
    c.candidate.related_port = generating.base.port();
    c.address = *response.mapped;
    c.base = generating.base;
    c.socket = generating.socket;
    c.relay = generating.relay;
    valid_local = add_local_candidate(now, std::move(c));
    if (!valid_local) valid_local = generating_id;  // limit reached: the generating pair
  }
  // Succeeded before the valid pair is added, so that a full list cannot replace it.
  check_list_[id].state = PairState::kSucceeded;
  PairId valid = id;
  if (*valid_local != generating_id) {
    if (const auto added = add_pair(now, *valid_local, remote_id, PairState::kSucceeded))
      valid = *added;
  }
  check_list_.mark_valid(now, id, valid, nominated);
  update_selection(now);
}

void Agent::on_request(Timestamp now, LocalCandidateId l, const SocketAddress& from,
                       const stun::MessageView& m) {
  std::array<std::byte, kMaxCheckMessage> buf;
  auto check = verify_check_request(m, local_ufrag_, local_pwd_);
  if (!check && previous_) {
    // The peer has not restarted yet: answer on the old session so its consent holds.
    if (verify_check_request(m, previous_->local_ufrag, previous_->local_pwd)) {
      send_from(now, local(l), from,
                build_check_success(buf, m.transaction_id(), from, previous_->local_pwd));
      return;
    }
  }
  if (!check) {
    if (check.error().code != 0)
      send_from(now, local(l), from,
                build_check_error(buf, m.transaction_id(), check.error().code, local_pwd_));
    return;
  }
  if (!remote_ufrag_.empty() && check->remote_ufrag != remote_ufrag_) return;  // stale peer
  // §7.3.1.1: role conflict, decided by the tie-breakers.
  const bool conflict = (role_ == Role::kControlling) == check->remote_controlling;
  if (conflict) {
    const bool we_win = tie_breaker_ >= check->tie_breaker;
    if ((role_ == Role::kControlling) == we_win) {
      send_from(now, local(l), from,
                build_check_error(buf, m.transaction_id(), stun::error::kRoleConflict, local_pwd_));
      return;
    }
    switch_role();
  }
  auto r = remote_by_address(from);
  if (!r && remotes_.size() < config_.limits.max_remote_candidates) {
    // §7.3.1.3: an unknown source is a peer-reflexive remote candidate.
    Candidate c;
    c.type = CandidateType::kPeerReflexive;
    c.priority = check->priority;
    c.foundation = "p" + std::to_string(++prflx_count_);
    c.address = from.ip().to_string();
    c.port = from.port();
    remotes_.push_back(RemoteCandidate{c, from});
    r = RemoteCandidateId{remotes_.size() - 1};
  }
  send_from(now, local(l), from, build_check_success(buf, m.transaction_id(), from, local_pwd_));
  if (!r) return;
  auto pair = check_list_.find(l, *r);
  if (!pair) pair = add_pair(now, l, *r, PairState::kWaiting);
  if (!pair) return;
  const auto incoming =
      check_list_.on_check_received(*pair, check->use_candidate && role_ == Role::kControlled);
  if (incoming.triggered) arm_checks(now);
  if (incoming.select) update_selection(now);
}

void Agent::update_selection(Timestamp now) {
  if (!check_list_.update_selection()) return;
  previous_.reset();
  consent_.start(now);
  emit(Event{Event::Kind::kSelectedPairChanged, {}});
  set_state(ConnectionState::kConnected);
}

}  // namespace peerkit::ice
