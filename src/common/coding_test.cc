#include "common/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace cmq {
namespace {

TEST(CodingTest, FixedWidthIsLittleEndianAndRoundTrips) {
  std::string buf;
  PutFixed32(&buf, 0x04030201u);
  PutFixed64(&buf, 0x0807060504030201ull);
  EXPECT_EQ(std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12), buf);
  EXPECT_EQ(0x04030201u, DecodeFixed32(buf.data()));
  EXPECT_EQ(0x0807060504030201ull, DecodeFixed64(buf.data() + 4));

  std::string max;
  PutFixed32(&max, 0xffffffffu);
  PutFixed64(&max, ~0ull);
  Decoder d(max);
  uint32_t a;
  uint64_t b;
  ASSERT_TRUE(d.GetFixed32(&a));
  ASSERT_TRUE(d.GetFixed64(&b));
  EXPECT_EQ(0xffffffffu, a);
  EXPECT_EQ(~0ull, b);
  EXPECT_TRUE(d.done());
}

TEST(CodingTest, VarintBoundaries) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{16383},
                     uint64_t{16384}, uint64_t{1} << 32, std::numeric_limits<uint64_t>::max()}) {
    std::string buf;
    PutVarint64(&buf, v);
    Decoder d(buf);
    uint64_t out = 0;
    ASSERT_TRUE(d.GetVarint64(&out)) << v;
    EXPECT_EQ(v, out);
    EXPECT_TRUE(d.done());
  }
  std::string buf;
  PutVarint64(&buf, 127);
  EXPECT_EQ(1u, buf.size());
  PutVarint64(&buf, 128);
  EXPECT_EQ(3u, buf.size());
  buf.clear();
  PutVarint64(&buf, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(10u, buf.size());
}

TEST(CodingTest, TruncatedOrOverlongInputFails) {
  uint32_t a;
  uint64_t b;
  std::string_view s;
  Decoder short32(std::string_view("\x01\x02\x03", 3));
  EXPECT_FALSE(short32.GetFixed32(&a));
  EXPECT_FALSE(short32.ok());
  Decoder short64(std::string_view("\x01\x02\x03\x04\x05\x06\x07", 7));
  EXPECT_FALSE(short64.GetFixed64(&b));

  Decoder unterminated(std::string_view("\x80\x80", 2));
  EXPECT_FALSE(unterminated.GetVarint64(&b));
  const std::string eleven(11, '\x80');
  Decoder overlong(eleven);
  EXPECT_FALSE(overlong.GetVarint64(&b));

  std::string lp;
  PutVarint64(&lp, 5);
  lp += "abc";  // claims 5 bytes, has 3
  Decoder d(lp);
  EXPECT_FALSE(d.GetLengthPrefixed(&s));
  EXPECT_FALSE(d.ok());

  Decoder bytes("ab");
  EXPECT_FALSE(bytes.GetBytes(3, &s));
}

TEST(CodingTest, LengthPrefixedAndConsumed) {
  std::string buf;
  PutLengthPrefixed(&buf, "hello");
  PutLengthPrefixed(&buf, "");
  buf += "rest";
  Decoder d(buf);
  std::string_view a, b, c;
  ASSERT_TRUE(d.GetLengthPrefixed(&a));
  ASSERT_TRUE(d.GetLengthPrefixed(&b));
  EXPECT_EQ("hello", a);
  EXPECT_EQ("", b);
  EXPECT_EQ(7u, d.consumed(buf));
  EXPECT_EQ("rest", d.remaining());
  EXPECT_FALSE(d.done());
  ASSERT_TRUE(d.GetBytes(4, &c));
  EXPECT_EQ("rest", c);
  EXPECT_TRUE(d.done());
}

}  // namespace
}  // namespace cmq
