// Two SCTP associations on a simulated link driven by a virtual clock: every packet may be
// lost, duplicated, delayed and so reordered, with a seeded random source so runs repeat.
#pragma once

#include <functional>
#include <map>
#include <random>
#include <vector>

#include "common/random.h"
#include "common/time.h"
#include "sctp/association.h"

namespace peerkit::sctp::test {

struct LinkProfile {
  double loss = 0;         // each way
  double duplicate = 0;
  Duration delay = Duration::millis(10);
  Duration jitter = Duration::millis(0);  // uniform extra delay: reorders packets
};

class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(std::uint32_t seed) : engine_(seed) {}
  void fill(std::span<std::byte> out) override {
    for (auto& b : out) b = std::byte(static_cast<std::uint8_t>(engine_()));
  }

 private:
  std::mt19937 engine_;
};

struct Sim {
  ManualClock clock;
  FixedRandom random_a{1}, random_b{2};
  Association a;
  Association b;
  LinkProfile profile;
  std::mt19937 link_random{7};
  std::multimap<Timestamp, std::pair<bool, std::vector<std::byte>>> in_flight;  // to_b?, bytes
  std::vector<ReceivedMessage> got_a, got_b;
  std::vector<AssociationEvent> events_a, events_b;
  std::uint64_t packets = 0;
  std::function<void(bool to_b, std::vector<std::byte>&)> tamper;
  // Datagrams handled before the output is drained; 0: all that are due at one instant (one
  // input batch). peerkit's ICE driver drains after every kDatagramsPerRound.
  std::size_t batch = 0;

  explicit Sim(AssociationConfig ca = {}, AssociationConfig cb = {}, LinkProfile p = {})
      : a(ca, random_a), b(cb, random_b), profile(p) {}

  void send_out(Association& from, bool to_b) {
    std::uniform_real_distribution<double> u(0, 1);
    for (const Transmit& t : from.transmits()) {
      ++packets;
      std::vector<std::byte> bytes(t.data.begin(), t.data.end());
      if (tamper) tamper(to_b, bytes);
      int copies = u(link_random) < profile.loss ? 0 : 1;
      if (copies && u(link_random) < profile.duplicate) copies = 2;
      for (int i = 0; i < copies; ++i) {
        const auto extra = Duration::micros(static_cast<std::int64_t>(u(link_random) * profile.jitter.us()));
        in_flight.emplace(clock.now() + profile.delay + extra, std::make_pair(to_b, bytes));
      }
    }
  }

  void collect() {
    while (auto e = a.poll_event()) {
      if (auto* m = std::get_if<ReceivedMessage>(&*e)) got_a.push_back(std::move(*m));
      else events_a.push_back(std::move(*e));
    }
    while (auto e = b.poll_event()) {
      if (auto* m = std::get_if<ReceivedMessage>(&*e)) got_b.push_back(std::move(*m));
      else events_b.push_back(std::move(*e));
    }
  }

  // Runs until `done` or `limit` of virtual time passes; returns whether done.
  bool run(const std::function<bool()>& done, Duration limit = Duration::seconds(60)) {
    const Timestamp end = clock.now() + limit;
    for (;;) {
      send_out(a, true);
      send_out(b, false);
      collect();
      if (done()) return true;
      std::optional<Timestamp> next;
      if (!in_flight.empty()) next = in_flight.begin()->first;
      for (const auto& t : {a.next_timeout(), b.next_timeout()})
        if (t && (!next || *t < *next)) next = t;
      if (!next || *next > end) return false;
      if (*next > clock.now()) clock.set(*next);
      std::size_t handled = 0;
      while (!in_flight.empty() && in_flight.begin()->first <= clock.now()) {
        auto node = in_flight.extract(in_flight.begin());
        auto& [to_b, bytes] = node.mapped();
        (to_b ? b : a).handle_packet(clock.now(), bytes);
        // One input batch per delivery instant (or per `batch` datagrams): drained once all
        // packets due now are in.
        if (batch && ++handled % batch == 0) {
          send_out(a, true);
          send_out(b, false);
        }
      }
      for (Association* x : {&a, &b})
        if (const auto t = x->next_timeout(); t && *t <= clock.now()) x->handle_timeout(clock.now());
    }
  }

  bool connect_both() {
    a.connect(clock.now());
    b.connect(clock.now());
    return run([&] {
      return a.state() == AssociationState::kEstablished && b.state() == AssociationState::kEstablished;
    });
  }

  template <class E>
  static std::vector<E> of(const std::vector<AssociationEvent>& events) {
    std::vector<E> out;
    for (const auto& e : events)
      if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
    return out;
  }
};

inline std::vector<std::byte> pattern(std::size_t size, std::uint32_t seed) {
  std::vector<std::byte> v(size);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x = x * 1103515245u + 12345u;
    b = std::byte(static_cast<std::uint8_t>(x >> 16));
  }
  return v;
}

}  // namespace peerkit::sctp::test
