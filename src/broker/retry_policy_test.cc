#include "broker/retry_policy.h"

#include <gtest/gtest.h>

#include <set>

namespace cmq::broker {
namespace {

TEST(RetryPolicyTest, ExponentialDecaySchedule) {
  TopicLimits limits;
  const auto s = NotifyStrategy::kExponentialDecayRetry;
  EXPECT_EQ(RetryDelayMs(s, 0, 1, 1, limits), std::nullopt);
  const int64_t expected[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  for (int k = 1; k <= 9; ++k) {
    EXPECT_EQ(RetryDelayMs(s, k, 1, 1, limits), expected[k - 1] * 1000);
  }
  int64_t total = 0;
  for (int k = 1; k <= 176; ++k) {
    auto d = RetryDelayMs(s, k, 7, 9, limits);
    ASSERT_TRUE(d.has_value()) << k;
    if (k >= 10) {
      EXPECT_EQ(*d, 512000);
    }
    total += *d;
  }
  EXPECT_EQ(total, (511 + 167 * 512) * 1000);  // 86,015 s (9.6)
  EXPECT_EQ(RetryDelayMs(s, 177, 1, 1, limits), std::nullopt);
}

TEST(RetryPolicyTest, BackoffDelaysAreInRangeDeterministicAndSpread) {
  TopicLimits limits;
  const auto s = NotifyStrategy::kBackoffRetry;
  std::set<int64_t> seen;
  for (uint64_t msg = 1; msg <= 200; ++msg) {
    for (int k = 1; k <= 3; ++k) {
      auto d = RetryDelayMs(s, k, msg, 42, limits);
      ASSERT_TRUE(d.has_value());
      EXPECT_GE(*d, 10000);
      EXPECT_LE(*d, 20000);
      EXPECT_EQ(*d % 1000, 0);
      EXPECT_EQ(d, RetryDelayMs(s, k, msg, 42, limits));
      seen.insert(*d);
    }
    EXPECT_EQ(RetryDelayMs(s, 4, msg, 42, limits), std::nullopt);
  }
  EXPECT_EQ(seen.size(), 11u);  // every second of [10, 20] occurs

  limits.backoff_retry_min_seconds = 19;
  limits.backoff_retry_max_seconds = 29;
  auto d = RetryDelayMs(s, 1, 5, 5, limits);
  EXPECT_GE(*d, 19000);
  EXPECT_LE(*d, 29000);
  limits.backoff_retry_max_seconds = 3;  // inverted range: the minimum
  EXPECT_EQ(RetryDelayMs(s, 2, 5, 5, limits), 19000);
}

}  // namespace
}  // namespace cmq::broker
