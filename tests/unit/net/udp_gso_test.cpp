// net/udp_gso: bursts leave in one GSO call and arrive as the same datagrams, split by the
// kernel for an ordinary socket and still joined (with the segment size) for a GRO socket.
// Real UDP sockets on 127.0.0.1.
#include "net/udp_gso.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <vector>

#include "net/endpoint.h"

namespace peerkit::net {
namespace {

struct UdpSocket {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  SocketAddress address;
  UdpSocket() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    sockaddr_storage s{};
    socklen_t len = sizeof s;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len);
    address = *from_sockaddr(reinterpret_cast<sockaddr*>(&s), len);
  }
  ~UdpSocket() { ::close(fd); }
};

std::vector<std::byte> datagram(std::size_t size, int tag) {
  return std::vector<std::byte>(size, static_cast<std::byte>(tag));
}

// The datagrams arriving on `fd` until `expected` are in (or 5 s pass), split by the reported
// segment size; `joined` counts reads that carried more than one.
std::vector<std::vector<std::byte>> read_all(int fd, std::size_t expected, int* joined = nullptr) {
  std::vector<std::vector<std::byte>> out;
  std::vector<std::byte> buffer(65536);
  SocketAddress from;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
    auto got = receive_segments(fd, buffer, from);
    if (!got) {
      pollfd p{fd, POLLIN, 0};
      (void)::poll(&p, 1, 100);
      continue;
    }
    if (joined && got->count() > 1) ++*joined;
    for (std::size_t at = 0; at < got->bytes; at += got->segment)
      out.emplace_back(buffer.begin() + static_cast<std::ptrdiff_t>(at),
                       buffer.begin() + static_cast<std::ptrdiff_t>(std::min(at + got->segment, got->bytes)));
  }
  return out;
}

TEST(GsoSender, ARunOfEqualDatagramsLeavesInOneCallAndArrivesAsTheSameDatagrams) {
  UdpSocket from, to;
  std::vector<std::vector<std::byte>> sent;
  for (int i = 0; i < 20; ++i) sent.push_back(datagram(1200, i));
  sent.push_back(datagram(300, 99));  // a short last segment still belongs to the run
  GsoSender out;
  for (const auto& d : sent) out.add(from.fd, to.address, d);
  out.flush();
  EXPECT_EQ(out.calls(), 1u);
  EXPECT_EQ(out.datagrams(), sent.size());
  EXPECT_EQ(read_all(to.fd, sent.size()), sent);
}

TEST(GsoSender, AGroSocketReceivesTheRunJoinedWithItsSegmentSize) {
  UdpSocket from, to;
  ASSERT_TRUE(enable_gro(to.fd));
  std::vector<std::vector<std::byte>> sent;
  for (int i = 0; i < 10; ++i) sent.push_back(datagram(1100, i));
  GsoSender out;
  for (const auto& d : sent) out.add(from.fd, to.address, d);
  out.flush();
  int joined = 0;
  EXPECT_EQ(read_all(to.fd, sent.size(), &joined), sent);
  EXPECT_EQ(joined, 1);
}

TEST(GsoSender, RunsBreakAtANewDestinationALargerDatagramAfterAShortOneAndTheSegmentLimit) {
  UdpSocket from, a, b;
  GsoSender out;
  std::vector<std::vector<std::byte>> to_a, to_b;
  for (int i = 0; i < 3; ++i) to_a.push_back(datagram(1000, i));
  to_a.push_back(datagram(10, 3));  // closes the run: the next one cannot join it
  to_a.push_back(datagram(1000, 4));
  for (const auto& d : to_a) out.add(from.fd, a.address, d);
  for (int i = 0; i < 2; ++i) to_b.push_back(datagram(500, i));
  for (const auto& d : to_b) out.add(from.fd, b.address, d);
  out.flush();
  EXPECT_EQ(out.calls(), 3u);  // [1000 ×3, 10] [1000] to a, [500 ×2] to b
  EXPECT_EQ(read_all(a.fd, to_a.size()), to_a);
  EXPECT_EQ(read_all(b.fd, to_b.size()), to_b);

  GsoSender many;
  std::vector<std::vector<std::byte>> burst;
  for (int i = 0; i < 100; ++i) burst.push_back(datagram(200, i));
  for (const auto& d : burst) many.add(from.fd, a.address, d);
  many.flush();
  EXPECT_EQ(many.calls(), 2u);  // 64 + 36 segments
  EXPECT_EQ(read_all(a.fd, burst.size()), burst);
}

TEST(GsoSender, WithoutGsoTheSameDatagramsGoSeparatelyInOneSendmmsg) {
  UdpSocket from, to;
  GsoSender out;
  out.disable_gso();
  std::vector<std::vector<std::byte>> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(datagram(1200, i));
  for (const auto& d : sent) out.add(from.fd, to.address, d);
  out.flush();
  EXPECT_EQ(out.calls(), 1u);
  EXPECT_EQ(out.datagrams(), 5u);
  int joined = 0;
  EXPECT_EQ(read_all(to.fd, sent.size(), &joined), sent);
  EXPECT_EQ(joined, 0);
}

// An SFU's fan-out: one packet to each of many destinations, then a burst to one of them; the
// singles leave in sendmmsg batches of at most kMaxMessages, before the burst, each where it goes.
TEST(GsoSender, SinglesToManyDestinationsLeaveTogetherAndInOrder) {
  UdpSocket from;
  std::vector<std::unique_ptr<UdpSocket>> subscribers;
  for (int i = 0; i < 70; ++i) subscribers.push_back(std::make_unique<UdpSocket>());
  GsoSender out;
  std::vector<std::vector<std::byte>> packets;
  for (int i = 0; i < 70; ++i) packets.push_back(datagram(900, i));
  for (int i = 0; i < 70; ++i) out.add(from.fd, subscribers[i]->address, packets[i]);
  std::vector<std::vector<std::byte>> burst;
  for (int i = 0; i < 3; ++i) burst.push_back(datagram(900, 100 + i));
  for (const auto& d : burst) out.add(from.fd, subscribers[0]->address, d);
  out.flush();
  EXPECT_EQ(out.calls(), 3u);  // 64 singles, 6 singles, the GSO run
  EXPECT_EQ(out.datagrams(), 73u);
  EXPECT_EQ(out.dropped(), 0u);
  auto first = read_all(subscribers[0]->fd, 4);
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(first[0], packets[0]);  // its single before the burst
  for (int i = 0; i < 3; ++i) EXPECT_EQ(first[static_cast<std::size_t>(i) + 1], burst[static_cast<std::size_t>(i)]);
  for (int i = 1; i < 70; ++i) EXPECT_EQ(read_all(subscribers[i]->fd, 1), std::vector<std::vector<std::byte>>{packets[i]}) << i;
}

TEST(ReceiveSegments, NothingWaitingIsNullopt) {
  UdpSocket s;
  std::vector<std::byte> buffer(2048);
  SocketAddress from;
  EXPECT_FALSE(receive_segments(s.fd, buffer, from));
}

}  // namespace
}  // namespace peerkit::net
