#include "common/log.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/json.h"

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

// 2026-12-07T08:21:50.123Z
constexpr int64_t kSomeTimeMs = 1796631710123;

TEST(LogFormatTest, TextLinesHaveTimeLevelMessageAndFields) {
  std::vector<LogField> fields = {
      {"queue", "q1"}, {"code", 0}, {"who", "two words"}, {"empty", ""}, {"quote", "a\"b=c"}};
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kSomeTimeMs, LogLevel::kWarn, "sent", fields),
            "2026-12-07T08:21:50.123Z WARN  sent queue=q1 code=0 who=\"two words\" empty=\"\" "
            "quote=\"a\\\"b=c\"\n");
  // The access log's lines: no level and no message.
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kSomeTimeMs, std::nullopt, "", fields).substr(0, 34),
            "2026-12-07T08:21:50.123Z queue=q1 ");
}

TEST(LogFormatTest, NoClientTextCanForgeALine) {
  std::vector<LogField> fields = {{"secretId", "x\n2026-01-01T00:00:00.000Z ERROR forged"}};
  std::string line =
      FormatLogLine(LogFormat::kText, kSomeTimeMs, LogLevel::kInfo, "a\nb\x01", fields);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_NE(line.find("a\\nb\\x01"), std::string::npos) << line;
  std::string json =
      FormatLogLine(LogFormat::kJson, kSomeTimeMs, LogLevel::kInfo, "a\nb\x01", fields);
  EXPECT_EQ(json.find('\n'), json.size() - 1) << json;
}

TEST(LogFormatTest, JsonLinesAreOneObjectWithTimeLevelMessageAndFields) {
  std::vector<LogField> fields = {{"queue", "q\"1"}, {"code", -4100}, {"bytes", uint64_t{7}}};
  std::string line =
      FormatLogLine(LogFormat::kJson, kSomeTimeMs, LogLevel::kError, "it \"failed\"", fields);
  ASSERT_EQ(line.back(), '\n');
  Result<JsonValue> parsed = ParseJson(line);
  ASSERT_TRUE(parsed.ok()) << line;
  ASSERT_TRUE(parsed->is_object());
  EXPECT_EQ(parsed->Find("time")->as_string(), "2026-12-07T08:21:50.123Z");
  EXPECT_EQ(parsed->Find("level")->as_string(), "error");
  EXPECT_EQ(parsed->Find("message")->as_string(), "it \"failed\"");
  EXPECT_EQ(parsed->Find("queue")->as_string(), "q\"1");
  EXPECT_EQ(parsed->Find("code")->as_int(), -4100);
  EXPECT_EQ(parsed->Find("bytes")->as_int(), 7);

  Result<JsonValue> access =
      ParseJson(FormatLogLine(LogFormat::kJson, kSomeTimeMs, std::nullopt, "", fields));
  ASSERT_TRUE(access.ok());
  EXPECT_EQ(access->Find("level"), nullptr);
  EXPECT_EQ(access->Find("message"), nullptr);
  EXPECT_EQ(access->Find("code")->as_int(), -4100);
}

TEST(LogFormatTest, TimesAreUtcWithMilliseconds) {
  EXPECT_EQ(FormatUtcMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMs(kSomeTimeMs + 876), "2026-12-07T08:21:50.999Z");
}

TEST(LogCaptureTest, EventsAreCapturedWithTheirFieldsAndRateLimited) {
  LogCapture capture;
  LogEvent(LogLevel::kInfo, "parked", {{"queue", "q"}, {"waitMs", 3000}});
  LogEvent(LogLevel::kDebug, "below the minimum level", {{"queue", "q"}});
  LogRateLimit limit(3600 * 1000);
  for (int i = 0; i < 3; ++i) LogEventRateLimited(limit, LogLevel::kWarn, "flood", {{"n", i}});
  EXPECT_EQ(capture.Lines(),
            (std::vector<std::string>{"INFO parked queue=q waitMs=3000", "WARN flood n=0"}));
}

}  // namespace
}  // namespace cmq
