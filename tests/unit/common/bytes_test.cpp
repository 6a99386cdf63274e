#include "common/bytes.h"

#include <gtest/gtest.h>

namespace peerkit {
namespace {

TEST(ByteReader, ReadsBigEndianAndStopsAtTheEnd) {
  const std::byte data[] = {std::byte{0x12}, std::byte{0x34}, std::byte{0x56}, std::byte{0x78},
                            std::byte{0x9a}};
  ByteReader r(data);
  EXPECT_EQ(r.u16(), 0x1234);
  EXPECT_EQ(r.u16(), 0x5678);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.u16(), 0);  // only one byte left
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0);  // sticky: later reads fail too
  EXPECT_EQ(r.position(), 4u);
}

TEST(ByteReader, BytesBeyondTheEndFail) {
  const std::byte data[3]{};
  ByteReader r(data);
  EXPECT_TRUE(r.bytes(SIZE_MAX).empty());
  EXPECT_FALSE(r.ok());
}

TEST(ByteWriter, WritesAndPatches) {
  std::byte buf[8];
  ByteWriter w(buf);
  w.u16(0);
  w.u32(0xdeadbeef);
  w.patch_u16(0, 0xabcd);
  EXPECT_TRUE(w.ok());
  ByteReader r(w.written());
  EXPECT_EQ(r.u16(), 0xabcd);
  EXPECT_EQ(r.u32(), 0xdeadbeefu);
}

TEST(ByteWriter, OverflowIsStickyAndWritesNothing) {
  std::byte buf[3]{};
  ByteWriter w(buf);
  w.u32(0xffffffff);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(buf[0], std::byte{0});
  w.u8(1);
  EXPECT_EQ(w.size(), 0u);
}

}  // namespace
}  // namespace peerkit
