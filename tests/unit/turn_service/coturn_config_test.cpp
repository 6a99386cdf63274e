// turnserver.conf line rules and coturn's booleans.
#include "turn/service/coturn_config.h"

#include <gtest/gtest.h>

namespace peerkit::turn {
namespace {

TEST(CoturnConfig, LineRules) {
  auto f = parse_coturn_config(
      "# comment\n"
      "  listening-port=3479   \n"
      "realm \"example.org\"\n"
      "lt-cred-mech\n"
      "user\tbob:pw\r\n"
      "fingerprint = true\n"
      "   # indented comment\n"
      "verbose;\n");
  ASSERT_EQ(f.lines.size(), 6u);
  EXPECT_EQ(f.lines[0].key, "listening-port");
  EXPECT_EQ(f.lines[0].value, "3479");
  EXPECT_EQ(f.lines[1].value, "example.org");
  EXPECT_FALSE(f.lines[2].has_value);
  EXPECT_EQ(f.lines[3].value, "bob:pw");
  EXPECT_EQ(f.lines[4].value, "true");
  EXPECT_EQ(f.warnings.size(), 1u);  // the trailing ';'
}

TEST(CoturnConfig, Booleans) {
  EXPECT_EQ(parse_coturn_bool("", false), true);
  for (const char* t : {"yes", "true", "1", "on", "Y", "9"})
    EXPECT_EQ(parse_coturn_bool(t, true), true) << t;
  for (const char* f : {"no", "false", "0", "off", "N", "F"})
    EXPECT_EQ(parse_coturn_bool(f, true), false) << f;
  EXPECT_FALSE(parse_coturn_bool("maybe", true));
}

}  // namespace
}  // namespace peerkit::turn
