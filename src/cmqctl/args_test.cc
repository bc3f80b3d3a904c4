#include "args.h"

#include <gtest/gtest.h>

namespace cmqctl {
namespace {

const std::vector<FlagSpec>& Flags() {
  static const std::vector<FlagSpec> kFlags = {
      {"delay", 0, FlagKind::kValue, "SECONDS", ""}, {"number", 'n', FlagKind::kValue, "N", ""},
      {"tag", 0, FlagKind::kRepeated, "TAG", ""},    {"yes", 'y', FlagKind::kSwitch, "", ""},
      {"verbose", 'v', FlagKind::kSwitch, "", ""},
  };
  return kFlags;
}

struct Parsed {
  bool ok = false;
  size_t used = 0;
  ParsedArgs args;
  std::string error;
};

Parsed Parse(std::vector<std::string> argv, ParseOptions options = {}) {
  Parsed p;
  std::optional<size_t> used = ParseArgs(argv, Flags(), options, &p.args, &p.error);
  p.ok = used.has_value();
  p.used = used.value_or(0);
  return p;
}

TEST(ArgsTest, LongFlagsWithSpaceOrEquals) {
  Parsed p = Parse({"orders", "--delay", "5", "--number=16", "body"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.args.Value("delay"), "5");
  EXPECT_EQ(p.args.Value("number"), "16");
  EXPECT_EQ(p.args.positionals(), (std::vector<std::string>{"orders", "body"}));
  EXPECT_EQ(p.used, 5u);
}

TEST(ArgsTest, ShortFlagsAttachedSeparateAndBundled) {
  Parsed p = Parse({"-n", "3", "-vy", "q"});
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.args.Value("number"), "3");
  EXPECT_TRUE(p.args.Switch("verbose"));
  EXPECT_TRUE(p.args.Switch("yes"));
  p = Parse({"-n16"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.args.Value("number"), "16");
  p = Parse({"-vn", "4"});  // a switch bundled before a value flag
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.args.Switch("verbose"));
  EXPECT_EQ(p.args.Value("number"), "4");
}

TEST(ArgsTest, RepeatedFlagsKeepOrderAndLastValueWins) {
  Parsed p = Parse({"--tag", "a", "--tag=b", "--delay", "1", "--delay", "2"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.args.Values("tag"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.args.Value("delay"), "2");
  EXPECT_TRUE(p.args.Values("absent").empty());
}

TEST(ArgsTest, ValueFlagTakesNextWordEvenIfItLooksLikeAFlag) {
  Parsed p = Parse({"--delay", "-5"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.args.Value("delay"), "-5");
}

TEST(ArgsTest, DoubleDashEndsFlagsAndLoneDashIsPositional) {
  Parsed p = Parse({"q", "--", "--not-a-flag", "-v"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.args.positionals(), (std::vector<std::string>{"q", "--not-a-flag", "-v"}));
  EXPECT_FALSE(p.args.Switch("verbose"));
  p = Parse({"-"});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.args.positionals(), (std::vector<std::string>{"-"}));
}

TEST(ArgsTest, SwitchAcceptsExplicitBoolean) {
  Parsed p = Parse({"--yes=false"});
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.args.Has("yes"));
  EXPECT_FALSE(p.args.Switch("yes"));
  p = Parse({"--yes=maybe"});
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("--yes"), std::string::npos);
}

TEST(ArgsTest, ErrorsNameTheFlag) {
  Parsed p = Parse({"--nope"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error, "unknown flag --nope");
  p = Parse({"-x"});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.error, "unknown flag -x");
  p = Parse({"--delay"});
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("--delay needs a value"), std::string::npos);
  p = Parse({"-n"});
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("-n needs a value"), std::string::npos);
}

TEST(ArgsTest, StopAtPositionalLeavesTheRest) {
  Parsed p = Parse({"-v", "queue", "--nope"}, ParseOptions{.stop_at_positional = true});
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.used, 1u);
  EXPECT_TRUE(p.args.positionals().empty());
}

TEST(ArgsTest, IntChecksSyntaxAndRange) {
  Parsed p = Parse({"--delay", "12", "--number", "x1"});
  ASSERT_TRUE(p.ok);
  std::string error;
  EXPECT_EQ(p.args.Int("delay", 0, 3600, &error), 12);
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(p.args.Int("delay", 0, 10, &error), std::nullopt);
  EXPECT_EQ(error, "--delay: 12 is out of range [0, 10]");
  EXPECT_EQ(p.args.Int("number", 1, 16, &error), std::nullopt);
  EXPECT_EQ(error, "--number: 'x1' is not an integer");
  EXPECT_EQ(p.args.Int("absent", 0, 1, &error), std::nullopt);
  EXPECT_TRUE(error.empty());
}

TEST(ArgsTest, ParseInt64) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("-42"), -42);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInt64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(ParseInt64(""), std::nullopt);
  EXPECT_EQ(ParseInt64("1.5"), std::nullopt);
  EXPECT_EQ(ParseInt64(" 1"), std::nullopt);
  EXPECT_EQ(ParseInt64("+1"), std::nullopt);
}

}  // namespace
}  // namespace cmqctl
