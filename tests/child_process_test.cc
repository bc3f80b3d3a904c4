// The test harness's process runner (support/child_process.h, support/cmqd_process.h):
// children start reliably while other threads of the test process work, with the
// environment and streams asked for.
#include "support/child_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/cmqd_process.h"

namespace cmq::testing {
namespace {

// Threads that allocate and free all the time, as the client threads of the crash
// tests do while the test restarts cmqd. A child that allocated between fork and exec
// could find an allocator lock taken by one of them and never reach exec.
class AllocatingThreads {
 public:
  explicit AllocatingThreads(int count) {
    for (int t = 0; t < count; ++t) {
      threads_.emplace_back([this, t] {
        std::vector<std::unique_ptr<std::string>> kept(64);
        uint32_t x = 2463534242u + t;
        for (size_t i = 0; !stop_.load(std::memory_order_relaxed); ++i) {
          x ^= x << 13;
          x ^= x >> 17;
          x ^= x << 5;
          kept[i % kept.size()] = std::make_unique<std::string>(16 + x % 8192, 'x');
        }
      });
    }
  }
  ~AllocatingThreads() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST(ChildProcessTest, CmqdRestartsWhileOtherThreadsAllocate) {
  TempDir dir;
  CmqdProcess server(dir.path(), {"--prepared-segments", "0", "--segment-size-mb", "1"});
  AllocatingThreads busy(2);
  for (int round = 1; round <= 10; ++round) {
    ASSERT_TRUE(server.Start()) << "round " << round << ":\n" << server.output();
    server.Kill9();
  }
}

TEST(ChildProcessTest, ProgramsRunToCompletionWhileOtherThreadsAllocate) {
  AllocatingThreads busy(2);
  Program program;
  program.argv = {CMQD_PATH, "--help"};
  for (int round = 1; round <= 20; ++round) {
    RunResult r = RunProgram(program);
    ASSERT_EQ(r.exit_status, 0) << "round " << round << ": " << r.out << r.err;
    ASSERT_NE(r.out.find("Usage: cmqd"), std::string::npos) << r.out;
  }
}

TEST(ChildProcessTest, EnvironmentIsAddedToOrReplacesTheTestsOwn) {
  ASSERT_EQ(setenv("CMQ_HARNESS_INHERITED", "from-test", 1), 0);
  ASSERT_EQ(setenv("CMQ_HARNESS_OVERRIDDEN", "from-test", 1), 0);
  Program program;
  program.argv = {"/usr/bin/env"};
  program.environment = {"CMQ_HARNESS_OVERRIDDEN=from-child", "CMQ_HARNESS_NEW=new"};
  RunResult added = RunProgram(program);
  ASSERT_EQ(added.exit_status, 0) << added.err;
  const std::string lines = "\n" + added.out;  // every entry between newlines
  EXPECT_NE(lines.find("\nCMQ_HARNESS_INHERITED=from-test\n"), std::string::npos) << lines;
  EXPECT_NE(lines.find("\nCMQ_HARNESS_OVERRIDDEN=from-child\n"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("CMQ_HARNESS_OVERRIDDEN=from-test"), std::string::npos) << lines;
  EXPECT_NE(lines.find("\nCMQ_HARNESS_NEW=new\n"), std::string::npos) << lines;

  program.inherit_environment = false;
  RunResult replaced = RunProgram(program);
  ASSERT_EQ(replaced.exit_status, 0) << replaced.err;
  EXPECT_EQ(replaced.out, "CMQ_HARNESS_OVERRIDDEN=from-child\nCMQ_HARNESS_NEW=new\n");
  unsetenv("CMQ_HARNESS_INHERITED");
  unsetenv("CMQ_HARNESS_OVERRIDDEN");
}

TEST(ChildProcessTest, InputOutputAndExitStatus) {
  Program program;
  program.argv = {"/bin/sh", "-c", "cat; echo to-stderr >&2; exit 3"};
  RunOptions options;
  options.input = "line one\nline two\n";
  RunResult separate = RunProgram(program, options);
  EXPECT_EQ(separate.exit_status, 3);
  EXPECT_EQ(separate.out, "line one\nline two\n");
  EXPECT_EQ(separate.err, "to-stderr\n");

  options.merge_stderr = true;
  RunResult merged = RunProgram(program, options);
  EXPECT_EQ(merged.out, "line one\nline two\nto-stderr\n");
}

TEST(ChildProcessTest, AProgramThatCannotStartIsReported) {
  Program program;
  program.argv = {"/nonexistent/program"};
  RunResult r = RunProgram(program);
  EXPECT_EQ(r.exit_status, -1);
  EXPECT_FALSE(r.timed_out);
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
}

TEST(ChildProcessTest, AChildStillRunningAtTheLimitIsKilled) {
  Program program;
  program.argv = {"/bin/sh", "-c", "exec sleep 600"};
  RunOptions options;
  options.limit_ms = 200;
  RunResult r = RunProgram(program, options);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_status, -1);
}

TEST(ChildProcessTest, SignalsAndKillReportHowTheChildEnded) {
  ChildProcess child;
  std::string error;
  Program program;
  program.argv = {"/bin/sh", "-c", "exec sleep 600"};
  ASSERT_TRUE(child.Start(program, {}, &error)) << error;
  EXPECT_TRUE(child.running());
  EXPECT_FALSE(child.Poll().has_value());
  child.Signal(SIGTERM);
  std::optional<int> status = child.Wait(60000);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 128 + SIGTERM);
  EXPECT_FALSE(child.running());

  ASSERT_TRUE(child.Start(program, {}, &error)) << error;
  EXPECT_EQ(child.Kill(), 128 + SIGKILL);
  EXPECT_FALSE(child.Kill().has_value());
}

}  // namespace
}  // namespace cmq::testing
