// Stateful fuzzer for the ICE agent: the input is a script of API calls, timer expiries and
// packets. Packets are either raw bytes or well-formed checks and answers built with the
// agent's real credentials (so the fuzzer reaches pairing, nomination, consent and restart
// instead of stopping at MESSAGE-INTEGRITY). Invariants: no crash, no sanitizer report, every
// wake-up time moves forward, the selected pair is always a valid one, bounded state.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/random.h"
#include "ice/agent.h"
#include "ice/stun_check.h"
#include "stun/attributes.h"
#include "stun/constants.h"

namespace {

using namespace peerkit;

struct Script {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() { return n ? (--n, *p++) : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  std::uint32_t u32() { return std::uint32_t{u16()} << 16 | u16(); }
  ByteSpan bytes(std::size_t max) {
    const std::size_t len = std::min<std::size_t>(byte() % (max + 1), n);
    ByteSpan out(reinterpret_cast<const std::byte*>(p), len);
    p += len;
    n -= len;
    return out;
  }
};

const SocketAddress kRemotes[] = {
    *SocketAddress::parse("198.51.100.7:5000"), *SocketAddress::parse("198.51.100.8:6000"),
    *SocketAddress::parse("[2001:db8::7]:5000"), *SocketAddress::parse("203.0.113.10:3478")};
constexpr const char* kRemoteUfrag = "rUfr";
constexpr const char* kRemotePwd = "remote-password-22char";

void check_invariants(const ice::Agent& a, Timestamp now) {
  if (a.next_timeout() < now) {
    // A wake-up in the past would make a driver spin.
    std::abort();
  }
  if (auto p = a.selected_pair(); p && p->local.port == 0) std::abort();
  if (a.stats().size() > 256 || a.local_candidates().size() > 24) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Script s{data, size};
  SeededRandom random(s.u32());
  ice::AgentConfig config;
  config.role = s.byte() & 1 ? ice::Role::kControlling : ice::Role::kControlled;
  config.policy = s.byte() % 4 == 0 ? ice::TransportPolicy::kRelay : ice::TransportPolicy::kAll;
  config.servers.push_back({ice::IceServer::Kind::kStun, kRemotes[3]});
  config.servers.push_back(
      {ice::IceServer::Kind::kTurn, kRemotes[3], ice::ServerTransport::kUdp, "u", "p"});
  config.limits.max_remote_candidates = 8;
  config.limits.max_pairs = 16;
  ice::Agent agent(config, random);
  agent.add_host_socket(*SocketAddress::parse("192.0.2.1:4000"));
  agent.add_host_socket(*SocketAddress::parse("[2001:db8::1]:4000"));
  Timestamp now = Timestamp::from_micros(1'000'000);
  agent.gather(now);
  std::vector<std::byte> last_request;  // the last STUN request the agent sent, and where
  SocketId last_socket;
  SocketAddress last_to;

  for (int step = 0; step < 256 && s.n > 0; ++step) {
    const std::uint8_t op = s.byte() % 12;
    switch (op) {
      case 0: {  // raw packet
        const SocketId socket{static_cast<std::uint32_t>(s.byte() % 3)};
        const auto& from = kRemotes[s.byte() % 4];
        agent.handle_packet(now, socket, from, s.bytes(200));
        break;
      }
      case 1:
        agent.set_remote_credentials(now, kRemoteUfrag, kRemotePwd);
        break;
      case 2: {  // a candidate, from the script's own text
        const auto text = s.bytes(120);
        if (auto c = ice::parse_candidate(as_string_view(text)))
          agent.add_remote_candidate(now, *c);
        break;
      }
      case 3: {  // a well-formed candidate for one of the known remotes
        const auto& a = kRemotes[s.byte() % 3];
        ice::Candidate c;
        c.foundation = std::to_string(s.byte() % 4);
        c.priority = s.u32() | 1;
        c.address = s.byte() % 8 == 0 ? "abc.local" : a.ip().to_string();
        c.port = a.port();
        c.type = static_cast<ice::CandidateType>(s.byte() % 4);
        agent.add_remote_candidate(now, c);
        if (c.address == "abc.local" && s.byte() & 1)
          agent.resolve_remote_host(now, "abc.local", a.ip());
        break;
      }
      case 4: {  // a valid check from a remote, with fuzzed role/priority/nomination
        ice::CheckRequest r;
        r.local_ufrag = kRemoteUfrag;
        r.remote_ufrag = agent.local_ufrag();
        r.remote_pwd = agent.local_pwd();
        r.priority = s.u32();
        r.controlling = s.byte() & 1;
        r.tie_breaker = std::uint64_t{s.u32()} << 32 | s.u32();
        r.use_candidate = s.byte() & 1;
        stun::TransactionId tid;
        random.fill(tid.bytes);
        std::array<std::byte, ice::kMaxCheckMessage> buf;
        agent.handle_packet(now, SocketId{static_cast<std::uint32_t>(s.byte() % 2)},
                            kRemotes[s.byte() % 3], ice::build_check_request(buf, tid, r));
        break;
      }
      case 5: {  // answer the last request the agent sent
        if (last_request.size() < 20) break;
        auto m = stun::MessageView::parse(last_request);
        if (!m) break;
        std::array<std::byte, 256> buf;
        const auto kind = s.byte() % 4;
        const SocketAddress mapped = kRemotes[s.byte() % 4];
        ByteSpan reply;
        if (kind == 0)
          reply = ice::build_check_success(buf, m->transaction_id(), mapped, kRemotePwd);
        else if (kind == 1)
          reply = ice::build_check_error(buf, m->transaction_id(), 487, kRemotePwd);
        else if (kind == 2) {
          stun::MessageBuilder b(buf, stun::Method::kBinding, stun::MessageClass::kSuccess,
                                 m->transaction_id());
          stun::add_xor_address(b, stun::attr::kXorMappedAddress, mapped);
          b.add_fingerprint();
          reply = b.finish();  // a STUN server's answer (no integrity)
        } else {
          reply = ice::build_check_error(buf, m->transaction_id(), 400 + s.byte() % 90, kRemotePwd);
        }
        const SocketAddress from = s.byte() % 4 == 0 ? kRemotes[s.byte() % 4] : last_to;
        agent.handle_packet(now, last_socket, from, reply);
        break;
      }
      case 6:
        now = now + Duration::micros(s.u16() * 100);
        break;
      case 7:
        now =
            std::max(now, agent.next_timeout() == Timestamp::never() ? now : agent.next_timeout());
        break;
      case 8:
        agent.restart(now);
        break;
      case 9:
        agent.remote_end_of_candidates(now);
        break;
      case 10: {
        const auto payload = s.bytes(64);
        agent.send(now, payload);
        break;
      }
      case 11:
        if (s.byte() == 0xFF)
          agent.close(now);
        else
          agent.set_remote_lite(s.byte() & 1);
        break;
    }
    agent.handle_timeout(now);
    for (const Transmit& t : agent.transmits()) {
      if (!t.data.empty() && std::to_integer<int>(t.data[0]) < 2) {
        last_request.assign(t.data.begin(), t.data.end());
        last_socket = t.socket;
        last_to = t.to;
      }
    }
    while (agent.poll_event()) {
    }
    check_invariants(agent, now);
  }
  return 0;
}
