// Black-box: the built cmq-bench's topic modes against cmqd. Mode publish fans out into
// queue subscriptions and mode push into HTTP subscriptions on cmq-bench's own sink;
// both must verify that every message reached every subscription and clean up after
// themselves. A subscription that misses messages must fail the run.
#include <gtest/gtest.h>

#include <string>

#include "support/blackbox.h"
#include "support/child_process.h"

namespace cmq::testing {
namespace {

struct BenchRun {
  int exit_status = -1;
  std::string output;   // stdout and stderr
  JsonValue report;     // the --json report, null if none was printed
  bool has_report = false;
};

class BenchTopicSmokeTest : public SharedServerTest {
 protected:
  // Runs cmq-bench with `args` and --json against the suite's cmqd.
  static BenchRun RunBench(const std::string& args) {
    Program program;
    program.argv = Words(std::string(CMQ_BENCH_PATH) + " --endpoint " +
                         server().process().endpoint() + " --secret-id " + CmqdProcess::kSecretId +
                         " --secret-key " + CmqdProcess::kSecretKey + " --json " + args);
    RunOptions options;
    options.merge_stderr = true;
    RunResult ran = RunProgram(program, options);
    BenchRun run;
    run.exit_status = ran.exit_status;
    run.output = std::move(ran.out);
    // The report is one JSON object on a line of its own.
    size_t begin = run.output.find("{\"mode\"");
    if (begin != std::string::npos) {
      size_t end = run.output.find('\n', begin);
      Result<JsonValue> report = ParseJson(run.output.substr(begin, end - begin));
      if (report.ok()) {
        run.report = std::move(report).value();
        run.has_report = true;
      }
    }
    return run;
  }

  // The report says every one of `count` messages reached each of `subscriptions`
  // subscriptions, none missing.
  static void ExpectAllDelivered(const BenchRun& run, int64_t count, size_t subscriptions) {
    ASSERT_TRUE(run.has_report) << run.output;
    const JsonValue* aborted = run.report.Find("aborted");
    EXPECT_TRUE(aborted != nullptr && !aborted->as_bool()) << run.output;
    const JsonValue* verify = run.report.Find("verify");
    ASSERT_NE(verify, nullptr) << run.output;
    EXPECT_EQ(IntField(*verify, "expected"), count) << run.output;
    EXPECT_EQ(IntField(*verify, "missing"), 0) << run.output;
    const JsonValue* ok = verify->Find("ok");
    EXPECT_TRUE(ok != nullptr && ok->as_bool()) << run.output;
    const std::vector<JsonValue>& per = ArrayField(*verify, "per_subscription");
    ASSERT_EQ(per.size(), subscriptions) << run.output;
    for (const JsonValue& s : per) {
      EXPECT_EQ(IntField(s, "unique"), count) << StrField(s, "name") << "\n" << run.output;
      EXPECT_EQ(IntField(s, "missing"), 0) << StrField(s, "name") << "\n" << run.output;
    }
  }

  void ExpectTopicGone(const std::string& topic) {
    EXPECT_TRUE(IsServerError(caller_->Call("GetTopicAttributes", {{"topicName", topic}}), 4440,
                              10600));
  }
};

TEST_F(BenchTopicSmokeTest, PublishReachesEveryQueueSubscription) {
  const std::string topic = UniqueName("bench-pub");
  BenchRun run = RunBench("--mode publish --topic " + topic +
                          " --create-topic --queue-subscriptions 2 --producers 2 --consumers 3"
                          " --batch 16 --size 128 --count 1000 --drain-timeout 20 --delete-topic");
  EXPECT_EQ(run.exit_status, 0) << run.output;
  ExpectAllDelivered(run, 1000, 2);
  const JsonValue* publishers = run.report.Find("publishers");
  ASSERT_NE(publishers, nullptr) << run.output;
  EXPECT_EQ(IntField(*publishers, "messages"), 1000);
  EXPECT_EQ(IntField(*publishers, "requests"), 63);  // 62 batches of 16 and one of 8

  // --delete-topic removed the subscriptions, the topic and its queues.
  ExpectTopicGone(topic);
  for (const char* suffix : {"-q1", "-q2"}) {
    EXPECT_TRUE(IsServerError(
        caller_->Call("GetQueueAttributes", {{"queueName", topic + suffix}}), 4440, 10100));
  }
}

TEST_F(BenchTopicSmokeTest, PublishWithRoutingKeysAndSingleCalls) {
  const std::string topic = UniqueName("bench-route");
  BenchRun run = RunBench("--mode publish --topic " + topic +
                          " --create-topic --filter-type 2 --binding-key order.*"
                          " --routing-key order.new --queue-subscriptions 1 --receive-batch 1"
                          " --count 50 --drain-timeout 20 --delete-topic");
  EXPECT_EQ(run.exit_status, 0) << run.output;
  ExpectAllDelivered(run, 50, 1);
  EXPECT_EQ(IntField(run.report, "filter_type"), 2);
  ExpectTopicGone(topic);
}

TEST_F(BenchTopicSmokeTest, PushReachesEveryHttpSubscription) {
  const std::string topic = UniqueName("bench-push");
  BenchRun run = RunBench("--mode push --topic " + topic +
                          " --create-topic --http-subscriptions 2 --producers 2 --batch 16"
                          " --count 500 --drain-timeout 20 --delete-topic");
  EXPECT_EQ(run.exit_status, 0) << run.output;
  ExpectAllDelivered(run, 500, 2);
  const JsonValue* sink = run.report.Find("sink");
  ASSERT_NE(sink, nullptr) << run.output;
  EXPECT_GE(IntField(*sink, "pushes"), 1000);
  EXPECT_EQ(IntField(*sink, "malformed"), 0);
  EXPECT_EQ(IntField(*sink, "without_message_id"), 0);
  ExpectTopicGone(topic);
}

TEST_F(BenchTopicSmokeTest, PushJsonFormatWithTags) {
  const std::string topic = UniqueName("bench-json");
  BenchRun run = RunBench("--mode push --topic " + topic +
                          " --create-topic --http-subscriptions 1 --format JSON --tag red"
                          " --count 100 --drain-timeout 20");
  EXPECT_EQ(run.exit_status, 0) << run.output;
  ExpectAllDelivered(run, 100, 1);
  // Without --delete-topic the topic stays, but the HTTP subscriptions (whose sink is
  // gone) were removed.
  JsonValue list = Ok("ListSubscriptionByTopic", {{"topicName", topic}});
  EXPECT_EQ(IntField(list, "totalCount"), 0);
  Ok("DeleteTopic", {{"topicName", topic}});
}

TEST_F(BenchTopicSmokeTest, SubscriptionMissingMessagesFailsTheRun) {
  // Two queues, but only the first is subscribed: the second never gets anything.
  const std::string topic = UniqueName("bench-miss");
  Ok("CreateTopic", {{"topicName", topic}});
  CreateQueue(topic + "-q1");
  CreateQueue(topic + "-q2");
  Ok("Subscribe", {{"topicName", topic},
                   {"subscriptionName", topic + "-q1"},
                   {"protocol", "queue"},
                   {"endpoint", topic + "-q1"}});
  BenchRun run = RunBench("--mode publish --topic " + topic +
                          " --queue-subscriptions 2 --count 20 --drain-timeout 1 --delete-topic");
  EXPECT_EQ(run.exit_status, 1) << run.output;
  ASSERT_TRUE(run.has_report) << run.output;
  const JsonValue* verify = run.report.Find("verify");
  ASSERT_NE(verify, nullptr) << run.output;
  EXPECT_EQ(IntField(*verify, "missing"), 20) << run.output;
  const std::vector<JsonValue>& per = ArrayField(*verify, "per_subscription");
  ASSERT_EQ(per.size(), 2u) << run.output;
  EXPECT_EQ(IntField(per[0], "missing"), 0) << run.output;
  EXPECT_EQ(IntField(per[1], "missing"), 20) << run.output;
  EXPECT_EQ(ArrayField(per[1], "missing_examples").size(), 10u) << run.output;
  ExpectTopicGone(topic);
}

TEST_F(BenchTopicSmokeTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunBench("--mode push --create-queue").exit_status, 2);
  EXPECT_EQ(RunBench("--mode publish --queue-subscriptions 0").exit_status, 2);
  EXPECT_EQ(RunBench("--mode push --format XML").exit_status, 2);
  BenchRun missing = RunBench("--mode publish --topic " + UniqueName("bench-none") + " --count 5");
  EXPECT_EQ(missing.exit_status, 2) << missing.output;
  EXPECT_NE(missing.output.find("--create-topic"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace cmq::testing
