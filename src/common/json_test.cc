#include "common/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace cmq {
namespace {

JsonValue MustParse(std::string_view text) {
  Result<JsonValue> r = ParseJson(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : JsonValue::MakeNull();
}

void ExpectRejected(std::string_view text) {
  Result<JsonValue> r = ParseJson(text);
  ASSERT_FALSE(r.ok()) << "accepted: " << text;
  EXPECT_EQ(ErrorCode::kCannotParse, r.status().error());
  EXPECT_EQ(0u, r.status().detail().rfind("json", 0)) << r.status().detail();
}

TEST(JsonWriterTest, ResponseEnvelope) {
  JsonWriter w;
  w.BeginObject()
      .Field("code", 0)
      .Field("message", "")
      .Field("requestId", "1700000000123456")
      .Key("msgList")
      .BeginArray()
      .BeginObject()
      .Field("msgId", "1")
      .Field("enqueueTime", int64_t{1700000000})
      .EndObject()
      .BeginObject()
      .EndObject()
      .EndArray()
      .Key("empty")
      .BeginArray()
      .EndArray()
      .Field("ok", true)
      .Key("clientRequestId")
      .Uint(std::numeric_limits<uint64_t>::max())
      .Key("min")
      .Int(std::numeric_limits<int64_t>::min())
      .Key("nothing")
      .Null()
      .EndObject();
  EXPECT_EQ(R"({"code":0,"message":"","requestId":"1700000000123456","msgList":[{"msgId":"1",)"
            R"("enqueueTime":1700000000},{}],"empty":[],"ok":true,)"
            R"("clientRequestId":18446744073709551615,"min":-9223372036854775808,"nothing":null})",
            w.str());
}

TEST(JsonWriterTest, TopLevelArrayOfScalars) {
  JsonWriter w;
  w.BeginArray().Int(1).String("two").Bool(false).Null().BeginArray().Int(-3).EndArray().EndArray();
  EXPECT_EQ(R"([1,"two",false,null,[-3]])", w.Take());
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControls) {
  JsonWriter w;
  w.String(std::string("q\"b\\s/\n\t\x01\x1f\x7f\0end", 15));
  EXPECT_EQ(R"("q\"b\\s/\u000a\u0009\u0001\u001f)"
            "\x7f"
            R"(\u0000end")",
            w.str());
}

TEST(JsonWriterTest, Utf8PassesThroughInvalidBytesAreReplaced) {
  JsonWriter ok;
  ok.String("\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80");
  EXPECT_EQ("\"\xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80\"", ok.str());

  JsonWriter bad;
  bad.String(
      "a\xFF"
      "b\xE4\xBD"
      "c\xE4\xBD\xA0\xC0\xAF");
  EXPECT_EQ(
      "\"a\xEF\xBF\xBD"
      "b\xEF\xBF\xBD\xEF\xBF\xBD"
      "c\xE4\xBD\xA0\xEF\xBF\xBD\xEF\xBF\xBD\"",
      bad.str());
  EXPECT_TRUE(ParseJson(bad.str()).ok());
}

TEST(JsonWriterTest, KeysAreEscapedToo) {
  JsonWriter w;
  w.BeginObject().Field("a\"b", "v").EndObject();
  EXPECT_EQ(R"({"a\"b":"v"})", w.str());
}

TEST(JsonParseTest, Scalars) {
  EXPECT_TRUE(MustParse("null").is_null());
  EXPECT_TRUE(MustParse(" true ").as_bool());
  EXPECT_FALSE(MustParse("false").as_bool());
  EXPECT_EQ("hi", MustParse(R"("hi")").as_string());
  JsonValue n = MustParse("-12.5e1");
  ASSERT_TRUE(n.is_number());
  EXPECT_DOUBLE_EQ(-125.0, n.as_double());
  EXPECT_EQ("-12.5e1", n.number_text());
  EXPECT_EQ(-125, n.as_int());
}

TEST(JsonParseTest, ObjectsArraysAndWhitespace) {
  JsonValue v = MustParse(
      " {\n\t\"deadLetterQueue\" : \"dlq\", \"policy\":0,\r\n \"maxReceiveCount\": 3,"
      " \"list\": [1, [], {}, \"x\"], \"nested\": {\"a\": {\"b\": null}} } ");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(5u, v.members().size());
  EXPECT_EQ("deadLetterQueue", v.members()[0].first);
  EXPECT_EQ("dlq", v.Find("deadLetterQueue")->as_string());
  EXPECT_EQ(0, v.Find("policy")->as_int());
  EXPECT_EQ(3, v.Find("maxReceiveCount")->as_int());
  const JsonValue* list = v.Find("list");
  ASSERT_TRUE(list && list->is_array());
  ASSERT_EQ(4u, list->items().size());
  EXPECT_TRUE(list->items()[1].is_array());
  EXPECT_TRUE(list->items()[2].is_object());
  EXPECT_TRUE(v.Find("nested")->Find("a")->Find("b")->is_null());
  EXPECT_EQ(nullptr, v.Find("missing"));
  EXPECT_EQ(nullptr, v.Find("list")->Find("x"));  // Find on a non-object
}

TEST(JsonParseTest, DuplicateKeysFindReturnsLast) {
  JsonValue v = MustParse(R"({"a":1,"b":2,"a":3})");
  EXPECT_EQ(3u, v.members().size());
  EXPECT_EQ(3, v.Find("a")->as_int());
}

TEST(JsonParseTest, StringEscapes) {
  EXPECT_EQ(std::string("\"\\/\b\f\n\r\t", 8), MustParse(R"("\"\\\/\b\f\n\r\t")").as_string());
  EXPECT_EQ("A\xC3\xA9\xE4\xBD\xA0", MustParse(R"("\u0041\u00e9\u4F60")").as_string());
  EXPECT_EQ(std::string("a\0b", 3), MustParse(R"("a\u0000b")").as_string());
  // Surrogate pair -> U+1F600 as four UTF-8 bytes.
  EXPECT_EQ("\xF0\x9F\x98\x80", MustParse(R"("\ud83d\ude00")").as_string());
  EXPECT_EQ("\xF4\x8F\xBF\xBF", MustParse(R"("\uDBFF\uDFFF")").as_string());
  // Raw UTF-8 is kept as is.
  EXPECT_EQ("\xE4\xBD\xA0\xE5\xA5\xBD", MustParse("\"\xE4\xBD\xA0\xE5\xA5\xBD\"").as_string());
}

TEST(JsonParseTest, BadSurrogatesRejected) {
  ExpectRejected(R"("\ud83d")");
  ExpectRejected(R"("\ud83dx")");
  ExpectRejected(R"("\ud83d\u0041")");
  ExpectRejected(R"("\ud83d\ud83d")");
  ExpectRejected(R"("\ude00")");
  ExpectRejected(R"("\ude00\ud83d")");
  ExpectRejected(R"("\ud83d\u")");
}

TEST(JsonParseTest, MalformedDocumentsRejected) {
  for (std::string_view bad : {"",
                               " ",
                               "{",
                               "}",
                               "[",
                               "]",
                               "[1,]",
                               "[,1]",
                               "[1 2]",
                               R"({"a":1,})",
                               R"({"a" 1})",
                               R"({a:1})",
                               R"({'a':1})",
                               R"({"a":})",
                               R"({1:2})",
                               "01",
                               "-01",
                               "1.",
                               ".5",
                               "-",
                               "+1",
                               "1e",
                               "1e+",
                               "0x10",
                               "NaN",
                               "Infinity",
                               "-Infinity",
                               "tru",
                               "nul",
                               "True",
                               "\"abc",
                               "\"a\\\"",
                               R"("\x41")",
                               R"("\u12")",
                               R"("\u12G4")",
                               "1 2",
                               "{} {}",
                               "nullx",
                               "[]]",
                               "\"tab\there\"",
                               "\"nl\nhere\"",
                               "\xEF\xBB\xBF{}"}) {
    SCOPED_TRACE(std::string(bad));
    ExpectRejected(bad);
  }
  ExpectRejected(std::string_view("\"a\0b\"", 5));  // raw NUL inside a string
  ExpectRejected(std::string_view("1\0", 2));
  ExpectRejected("\"\xFF\"");          // invalid UTF-8
  ExpectRejected("\"\xED\xA0\x80\"");  // encoded surrogate
}

TEST(JsonParseTest, ErrorNamesOffset) {
  Result<JsonValue> r = ParseJson(R"({"a" 1})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string::npos, r.status().detail().find("offset 5")) << r.status().detail();
  EXPECT_NE(std::string::npos, r.status().WireMessage().find("(10420)cannot parse json"));
}

TEST(JsonParseTest, DepthLimit) {
  auto nested = [](int depth, char open, char close) {
    return std::string(depth, open) + std::string(depth, close);
  };
  EXPECT_TRUE(ParseJson(nested(64, '[', ']')).ok());
  ExpectRejected(nested(65, '[', ']'));
  std::string objects;
  for (int i = 0; i < 64; ++i) objects += R"({"k":)";
  objects += "1" + std::string(64, '}');
  EXPECT_TRUE(ParseJson(objects).ok());
  ExpectRejected(R"({"k":)" + objects + "}");
  // Hostile input far past the limit fails cleanly instead of exhausting the stack.
  ExpectRejected(std::string(1000000, '['));
  ExpectRejected(nested(100000, '[', ']'));
}

TEST(JsonParseTest, Integers) {
  EXPECT_EQ(std::numeric_limits<int64_t>::max(), MustParse("9223372036854775807").as_int());
  EXPECT_EQ(std::numeric_limits<int64_t>::min(), MustParse("-9223372036854775808").as_int());
  EXPECT_FALSE(MustParse("9223372036854775808").as_int().has_value());
  EXPECT_EQ("18446744073709551615", MustParse("18446744073709551615").number_text());
  EXPECT_EQ(1000, MustParse("1e3").as_int());
  EXPECT_EQ(2, MustParse("2.0").as_int());
  EXPECT_EQ(0, MustParse("-0").as_int());
  EXPECT_FALSE(MustParse("1.5").as_int().has_value());
  EXPECT_FALSE(MustParse("1e19").as_int().has_value());
  EXPECT_FALSE(MustParse("\"1\"").as_int().has_value());
  EXPECT_FALSE(MustParse("true").as_int().has_value());
}

TEST(JsonParseTest, OutOfRangeNumbersSaturate) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(inf, MustParse("1e999").as_double());
  EXPECT_EQ(-inf, MustParse("-1e999").as_double());
  EXPECT_EQ(inf, MustParse("0.001e99999999999999999999").as_double());
  EXPECT_EQ(0.0, MustParse("1e-999").as_double());
  EXPECT_EQ(0.0, MustParse("12e-99999999999999999999").as_double());
  EXPECT_EQ("1e999", MustParse("1e999").number_text());
  EXPECT_FALSE(MustParse("1e999").as_int().has_value());
  EXPECT_EQ(0, MustParse("0e99999").as_int());
}

TEST(JsonRoundTripTest, WriterOutputParsesBack) {
  std::string all;
  for (int i = 1; i < 128; ++i) all.push_back(static_cast<char>(i));
  all += "\xE4\xBD\xA0\xF0\x9F\x98\x80";
  all.push_back('\0');
  JsonWriter w;
  w.BeginObject()
      .Field(all, all)
      .Key("n")
      .Int(-5)
      .Key("a")
      .BeginArray()
      .String("")
      .EndArray()
      .EndObject();
  JsonValue v = MustParse(w.str());
  ASSERT_EQ(3u, v.members().size());
  EXPECT_EQ(all, v.members()[0].first);
  EXPECT_EQ(all, v.members()[0].second.as_string());
  EXPECT_EQ(-5, v.Find("n")->as_int());
  EXPECT_EQ("", v.Find("a")->items().at(0).as_string());
}

// Plain runs are copied whole when writing and parsing; a character needing an
// escape at any position of a long run still round-trips, in valid and invalid text.
TEST(JsonRoundTripTest, EscapesAtEveryPositionOfALongRun) {
  const std::string run(30, 'r');
  for (const std::string& special :
       std::vector<std::string>{"\"", "\\", "\n", std::string(1, '\0'), "\xE4\xBD\xA0"}) {
    for (size_t at = 0; at <= run.size(); ++at) {
      std::string text = run.substr(0, at) + special + run.substr(at);
      JsonWriter w;
      w.BeginArray().String(text).EndArray();
      JsonValue v = MustParse(w.str());
      EXPECT_EQ(text, v.items().at(0).as_string()) << at;
    }
  }
  // Invalid UTF-8 in the middle of a run: only the bad byte is replaced.
  JsonWriter w;
  w.BeginArray().String(run + "\xFF" + run).EndArray();
  EXPECT_EQ(run + "\xEF\xBF\xBD" + run, MustParse(w.str()).items().at(0).as_string());
}

}  // namespace
}  // namespace cmq
