// Client strings on their way into log lines (common/log_safe.h): no forged lines, no terminal
// escapes, no invalid UTF-8, bounded length.
#include "common/log_safe.h"

#include <gtest/gtest.h>

#include <string>

namespace peerkit {
namespace {

TEST(LogSafe, PlainTextPassesThrough) {
  EXPECT_EQ(log_safe("alice"), "alice");
  EXPECT_EQ(log_safe("1700000000:bob"), "1700000000:bob");
  EXPECT_EQ(log_safe("Zoë 東京 🎉"), "Zoë 東京 🎉");
}

TEST(LogSafe, ForgedLineAndAnsiEscapeAreDefused) {
  const std::string evil = "x\n2026-12-01 [info] allocation created user=admin\x1b[2J\r";
  const auto safe = log_safe(evil);
  EXPECT_EQ(safe.find('\n'), std::string::npos);
  EXPECT_EQ(safe.find('\r'), std::string::npos);
  EXPECT_EQ(safe.find('\x1b'), std::string::npos);
  EXPECT_EQ(safe, "x\\x0a2026-12-01 [info] allocation created user=admin\\x1b[2J\\x0d");
}

TEST(LogSafe, QuotesBackslashDelAndC1AreEscaped) {
  EXPECT_EQ(log_safe("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(log_safe("a\x7f"), "a\\x7f");
  EXPECT_EQ(log_safe("a\xc2\x85" "b"), "a\\xc2\\x85b");  // U+0085 NEL
  EXPECT_EQ(log_safe("a\xc2\x9b" "b"), "a\\xc2\\x9bb");  // U+009B CSI
  EXPECT_EQ(log_safe("\xc2\xa0"), "\xc2\xa0");          // U+00A0 is printable
}

TEST(LogSafe, InvalidUtf8BecomesHex) {
  EXPECT_EQ(log_safe("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(log_safe("\xc0\xaf"), "\\xc0\\xaf");      // overlong '/'
  EXPECT_EQ(log_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(log_safe("\xe2\x82"), "\\xe2\\x82");      // truncated sequence
}

TEST(LogSafe, LongTextIsCapped) {
  const std::string big(60000, 'a');
  const auto safe = log_safe(big);
  EXPECT_EQ(safe, std::string(kLogFieldMaxBytes, 'a') + "...(60000 bytes)");
  EXPECT_EQ(log_safe("abcdef", 3), "abc...(6 bytes)");
}

}  // namespace
}  // namespace peerkit
