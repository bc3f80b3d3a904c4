// Queue and Account queue methods against a scripted server: the parameters each
// method sends, how it reads the answer, and how errors become exceptions.
#include "cmq/queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cmq/account.h"
#include "cmq/exceptions.h"
#include "sdk/fake_cmq_server_for_test.h"

namespace cmq {
namespace {

using sdk::testing::FakeCmqServer;
using sdk::testing::FakeRequest;
using sdk::testing::Json;
using sdk::testing::Success;

constexpr char kMessageJson[] =
    R"("msgId":"m1","receiptHandle":"h1","msgBody":"hello","enqueueTime":1700000000,)"
    R"("nextVisibleTime":1700000030,"firstDequeueTime":1700000001,"dequeueCount":2)";

TEST(QueueTest, SendMessageSendsBodyAndDelayAndReturnsMsgId) {
  FakeCmqServer server(Success(R"("msgId":"12345")"));
  Queue queue("orders", server.Client());
  EXPECT_EQ(queue.sendMessage("hello world", 7), "12345");
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "SendMessage");
  EXPECT_EQ(r.Get("queueName"), "orders");
  EXPECT_EQ(r.Get("msgBody"), "hello world");
  EXPECT_EQ(r.Get("delaySeconds"), "7");
  EXPECT_EQ(r.Get("SignatureMethod"), "HmacSHA256");
  EXPECT_TRUE(r.Has("Signature"));
}

TEST(QueueTest, BatchSendMessageIndexesBodiesFromOne) {
  FakeCmqServer server(Success(R"("msgList":[{"msgId":"a"},{"msgId":"b"}])"));
  Queue queue("orders", server.Client());
  EXPECT_EQ(queue.batchSendMessage({"x", "y"}), (std::vector<std::string>{"a", "b"}));
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "BatchSendMessage");
  EXPECT_EQ(r.Get("msgBody.1"), "x");
  EXPECT_EQ(r.Get("msgBody.2"), "y");
  EXPECT_FALSE(r.Has("msgBody.0"));
  EXPECT_EQ(r.Get("delaySeconds"), "0");
}

TEST(QueueTest, BatchSendMessageRejectsAnswerWithWrongCount) {
  FakeCmqServer server(Success(R"("msgList":[{"msgId":"a"}])"));
  Queue queue("orders", server.Client());
  try {
    queue.batchSendMessage({"x", "y"});
    FAIL() << "no exception";
  } catch (const CMQClientException& e) {
    EXPECT_EQ(e.kind(), CMQClientException::Kind::kBadResponse);
    EXPECT_NE(e.getMessage().find("msgList"), std::string::npos) << e.getMessage();
  }
}

TEST(QueueTest, ReceiveMessageReadsAllFields) {
  FakeCmqServer server(Success(kMessageJson));
  Queue queue("orders", server.Client());
  Message m = queue.receiveMessage(3);
  EXPECT_EQ(m.msgId, "m1");
  EXPECT_EQ(m.receiptHandle, "h1");
  EXPECT_EQ(m.msgBody, "hello");
  EXPECT_EQ(m.enqueueTime, 1700000000);
  EXPECT_EQ(m.nextVisibleTime, 1700000030);
  EXPECT_EQ(m.firstDequeueTime, 1700000001);
  EXPECT_EQ(m.dequeueCount, 2);
  EXPECT_EQ(server.last().Get("Action"), "ReceiveMessage");
  EXPECT_EQ(server.last().Get("pollingWaitSeconds"), "3");
}

TEST(QueueTest, ReceiveMessageWithoutWaitLeavesItToTheQueue) {
  FakeCmqServer server(Success(kMessageJson));
  Queue queue("orders", server.Client());
  queue.receiveMessage();
  EXPECT_FALSE(server.last().Has("pollingWaitSeconds"));
}

TEST(QueueTest, NoMessageIsItsOwnException) {
  FakeCmqServer server(Json(R"({"code":7000,"message":"(10200)no message","requestId":"rq9"})"));
  Queue queue("orders", server.Client());
  try {
    queue.receiveMessage(0);
    FAIL() << "no exception";
  } catch (const CMQNoMessageException& e) {
    EXPECT_EQ(e.getCode(), 7000);
    EXPECT_EQ(e.getModuleCode(), 10200);
    EXPECT_EQ(e.getMessage(), "(10200)no message");
    EXPECT_EQ(e.getRequestId(), "rq9");
  }
  // Also catchable as the base classes.
  EXPECT_THROW(queue.batchReceiveMessage(4, 0), CMQServerException);
  EXPECT_THROW(queue.batchReceiveMessage(4, 0), CMQException);
}

// The read timeout of a long poll is readTimeoutMs plus the wait: a server answering
// well after readTimeoutMs but within the wait is not a timeout.
TEST(QueueTest, LongPollOutlastsTheReadTimeout) {
  FakeCmqServer server([](const FakeRequest& r) {
    if (r.Get("Action") == "SendMessage") {
      return http::ScriptedReply{"", http::ScriptedReply::Then::kHoldSilent};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a slow server
    if (r.Get("Action") == "BatchReceiveMessage") {
      return http::ScriptedReply{Success(std::string(R"("msgInfoList":[{)") + kMessageJson + "}]")};
    }
    return http::ScriptedReply{Success(kMessageJson)};
  });
  CMQClientOptions options;
  options.readTimeoutMs = 100;
  Queue queue("orders", server.Client(options));
  EXPECT_EQ(queue.receiveMessage(10).msgId, "m1");
  EXPECT_EQ(queue.batchReceiveMessage(2, 10).size(), 1u);
  // An ordinary call gets readTimeoutMs only.
  try {
    queue.sendMessage("x");
    FAIL() << "no exception";
  } catch (const CMQClientException& e) {
    EXPECT_EQ(e.kind(), CMQClientException::Kind::kTimeout);
    EXPECT_TRUE(e.outcomeUnknown());
  }
}

TEST(QueueTest, BatchReceiveMessageReadsEveryMessage) {
  std::string two = std::string(R"("msgInfoList":[{)") + kMessageJson + "},{" + kMessageJson + "}]";
  FakeCmqServer server(Success(two));
  Queue queue("orders", server.Client());
  std::vector<Message> messages = queue.batchReceiveMessage(16, 30);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].receiptHandle, "h1");
  EXPECT_EQ(server.last().Get("numOfMsg"), "16");
  EXPECT_EQ(server.last().Get("pollingWaitSeconds"), "30");
}

TEST(QueueTest, DeleteMessageSendsHandle) {
  FakeCmqServer server;
  Queue queue("orders", server.Client());
  queue.deleteMessage("h-1");
  EXPECT_EQ(server.last().Get("Action"), "DeleteMessage");
  EXPECT_EQ(server.last().Get("receiptHandle"), "h-1");
}

TEST(QueueTest, BatchDeletePartialFailureListsFailedHandles) {
  FakeCmqServer server(Json(
      R"({"code":6010,"message":"(10150)delete message partially failed","requestId":"r7",)"
      R"("errorList":[{"code":4430,"message":"(10260)receipt handle is invalid","receiptHandle":"bad"}]})"));
  Queue queue("orders", server.Client());
  try {
    queue.batchDeleteMessage({"good", "bad"});
    FAIL() << "no exception";
  } catch (const CMQBatchDeleteException& e) {
    EXPECT_EQ(e.getCode(), 6010);
    EXPECT_EQ(e.getRequestId(), "r7");
    ASSERT_EQ(e.errorList().size(), 1u);
    EXPECT_EQ(e.errorList()[0].code, 4430);
    EXPECT_EQ(e.errorList()[0].receiptHandle, "bad");
  }
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("receiptHandle.1"), "good");
  EXPECT_EQ(r.Get("receiptHandle.2"), "bad");
}

TEST(QueueTest, BatchDeleteOtherErrorsAreServerExceptions) {
  FakeCmqServer server(Json(R"({"code":4440,"message":"(10100)queue is not existed","requestId":"x"})"));
  Queue queue("orders", server.Client());
  try {
    queue.batchDeleteMessage({"h"});
    FAIL() << "no exception";
  } catch (const CMQBatchDeleteException&) {
    FAIL() << "not a batch delete failure";
  } catch (const CMQServerException& e) {
    EXPECT_EQ(e.getCode(), 4440);
    EXPECT_EQ(e.getModuleCode(), 10100);
  }
}

TEST(QueueTest, RewindQueueSendsTime) {
  FakeCmqServer server;
  Queue queue("orders", server.Client());
  queue.rewindQueue(1700000000);
  EXPECT_EQ(server.last().Get("Action"), "RewindQueue");
  EXPECT_EQ(server.last().Get("startConsumeTime"), "1700000000");
}

TEST(QueueTest, SetQueueAttributesSendsOnlyWhatIsSet) {
  FakeCmqServer server;
  Queue queue("orders", server.Client());
  QueueMeta meta;
  meta.visibilityTimeout = 60;
  meta.rewindSeconds = 0;
  queue.setQueueAttributes(meta);
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "SetQueueAttributes");
  EXPECT_EQ(r.Get("visibilityTimeout"), "60");
  EXPECT_EQ(r.Get("rewindSeconds"), "0");
  EXPECT_FALSE(r.Has("maxMsgHeapNum"));
  EXPECT_FALSE(r.Has("pollingWaitSeconds"));
  EXPECT_FALSE(r.Has("maxMsgSize"));
  EXPECT_FALSE(r.Has("msgRetentionSeconds"));
  EXPECT_FALSE(r.Has("deadLetterPolicy"));
}

TEST(QueueTest, GetQueueAttributesReadsEveryField) {
  FakeCmqServer server(Success(
      R"("maxMsgHeapNum":1000000,"pollingWaitSeconds":5,"visibilityTimeout":31,)"
      R"("maxMsgSize":2048,"msgRetentionSeconds":3600,"rewindSeconds":600,"createTime":10,)"
      R"("lastModifyTime":11,"activeMsgNum":3,"inactiveMsgNum":4,"delayMsgNum":5,)"
      R"("rewindmsgNum":6,"rewindMsgNum":6,"minMsgTime":9,)"
      R"("deadLetterPolicy":"{\"deadLetterQueue\":\"dlq\",\"policy\":0,\"maxReceiveCount\":3}")"));
  Queue queue("orders", server.Client());
  QueueMeta meta = queue.getQueueAttributes();
  EXPECT_EQ(meta.maxMsgHeapNum, 1000000);
  EXPECT_EQ(meta.pollingWaitSeconds, 5);
  EXPECT_EQ(meta.visibilityTimeout, 31);
  EXPECT_EQ(meta.maxMsgSize, 2048);
  EXPECT_EQ(meta.msgRetentionSeconds, 3600);
  EXPECT_EQ(meta.rewindSeconds, 600);
  EXPECT_EQ(meta.createTime, 10);
  EXPECT_EQ(meta.lastModifyTime, 11);
  EXPECT_EQ(meta.activeMsgNum, 3);
  EXPECT_EQ(meta.inactiveMsgNum, 4);
  EXPECT_EQ(meta.delayMsgNum, 5);
  EXPECT_EQ(meta.rewindMsgNum, 6);
  EXPECT_EQ(meta.minMsgTime, 9);
  EXPECT_EQ(meta.deadLetterPolicy, R"({"deadLetterQueue":"dlq","policy":0,"maxReceiveCount":3})");
}

TEST(QueueTest, GetQueueAttributesAcceptsJavaSpellingOfRewindCount) {
  FakeCmqServer server(Success(
      R"("maxMsgHeapNum":1,"pollingWaitSeconds":0,"visibilityTimeout":30,"maxMsgSize":1024,)"
      R"("msgRetentionSeconds":60,"rewindMsgNum":4)"));
  Queue queue("orders", server.Client());
  QueueMeta meta = queue.getQueueAttributes();
  EXPECT_EQ(meta.rewindMsgNum, 4);
  EXPECT_FALSE(meta.deadLetterPolicy.has_value());
}

TEST(AccountQueueTest, CreateQueueSendsAttributesAndReturnsId) {
  FakeCmqServer server(Success(R"("queueId":"queue-abc")"));
  Account account(server.Client());
  QueueMeta meta;
  meta.pollingWaitSeconds = 10;
  meta.maxMsgHeapNum = 1000000;
  meta.deadLetterPolicy = R"({"deadLetterQueue":"d","policy":0,"maxReceiveCount":2})";
  EXPECT_EQ(account.createQueue("orders", meta), "queue-abc");
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("Action"), "CreateQueue");
  EXPECT_EQ(r.Get("queueName"), "orders");
  EXPECT_EQ(r.Get("pollingWaitSeconds"), "10");
  EXPECT_EQ(r.Get("maxMsgHeapNum"), "1000000");
  EXPECT_EQ(r.Get("deadLetterPolicy"), *meta.deadLetterPolicy);
  EXPECT_FALSE(r.Has("visibilityTimeout"));
}

TEST(AccountQueueTest, ListQueueReadsPage) {
  FakeCmqServer server(Success(
      R"("totalCount":7,"queueList":[{"queueId":"queue-1","queueName":"a"},)"
      R"({"queueId":"queue-2","queueName":"b"}])"));
  Account account(server.Client());
  ListResult page = account.listQueue("x", 5, 2);
  EXPECT_EQ(page.totalCount, 7);
  EXPECT_EQ(page.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(page.items[1].id, "queue-2");
  FakeRequest r = server.last();
  EXPECT_EQ(r.Get("searchWord"), "x");
  EXPECT_EQ(r.Get("offset"), "5");
  EXPECT_EQ(r.Get("limit"), "2");

  account.listQueue();
  EXPECT_FALSE(server.last().Has("searchWord"));
  EXPECT_FALSE(server.last().Has("offset"));
  EXPECT_FALSE(server.last().Has("limit"));
}

TEST(AccountQueueTest, DeleteQueue) {
  FakeCmqServer server;
  Account account(server.Client());
  account.deleteQueue("orders");
  EXPECT_EQ(server.last().Get("Action"), "DeleteQueue");
  EXPECT_EQ(server.last().Get("queueName"), "orders");
}

}  // namespace
}  // namespace cmq
