#include "progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace cmqctl {
namespace {

TEST(ProgressTest, LineWithTotalShowsBarPercentCountRateAndEta) {
  EXPECT_EQ(RenderProgressLine(500, 1000, 2.0, 80),
            "[###############---------------]  50%  500/1000  250 msg/s  ETA 2.0s");
  EXPECT_EQ(RenderProgressLine(0, 1000, 0, 80),
            "[------------------------------]   0%  0/1000  0 msg/s");
}

TEST(ProgressTest, FinishedLineShowsElapsedInsteadOfEta) {
  EXPECT_EQ(RenderProgressLine(1000, 1000, 4.0, 80),
            "[##############################] 100%  1000/1000  250 msg/s  4.0s");
}

TEST(ProgressTest, UnknownTotalHasNoBar) {
  EXPECT_EQ(RenderProgressLine(1234, 0, 2.0, 80), "1234 msgs  617 msg/s  2.0s");
}

TEST(ProgressTest, NarrowTerminalShrinksThenDropsTheBarAndNeverOverflows) {
  std::string line = RenderProgressLine(500, 1000, 2.0, 60);
  EXPECT_EQ(line, "[###########-----------]  50%  500/1000  250 msg/s  ETA 2.0s");
  EXPECT_LE(line.size(), 60u);
  EXPECT_EQ(RenderProgressLine(500, 1000, 2.0, 45), " 50%  500/1000  250 msg/s  ETA 2.0s");
  EXPECT_EQ(RenderProgressLine(500, 1000, 2.0, 10).size(), 10u);
}

TEST(ProgressTest, MoreDoneThanTotalIsCapped) {
  EXPECT_EQ(RenderProgressLine(12, 10, 1.0, 80),
            "[##############################] 100%  12/10  12 msg/s  1.0s");
}

TEST(ProgressTest, Summary) {
  EXPECT_EQ(RenderSummary("sent", 10000, 3.2), "sent 10000 messages in 3.2s (3125 msg/s)");
  EXPECT_EQ(RenderSummary("drained", 1, 0.5), "drained 1 message in 0.5s (2 msg/s)");
  EXPECT_EQ(RenderSummary("sent", 0, 0), "sent 0 messages in 0.0s (0 msg/s)");
}

TEST(ProgressTest, InteractiveBarRedrawsAtMostEveryTenthOfASecond) {
  std::ostringstream out;
  double now = 100;
  ProgressBar bar(out, /*interactive=*/true, 100, 80, [&] { return now; });
  bar.Advance(10);  // first draw
  bar.Advance(10);  // same instant: skipped
  now += 0.05;
  bar.Advance(10);  // too soon: skipped
  now += 0.1;
  bar.Advance(10);  // drawn
  std::string s = out.str();
  EXPECT_EQ(std::count(s.begin(), s.end(), '\r'), 2);
  EXPECT_NE(s.find("10/100"), std::string::npos);
  EXPECT_NE(s.find("40/100"), std::string::npos);
  EXPECT_NE(s.find("\x1b[K"), std::string::npos);
  bar.Finish("sent");
  EXPECT_TRUE(out.str().ends_with("\r\x1b[Ksent 40 messages in 0.1s (267 msg/s)\n")) << out.str();
  bar.Finish("sent");  // idempotent
  EXPECT_TRUE(out.str().ends_with("(267 msg/s)\n"));
}

TEST(ProgressTest, NonInteractiveBarPrintsOnlyTheSummary) {
  std::ostringstream out;
  double now = 0;
  ProgressBar bar(out, /*interactive=*/false, 0, 80, [&] { return now; });
  for (int i = 0; i < 100; ++i) {
    bar.Advance(1);
    now += 0.5;
  }
  EXPECT_EQ(out.str(), "");
  bar.Finish("sent");
  EXPECT_EQ(out.str(), "sent 100 messages in 50s (2 msg/s)\n");
  std::ostringstream quiet_out;
  ProgressBar quiet(quiet_out, false, 0, 80, [&] { return now; });
  quiet.Finish("sent", /*quiet=*/true);
  EXPECT_EQ(quiet_out.str(), "");
}

}  // namespace
}  // namespace cmqctl
