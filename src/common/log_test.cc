#include "common/log.h"

#include <gtest/gtest.h>

#include <thread>

namespace cmq {
namespace {

TEST(LogRateLimitTest, OneLinePerIntervalAndCountsTheRest) {
  LogRateLimit limit(1000);
  uint64_t held = 99;
  ASSERT_TRUE(limit.Allow(5000, &held));
  EXPECT_EQ(held, 0u);
  EXPECT_FALSE(limit.Allow(5000, &held));
  EXPECT_FALSE(limit.Allow(5999, &held));
  ASSERT_TRUE(limit.Allow(6000, &held));
  EXPECT_EQ(held, 2u);
  ASSERT_TRUE(limit.Allow(7500, &held));
  EXPECT_EQ(held, 0u);
}

TEST(LogRateLimitTest, FirstLinePassesWhateverTheClockSays) {
  LogRateLimit limit(1000);
  uint64_t held = 0;
  EXPECT_TRUE(limit.Allow(-5, &held));
}

TEST(LogCaptureTest, CapturesLinesOfEveryThreadWithTheirLevel) {
  LogCapture capture;
  CMQ_LOG_ERROR("disk %s failed", "/dev/x");
  std::thread([] { CMQ_LOG_WARN("from another thread"); }).join();
  CMQ_LOG_DEBUG("below the minimum level");
  EXPECT_EQ(capture.Lines(),
            (std::vector<std::string>{"ERROR disk /dev/x failed", "WARN from another thread"}));
  EXPECT_EQ(capture.Count("failed"), 1u);
  EXPECT_EQ(capture.Count("nothing like it"), 0u);
}

TEST(LogCaptureTest, RateLimitedLinesSayHowManyWereHeldBack) {
  LogCapture capture;
  LogRateLimit limit(3600 * 1000);
  for (int i = 0; i < 3; ++i) LogRateLimited(limit, LogLevel::kWarn, "limit %d", i);
  EXPECT_EQ(capture.Lines(), (std::vector<std::string>{"WARN limit 0"}));

  LogRateLimit every_time(0);
  uint64_t held = 0;
  ASSERT_TRUE(every_time.Allow(0, &held));
  EXPECT_FALSE(every_time.Allow(-1, &held));  // the clock went back: still held back
  LogRateLimited(every_time, LogLevel::kWarn, "again");
  EXPECT_EQ(capture.Count("WARN again (1 similar lines held back)"), 1u);
}

}  // namespace
}  // namespace cmq
