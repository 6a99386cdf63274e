#include "common/transmit.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <vector>

namespace peerkit {
namespace {

const SocketAddress kTo = *SocketAddress::parse("192.0.2.7:9");

std::string text(ByteSpan b) {
  return std::string(as_string_view(b));
}

std::vector<std::string> drain_all(TransmitQueue& q) {
  std::vector<std::string> out;
  for (const Transmit& t : q.drain()) out.push_back(text(t.data));
  return out;
}

TEST(TransmitQueue, OwnedBytesAreCopiedAndBorrowedOnesPointIntoTheInput) {
  TransmitQueue q;
  std::string input = "abc";
  q.push(SocketId{1}, kTo, as_bytes(input));
  q.push(SocketId{2}, kTo, Borrowed{as_bytes(input)});
  input[0] = 'x';  // the input batch changes before the drain (which a driver must not do)
  std::vector<Transmit> seen;
  std::vector<std::string> bytes;
  for (const Transmit& t : q.drain()) {
    seen.push_back(t);
    bytes.push_back(text(t.data));
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[0].borrowed);
  EXPECT_EQ(bytes[0], "abc");  // owned: a copy made at push time
  EXPECT_TRUE(seen[1].borrowed);
  EXPECT_EQ(bytes[1], "xbc");  // borrowed: the input itself
  EXPECT_EQ(seen[1].data.data(), reinterpret_cast<const std::byte*>(input.data()));
  EXPECT_EQ(seen[0].socket, SocketId{1});
  EXPECT_EQ(seen[1].socket, SocketId{2});
  EXPECT_EQ(seen[0].to, kTo);
}

TEST(TransmitQueue, KeepsPushOrderAcrossOwnedBorrowedAndReserved) {
  TransmitQueue q;
  const std::string borrowed = "2";
  q.push(SocketId{0}, kTo, as_bytes(std::string_view("1")));
  q.push(SocketId{0}, kTo, Borrowed{as_bytes(borrowed)});
  auto room = q.reserve(16);
  ByteWriter w(room);
  w.bytes(as_bytes(std::string_view("3")));
  q.commit(SocketId{0}, kTo, w.size());
  q.push(SocketId{0}, kTo, as_bytes(std::string_view("4")));
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(drain_all(q), (std::vector<std::string>{"1", "2", "3", "4"}));
  EXPECT_TRUE(q.empty());
}

TEST(TransmitQueue, TheArenaIsReusedWithoutReallocationAfterWarmUp) {
  TransmitQueue q;
  const std::string packet(1200, 'p');
  auto cycle = [&] {
    for (int i = 0; i < 32; ++i) q.push(SocketId{0}, kTo, as_bytes(packet));
    const std::byte* first = nullptr;
    for (const Transmit& t : q.drain())
      if (!first) first = t.data.data();
    return first;
  };
  const std::byte* warm = cycle();
  const std::size_t capacity = q.arena_capacity();
  EXPECT_GE(capacity, 32u * 1200u);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(cycle(), warm);  // same storage: nothing was reallocated
    EXPECT_EQ(q.arena_capacity(), capacity);
  }
}

TEST(TransmitQueue, ClearDropsEverythingQueued) {
  TransmitQueue q;
  q.push(SocketId{0}, kTo, as_bytes(std::string_view("gone")));
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(drain_all(q).empty());
  q.push(SocketId{0}, kTo, as_bytes(std::string_view("next")));
  EXPECT_EQ(drain_all(q), std::vector<std::string>{"next"});
}

TEST(TransmitQueue, ABatchLeftEarlyKeepsTheRestForTheNextOne) {
  TransmitQueue q;
  for (const char* s : {"a", "b", "c"}) q.push(SocketId{0}, kTo, as_bytes(std::string_view(s)));
  {
    auto batch = q.drain();
    EXPECT_EQ(batch.size(), 3u);
    for (const Transmit& t : batch) {
      EXPECT_EQ(text(t.data), "a");
      break;
    }
  }
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(drain_all(q), (std::vector<std::string>{"b", "c"}));
}

TEST(TransmitQueue, PushesDuringTheDrainAreSentByTheSameLoopInOrder) {
  // A driver whose send loop calls back into the core: the arena may grow under the loop,
  // and the entries not yet visited must still read right.
  TransmitQueue q;
  q.push(SocketId{0}, kTo, as_bytes(std::string_view("first")));
  std::vector<std::string> out;
  const std::string big(100000, 'z');
  for (const Transmit& t : q.drain()) {
    out.push_back(text(t.data).substr(0, 5));
    if (out.size() == 1) {
      q.push(SocketId{0}, kTo, as_bytes(big));
      q.push(SocketId{0}, kTo, as_bytes(std::string_view("third")));
    }
  }
  EXPECT_EQ(out, (std::vector<std::string>{"first", "zzzzz", "third"}));
  EXPECT_TRUE(q.empty());
}

TEST(SocketId, IsAStrongOrderedType) {
  static_assert(!std::is_convertible_v<std::uint32_t, SocketId>);
  EXPECT_LT(SocketId{1}, SocketId{2});
  EXPECT_EQ(SocketId{3}, SocketId{3});
}

}  // namespace
}  // namespace peerkit
