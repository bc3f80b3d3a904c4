// Black-box: a clean stop (SIGTERM) exits 0, and a restart on the same data directory
// finds queues, attributes, messages in every state and rewindable messages as they
// were; deleted messages and queues stay deleted (DESIGN.md "Durability contract").
// The message operations CMQ lacks (docs/cmq-api.md 13.1) survive kill -9: a purge is
// one record, and a redrive killed mid-way goes on and loses or duplicates nothing.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "support/blackbox.h"
#include "support/eventually.h"

namespace cmq::testing {
namespace {

constexpr const char* kStableAttributes[] = {
    "maxMsgHeapNum", "pollingWaitSeconds", "visibilityTimeout", "maxMsgSize",
    "msgRetentionSeconds", "createTime", "lastModifyTime", "activeMsgNum",
    "inactiveMsgNum", "rewindSeconds", "rewindmsgNum", "rewindMsgNum",
    "minMsgTime", "delayMsgNum"};

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.process().output();
    caller_ = std::make_unique<Caller>(server_.NewCaller());
  }
  // SIGTERM, expect exit 0, start again on the same directory (a new port).
  void Restart() {
    int status = server_.process().Terminate();
    EXPECT_EQ(status, 0) << "SIGTERM must stop cmqd cleanly; output:\n"
                         << server_.process().output();
    StartAgain();
  }
  void Kill9AndRestart() {
    server_.process().Kill9();
    StartAgain();
  }
  void StartAgain() {
    ASSERT_TRUE(server_.Start()) << server_.process().output();
    caller_ = std::make_unique<Caller>(server_.NewCaller());
  }
  JsonValue Ok(std::string_view action, ParamList params) {
    ClientResult<JsonValue> r = caller_->Call(action, std::move(params));
    EXPECT_TRUE(IsSuccess(r)) << action;
    return r.ok() ? std::move(r).value() : JsonValue();
  }
  ClientResult<JsonValue> Receive(const std::string& q) {
    return caller_->Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
  }
  // Receives every receivable message of `q` (msgId -> body), failing the test on a
  // msgId received twice. They stay inactive, so none comes back meanwhile.
  std::map<std::string, std::string> ReceiveAll(const std::string& q) {
    std::map<std::string, std::string> out;
    for (;;) {
      ClientResult<JsonValue> r = caller_->Call(
          "BatchReceiveMessage",
          {{"queueName", q}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}});
      if (IsServerError(r, 7000, 10200)) return out;
      if (!IsSuccess(r)) {
        ADD_FAILURE() << "BatchReceiveMessage on " << q << " failed";
        return out;
      }
      for (const JsonValue& m : ArrayField(*r, "msgInfoList")) {
        bool fresh = out.emplace(StrField(m, "msgId"), StrField(m, "msgBody")).second;
        EXPECT_TRUE(fresh) << "received twice: " << StrField(m, "msgId");
      }
    }
  }
  std::map<std::string, int64_t> Attributes(const std::string& q) {
    JsonValue a = Ok("GetQueueAttributes", {{"queueName", q}});
    std::map<std::string, int64_t> out;
    for (const char* key : kStableAttributes) out[key] = IntField(a, key);
    return out;
  }

  TestServer server_{{"--min-max-msg-heap-num", "1"}};
  std::unique_ptr<Caller> caller_;
};

TEST_F(RestartTest, EverythingSurvivesACleanRestart) {
  const std::string main = "Main-Queue";
  const std::string dlq = "dead-letters";
  const std::string gone = "deleted-queue";
  std::string dlq_id = StrField(Ok("CreateQueue", {{"queueName", dlq}}), "queueId");
  std::string main_id = StrField(
      Ok("CreateQueue", {{"queueName", main},
                         {"maxMsgHeapNum", "1000"},
                         {"pollingWaitSeconds", "7"},
                         {"visibilityTimeout", "1234"},
                         {"maxMsgSize", "4096"},
                         {"msgRetentionSeconds", "86400"},
                         {"rewindSeconds", "7200"},
                         {"deadLetterPolicy", R"({"deadLetterQueue":")" + dlq +
                                                  R"(","policy":0,"maxReceiveCount":5})"}}),
      "queueId");
  Ok("CreateQueue", {{"queueName", gone}});
  Ok("SendMessage", {{"queueName", gone}, {"msgBody", "never again"}});
  Ok("DeleteQueue", {{"queueName", gone}});

  // m1 inactive, m2 deleted (rewindable), m3..m5 active, m6 delayed.
  std::vector<std::string> ids;
  for (int i = 1; i <= 5; ++i) {
    std::string body = std::string("m").append(std::to_string(i));
    ids.push_back(StrField(Ok("SendMessage", {{"queueName", main}, {"msgBody", body}}), "msgId"));
  }
  Ok("SendMessage", {{"queueName", main}, {"msgBody", "m6"}, {"delaySeconds", "3600"}});
  ClientResult<JsonValue> m1 = Receive(main);
  ASSERT_TRUE(IsSuccess(m1));
  ASSERT_EQ(StrField(*m1, "msgBody"), "m1");
  ClientResult<JsonValue> m2 = Receive(main);
  ASSERT_TRUE(IsSuccess(m2));
  ASSERT_EQ(StrField(*m2, "msgBody"), "m2");
  Ok("DeleteMessage", {{"queueName", main}, {"receiptHandle", StrField(*m2, "receiptHandle")}});

  std::map<std::string, int64_t> before = Attributes(main);
  EXPECT_EQ(before["activeMsgNum"], 3);
  EXPECT_EQ(before["inactiveMsgNum"], 1);
  EXPECT_EQ(before["delayMsgNum"], 1);
  EXPECT_EQ(before["rewindmsgNum"], 1);
  std::string policy_before =
      StrField(Ok("GetQueueAttributes", {{"queueName", main}}), "deadLetterPolicy");
  int64_t start = NowSeconds();

  Restart();

  // Queues, ids and attributes.
  JsonValue list = Ok("ListQueue", {});
  std::map<std::string, std::string> id_by_name;
  for (const JsonValue& q : ArrayField(list, "queueList")) {
    id_by_name[StrField(q, "queueName")] = StrField(q, "queueId");
  }
  EXPECT_EQ(IntField(list, "totalCount"), 2);
  EXPECT_EQ(id_by_name[main], main_id);
  EXPECT_EQ(id_by_name[dlq], dlq_id);
  EXPECT_EQ(id_by_name.count(gone), 0u);
  EXPECT_TRUE(IsServerError(caller_->Call("GetQueueAttributes", {{"queueName", gone}}), 4440, 10100));
  EXPECT_EQ(Attributes(main), before);
  EXPECT_EQ(StrField(Ok("GetQueueAttributes", {{"queueName", main}}), "deadLetterPolicy"),
            policy_before);
  JsonValue sources = Ok("ListDeadLetterSourceQueues", {{"deadLetterQueueName", dlq}});
  ASSERT_EQ(ArrayField(sources, "queueList").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(sources, "queueList")[0], "queueName"), main);

  // The active messages come back in order, with their ids and counters; m1 stays
  // hidden, m2 stays deleted, m6 stays delayed.
  std::vector<JsonValue> got;
  for (int i = 3; i <= 5; ++i) {
    ClientResult<JsonValue> r = Receive(main);
    ASSERT_TRUE(IsSuccess(r));
    EXPECT_EQ(StrField(*r, "msgBody"), std::string("m").append(std::to_string(i)));
    EXPECT_EQ(StrField(*r, "msgId"), ids[i - 1]);
    EXPECT_EQ(IntField(*r, "dequeueCount"), 1);
    got.push_back(std::move(r).value());
  }
  EXPECT_TRUE(IsServerError(Receive(main), 7000, 10200));
  for (const JsonValue& m : got) {
    EXPECT_TRUE(IsSuccess(caller_->Call(
        "DeleteMessage", {{"queueName", main}, {"receiptHandle", StrField(m, "receiptHandle")}})));
  }

  // Rewind brings back m2 (deleted before the restart) and m3..m5 (deleted after).
  ASSERT_TRUE(IsSuccess(caller_->Call(
      "RewindQueue", {{"queueName", main}, {"startConsumeTime", std::to_string(start - 60)}})));
  std::vector<std::string> rewound;
  for (int i = 0; i < 4; ++i) {
    ClientResult<JsonValue> r = Receive(main);
    ASSERT_TRUE(IsSuccess(r));
    rewound.push_back(StrField(*r, "msgBody"));
    EXPECT_TRUE(IsSuccess(caller_->Call(
        "DeleteMessage", {{"queueName", main}, {"receiptHandle", StrField(*r, "receiptHandle")}})));
  }
  EXPECT_EQ(rewound, (std::vector<std::string>{"m2", "m3", "m4", "m5"}));
  EXPECT_TRUE(IsServerError(Receive(main), 7000, 10200));

  // Switch rewind off (discarding the rewindable ones) and restart once more: nothing
  // deleted comes back.
  Ok("SetQueueAttributes", {{"queueName", main}, {"rewindSeconds", "0"}});
  std::map<std::string, int64_t> after = Attributes(main);
  Restart();
  EXPECT_EQ(Attributes(main), after);
  std::map<std::string, int64_t> now = Attributes(main);
  EXPECT_EQ(now["activeMsgNum"], 0);
  EXPECT_EQ(now["inactiveMsgNum"], 1);
  EXPECT_EQ(now["delayMsgNum"], 1);
  EXPECT_EQ(now["rewindmsgNum"], 0);
  EXPECT_TRUE(IsServerError(Receive(main), 7000, 10200));
}

TEST_F(RestartTest, PurgeSurvivesKill9) {
  const std::string q = "purged";
  Ok("CreateQueue", {{"queueName", q}});
  for (const char* body : {"a", "b", "c"}) Ok("SendMessage", {{"queueName", q}, {"msgBody", body}});
  Ok("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
  EXPECT_EQ(IntField(Ok("PurgeQueue", {{"queueName", q}}), "purgedMsgNum"), 3);
  Ok("SendMessage", {{"queueName", q}, {"msgBody", "after"}});

  Kill9AndRestart();

  std::map<std::string, int64_t> a = Attributes(q);
  EXPECT_EQ(a["activeMsgNum"], 1);
  EXPECT_EQ(a["inactiveMsgNum"], 0);
  std::map<std::string, std::string> left = ReceiveAll(q);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left.begin()->second, "after");
}

// A redrive of a few thousand messages (many batches) is killed right after it was
// acknowledged, usually with some batches durable and others not.
TEST_F(RestartTest, RedriveKilledMidWayLosesAndDuplicatesNothing) {
  constexpr int kMessages = 16 * 188;  // whole batches of 16
  const std::string dlq = "dead-letters";
  const std::string source = "orders";
  Ok("CreateQueue", {{"queueName", dlq}});
  Ok("CreateQueue", {{"queueName", source},
                     {"deadLetterPolicy", R"({"deadLetterQueue":")" + dlq +
                                              R"(","policy":0,"maxReceiveCount":3})"}});
  // The dead-letter queue is an ordinary queue: filling it directly is quicker than
  // dead-lettering thousands of messages, and the redrive cannot tell the difference.
  std::map<std::string, std::string> sent;  // msgId -> body
  for (int i = 0; i < kMessages; i += 16) {
    ParamList params = {{"queueName", dlq}};
    for (int k = 1; k <= 16; ++k) {
      params.emplace_back("msgBody." + std::to_string(k), "m" + std::to_string(i + k));
    }
    JsonValue r = Ok("BatchSendMessage", std::move(params));
    const std::vector<JsonValue>& ids = ArrayField(r, "msgList");
    ASSERT_EQ(ids.size(), 16u);
    for (int k = 0; k < 16; ++k) sent[StrField(ids[k], "msgId")] = "m" + std::to_string(i + k + 1);
  }
  ASSERT_EQ(sent.size(), static_cast<size_t>(kMessages));

  JsonValue task = Ok("StartMessageMoveTask", {{"sourceQueueName", dlq}});
  ASSERT_EQ(StrField(task, "status"), "RUNNING");
  ASSERT_EQ(IntField(task, "toMoveMsgNum"), kMessages);
  Kill9AndRestart();

  // The start was acknowledged, so the task is there and goes on by itself.
  JsonValue listed;
  ASSERT_TRUE(Eventually([&] {
    listed = Ok("ListMessageMoveTasks", {{"sourceQueueName", dlq}});
    return ArrayField(listed, "taskList").size() == 1 &&
           StrField(ArrayField(listed, "taskList")[0], "status") != "RUNNING";
  }));
  const JsonValue& done = ArrayField(listed, "taskList")[0];
  EXPECT_EQ(StrField(done, "taskHandle"), StrField(task, "taskHandle"));
  EXPECT_EQ(StrField(done, "status"), "COMPLETED") << StrField(done, "failureReason");
  EXPECT_EQ(IntField(done, "movedMsgNum"), kMessages);
  EXPECT_EQ(IntField(done, "toMoveMsgNum"), kMessages);

  // Every message is in exactly one queue: the source, with its msgId and body.
  EXPECT_EQ(Attributes(dlq)["activeMsgNum"] + Attributes(dlq)["inactiveMsgNum"], 0);
  EXPECT_EQ(Attributes(source)["activeMsgNum"], kMessages);
  EXPECT_TRUE(ReceiveAll(dlq).empty());
  EXPECT_EQ(ReceiveAll(source), sent);
}

TEST_F(RestartTest, RestartWithoutChangesAndAfterEmptyRun) {
  Restart();  // an empty data directory shuts down and recovers cleanly
  Ok("CreateQueue", {{"queueName", "q"}});
  for (int i = 0; i < 50; ++i) {
    Ok("SendMessage",
       {{"queueName", "q"}, {"msgBody", std::string("b").append(std::to_string(i))}});
  }
  Restart();
  Restart();
  std::set<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    ClientResult<JsonValue> r = caller_->Call(
        "BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}});
    ASSERT_TRUE(IsSuccess(r));
    ParamList del = {{"queueName", "q"}};
    int n = 0;
    for (const JsonValue& m : ArrayField(*r, "msgInfoList")) {
      bodies.insert(StrField(m, "msgBody"));
      del.emplace_back("receiptHandle." + std::to_string(++n), StrField(m, "receiptHandle"));
    }
    ASSERT_TRUE(IsSuccess(caller_->Call("BatchDeleteMessage", del)));
  }
  Restart();
  ClientResult<JsonValue> r = caller_->Call(
      "BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(r));
  for (const JsonValue& m : ArrayField(*r, "msgInfoList")) bodies.insert(StrField(m, "msgBody"));
  EXPECT_EQ(bodies.size(), 50u) << "48 deleted before the restart, 2 left, no duplicates";
  EXPECT_EQ(ArrayField(*r, "msgInfoList").size(), 2u) << "deleted messages stayed deleted";
}

}  // namespace
}  // namespace cmq::testing
