#include "json_out.h"

#include <gtest/gtest.h>

namespace cmqctl {
namespace {

TEST(JsonOutTest, CompactKeepsInsertionOrderAndReplacesInPlace) {
  Json j = Json::Object();
  j.Set("b", 1).Set("a", "x").Set("c", true).Set("n", nullptr).Set("b", int64_t{2});
  EXPECT_EQ(j.Dump(), R"({"b":2,"a":"x","c":true,"n":null})");
}

TEST(JsonOutTest, PrettyPrinting) {
  Json j = Json::Object();
  j.Set("list", Json::StringArray({"a", "b"})).Set("empty", Json::Array()).Set("o", Json::Object());
  EXPECT_EQ(j.Dump(2),
            "{\n"
            "  \"list\": [\n"
            "    \"a\",\n"
            "    \"b\"\n"
            "  ],\n"
            "  \"empty\": [],\n"
            "  \"o\": {}\n"
            "}");
}

TEST(JsonOutTest, NumbersIncludingExtremes) {
  Json a = Json::Array();
  a.Push(0)
      .Push(int64_t{-9223372036854775807 - 1})
      .Push(uint64_t{42})
      .Push(1.5)
      .Push(std::numeric_limits<double>::infinity());
  EXPECT_EQ(a.Dump(), "[0,-9223372036854775808,42,1.5,null]");
}

TEST(JsonOutTest, StringsAreEscapedAndAlwaysValidUtf8) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\x01"), R"("a\"b\\c\n\t\u0001")");
  EXPECT_EQ(JsonQuote("h\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80\"");
  EXPECT_EQ(JsonQuote("bad\xFF"), "\"bad\xEF\xBF\xBD\"");
  EXPECT_EQ(JsonQuote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(JsonQuote(std::string("nul\0x", 5)), R"("nul\u0000x")");
}

}  // namespace
}  // namespace cmqctl
