#include "server/open_file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace cmq::server {
namespace {

TEST(OpenFileLimitTest, ReserveCoversProcessJournalAndPush) {
  // 32 for the process, the journal's files plus 16 to grow, and push: a sixteenth
  // of the limit, at least 64.
  EXPECT_EQ(ReservedDescriptors(256, 3), 32u + 3 + 16 + 64);
  EXPECT_EQ(ReservedDescriptors(1 << 20, 10), 32u + 10 + 16 + (1 << 16));
}

TEST(OpenFileLimitTest, ConnectionsGetWhatTheReserveLeaves) {
  EXPECT_EQ(ConnectionCap(256, 3, 100000), 256u - 115);
  EXPECT_EQ(ConnectionCap(1 << 20, 10, 100000), 100000u);  // max_connections rules
  EXPECT_EQ(ConnectionCap(1 << 20, 10, 5), 5u);
}

TEST(OpenFileLimitTest, AGrowingJournalNeverTakesTheLastClientConnections) {
  EXPECT_EQ(ConnectionCap(256, 120, 100000), 256u - (32 + 120 + 16 + 64));
  EXPECT_EQ(ConnectionCap(256, 140, 100000), kMinClientConnections);
  EXPECT_EQ(ConnectionCap(256, 1000, 100000), kMinClientConnections);
}

TEST(OpenFileLimitTest, StartRefusesALimitWithNoRoomForClients) {
  EXPECT_TRUE(CheckOpenFileLimit(256, 3).ok());
  EXPECT_TRUE(CheckOpenFileLimit(131, 3).ok());
  Status low = CheckOpenFileLimit(130, 3);
  EXPECT_EQ(low.error(), ErrorCode::kTooManyOpenFiles);
  EXPECT_NE(low.detail().find("the open-file limit (ulimit -n) is 130; cmqd needs at least 131"),
            std::string::npos)
      << low.detail();
}

TEST(OpenFileLimitTest, StartUpLineSaysTheLimitTheReserveAndTheCap) {
  OpenFileLimit limit{256, 256, 256, ""};
  EXPECT_EQ(DescribeConnectionBudget(limit, 3, 100000),
            "open-file limit 256; 115 descriptors kept for the journal (3 files now), push "
            "deliveries and the process: at most 141 client connections (max_connections "
            "100000)");
  limit.soft_before = 1024;
  limit.soft = limit.hard = 4096;
  std::string raised = DescribeConnectionBudget(limit, 3, 100);
  EXPECT_EQ(raised.rfind("open-file limit 4096 (raised from 1024 to the hard limit); ", 0), 0u)
      << raised;
  limit.soft = 1024;
  limit.raise_error = "setrlimit(RLIMIT_NOFILE): Operation not permitted";
  std::string refused = DescribeConnectionBudget(limit, 3, 100);
  EXPECT_EQ(refused.rfind("open-file limit 1024 (cannot raise it to the hard limit 4096: "
                          "setrlimit(RLIMIT_NOFILE): Operation not permitted); ",
                          0),
            0u)
      << refused;
}

TEST(OpenFileLimitTest, RaisesTheSoftLimitToTheHardLimit) {
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max < 128) GTEST_SKIP() << "hard limit too low to lower the soft one";
  rlimit lowered = saved;
  lowered.rlim_cur = 100;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  Result<OpenFileLimit> raised = RaiseOpenFileLimit();
  rlimit now;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_TRUE(raised.ok()) << raised.status().ToString();
  EXPECT_EQ(raised->soft_before, 100u);
  EXPECT_EQ(raised->soft, saved.rlim_max);
  EXPECT_EQ(raised->hard, saved.rlim_max);
  EXPECT_EQ(raised->raise_error, "");
  EXPECT_EQ(now.rlim_cur, saved.rlim_max);
}

}  // namespace
}  // namespace cmq::server
