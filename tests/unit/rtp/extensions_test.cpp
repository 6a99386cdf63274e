// RFC 8285 one-byte and two-byte elements, and the extmap table (rtp/extensions.h).
#include "rtp/extensions.h"

#include <gtest/gtest.h>

#include <array>

#include "hex.h"

namespace peerkit::rtp {
namespace {
using test::bytes_of;
using test::hex;

TEST(Extensions, OneByteFormSkipsPaddingAndStopsAtId15) {
  // §4.2: id 1 (2 bytes), a padding byte, id 2 (1 byte), then id 15: the rest is ignored.
  const auto d = hex("11 aa bb 00 20 cc f3 de ad be");
  auto l = parse_extensions(kOneByteProfile, d);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->count, 2u);
  EXPECT_EQ(bytes_of(*l->find(1)), hex("aa bb"));
  EXPECT_EQ(bytes_of(*l->find(2)), hex("cc"));
  EXPECT_FALSE(l->find(3).has_value());
}

TEST(Extensions, TwoByteFormAllowsEmptyValuesAndHighIds) {
  // §4.3: id 1 with length 0, padding, id 200 with 2 bytes. Appbits in the profile are ignored.
  const auto d = hex("01 00 00 c8 02 aa bb 00");
  for (std::uint16_t profile : {std::uint16_t{0x1000}, std::uint16_t{0x100f}}) {
    auto l = parse_extensions(profile, d);
    ASSERT_TRUE(l);
    ASSERT_EQ(l->count, 2u);
    EXPECT_EQ(l->items[0].id, 1);
    EXPECT_TRUE(l->items[0].data.empty());
    EXPECT_EQ(l->items[1].id, 200);
    EXPECT_EQ(bytes_of(l->items[1].data), hex("aa bb"));
  }
}

TEST(Extensions, OtherProfilesYieldNothing) {
  auto l = parse_extensions(0xabcd, hex("11 aa bb 00"));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->count, 0u);
}

TEST(Extensions, MalformedElements) {
  EXPECT_EQ(parse_extensions(kOneByteProfile, hex("12 aa bb")).error(), Error::kBadExtension);
  EXPECT_EQ(parse_extensions(kOneByteProfile, hex("01 aa bb")).error(), Error::kBadExtension);
  EXPECT_EQ(parse_extensions(kTwoByteProfile, hex("05")).error(), Error::kBadExtension);
  EXPECT_EQ(parse_extensions(kTwoByteProfile, hex("05 03 aa bb")).error(), Error::kBadExtension);
  std::vector<std::byte> many(kMaxExtensions + 1, std::byte{0x10});  // 33 × (id 1, 1 byte)
  many.resize(2 * many.size(), std::byte{0x10});
  EXPECT_EQ(parse_extensions(kOneByteProfile, many).error(), Error::kTooMany);
}

TEST(Extensions, BuildChoosesTheForm) {
  std::array<std::byte, 64> buf{};
  const auto a = hex("aa");
  const auto b = hex("bb cc dd");
  {
    const std::array<Extension, 2> items{{{1, a}, {14, b}}};
    ByteWriter w(buf);
    auto n = write_extensions(items, w);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, *extensions_size(items));
    EXPECT_EQ(bytes_of(w.written()), hex("be de 00 02 10 aa e2 bb cc dd 00 00"));
  }
  {
    // id 15 and an empty value both need the two-byte form.
    const std::array<Extension, 2> items{{{15, a}, {2, {}}}};
    ByteWriter w(buf);
    ASSERT_TRUE(write_extensions(items, w));
    EXPECT_EQ(bytes_of(w.written()), hex("10 00 00 02 0f 01 aa 02 00 00 00 00"));
  }
  {
    const std::array<std::byte, 17> seventeen{};
    const std::array<Extension, 1> items{{{3, seventeen}}};
    ByteWriter w(buf);
    ASSERT_TRUE(write_extensions(items, w));
    EXPECT_EQ(bytes_of(w.written().first(6)), hex("10 00 00 05 03 11"));
    EXPECT_EQ(w.size(), 4u + 20u);
  }
  {
    ByteWriter w(buf);
    EXPECT_EQ(*write_extensions({}, w), 0u);
    EXPECT_EQ(w.size(), 0u);
  }
  const std::array<Extension, 1> id0{{{0, a}}};
  EXPECT_EQ(extensions_size(id0).error(), Error::kBadExtension);
  const std::array<std::byte, 256> long_value{};
  const std::array<Extension, 1> too_long{{{1, long_value}}};
  EXPECT_EQ(extensions_size(too_long).error(), Error::kBadExtension);
  const std::array<Extension, 1> ok{{{1, a}}};
  ByteWriter small(MutableByteSpan(buf).first(7));
  EXPECT_EQ(write_extensions(ok, small).error(), Error::kBufferTooSmall);
}

TEST(Extensions, ParseOfBuildIsTheSameList) {
  const auto a = hex("01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10");
  const auto ff = hex("ff");
  for (std::size_t len = 0; len <= a.size(); ++len) {
    const std::array<Extension, 3> items{{{4, ByteSpan(a).first(len)}, {9, a}, {1, ff}}};
    const auto& in = items;
    std::array<std::byte, 128> buf{};
    ByteWriter w(buf);
    ASSERT_TRUE(write_extensions(in, w));
    ByteReader r(w.written());
    const std::uint16_t profile = r.u16();
    const std::size_t words = r.u16();
    auto l = parse_extensions(profile, r.bytes(words * 4));
    ASSERT_TRUE(l);
    ASSERT_EQ(l->count, 3u);
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(l->items[i].id, in[i].id);
      EXPECT_EQ(bytes_of(l->items[i].data), bytes_of(in[i].data)) << len;
    }
  }
}

TEST(ExtensionMap, MapsBothWaysAndRefusesClashes) {
  ExtensionMap m;
  EXPECT_TRUE(m.empty());
  ASSERT_TRUE(m.add(1, uri::kMid));
  ASSERT_TRUE(m.add(3, uri::kTransportWideCc));
  ASSERT_TRUE(m.add(12, "urn:example:not-known"));
  EXPECT_TRUE(m.add(1, uri::kMid));  // the same mapping again
  EXPECT_EQ(m.kind_of(1), ExtensionKind::kMid);
  EXPECT_EQ(m.kind_of(3), ExtensionKind::kTransportWideCc);
  EXPECT_EQ(m.kind_of(12), ExtensionKind::kUnknown);
  EXPECT_EQ(m.kind_of(4), ExtensionKind::kUnknown);
  EXPECT_EQ(m.id_of(ExtensionKind::kTransportWideCc), 3);
  EXPECT_FALSE(m.id_of(ExtensionKind::kRid).has_value());
  EXPECT_FALSE(m.id_of(ExtensionKind::kUnknown).has_value());
  EXPECT_EQ(m.add(1, uri::kRid).error(), Error::kTooMany);   // id reused for another
  EXPECT_EQ(m.add(12, uri::kRid).error(), Error::kTooMany);  // unknown's id is taken too
  EXPECT_EQ(m.add(5, uri::kMid).error(), Error::kTooMany);   // mid under a second id
  EXPECT_EQ(m.add(0, uri::kRid).error(), Error::kBadValue);
  EXPECT_EQ(m.add(256, uri::kRid).error(), Error::kBadValue);
  EXPECT_TRUE(m.add(255, uri::kRid));
  EXPECT_EQ(m.kind_of(255), ExtensionKind::kRid);
  EXPECT_FALSE(m.empty());
}

TEST(ExtensionMap, UrisRoundTrip) {
  for (int k = 1; k <= static_cast<int>(ExtensionKind::kAbsCaptureTime); ++k) {
    const auto kind = static_cast<ExtensionKind>(k);
    ASSERT_FALSE(uri_of(kind).empty()) << k;
    EXPECT_EQ(kind_from_uri(uri_of(kind)), kind);
  }
  EXPECT_EQ(kind_from_uri("urn:ietf:params:rtp-hdrext:sdes:mid "), ExtensionKind::kUnknown);
  EXPECT_TRUE(uri_of(ExtensionKind::kUnknown).empty());
}

}  // namespace
}  // namespace peerkit::rtp
