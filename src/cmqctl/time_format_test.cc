#include "time_format.h"

#include <gtest/gtest.h>

namespace cmqctl {
namespace {

TEST(TimeFormatTest, FormatsUtcIso8601) {
  EXPECT_EQ(FormatUnixTime(1795536000), "2026-11-24T16:00:00Z");
  EXPECT_EQ(FormatUnixTime(1), "1970-01-01T00:00:01Z");
  EXPECT_EQ(FormatUnixTime(0), "-");
  EXPECT_EQ(FormatUnixTime(951782400), "2000-02-29T00:00:00Z");
}

TEST(TimeFormatTest, ParsesIsoWithZoneAndUnixSeconds) {
  EXPECT_EQ(ParseTimestamp("2026-11-24T16:00:00Z"), 1795536000);
  EXPECT_EQ(ParseTimestamp("2026-11-24t16:00:00z"), 1795536000);
  EXPECT_EQ(ParseTimestamp("2026-11-24 16:00:00Z"), 1795536000);
  EXPECT_EQ(ParseTimestamp("2026-11-24T18:00:00+02:00"), 1795536000);
  EXPECT_EQ(ParseTimestamp("2026-11-24T11:30:00-0430"), 1795536000);
  EXPECT_EQ(ParseTimestamp("2026-11-24T16:00:00.999Z"), 1795536000);
  EXPECT_EQ(ParseTimestamp("1795536000"), 1795536000);
  EXPECT_EQ(ParseTimestamp("2000-02-29T00:00:00Z"), 951782400);
  for (int64_t t : {int64_t{1}, int64_t{951782400}, int64_t{1795536000}, int64_t{4102444800}}) {
    EXPECT_EQ(ParseTimestamp(FormatUnixTime(t)), t);
  }
}

TEST(TimeFormatTest, RejectsMalformedOrAmbiguousTimes) {
  for (const char* bad :
       {"", "yesterday", "2026-11-24", "2026-11-24T16:00:00", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-24T24:00:00Z",
        "2026-11-24T16:00:00Zjunk", "2026-11-24T16:00:00.Z", "-5", "2026-1-24T16:00:00Z"}) {
    EXPECT_EQ(ParseTimestamp(bad), std::nullopt) << bad;
  }
}

TEST(TimeFormatTest, Durations) {
  EXPECT_EQ(FormatDuration(0.04), "0.0s");
  EXPECT_EQ(FormatDuration(3.25), "3.2s");
  EXPECT_EQ(FormatDuration(45), "45s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(7800), "2h10m");
  EXPECT_EQ(FormatDuration(-1), "0.0s");
}

}  // namespace
}  // namespace cmqctl
