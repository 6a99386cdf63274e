#include "signaling/peerjs_frame.h"

#include <gtest/gtest.h>

namespace peerkit::signaling {
namespace {

using Field = PeerJsFrame::Field;

TEST(PeerJsFrameReader, FindsFieldsAndThePayloadBytes) {
  PeerJsFrameReader reader(32);
  PeerJsFrame f;
  const std::string text =
      R"({"type":"OFFER","payload":{"sdp":{"type":"offer"},"n":[1,2.5]},"dst":"bob"})";
  ASSERT_TRUE(reader.read(text, f));
  EXPECT_TRUE(f.object);
  EXPECT_EQ(f.type, Field::kString);
  EXPECT_EQ(f.type_text, "OFFER");
  EXPECT_EQ(f.dst, Field::kString);
  EXPECT_EQ(f.dst_text, "bob");
  ASSERT_TRUE(f.has_payload && f.payload);
  EXPECT_EQ(*f.payload, R"({"sdp":{"type":"offer"},"n":[1,2.5]})");
}

TEST(PeerJsFrameReader, PayloadLastOrBetweenWhitespace) {
  PeerJsFrameReader reader(32);
  PeerJsFrame f;
  ASSERT_TRUE(reader.read(" {\"dst\" : \"a\\u0062\" , \"payload\" :\t\"x\" \n} ", f));
  EXPECT_EQ(f.dst_text, "ab");
  ASSERT_TRUE(f.payload);
  EXPECT_EQ(*f.payload, R"("x")");
  ASSERT_TRUE(reader.read(R"({"payload":null,"type":"ANSWER"})", f));
  EXPECT_EQ(*f.payload, "null");
  EXPECT_EQ(f.type_text, "ANSWER");
}

TEST(PeerJsFrameReader, LastDuplicateWinsAndWrongTypesAreReported) {
  PeerJsFrameReader reader(32);
  PeerJsFrame f;
  ASSERT_TRUE(
      reader.read(R"({"type":"OFFER","type":1,"dst":{"x":"y"},"payload":1,"payload":2})", f));
  EXPECT_EQ(f.type, Field::kOther);
  EXPECT_EQ(f.dst, Field::kOther);
  EXPECT_EQ(*f.payload, "2");
  ASSERT_TRUE(reader.read(R"({"type":"LEAVE"})", f));
  EXPECT_FALSE(f.has_payload);
  EXPECT_EQ(f.dst, Field::kAbsent);
  ASSERT_TRUE(reader.read("[1]", f));
  EXPECT_FALSE(f.object);
}

TEST(PeerJsFrameReader, EscapedPayloadKeyLeavesTheSpanToTheCaller) {
  PeerJsFrameReader reader(32);
  PeerJsFrame f;
  ASSERT_TRUE(reader.read(R"({"type":"OFFER","pay\u006coad":{"a":1}})", f));
  EXPECT_TRUE(f.has_payload);
  EXPECT_FALSE(f.payload);
}

TEST(PeerJsFrameReader, RefusesInvalidAndTooDeep) {
  PeerJsFrameReader reader(32);
  PeerJsFrame f;
  EXPECT_FALSE(reader.read(R"({"type":"OFFER")", f));
  EXPECT_FALSE(reader.read(R"({"type":"OFFER"} x)", f));
  EXPECT_FALSE(reader.read(R"({"payload":)" + std::string(100, '['), f));
}

}  // namespace
}  // namespace peerkit::signaling
