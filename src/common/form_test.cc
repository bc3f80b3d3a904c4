#include "common/form.h"

#include <gtest/gtest.h>

#include <string>

namespace cmq {
namespace {

ParamList MustDecode(std::string_view in) {
  Result<ParamList> r = DecodeForm(in);
  EXPECT_TRUE(r.ok()) << in << ": " << r.status().ToString();
  return r.ok() ? *r : ParamList{};
}

TEST(DecodeFormTest, PlusPercentAndPlain) {
  EXPECT_EQ((ParamList{{"a", "1"}, {"b", "x y"}, {"c", "A"}}), MustDecode("a=1&b=x+y&c=%41"));
  EXPECT_EQ((ParamList{{"msgBody", "hello world \xE4\xBD\xA0"}}),
            MustDecode("msgBody=hello%20world+%e4%BD%a0"));
  EXPECT_EQ((ParamList{{"k y", "v"}}), MustDecode("k+y=v"));  // keys are decoded too
  EXPECT_EQ((ParamList{{"a", "+"}}), MustDecode("a=%2B"));    // encoded '+' stays '+'
  EXPECT_EQ((ParamList{{"a", "b=c"}}), MustDecode("a=b=c"));  // first '=' splits
  EXPECT_EQ((ParamList{{"a", "x&y"}}), MustDecode("a=x%26y"));
  EXPECT_EQ((ParamList{{"a", std::string("\0", 1)}}), MustDecode("a=%00"));
  EXPECT_EQ((ParamList{{"a", "%"}}), MustDecode("a=%25"));
  // Raw bytes that a sloppy client leaves unencoded pass through.
  EXPECT_EQ((ParamList{{"a", "x/y:z@\xE4"}}), MustDecode("a=x/y:z@\xE4"));
}

TEST(DecodeFormTest, EmptyPiecesAndMissingValues) {
  EXPECT_TRUE(MustDecode("").empty());
  EXPECT_TRUE(MustDecode("&&&").empty());
  EXPECT_EQ((ParamList{{"a", "1"}, {"b", "2"}}), MustDecode("&a=1&&b=2&"));
  EXPECT_EQ((ParamList{{"flag", ""}}), MustDecode("flag"));
  EXPECT_EQ((ParamList{{"a", ""}}), MustDecode("a="));
  EXPECT_EQ((ParamList{{"", "v"}}), MustDecode("=v"));
  EXPECT_EQ((ParamList{{"", ""}}), MustDecode("="));
}

TEST(DecodeFormTest, DuplicatesKeptInOrder) {
  EXPECT_EQ((ParamList{{"a", "1"}, {"b", "2"}, {"a", "3"}}), MustDecode("a=1&b=2&a=3"));
}

TEST(DecodeFormTest, InvalidEscapesAreRejected) {
  for (std::string_view bad : {"a=%", "a=%4", "a=%G1", "a=%1G", "a=%%41", "%=1", "a=1&b=%zz",
                               "a=%4&b=1", "a=% 41", "a=%-1"}) {
    Result<ParamList> r = DecodeForm(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorCode::kCannotParse, r.status().error());
    EXPECT_EQ("request", r.status().detail());
    EXPECT_EQ(4000, r.status().cmq_code());
    EXPECT_EQ(10420, r.status().module_code());
  }
}

TEST(DecodeFormTest, EscapeAtVeryEndDoesNotReadPastInput) {
  // The view ends right before valid-looking hex digits; they must not be read.
  std::string buf = "a=%41";
  std::string_view view(buf.data(), 4);  // "a=%4"
  EXPECT_FALSE(DecodeForm(view).ok());
  EXPECT_EQ((ParamList{{"a", "A"}}), MustDecode(std::string_view(buf.data(), 5)));
}

TEST(ParseParamIndexTest, DecimalWithoutSignOrLeadingZeros) {
  EXPECT_EQ(ParseParamIndex("0"), 0u);
  EXPECT_EQ(ParseParamIndex("1"), 1u);
  EXPECT_EQ(ParseParamIndex("16"), 16u);
  EXPECT_EQ(ParseParamIndex("999999999"), 999999999u);
  for (const char* bad : {"", "01", "00", "-1", "+1", "1x", " 1", "1 ", "1000000000", "x"}) {
    EXPECT_FALSE(ParseParamIndex(bad).has_value()) << bad;
  }
}

TEST(UrlEncodeTest, UnreservedSetOnly) {
  EXPECT_EQ("AZaz09-_.~", UrlEncode("AZaz09-_.~"));
  EXPECT_EQ("a%20b%2Bc%26d%3De%25f", UrlEncode("a b+c&d=e%f"));
  EXPECT_EQ("%2F%3A%40%21%2A%27%28%29", UrlEncode("/:@!*'()"));
  EXPECT_EQ("%E4%BD%A0%00%FF", UrlEncode(std::string("\xE4\xBD\xA0\0\xFF", 5)));
  EXPECT_EQ("", UrlEncode(""));
}

TEST(EncodeFormTest, BuildsPairsInOrder) {
  EXPECT_EQ("", EncodeForm({}));
  EXPECT_EQ("Action=SendMessage&msgBody=a%20b&msgBody.1=%40x",
            EncodeForm({{"Action", "SendMessage"}, {"msgBody", "a b"}, {"msgBody.1", "@x"}}));
  EXPECT_EQ("=", EncodeForm({{"", ""}}));
}

TEST(EncodeFormTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  ParamList params = {{all, all}, {"", ""}, {"k", ""}, {"", "v"}, {"k", "dup"}};
  EXPECT_EQ(params, MustDecode(EncodeForm(params)));
}

// Long plain runs are copied whole; escapes and '+' anywhere in them, including
// first and last, and many in a row, still decode.
TEST(DecodeFormTest, EscapesAtEveryPositionOfALongRun) {
  const std::string run(40, 'x');
  for (size_t at = 0; at <= run.size(); ++at) {
    std::string raw = run.substr(0, at) + "%41+%2b" + run.substr(at);
    std::string want = run.substr(0, at) + "A +" + run.substr(at);
    ParamList got = MustDecode("k=" + raw + "&p=" + raw);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].second, want) << at;
    EXPECT_EQ(got[1].second, want) << at;
  }
  EXPECT_EQ(MustDecode("k=" + std::string(1000, '+'))[0].second, std::string(1000, ' '));
  EXPECT_FALSE(DecodeForm("k=" + run + "%4").ok());
  EXPECT_FALSE(DecodeForm("k=" + run + "+%zz" + run).ok());
}

TEST(EncodeFormTest, LongValuesRoundTrip) {
  std::string value;
  for (int i = 0; i < 5000; ++i) value.push_back(static_cast<char>((i * 7919) % 256));
  ParamList params = {{"msgBody", value}, {"plain", std::string(3000, 'q')}};
  EXPECT_EQ(params, MustDecode(EncodeForm(params)));
}

}  // namespace
}  // namespace cmq
