// The framing of several node messages in one PUBLISH (cluster/channel_batch.h).
#include "cluster/channel_batch.h"

#include <gtest/gtest.h>

namespace peerkit::cluster {
namespace {

using Parts = std::vector<std::string_view>;

TEST(ChannelBatch, OneMessageGoesOutUnwrapped) {
  BatchBuilder b;
  b.add(R"({"k":"pj"})");
  EXPECT_EQ(b.count(), 1u);
  const std::string out = b.take();
  EXPECT_EQ(out, R"({"k":"pj"})");
  EXPECT_FALSE(is_batch(out));
  EXPECT_TRUE(b.empty());
}

TEST(ChannelBatch, OneMessageThatLooksLikeABatchIsFramed) {
  BatchBuilder b;
  b.add("#3:abc,");
  const std::string out = b.take();
  EXPECT_EQ(out, "#7:#3:abc,,");
  auto parts = split_batch(out, 4);
  ASSERT_TRUE(parts);
  EXPECT_EQ(*parts, Parts{"#3:abc,"});
}

TEST(ChannelBatch, SeveralMessagesRoundTripInOrder) {
  BatchBuilder b;
  const std::string big(70000, 'x');
  b.add("{\"a\":1}\nbody, with: colons");
  b.add("");
  b.add(big);
  const std::string out = b.take();
  ASSERT_TRUE(is_batch(out));
  EXPECT_EQ(out.substr(0, 32), "#26:{\"a\":1}\nbody, with: colons,0");
  auto parts = split_batch(out, 16);
  ASSERT_TRUE(parts);
  EXPECT_EQ(*parts, (Parts{"{\"a\":1}\nbody, with: colons", "", big}));
  // The builder starts afresh: its next single message is unwrapped again.
  b.add("next");
  EXPECT_EQ(b.take(), "next");
}

TEST(ChannelBatch, MalformedBatchesAreRefusedWhole) {
  EXPECT_FALSE(split_batch("", 8));
  EXPECT_FALSE(split_batch("{\"k\":1}", 8));      // not a batch
  EXPECT_FALSE(split_batch("#", 8));              // no message
  EXPECT_FALSE(split_batch("#3:abc", 8));         // no comma
  EXPECT_FALSE(split_batch("#3:ab,", 8));         // shorter than its length
  EXPECT_FALSE(split_batch("#4:abc,", 8));
  EXPECT_FALSE(split_batch("#2:abc,", 8));        // the comma is not where the length says
  EXPECT_FALSE(split_batch("#03:abc,", 8));       // leading zero
  EXPECT_FALSE(split_batch("#:abc,", 8));         // no length
  EXPECT_FALSE(split_batch("#-1:a,", 8));
  EXPECT_FALSE(split_batch("#3:abc,1:x", 8));     // a good part then a torn one: nothing
  EXPECT_FALSE(split_batch("#99999999999999999999999:a,", 8));  // too long a length
  EXPECT_FALSE(split_batch("#18446744073709551615:a,", 8));     // would overflow the bounds check
  EXPECT_TRUE(split_batch("#0:,1:x,", 8));
}

TEST(ChannelBatch, ABatchWithMorePartsThanAllowedIsRefused) {
  BatchBuilder b;
  for (int i = 0; i < 5; ++i) b.add("m");
  const std::string out = b.take();
  EXPECT_TRUE(split_batch(out, 5));
  EXPECT_FALSE(split_batch(out, 4));
}

}  // namespace
}  // namespace peerkit::cluster
