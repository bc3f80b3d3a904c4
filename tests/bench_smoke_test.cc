// Black-box: the built cmq-bench runs a small producer/consumer load against cmqd and
// verifies that every message sent was received.
#include <gtest/gtest.h>

#include <string>

#include "support/blackbox.h"
#include "support/child_process.h"

namespace cmq::testing {
namespace {

// The built cmq-bench with `args` against `server`'s default account; stderr merged.
RunResult RunBench(TestServer& server, const std::string& args) {
  Program program;
  program.argv =
      Words(std::string(CMQ_BENCH_PATH) + " --endpoint " + server.process().endpoint() +
            " --secret-id " + CmqdProcess::kSecretId + " --secret-key " + CmqdProcess::kSecretKey +
            " " + args);
  RunOptions options;
  options.merge_stderr = true;
  return RunProgram(program, options);
}

// --admin for `server`'s admin listener.
std::string AdminFlag(TestServer& server) {
  return " --admin http://127.0.0.1:" + std::to_string(server.process().admin_port());
}

TEST(BenchSmokeTest, ProducersAndConsumersLoseNothing) {
  TestServer server;
  ASSERT_TRUE(server.Start()) << server.process().output();
  RunResult run = RunBench(server,
                           "--queue bench-smoke --create-queue --count 2000 --producers 2"
                           " --consumers 2 --batch 16 --size 128 --wait 1 --drain-timeout 5 --json");
  EXPECT_EQ(run.exit_status, 0) << run.out;

  // The report is one JSON object on a line of its own.
  size_t begin = run.out.find("{\"mode\"");
  ASSERT_NE(begin, std::string::npos) << run.out;
  size_t end = run.out.find('\n', begin);
  Result<JsonValue> report = ParseJson(run.out.substr(begin, end - begin));
  ASSERT_TRUE(report.ok()) << run.out;
  const JsonValue* verify = report->Find("verify");
  ASSERT_NE(verify, nullptr) << run.out;
  EXPECT_EQ(IntField(*verify, "missing"), 0) << run.out;
  EXPECT_EQ(IntField(*verify, "expected"), 2000) << run.out;
  EXPECT_EQ(IntField(*verify, "received"), 2000) << run.out;
  EXPECT_FALSE(report->Find("aborted") != nullptr && report->Find("aborted")->as_bool()) << run.out;

  // Everything was deleted: the queue is empty.
  Caller c = server.NewCaller();
  ClientResult<JsonValue> attrs = c.Call("GetQueueAttributes", {{"queueName", "bench-smoke"}});
  ASSERT_TRUE(IsSuccess(attrs));
  EXPECT_EQ(IntField(*attrs, "activeMsgNum"), 0);
  EXPECT_EQ(IntField(*attrs, "inactiveMsgNum"), 0);
}

// Mode scrape makes the queues, reads /metrics from the admin listener and counts a
// series per queue; --delete-queue removes them again.
TEST(BenchSmokeTest, ScrapeModeReadsASeriesPerQueue) {
  TestServer server;
  ASSERT_TRUE(server.Start()) << server.process().output();
  RunResult run = RunBench(server,
                           "--mode scrape --queue many --queues 12 --producers 3 --scrapes 2"
                           " --delete-queue" + AdminFlag(server));
  EXPECT_EQ(run.exit_status, 0) << run.out;
  EXPECT_NE(run.out.find("== 12 queues with a message each"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("2 answers"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(", 12 queue series"), std::string::npos) << run.out;

  Caller c = server.NewCaller();
  ClientResult<JsonValue> list = c.Call("ListQueue", {});
  ASSERT_TRUE(IsSuccess(list));
  EXPECT_EQ(IntField(*list, "totalCount"), 0);
}

// A path the admin listener does not serve fails the run.
TEST(BenchSmokeTest, ScrapeModeFailsOnAnAnswerThatIsNot200) {
  TestServer server;
  ASSERT_TRUE(server.Start()) << server.process().output();
  RunResult run = RunBench(
      server, "--mode scrape --queue few --queues 1 --admin-path /nothing-here" + AdminFlag(server));
  EXPECT_EQ(run.exit_status, 1) << run.out;
  EXPECT_NE(run.out.find("GET /nothing-here answered 404"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace cmq::testing
