// The check list (RFC 8445 §6.1.2) of the one component the agent has: its pairs and their
// states, the frozen/waiting rules by foundation (§6.1.2.6, RFC 8838 §10), one check per Ta
// (§6.1.4.2, §14.2), the triggered-check queue (§7.3.1.4, replacing an in-progress check), the
// valid list (§7.2.5.3.2), regular nomination timing (§8.1.1) and the selected pair.
//
// What it does not know: candidates and credentials. The agent pairs candidates (it computes
// priorities and foundations), builds the check requests and sends them, so this class stays a
// state machine over pair indices with a two-call Context (the dcSCTP handler pattern).
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/time.h"
#include "ice/agent_config.h"
#include "ice/pair.h"
#include "stun/client_transaction.h"
#include "stun/message.h"

namespace peerkit::ice {

struct CheckListConfig {
  Duration ta = Duration::millis(50);
  stun::TransactionConfig check_transaction;
  Duration nomination_wait;
  Duration nomination_max_wait = Duration::seconds(1);
  std::size_t max_pairs = 256;
  std::size_t max_triggered = 64;

  static CheckListConfig from(const AgentConfig& c) {
    return {c.ta,
            c.check_transaction,
            c.nomination_wait,
            c.nomination_max_wait,
            c.limits.max_pairs,
            c.limits.max_triggered};
  }
};

class CheckList {
 public:
  class Context {
   public:
    virtual ~Context() = default;
    // The agent's role now (it changes on a role conflict, §7.2.5.1 and §7.3.1.1).
    virtual Role local_role() const = 0;
    // Sends a check request (first transmission or retransmission) on the pair's path.
    virtual void send_check(Timestamp now, const CandidatePair& pair, ByteSpan request) = 0;
  };

  CheckList(CheckListConfig config, Context& context) : config_(config), context_(context) {}

  // The pairs, indexed by PairId.
  bool empty() const { return pairs_.empty(); }
  std::size_t size() const { return pairs_.size(); }
  const std::vector<CandidatePair>& pairs() const { return pairs_; }
  CandidatePair& operator[](PairId id) { return pairs_[id.value]; }
  const CandidatePair& operator[](PairId id) const { return pairs_[id.value]; }
  std::optional<PairId> find(LocalCandidateId local, RemoteCandidateId remote) const;

  // Adds `pair` (local, remote, priority and foundation set). kFrozen means "by the rules": a
  // new pair is Waiting unless its foundation already has a pair at work (RFC 8838 §10). A full
  // list replaces its lowest-priority idle pair if the new one beats it (the pruning of §6.1.2.5
  // under a limit), else refuses. Returns where the pair is, or nullopt.
  std::optional<PairId> add(CandidatePair pair, PairState state);
  // New priorities after a role change (§6.1.2.3 depends on who controls).
  template <class PriorityOf>
  void reprioritize(PriorityOf&& priority_of) {
    for (auto& p : pairs_) p.priority = priority_of(p);
  }
  // Everything but the pacing of the last check: for an ICE restart (§9) and close.
  void clear();

  // Whether a pair is still frozen, waiting or in progress.
  bool pending() const;
  // Nothing left to check and no valid pair (the agent's `failed` when candidates are done).
  bool exhausted() const;
  // §7.2.5.3.3: pairs of a foundation that just succeeded are unfrozen.
  void unfreeze(const std::string& foundation);

  // Ta pacing: arm() schedules the next check (not sooner than Ta after the last one);
  // check_due() says it is time; next_check() picks the pair (triggered first, then the best
  // Waiting pair, then the best Frozen pair whose foundation is idle, §6.1.4.2); paced() records
  // whether a check went out.
  void arm(Timestamp now);
  bool check_due(Timestamp now) const { return now >= next_check_; }
  std::optional<PairId> next_check();
  void paced(Timestamp now, bool sent);
  // §7.3.1.4: queues a triggered check (bounded by max_triggered).
  void trigger(PairId id);

  // Checks in flight.
  void start_check(Timestamp now, PairId id, ByteSpan request, bool nominates);
  void tick(Timestamp now);  // retransmissions and give-ups
  struct Answered {
    PairId pair;
    bool replaced = false;  // the answer is to the check a triggered one replaced
  };
  std::optional<Answered> answered(const stun::TransactionId& id) const;
  // §7.2.5.2.1: an answer from elsewhere than the request went fails the pair.
  void fail_asymmetric(PairId id);
  // An authentic answer: ends the transaction, takes its RTT. Returns whether it nominated.
  bool take_answer(Timestamp now, const Answered& a, const stun::MessageView& m);
  // After take_answer: a 487 (the agent switched roles, §7.2.5.1) checks the pair again; any
  // other error fails it.
  void retry_after_role_conflict(PairId id);
  void fail(Timestamp now, PairId id, bool nominated);
  // A success (§7.2.5.3): `valid` (the generating pair, or the pair of the mapped address) goes
  // on the valid list; nominated if the check nominated or USE-CANDIDATE came first.
  void mark_valid(Timestamp now, PairId generating, PairId valid, bool nominated);

  // A check the peer sent on `id` (§7.3.1.4 triggered check, §7.3.1.5 nomination when
  // controlled). `triggered`: the agent should arm the pacing; `select`: a nomination took
  // effect and the selection may change.
  struct Incoming {
    bool triggered = false;
    bool select = false;
  };
  Incoming on_check_received(PairId id, bool nominate);

  // Regular nomination (§8.1.1), controlling side only.
  void schedule_nomination(Timestamp now);
  // The pair to nominate now, if nomination is due and no better pair is still plausible.
  std::optional<PairId> nominate(Timestamp now);

  std::optional<PairId> selected() const { return selected_; }
  // The best valid nominated pair becomes the selected one (the controlled side follows new
  // nominations; the controlling side keeps its first). True if the selection changed.
  bool update_selection();

  Timestamp next_timeout() const;

 private:
  bool foundation_busy(const std::string& foundation) const;

  CheckListConfig config_;
  Context& context_;
  std::vector<CandidatePair> pairs_;
  std::deque<PairId> triggered_;
  std::optional<PairId> selected_;
  Timestamp next_check_ = Timestamp::never();
  Timestamp last_check_ = Timestamp::never();
  Timestamp nominate_at_ = Timestamp::never();
  Timestamp first_valid_at_ = Timestamp::never();
  bool nominating_ = false;
};

}  // namespace peerkit::ice
