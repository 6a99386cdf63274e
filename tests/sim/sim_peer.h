// Two ICE agents on the simulated network, with a signaling channel between them that carries
// credentials and trickled candidates after a delay, and a scenario loop that jumps the virtual
// clock from one event to the next.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ice/agent.h"
#include "sim_network.h"
#include "sim_turn.h"

namespace peerkit::sim {

class Peer {
 public:
  Peer(Network& net, std::string name, ice::AgentConfig config, std::uint64_t seed)
      : name(std::move(name)),
        net_(net),
        random_(seed),
        agent(std::make_unique<ice::Agent>(std::move(config), random_)) {}

  void add_socket(const SocketAddress& local) {
    const auto id = agent->add_host_socket(local);
    sockets_.push_back(local);
    net_.bind(local, [this, id](const SocketAddress& from, ByteSpan data) {
      auto r = agent->handle_packet(net_.now(), id, from, data);
      if (!r.payload.empty()) received.emplace_back(as_string_view(r.payload));
      flush();
    });
  }

  // Moves what the agent wants to send into the network, and its events into `events`.
  void flush() {
    for (const Transmit& t : agent->transmits())
      net_.send(sockets_.at(t.socket.value), t.to, t.data);
    while (auto e = agent->poll_event()) {
      if (e->kind == ice::Event::Kind::kStateChanged) {
        states.push_back(e->state);
        state_times.push_back(net_.now());
      }
      if (e->kind == ice::Event::Kind::kLocalCandidate) local_candidates.push_back(e->candidate);
      if (e->kind == ice::Event::Kind::kGatheringComplete) gathering_done = true;
      if (e->kind == ice::Event::Kind::kSelectedPairChanged) selected_at = net_.now();
      if (on_event) on_event(*e);
    }
  }

  bool reached(ice::ConnectionState s) const {
    return std::find(states.begin(), states.end(), s) != states.end();
  }
  Timestamp time_of(ice::ConnectionState s) const {
    for (std::size_t i = 0; i < states.size(); ++i)
      if (states[i] == s) return state_times[i];
    return Timestamp::never();
  }

  std::string name;
  Network& net_;
  SeededRandom random_;
  std::unique_ptr<ice::Agent> agent;
  std::vector<SocketAddress> sockets_;
  std::vector<ice::ConnectionState> states;
  std::vector<Timestamp> state_times;
  std::vector<ice::Candidate> local_candidates;
  std::vector<std::string> received;
  bool gathering_done = false;
  Timestamp selected_at = Timestamp::never();
  std::function<void(const ice::Event&)> on_event;
};

// A call between two peers: each one's credentials and candidates reach the other after
// `signaling_delay`, in order, like a WebSocket relay would deliver them.
class Call {
 public:
  Call(Network& net, Peer& a, Peer& b, Duration signaling_delay = Duration::millis(20))
      : net_(net), a_(a), b_(b), delay_(signaling_delay) {
    hook(a_, b_);
    hook(b_, a_);
  }

  void start() {
    const Timestamp now = net_.now();
    post(now + credentials_delay, [this] { send_credentials(a_, b_); });
    post(now + credentials_delay, [this] { send_credentials(b_, a_); });
    a_.agent->gather(now);
    b_.agent->gather(now);
    a_.flush();
    b_.flush();
  }
  // What an application does on ICE restart: new credentials from both sides, new candidates.
  void restart() {
    const Timestamp now = net_.now();
    a_.agent->restart(now);
    b_.agent->restart(now);
    a_.flush();
    b_.flush();
    post(now, [this] { send_credentials(a_, b_); });
    post(now, [this] { send_credentials(b_, a_); });
  }

  // Runs the loop until `done()` holds or the virtual clock passes `limit`.
  bool run_until(const std::function<bool()>& done, Duration limit) {
    const Timestamp end = net_.now() + limit;
    while (!done()) {
      Timestamp next = std::min({net_.next_delivery(), a_.agent->next_timeout(),
                                 b_.agent->next_timeout(), next_signal()});
      for (auto* s : servers) next = std::min(next, s->next_timeout());
      if (next > end) {
        net_.advance_to(end);
        return done();
      }
      // A core that keeps asking to be woken at a time already handled would spin here.
      spins_ = next <= net_.now() ? spins_ + 1 : 0;
      if (spins_ > 10000) {
        ADD_FAILURE() << "a timer does not advance at " << net_.now().us() << " us";
        return false;
      }
      net_.advance_to(next);
      const Timestamp now = net_.now();
      while (!signals_.empty() && signals_.front().first <= now) {
        auto f = std::move(signals_.front().second);
        signals_.pop_front();
        f();
      }
      for (auto* s : servers)
        if (s->next_timeout() <= now) s->handle_timeout(now);
      for (Peer* p : {&a_, &b_}) {
        if (p->agent->next_timeout() <= now) p->agent->handle_timeout(now);
        p->flush();
      }
    }
    return true;
  }

  std::vector<TurnServer*> servers;
  bool trickle = true;
  Duration credentials_delay;  // extra, on top of the signaling delay

 private:
  void hook(Peer& from, Peer& to) {
    from.on_event = [this, &to](const ice::Event& e) {
      if (e.kind == ice::Event::Kind::kLocalCandidate && trickle) {
        const auto c = e.candidate;
        post(net_.now(), [this, &to, c] {
          to.agent->add_remote_candidate(net_.now(), c);
          to.flush();
        });
      }
      if (e.kind == ice::Event::Kind::kGatheringComplete)
        post(net_.now(), [this, &to] {
          to.agent->remote_end_of_candidates(net_.now());
          to.flush();
        });
    };
  }
  void send_credentials(Peer& from, Peer& to) {
    to.agent->set_remote_credentials(net_.now(), from.agent->local_ufrag(),
                                     from.agent->local_pwd());
    to.flush();
  }
  void post(Timestamp now, std::function<void()> f) {
    // In order of delivery time; equal times keep the order they were posted in.
    const Timestamp at = now + delay_;
    auto it = signals_.end();
    while (it != signals_.begin() && std::prev(it)->first > at) --it;
    signals_.emplace(it, at, std::move(f));
  }
  Timestamp next_signal() const {
    return signals_.empty() ? Timestamp::never() : signals_.front().first;
  }

  Network& net_;
  Peer& a_;
  Peer& b_;
  Duration delay_;
  std::deque<std::pair<Timestamp, std::function<void()>>> signals_;
  int spins_ = 0;
};

}  // namespace peerkit::sim
