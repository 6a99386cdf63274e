#include "common/base64.h"

#include <gtest/gtest.h>

namespace peerkit {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(as_bytes("")), "");
  EXPECT_EQ(base64_encode(as_bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(as_bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(as_bytes("foobar")), "Zm9vYmFy");
  auto d = base64_decode("Zm8=");
  ASSERT_TRUE(d);
  EXPECT_EQ(as_string_view(*d), "fo");
  EXPECT_FALSE(base64_decode("Zm8"));
  EXPECT_FALSE(base64_decode("Z!8="));
}

}  // namespace
}  // namespace peerkit
