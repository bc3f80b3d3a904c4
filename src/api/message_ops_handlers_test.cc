// PeekMessage and PurgeQueue (cmqd extensions, docs/cmq-api.md 13.1): shapes, errors,
// and that a peek leaves the queue as it was.
#include <string>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

using MessageOpsTest = ApiTest;

TEST_F(MessageOpsTest, PeekShowsMessagesWithoutReceivingThem) {
  CreateQueue("q");
  std::string first = SendMessage("q", "one");
  SendMessage("q", "two");
  JsonValue v = Call("PeekMessage", {{"queueName", "q"}});
  ExpectOk(v);
  const JsonValue* list = v.Find("msgInfoList");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->items().size(), 2u);
  const JsonValue& m = list->items()[0];
  EXPECT_EQ(Str(m, "msgBody"), "one");
  EXPECT_EQ(Str(m, "msgId"), first);
  EXPECT_EQ(Str(m, "state"), "active");
  EXPECT_EQ(Int(m, "dequeueCount"), 0);
  EXPECT_EQ(m.Find("receiptHandle"), nullptr);
  EXPECT_GT(Int(m, "enqueueTime"), 0);
  EXPECT_NE(m.Find("nextVisibleTime"), nullptr);
  EXPECT_NE(m.Find("firstDequeueTime"), nullptr);

  // Nothing changed: both are still there to receive, oldest first.
  EXPECT_EQ(Int(Attributes("q"), "activeMsgNum"), 2);
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "one");
  JsonValue inactive = Call("PeekMessage", {{"queueName", "q"}, {"state", "inactive"}});
  ASSERT_EQ(inactive.Find("msgInfoList")->items().size(), 1u);
  EXPECT_EQ(Int(inactive.Find("msgInfoList")->items()[0], "dequeueCount"), 1);
  JsonValue one = Call("PeekMessage", {{"queueName", "q"}, {"numOfMsg", "1"}});
  EXPECT_EQ(one.Find("msgInfoList")->items().size(), 1u);
}

TEST_F(MessageOpsTest, PeekErrors) {
  CreateQueue("q");
  ExpectError(Call("PeekMessage", {{"queueName", "q"}, {"state", "gone"}}), 4000, 10900);
  ExpectError(Call("PeekMessage", {{"queueName", "q"}, {"numOfMsg", "0"}}), 4000, 10350,
              "numOfMsg");
  ExpectError(Call("PeekMessage", {{"queueName", "q"}, {"numOfMsg", "33"}}), 4000, 10350,
              "numOfMsg");
  ExpectError(Call("PeekMessage", {{"queueName", "nope"}}), 4440, 10100);
  ExpectError(Call("PeekMessage"), 4000, 10390, "queueName");
}

TEST_F(MessageOpsTest, PurgeRemovesEveryMessage) {
  CreateQueue("q");
  SendMessage("q", "a");
  SendMessage("q", "b");
  ASSERT_EQ(Code(Receive("q")), 0);
  JsonValue v = Call("PurgeQueue", {{"queueName", "q"}});
  ExpectOk(v);
  EXPECT_EQ(Int(v, "purgedMsgNum"), 2);
  JsonValue a = Attributes("q");
  EXPECT_EQ(Int(a, "activeMsgNum"), 0);
  EXPECT_EQ(Int(a, "inactiveMsgNum"), 0);
  ExpectError(Receive("q"), 7000, 10200);
  ExpectError(Call("PurgeQueue", {{"queueName", "nope"}}), 4440, 10100);
  ExpectError(Call("PurgeQueue"), 4000, 10390, "queueName");
}

TEST_F(MessageOpsTest, MoveTaskShapesAndErrors) {
  CreateQueue("dlq");
  CreateQueue("src", {{"deadLetterPolicy", R"({"deadLetterQueue":"dlq","policy":0,"maxReceiveCount":1})"},
                      {"visibilityTimeout", "1"}});
  SendMessage("src", "dead");
  ASSERT_EQ(Code(Receive("src")), 0);
  clock_.Advance(1000);
  broker_->Tick();
  ASSERT_EQ(Int(Attributes("dlq"), "activeMsgNum"), 1);

  JsonValue started = Call("StartMessageMoveTask", {{"sourceQueueName", "dlq"}});
  ExpectOk(started);
  EXPECT_EQ(Str(started, "status"), "RUNNING");
  EXPECT_EQ(Str(started, "sourceQueueName"), "dlq");
  EXPECT_EQ(Str(started, "destinationQueueName"), "src");
  EXPECT_EQ(Int(started, "toMoveMsgNum"), 1);
  EXPECT_EQ(Int(started, "movedMsgNum"), 0);
  EXPECT_EQ(Str(started, "failureReason"), "");
  EXPECT_GT(Int(started, "startedTime"), 0);
  ExpectError(Call("StartMessageMoveTask", {{"sourceQueueName", "dlq"}}), 4000, 10940);
  broker_->Tick();
  broker_->Tick();
  JsonValue list = Call("ListMessageMoveTasks", {{"sourceQueueName", "dlq"}});
  ExpectOk(list);
  ASSERT_EQ(list.Find("taskList")->items().size(), 1u);
  const JsonValue& task = list.Find("taskList")->items()[0];
  EXPECT_EQ(Str(task, "taskHandle"), Str(started, "taskHandle"));
  EXPECT_EQ(Str(task, "status"), "COMPLETED");
  EXPECT_EQ(Int(task, "movedMsgNum"), 1);
  EXPECT_EQ(Int(Attributes("src"), "activeMsgNum"), 1);

  ExpectError(Call("StartMessageMoveTask", {{"sourceQueueName", "src"}}), 4000, 10910);
  ExpectError(Call("StartMessageMoveTask",
                   {{"sourceQueueName", "dlq"}, {"destinationQueueName", "dlq"}}),
              4000, 10930);
  ExpectError(Call("StartMessageMoveTask",
                   {{"sourceQueueName", "dlq"}, {"destinationQueueName", "nope"}}),
              4440, 10100);
  ExpectError(Call("StartMessageMoveTask",
                   {{"sourceQueueName", "dlq"}, {"destinationQueueName", "9"}}),
              4000, 10020);
  ExpectError(Call("StartMessageMoveTask"), 4000, 10390, "sourceQueueName");
  ExpectError(Call("ListMessageMoveTasks", {{"sourceQueueName", "nope"}}), 4440, 10100);
}

}  // namespace
}  // namespace cmq::api
