#include "common/strings.h"

#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <string>

namespace cmq {
namespace {

std::string Bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

// Bit-at-a-time reference, independent of both table and hardware paths.
uint32_t ReferenceCrc32c(std::string_view data) {
  uint32_t crc = 0xffffffffu;
  for (char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
  }
  return ~crc;
}

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 B.4 and the common "check" value.
  std::string zeros(32, '\0');
  std::string ones(32, '\xff');
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  for (auto fn : {&Crc32c, &Crc32cPortable}) {
    EXPECT_EQ(0xE3069283u, fn("123456789", 0));
    EXPECT_EQ(0x8A9136AAu, fn(zeros, 0));
    EXPECT_EQ(0x62A8AB43u, fn(ones, 0));
    EXPECT_EQ(0x46DD794Eu, fn(ascending, 0));
    EXPECT_EQ(0x113FDB5Cu, fn(descending, 0));
    EXPECT_EQ(0u, fn("", 0));
  }
}

TEST(Crc32cTest, MatchesReferenceAtEveryLengthAndAlignment) {
  std::string buf;
  for (int i = 0; i < 300; ++i) buf.push_back(static_cast<char>(i * 131 + 7));
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t len = 0; offset + len <= buf.size(); len += 1 + len / 8) {
      std::string_view piece(buf.data() + offset, len);
      uint32_t want = ReferenceCrc32c(piece);
      ASSERT_EQ(want, Crc32c(piece)) << offset << "/" << len;
      ASSERT_EQ(want, Crc32cPortable(piece)) << offset << "/" << len;
    }
  }
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string a = "hello, ", b = "world and more than eight bytes";
  EXPECT_EQ(Crc32c(a + b), Crc32c(b, Crc32c(a)));
  EXPECT_EQ(Crc32c(a + b), Crc32cPortable(b, Crc32cPortable(a)));
}

TEST(Crc32cTest, MaskRoundTripsAndDiffers) {
  for (uint32_t crc : {0u, 1u, 0xE3069283u, 0xffffffffu}) {
    EXPECT_NE(crc, MaskCrc(crc));
    EXPECT_EQ(crc, UnmaskCrc(MaskCrc(crc)));
    EXPECT_EQ(crc, UnmaskCrc(UnmaskCrc(MaskCrc(MaskCrc(crc)))));
  }
}

TEST(StringsTest, CaseHelpers) {
  EXPECT_EQ("sendmessage-1_x", AsciiLower("SendMessage-1_X"));
  EXPECT_EQ("\xC3\x84", AsciiLower("\xC3\x84"));  // non-ASCII untouched
  EXPECT_TRUE(EqualsIgnoreCase("ClearSUbscriptionFIlterTags", "clearSubscriptionFilterTags"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_TRUE(ContainsIgnoreCase("MyQueue-Prod", "queue"));
  EXPECT_TRUE(ContainsIgnoreCase("abc", ""));
  EXPECT_TRUE(ContainsIgnoreCase("abc", "ABC"));
  EXPECT_FALSE(ContainsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(ContainsIgnoreCase("", "a"));
  EXPECT_FALSE(ContainsIgnoreCase("queue", "quo"));
}

TEST(StringsTest, ParseInt64) {
  EXPECT_EQ(0, ParseInt64("0"));
  EXPECT_EQ(0, ParseInt64("-0"));
  EXPECT_EQ(42, ParseInt64("0042"));
  EXPECT_EQ(-17, ParseInt64("-17"));
  EXPECT_EQ(std::numeric_limits<int64_t>::max(), ParseInt64("9223372036854775807"));
  EXPECT_EQ(std::numeric_limits<int64_t>::min(), ParseInt64("-9223372036854775808"));
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "abc", "--1",
                          "9223372036854775808", "-9223372036854775809"}) {
    EXPECT_FALSE(ParseInt64(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseInt64(std::string_view("1\0", 2)).has_value());
}

TEST(StringsTest, ParseUint64) {
  EXPECT_EQ(0u, ParseUint64("0"));
  EXPECT_EQ(std::numeric_limits<uint64_t>::max(), ParseUint64("18446744073709551615"));
  EXPECT_EQ(2889712707386595659u, ParseUint64("2889712707386595659"));
  for (const char* bad : {"", "-", "-0", "-1", "+1", " 1", "1 ", "1.5", "18446744073709551616"}) {
    EXPECT_FALSE(ParseUint64(bad).has_value()) << bad;
  }
}

TEST(StringsTest, IsValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8(std::string_view("nul\0inside", 10)));
  EXPECT_TRUE(IsValidUtf8("hello world \xE4\xBD\xA0\xE5\xA5\xBD"));  // 你好
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));                      // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                      // U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));                          // U+D7FF
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));                          // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));                              // U+0080

  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong 3-byte
  EXPECT_FALSE(IsValidUtf8("\xF0\x80\x80\xAF"));  // overlong 4-byte
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));      // surrogate U+DFFF
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xE4\xBD"));      // truncated
  EXPECT_FALSE(IsValidUtf8("ok\xE4"));        // truncated at end
  EXPECT_FALSE(IsValidUtf8("\xE4\x41\xA0"));  // bad continuation
  EXPECT_FALSE(IsValidUtf8(Bytes({0xF0, 0x9F, 0x98})));
}

// ASCII is checked eight bytes at a time: a bad or multi-byte sequence at any offset
// of a longer text is still seen.
TEST(StringsTest, IsValidUtf8AtEveryOffset) {
  const std::string ascii(24, 'a');
  for (size_t at = 0; at <= ascii.size(); ++at) {
    std::string head = ascii.substr(0, at);
    std::string tail = ascii.substr(at);
    EXPECT_TRUE(IsValidUtf8(head + "\xE4\xBD\xA0" + tail)) << at;
    EXPECT_FALSE(IsValidUtf8(head + "\x80" + tail)) << at;
    EXPECT_FALSE(IsValidUtf8(head + "\xE4\xBD" + tail)) << at;
  }
}

TEST(StringsTest, RandomAlnum) {
  EXPECT_EQ("", RandomAlnum(0));
  std::string s = RandomAlnum(1000);
  ASSERT_EQ(1000u, s.size());
  std::set<char> seen;
  for (char c : s) {
    ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << c;
    seen.insert(c);
  }
  // 1000 draws over 36 symbols miss one with probability ~36 * (35/36)^1000 < 1e-10.
  EXPECT_EQ(36u, seen.size());
  EXPECT_NE(RandomAlnum(32), RandomAlnum(32));
}

TEST(StringsTest, RandomUint64) {
  std::set<uint64_t> values;
  for (int i = 0; i < 16; ++i) values.insert(RandomUint64());
  EXPECT_EQ(16u, values.size());
}

TEST(StringsTest, RandomHexAndConstantTimeEquals) {
  std::string id = RandomHex(16);
  ASSERT_EQ(32u, id.size());
  for (char c : id) ASSERT_TRUE((c >= 'a' && c <= 'f') || (c >= '0' && c <= '9')) << c;
  EXPECT_NE(RandomHex(16), RandomHex(16));
  EXPECT_EQ("", RandomHex(0));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals(id, std::string(id)));
  EXPECT_FALSE(ConstantTimeEquals(id, id.substr(1)));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
}

}  // namespace
}  // namespace cmq
