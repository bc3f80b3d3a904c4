#include "broker/receipt_handle.h"

#include <gtest/gtest.h>

#include <string>

namespace cmq::broker {
namespace {

TEST(ReceiptHandleTest, SipHashMatchesReferenceVector) {
  // From the SipHash paper: key 00..0f, message 00..0e.
  std::string key, msg;
  for (int i = 0; i < 16; ++i) key.push_back(static_cast<char>(i));
  for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
  EXPECT_EQ(SipHash24(key, msg), 0xa129ca6149be45e5ull);
  EXPECT_EQ(SipHash24(key, ""), 0x726fdb47dd0e0e31ull);
}

TEST(ReceiptHandleTest, RoundTrip) {
  const std::string key = "0123456789abcdef";
  ReceiptHandle h{42, 1ull << 40, 7};
  std::string text = EncodeReceiptHandle(h, key);
  EXPECT_EQ(text.size(), 39u);
  EXPECT_EQ(
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  auto d = DecodeReceiptHandle(text, key);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->queue_uid, 42u);
  EXPECT_EQ(d->position, 1ull << 40);
  EXPECT_EQ(d->generation, 7u);
}

TEST(ReceiptHandleTest, WrongKeyOrAnyChangeIsRejected) {
  const std::string key = "0123456789abcdef";
  std::string text = EncodeReceiptHandle({1, 2, 3}, key);
  EXPECT_FALSE(DecodeReceiptHandle(text, "fedcba9876543210"));
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < text.size(); ++i) {
    for (char c : alphabet) {
      if (c == text[i]) continue;
      std::string t = text;
      t[i] = c;
      EXPECT_FALSE(DecodeReceiptHandle(t, key)) << i << " " << c;
    }
  }
  EXPECT_FALSE(DecodeReceiptHandle(text + "A", key));
  EXPECT_FALSE(DecodeReceiptHandle(text.substr(1), key));
  EXPECT_FALSE(DecodeReceiptHandle("", key));
  EXPECT_FALSE(DecodeReceiptHandle(std::string(39, '@'), key));
  EXPECT_FALSE(DecodeReceiptHandle(std::string(39, '\0'), key));
}

}  // namespace
}  // namespace cmq::broker
